r"""The synthetic study's settings: `Config` (every flag), with reasons.

Every field of `Config` is a flag of
`python -m tfp_gengs.experiments.synthetic` (`common.configs`: its help is
the field's entry under `Attributes:`). `None`: the mode's value
(`main.MODES`: `--ci`, `--quick` or the full run).

#### Settings the paper leaves open (its Appendix J is not available)

Chosen here, and written next to the results in `summary.md` (the problems'
parameters, starts and windows: `problems`):

* `k = 10` targets (data points; the paper's "z_i" read as one latent per
  target, and its remark that DetRB/StoRB could use more categories "in the
  synthetic example" as one latent per learning signal); each has its own
  latent, and each estimator's learning signal for `z_i` is its own loss
  `(z_i - t_i)^2` (as for the per-data-point latents of a VAE). With one
  latent per data point the sum-and-sample estimators need no `m^K`
  combinations.
* Adam, learning rate 0.01, for every estimator; the learned control
  variates use Adam with learning rate 0.01 on their variance/regression
  losses, averaged over all replicates (`runner`).
* Temperature `tau = 1` for every relaxation (GenGS, GenGS-ST, GenGS-RB and
  the initial temperature of REBAR/RELAX), no annealing (`--temperature`).
  A fixed problem has no reason to anneal; `tau = 1` is the largest common
  choice, and the relaxed gradient's variance grows like `1 / tau` while its
  bias shrinks (see `tests/test_estimators.py`), so the full run adds
  `GenGS@0.5` (GenGS at `tau = 0.5`) to show that trade-off.
* Multi-sample estimators: RF* with 2 samples, VIMCO(5) with 5 samples,
  sum-and-sample and unordered-set estimators with one summed category plus
  one sampled one (2 evaluations). Variances are per gradient estimate,
  whatever it costs; `summary.md` lists the evaluations of `f` per estimate
  and the time per gradient next to them.
* Bias: `|mean of the replicates - exact gradient|` carries the Monte Carlo
  error `sqrt(tr Cov / R)`; the table reports the debiased root-mean-square
  bias `sqrt(mean(|mean - g|^2 - tr Cov_hat / R))` over steps and seeds
  (unbiased for the squared bias), with the raw value and the noise floor.
  Beside it, the error of *one* estimate, `sqrt(E|g_hat - g|^2)` (variance
  plus squared bias; the other reading of "bias" in the paper's Figure 3),
  and the variance per evaluation of `f`, `log(tr Cov x evaluations)`: what
  averaging estimates to an equal budget of evaluations would give.
* Confidence intervals: mean +- 1.96 standard errors over seeds.
"""

import dataclasses

__all__ = ['Config']


@dataclasses.dataclass
class Config:
  """The settings of one invocation of the study (its flags).

  Attributes:
    output_dir: Where results go.
    quick: About two minutes on 2 CPU cores.
    ci: A few seconds: the test-suite setting.
    distributions: Subset of poisson,binomial,multinomial,negative_binomial.
    estimators: Subset of the estimator names.
    steps: Optimisation steps per run.
    seeds: Independent runs per estimator.
    replicates: Independent gradient estimates per step.
    num_targets: k, the number of targets.
    temperature: GenGS / REBAR / RELAX temperature.
    learning_rate: Adam learning rate of lambda.
    aux_learning_rate: Adam learning rate of the learned control variates.
    log_every: Steps averaged per stored point.
    target_seed: Seed of the targets t_1..t_k.
    resume: Skip (distribution, estimator) runs already in
      output_dir/checkpoint.json with the same settings.
  """

  output_dir: str = 'runs/synthetic'
  quick: bool = False
  ci: bool = False
  distributions: tuple = None
  estimators: tuple = None
  steps: int = None
  seeds: int = None
  replicates: int = None
  num_targets: int = 10
  temperature: float = 1.
  learning_rate: float = 0.01
  aux_learning_rate: float = 0.01
  log_every: int = None
  target_seed: int = 0
  resume: bool = True
