"""Plot helpers shared by the toy-model figures (Figs 4-8): skill curves, aligned dimensions, the two-column grid."""
import matplotlib.pyplot as plt
import numpy as np
from scipy.ndimage import gaussian_filter1d

from .figure import task_colors

COLUMN_TITLES = ("Geometry Model", "Resource Model")


def plot_skills(ax, skills, steps=None, labels=None, **line_kw):
    """Draw the skill curves of all K tasks, shape (T, K), in viridis index colouring.

    x is ``steps`` (T,) or the record index; ``labels`` (K,) name the lines for a legend.
    """
    skills = np.asarray(skills)
    steps = np.arange(len(skills)) if steps is None else steps
    for k, color in enumerate(task_colors(skills.shape[1])):
        ax.plot(steps, skills[:, k], color=color, label=None if labels is None else labels[k], **line_kw)


def plot_aligned_dimensions(ax, steps, n_align, sigma=10.0, labels=None):
    """Aligned dimensions (T, K): Gaussian-smoothed (sigma steps, lw 2; named by ``labels`` (K,) for a legend) over
    the raw series (alpha 0.05)."""
    n_align = np.asarray(n_align, float)
    for k, color in enumerate(task_colors(n_align.shape[1])):
        ax.plot(steps, gaussian_filter1d(n_align[:, k], sigma), color=color, lw=2,
                label=None if labels is None else labels[k])
        ax.plot(steps, n_align[:, k], color=color, alpha=0.05)


def plot_seed_curves(ax, curves, title):
    """Accuracy curves (T, seeds, K) of every seed, coloured by task: the paper's seed (the first) thick, the others
    thin; titled, with a 12 pt x label."""
    for seed in range(curves.shape[1]):
        for k in range(curves.shape[2]):
            ax.plot(curves[:, seed, k], color=f"C{k}", lw=1.5 if seed == 0 else 0.6, alpha=1 if seed == 0 else 0.6)
    ax.set_title(title, fontsize=12)
    ax.set_xlabel("steps", fontsize=12)


def comparison_grid(n_rows, figsize, title_size, title_y=1.1, ylabel="skill", ylabel_size=15):
    """An (n_rows, 2) grid without gaps: Geometry model left, Resource model right, rows sharing y.

    Titles go on the first row, the y label on the left column; the right column hides its y tick labels and only
    the bottom row keeps x tick labels (``sharex``).

    Returns
    -------
    fig, axes (n_rows, 2)
    """
    fig, axes = plt.subplots(n_rows, 2, figsize=figsize, sharex=True, sharey="row", squeeze=False,
                             gridspec_kw={"wspace": 0, "hspace": 0})
    for ax, title in zip(axes[0], COLUMN_TITLES):
        ax.set_title(title, fontsize=title_size, y=title_y)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel, fontsize=ylabel_size)
    for ax in axes[:, 1]:
        ax.tick_params(labelleft=False, left=False)
    return fig, axes


def inner_ticks(axes):
    """Panels side by side with a shared y axis and no gap: every panel but the first keeps its y ticks inside
    and unlabelled, so no tick reaches into its neighbour."""
    for ax in axes[1:]:
        ax.tick_params(axis="y", which="both", direction="in", labelleft=False)


def shared_legend(fig, ax, fontsize):
    """One legend of ``ax``'s curves beside the figure's right edge, where it hides no curve (for panels that share
    their colours)."""
    fig.legend(*ax.get_legend_handles_labels(), loc="center left", bbox_to_anchor=(0.91, 0.5), fontsize=fontsize)
