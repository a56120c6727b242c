"""The paper's experiments as absl apps.

`python -m tfp_gengs.experiments.<name> --output_dir=DIR [--quick]` writes
`DIR/results.json`, `DIR/summary.md`, PNG plots and TensorBoard logs.

* `synthetic`: the gradient study of §6.1 (Figure 3).
"""
