"""Small helpers shared by the toy-model figure scripts (Figs 4-6): stacked task vectors, padding, plot panels.

A figure's independent Geometry-model runs go into one ``train_geometry`` call. Runs with fewer tasks are padded
with zero-frequency zero-vector rows (exactly equivalent, see ``geometry``); these helpers build such stacks.
"""
import numpy as np
import torch
from scipy.ndimage import gaussian_filter1d

from .tasks import task_vectors


def stacked_task_vectors(kind, n_tasks, n_dim, seed, n_pad=None):
    """Task vectors of R runs drawn one after another from one ``torch.Generator``, zero-padded to n_pad tasks.

    Parameters
    ----------
    kind : str
        A ``tasks.VECTOR_KINDS`` construction.
    n_tasks : sequence of int, length R
        K of each run; run r gets the next draw of shape (K_r, N).
    n_dim : int
        N.
    seed : int
        Seed of the generator (one generator for all R draws, so each run gets new vectors).
    n_pad : int, optional
        Rows per run (default max K_r); rows K_r..n_pad-1 are zero.

    Returns
    -------
    torch.Tensor, shape (R, n_pad, N), float32.
    """
    n_tasks = [int(k) for k in n_tasks]
    n_pad = max(n_tasks) if n_pad is None else int(n_pad)
    gen = torch.Generator().manual_seed(int(seed))
    out = torch.zeros((len(n_tasks), n_pad, int(n_dim)), dtype=torch.float32)
    for r, k in enumerate(n_tasks):
        out[r, :k] = task_vectors(kind, k, n_dim, generator=gen)
    return out


def padded_frequencies(rows, n_pad=None):
    """Stack frequency vectors of different lengths into (R, n_pad), padding with zero frequencies."""
    n_pad = max(len(p) for p in rows) if n_pad is None else int(n_pad)
    out = np.zeros((len(rows), n_pad))
    for r, p in enumerate(rows):
        out[r, :len(p)] = p
    return out


def two_task_frequencies(p1):
    """p = (p1, 1 - p1) for every entry of p1: shape (R, 2)."""
    p1 = np.atleast_1d(np.asarray(p1, float))
    return np.stack([p1, 1 - p1], axis=1)


def sweep_values(spec):
    """A sweep axis from a preset entry (start, stop, num) -> np.linspace(start, stop, num)."""
    start, stop, num = spec
    return np.linspace(start, stop, int(num))


def nearest_index(values, target):
    """Index of the entry of ``values`` closest to ``target`` (NaN entries never chosen)."""
    values = np.asarray(values, float)
    return int(np.nanargmin(np.abs(values - target)))


def plot_skill_curves(ax, steps, skills, colors, labels=None):
    """One line per task: skills of shape (T, K) against steps (T,), task k in colors[k]."""
    for k in range(skills.shape[1]):
        ax.plot(steps, skills[:, k], color=colors[k], label=None if labels is None else labels[k])


def plot_aligned_dimensions(ax, steps, n_align, colors, sigma=10.0):
    """Aligned dimensions (T, K): Gaussian-smoothed (sigma steps, lw 2) over the raw series (alpha 0.05)."""
    n_align = np.asarray(n_align, float)
    for k in range(n_align.shape[1]):
        ax.plot(steps, gaussian_filter1d(n_align[:, k], sigma), color=colors[k], lw=2)
        ax.plot(steps, n_align[:, k], color=colors[k], alpha=0.05)
