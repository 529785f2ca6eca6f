"""Stacking runs of different sizes into one tensor program by zero padding.

A Geometry-model run with fewer tasks is padded with zero-frequency zero-vector tasks (never sampled, never moved),
one with fewer dimensions with zero columns (zero gradient: the coordinate never moves); a Resource-model run with
zero-frequency tasks and zero overlap rows and columns is likewise unchanged. So padded runs stacked along a leading
axis give exactly the statistics of the runs alone (the Geometry model of arXiv:2501.12391; geometry.train_geometry).
"""
import numpy as np
import torch

from .tasks import task_vectors


def pad_stack(arrays):
    """Stack arrays of equal rank, zero-padding each axis at its end to the largest size.

    Parameters
    ----------
    arrays : sequence of R array-likes (numpy or torch), all of rank d

    Returns
    -------
    numpy.ndarray, shape (R, max sizes...), dtype of the first array.
    """
    arrays = [np.asarray(a) for a in arrays]
    if not arrays or len({a.ndim for a in arrays}) != 1:
        raise ValueError(f"pad_stack needs one or more arrays of equal rank, got ranks {[a.ndim for a in arrays]}")
    shape = np.max([a.shape for a in arrays], axis=0) if arrays[0].ndim else ()
    out = np.zeros((len(arrays), *shape), dtype=arrays[0].dtype)
    for r, a in enumerate(arrays):
        out[(r, *(slice(0, n) for n in a.shape))] = a
    return out


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


def two_task_frequencies(p1):
    """p = (p1, 1 - p1) for every entry of p1: shape (R, 2)."""
    p1 = np.atleast_1d(np.asarray(p1, float))
    return np.stack([p1, 1 - p1], axis=1)
