"""Plot helpers shared by the Geometry-vs-Resource figures (Figs 7 top, 8): skill curves and the two-column grid."""
import matplotlib.pyplot as plt
import numpy as np

from .figure import task_colors

COLUMN_TITLES = ("Geometry Model", "Resource Model")


def plot_skills(ax, skills, **line_kw):
    """Draw the skill curves of all K tasks, shape (T, K), against the record index, in viridis index colouring."""
    skills = np.asarray(skills)
    for k, color in enumerate(task_colors(skills.shape[1])):
        ax.plot(skills[:, k], color=color, **line_kw)


def comparison_grid(n_rows, figsize, title_size, title_y=1.1, ylabel="skill", ylabel_size=10):
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
