"""PNG plots shared by the experiments (matplotlib, Agg backend).

* `curves`: training curves, one panel per group of series, against epochs.
* `image_grid`: rows of images (e.g. test images and their reconstructions,
  the paper's Figure 4).
* `count_histograms`: distributions over integer outcomes against a
  reference PMF (e.g. latent counts against the prior).

Each function writes one PNG and returns its path. matplotlib is imported on
first use, so the experiments start (and fail early with a clear message
from `require_matplotlib`) without it.
"""

import numpy as np

__all__ = ['require_matplotlib', 'curves', 'image_grid', 'count_histograms']


def require_matplotlib():
  """Imports matplotlib (Agg) or raises naming the missing dependency."""
  try:
    import matplotlib  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise ImportError(
        'The experiments write PNG plots with matplotlib, which is not '
        'installed: `pip install matplotlib` (or the package\'s '
        '`experiments` extra).') from e
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  return plt


def _save(plt, fig, path, title, title_size):
  """Titles, lays out, writes and closes `fig`; returns `path`."""
  if title:
    fig.suptitle(title, fontsize=title_size)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return path


def curves(path, history, panels, x_key='epoch', title=None):
  """Line plots of `history` (a list of dicts, one per epoch).

  Args:
    path: PNG path.
    history: list of dicts with `x_key` and the series' keys (missing or
      `None` values are skipped).
    panels: list of `(panel title, [(key, label), ...], log_y)`.
    x_key: the key of the x axis.
    title: optional figure title.

  Returns:
    `path`.
  """
  plt = require_matplotlib()
  fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6),
                           squeeze=False)
  for ax, (panel_title, series, log_y) in zip(axes[0], panels):
    for key, label in series:
      points = [(h[x_key], h[key]) for h in history
                if h.get(key) is not None]
      if points:
        xs, ys = zip(*points)
        ax.plot(xs, ys, label=label, lw=1.4)
    if log_y:
      ax.set_yscale('log')
    ax.set_title(panel_title, fontsize=10)
    ax.set_xlabel(x_key)
    ax.grid(alpha=.3)
    if ax.get_legend_handles_labels()[0]:
      ax.legend(fontsize=8)
  return _save(plt, fig, path, title, title_size=10)


def image_grid(path, rows, row_titles, image_shape=(28, 28), title=None):
  """Rows of grey images in `[0, 1]` (e.g. data, then reconstructions).

  Args:
    path: PNG path.
    rows: list of arrays `[k, prod(image_shape)]`, all with the same `k`.
    row_titles: one label per row.
    image_shape: the shape of one image.
    title: optional figure title.

  Returns:
    `path`.
  """
  plt = require_matplotlib()
  k = len(rows[0])
  fig, axes = plt.subplots(len(rows), k, figsize=(0.9 * k + 1.2,
                                                  0.95 * len(rows) + 0.4),
                           squeeze=False)
  for r, (images, label) in enumerate(zip(rows, row_titles)):
    for c in range(k):
      ax = axes[r, c]
      ax.imshow(np.reshape(images[c], image_shape), cmap='gray_r',
                vmin=0., vmax=1., interpolation='nearest')
      ax.set_xticks([])
      ax.set_yticks([])
    axes[r, 0].set_ylabel(label, fontsize=7, rotation=0, ha='right',
                          va='center')
  return _save(plt, fig, path, title, title_size=9)


def count_histograms(path, outcomes, panels, reference_label='prior',
                     title=None):
  """Bar charts of PMFs over `outcomes`, each against a reference PMF.

  Args:
    path: PNG path.
    outcomes: `[n]` outcome values.
    panels: list of `(panel title, pmf [n], reference pmf [n] or None)`.
    reference_label: legend label of the reference.
    title: optional figure title.

  Returns:
    `path`.
  """
  plt = require_matplotlib()
  cols = min(len(panels), 4)
  nrows = -(-len(panels) // cols)
  fig, axes = plt.subplots(nrows, cols, figsize=(4 * cols, 3 * nrows),
                           squeeze=False)
  outcomes = np.asarray(outcomes)
  for ax, (panel_title, pmf, reference) in zip(axes.flat, panels):
    ax.bar(outcomes, pmf, width=0.8, alpha=.6, label='latent counts')
    if reference is not None:
      ax.plot(outcomes, reference, 'o-', color='crimson', ms=3, lw=1,
              label=reference_label)
    ax.set_title(panel_title, fontsize=9)
    ax.set_xlabel('outcome')
    ax.grid(alpha=.3)
    ax.legend(fontsize=7)
  for ax in list(axes.flat)[len(panels):]:
    ax.axis('off')
  return _save(plt, fig, path, title, title_size=10)
