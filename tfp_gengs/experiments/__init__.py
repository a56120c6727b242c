"""The paper's experiments as absl apps.

`python -m tfp_gengs.experiments.<name> --output_dir=DIR [--quick]` writes
`DIR/results.json`, `DIR/summary.md`, PNG plots and TensorBoard logs.

* `synthetic`: the gradient study of §6.1 (Figure 3).
* `vae`: the discrete-latent VAEs of §6.2 (Table 1, Figure 4) on MNIST and
  OMNIGLOT, GenGS against the baselines, relaxed / hard / IWAE evaluation.
* `topic_model`: the neural variational Poisson DEF of §6.3 (Table 2) on
  20 Newsgroups, single and multi-stacked, beside NVDM.

Each study is a package (`main.py` the entry point, `__main__.py` the
command, then its models, training, evaluation and report); `common/`
holds what they share: the output folder, checkpoint/resume, the resumable
epoch loop, progress, TensorBoard, flags and plotting pieces.
"""
