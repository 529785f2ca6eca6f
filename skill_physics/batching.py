"""Stacking runs of different sizes into one tensor program by zero padding.

A Geometry-model run with fewer tasks is padded with zero-frequency zero-vector tasks (never sampled, never moved),
one with fewer dimensions with zero columns (zero gradient: the coordinate never moves); a Resource-model run with
zero-frequency tasks and zero overlap rows and columns is likewise unchanged. So padded runs stacked along a leading
axis give exactly the statistics of the runs alone (spec: models.md §1; geometry.train_geometry).
"""
import numpy as np


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
