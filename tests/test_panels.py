"""The toy figures' plot helpers (skill_physics/paper/panels.py) draw what their docstrings promise: data, colours,
widths, labels, titles and the layout of the two-column grid."""
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from scipy.ndimage import gaussian_filter1d

from skill_physics.paper.figure import task_colors
from skill_physics.paper.panels import (
    COLUMN_TITLES,
    comparison_grid,
    inner_ticks,
    plot_aligned_dimensions,
    plot_seed_curves,
    plot_skills,
    shared_legend,
)


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def viridis(k, n_tasks):
    """The paper's colour of task k of K: viridis(k / (K - 1))."""
    return tuple(matplotlib.colormaps["viridis"](k / (n_tasks - 1)))


def test_task_colors_run_through_viridis_and_one_task_is_dark_purple():
    np.testing.assert_allclose(task_colors(3), [viridis(k, 3) for k in range(3)])
    np.testing.assert_allclose(task_colors(1), [matplotlib.colormaps["viridis"](0.0)])


def test_plot_skills_draws_one_line_per_task_against_the_record_index(ax):
    skills = [[0.0, 0.1, 0.2], [0.5, 0.6, 0.7], [1.0, 0.9, 0.8], [1.0, 1.0, 1.0]]     # T = 4 records, K = 3
    plot_skills(ax, skills, lw=3)
    lines = ax.get_lines()
    assert len(lines) == 3
    for k, line in enumerate(lines):
        np.testing.assert_array_equal(line.get_xdata(), np.arange(4))
        np.testing.assert_array_equal(line.get_ydata(), np.asarray(skills)[:, k])
        np.testing.assert_allclose(to_rgba(line.get_color()), viridis(k, 3))
        assert line.get_linewidth() == 3                       # extra keywords reach every line
        assert line.get_label().startswith("_")                # unlabelled: left out of a legend


def test_plot_skills_uses_given_steps_and_labels(ax):
    skills = np.array([[0.0, 0.2], [0.4, 0.6], [1.0, 1.0]])
    plot_skills(ax, skills, steps=np.array([10, 20, 40]), labels=["task 1", "task 2"])
    lines = ax.get_lines()
    for k, line in enumerate(lines):
        np.testing.assert_array_equal(line.get_xdata(), [10, 20, 40])
        np.testing.assert_array_equal(line.get_ydata(), skills[:, k])
    assert [line.get_label() for line in lines] == ["task 1", "task 2"]


def test_plot_aligned_dimensions_draws_the_smoothed_curve_over_the_faint_raw_one(ax):
    steps = np.arange(60) * 5
    n_align = np.random.default_rng(0).integers(0, 20, size=(60, 2))    # integer counts, smoothed as floats
    plot_aligned_dimensions(ax, steps, n_align)
    lines = ax.get_lines()
    assert len(lines) == 4
    for k in range(2):
        smooth, raw = lines[2 * k], lines[2 * k + 1]
        np.testing.assert_array_equal(smooth.get_xdata(), steps)
        np.testing.assert_allclose(smooth.get_ydata(), gaussian_filter1d(n_align[:, k].astype(float), 10.0))
        np.testing.assert_array_equal(raw.get_xdata(), steps)
        np.testing.assert_array_equal(raw.get_ydata(), n_align[:, k])
        for line in (smooth, raw):
            np.testing.assert_allclose(to_rgba(line.get_color()), viridis(k, 2))
        assert smooth.get_linewidth() == 2 and smooth.get_alpha() is None and smooth.get_label().startswith("_")
        assert raw.get_alpha() == 0.05 and raw.get_linewidth() == plt.rcParams["lines.linewidth"]


def test_plot_aligned_dimensions_takes_sigma_and_labels_the_smoothed_curves(ax):
    n_align = np.random.default_rng(1).random((40, 2))
    plot_aligned_dimensions(ax, np.arange(40), n_align, sigma=2.0, labels=["a", "b"])
    lines = ax.get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), gaussian_filter1d(n_align[:, 0], 2.0))
    assert [line.get_label() for line in lines[::2]] == ["a", "b"]
    assert all(line.get_label().startswith("_") for line in lines[1::2])


def test_plot_seed_curves_draws_the_first_seed_thick_and_the_others_thin(ax):
    curves = np.random.default_rng(2).random((5, 3, 2))          # T = 5, 3 seeds, K = 2
    plot_seed_curves(ax, curves, "Adam")
    lines = ax.get_lines()
    assert len(lines) == 6
    for i, line in enumerate(lines):
        seed, k = divmod(i, 2)
        np.testing.assert_array_equal(line.get_ydata(), curves[:, seed, k])
        assert to_rgba(line.get_color()) == to_rgba(f"C{k}")
        assert (line.get_linewidth(), line.get_alpha()) == ((1.5, 1) if seed == 0 else (0.6, 0.6))
    assert ax.get_title() == "Adam" and ax.title.get_fontsize() == 12
    assert ax.get_xlabel() == "steps" and ax.xaxis.label.get_fontsize() == 12


def shows_y_ticks(ax):
    """(tick marks on the left, tick labels on the left) of ``ax``'s y axis."""
    tick = ax.yaxis.get_major_ticks()[0]
    return tick.tick1line.get_visible(), tick.label1.get_visible()


def test_comparison_grid_defaults_title_the_columns_and_label_the_left_one():
    fig, axes = comparison_grid(2, (6, 4), 14)
    try:
        assert axes.shape == (2, 2)
        np.testing.assert_allclose(fig.get_size_inches(), (6, 4))
        assert [ax.get_title() for ax in axes[0]] == list(COLUMN_TITLES)
        assert [ax.get_title() for ax in axes[1]] == ["", ""]
        assert all(ax.title.get_fontsize() == 14 and ax.title.get_position()[1] == pytest.approx(1.1)
                   for ax in axes[0])
        assert [ax.get_ylabel() for ax in axes[:, 0]] == ["skill", "skill"]
        assert all(ax.yaxis.label.get_fontsize() == 15 for ax in axes[:, 0])
        assert [ax.get_ylabel() for ax in axes[:, 1]] == ["", ""]
        assert all(shows_y_ticks(ax) == (True, True) for ax in axes[:, 0])
        assert all(shows_y_ticks(ax) == (False, False) for ax in axes[:, 1])
    finally:
        plt.close(fig)


def test_comparison_grid_shares_x_everywhere_y_by_row_and_leaves_no_gaps():
    fig, axes = comparison_grid(2, (6, 4), 14)
    try:
        assert axes[0, 0].get_shared_x_axes().joined(axes[0, 0], axes[1, 1])
        assert axes[0, 0].get_shared_y_axes().joined(axes[0, 0], axes[0, 1])
        assert not axes[0, 0].get_shared_y_axes().joined(axes[0, 0], axes[1, 0])
        params = axes[0, 0].get_gridspec().get_subplot_params(fig)
        assert (params.wspace, params.hspace) == (0, 0)
    finally:
        plt.close(fig)


def test_comparison_grid_of_one_row_is_still_two_dimensional_and_takes_its_labels():
    fig, axes = comparison_grid(1, (6, 2), 10, title_y=1.3, ylabel="accuracy", ylabel_size=9)
    try:
        assert axes.shape == (1, 2)
        assert axes[0, 0].title.get_position()[1] == pytest.approx(1.3)
        assert axes[0, 0].get_ylabel() == "accuracy" and axes[0, 0].yaxis.label.get_fontsize() == 9
    finally:
        plt.close(fig)


def test_inner_ticks_turns_every_panel_but_the_first_inward_and_unlabelled():
    fig = plt.figure()
    first = fig.add_subplot(1, 3, 1)
    # shared one by one (not by plt.subplots, which would hide the inner labels itself)
    axes = [first, *(fig.add_subplot(1, 3, i, sharey=first) for i in (2, 3))]
    try:
        assert all(shows_y_ticks(ax) == (True, True) for ax in axes)
        inner_ticks(axes)
        first = axes[0].yaxis.get_tick_params(which="major")
        assert first.get("direction", "out") == "out" and first.get("labelleft", True)
        for ax in axes[1:]:
            for which in ("major", "minor"):
                params = ax.yaxis.get_tick_params(which=which)
                assert params["direction"] == "in" and params["labelleft"] is False
            assert ax.xaxis.get_tick_params(which="major").get("direction", "out") == "out"    # x ticks untouched
            assert shows_y_ticks(ax) == (True, False)
        assert shows_y_ticks(axes[0]) == (True, True)
    finally:
        plt.close(fig)


def test_shared_legend_sits_beside_the_right_edge_with_the_curves_of_one_panel():
    fig, axes = plt.subplots(1, 2)
    try:
        axes[0].plot([0, 1], label="task 1")
        axes[0].plot([1, 0], label="task 2")
        axes[1].plot([0, 0], label="other panel")
        shared_legend(fig, axes[0], 11)
        (legend,) = fig.legends
        assert [t.get_text() for t in legend.get_texts()] == ["task 1", "task 2"]
        assert all(t.get_fontsize() == 11 for t in legend.get_texts())
        assert legend._loc == 6                                     # matplotlib's code of 'center left'
        anchor = legend.get_bbox_to_anchor()
        np.testing.assert_allclose((anchor.x0, anchor.y0), fig.transFigure.transform((0.91, 0.5)))
    finally:
        plt.close(fig)


def test_plot_seed_curves_sizes_its_text_whatever_the_style():
    with plt.rc_context({"axes.titlesize": 20, "axes.labelsize": 20}):
        fig, ax = plt.subplots()
        plot_seed_curves(ax, np.zeros((3, 1, 1)), "SGD")
    assert ax.title.get_fontsize() == 12 and ax.xaxis.label.get_fontsize() == 12
    plt.close(fig)
