"""The synthetic gradient study of the GenGS paper (§6.1, Figure 3).

`python -m tfp_gengs.experiments.synthetic --output_dir=DIR [--quick]`
(`main`, which defines its flags on import); the pieces:

* `main`: the entry point, every setting and its reason (its docstring).
* `problems`: the four problems (windows, parameters, starts, targets,
  exact and closed-form gradients).
* `runner`: the traced step, its statistics and their aggregation.
* `report`: `summary.md`, the Figure-3 plots and TensorBoard.
"""
