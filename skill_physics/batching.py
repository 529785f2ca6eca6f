"""Runs of different sizes stacked by zero padding, exactly: zero-frequency tasks with zero vectors or overlaps are
never sampled and never move, and zero columns get zero gradient, so a padded run evolves as the run alone.
"""
import numpy as np
import torch

from .tasks import task_vectors


def pad_stack(arrays):
    """Stack R arrays (numpy or torch) of equal rank into one numpy array (R, largest sizes...), zero-padding each
    axis at its end; dtype of the first array."""
    arrays = [np.asarray(a) for a in arrays]
    if not arrays or len({a.ndim for a in arrays}) != 1:
        raise ValueError(f"pad_stack needs one or more arrays of equal rank, got ranks {[a.ndim for a in arrays]}")
    shape = np.max([a.shape for a in arrays], axis=0) if arrays[0].ndim else ()
    out = np.zeros((len(arrays), *shape), dtype=arrays[0].dtype)
    for r, a in enumerate(arrays):
        out[(r, *(slice(0, n) for n in a.shape))] = a
    return out


def stacked_task_vectors(kind, n_tasks, n_dim, seed, n_pad=None):
    """Task vectors (R, n_pad, N), float32, of R runs with K_r = ``n_tasks[r]`` tasks, zero rows below K_r.

    Run r gets the next (K_r, N) draw of ``tasks.task_vectors(kind, ...)`` from one generator seeded with ``seed``, so
    each run gets new vectors; n_pad defaults to max K_r.
    """
    n_tasks = [int(k) for k in n_tasks]
    n_pad = max(n_tasks) if n_pad is None else int(n_pad)
    gen = torch.Generator().manual_seed(int(seed))
    out = torch.zeros((len(n_tasks), n_pad, int(n_dim)), dtype=torch.float32)
    for r, k in enumerate(n_tasks):
        out[r, :k] = task_vectors(kind, k, n_dim, generator=gen)
    return out


def two_task_frequencies(p1):
    """p = (p1, 1 - p1) for every entry of p1: shape (R, 2)."""
    p1 = np.atleast_1d(np.asarray(p1, float))
    return np.stack([p1, 1 - p1], axis=1)
