"""The topic-model study of the GenGS paper (§6.3, Figure 5, Table 2).

`python -m tfp_gengs.experiments.topic_model --output_dir=DIR [--quick]
[--resume]` (`main`); the pieces:

* `main`: the entry point, every setting and its reason (its docstring).
* `models`: NVPDEF, the multi-stacked NVPDEF and NVDM.
* `evaluation`: perplexity and the top words of the topics.
* `report`: the paper's Table 2, `summary.md`, `curves.png`, `table.md`.

```python
from tfp_gengs.experiments import topic_model
results = topic_model.run(topic_model.Config(output_dir='/tmp/tm'))
```
"""

from tfp_gengs.experiments.topic_model.main import Config
from tfp_gengs.experiments.topic_model.main import Corpus
from tfp_gengs.experiments.topic_model.main import Interrupted
from tfp_gengs.experiments.topic_model.main import load_corpus
from tfp_gengs.experiments.topic_model.main import quick
from tfp_gengs.experiments.topic_model.main import run

__all__ = ['Config', 'Corpus', 'Interrupted', 'load_corpus', 'quick', 'run']
