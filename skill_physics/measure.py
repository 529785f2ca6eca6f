"""Measurements on learning curves: crossing times and log-log slopes."""
import numpy as np


def crossing_times(curves, threshold, above=True, strict=True, steps=None):
    """First record at which each curve passes ``threshold`` (NaN: never); shape curves.shape[1:] (one curve: a float).

    Parameters
    ----------
    curves : array (T, ...), time along axis 0
    above, strict : bool, pass upward (skills) or downward (losses); with > or < rather than >= or <=
    steps : array (T,), optional, the record's step to report instead of its position along axis 0
    """
    curves = np.asarray(curves)
    if above:
        passed = curves > threshold if strict else curves >= threshold
    else:
        passed = curves < threshold if strict else curves <= threshold
    first = np.atleast_1d(np.argmax(passed, axis=0).astype(float))
    first[~np.atleast_1d(passed.any(axis=0))] = np.nan
    if steps is not None:
        ok = ~np.isnan(first)
        first[ok] = np.asarray(steps)[first[ok].astype(int)]
    return first.reshape(curves.shape[1:]) if curves.ndim > 1 else float(first[0])


def two_point_slope(x, y, x1, x2):
    """The paper's exponent: -(ln y(x2) - ln y(x1)) / ln(x2 / x1), reading y at the grid points x1 and x2."""
    x, y = np.asarray(x), np.asarray(y)
    y1, y2 = y[np.flatnonzero(x == x1)[0]], y[np.flatnonzero(x == x2)[0]]
    return -(np.log(y2) - np.log(y1)) / np.log(x2 / x1)


def loglog_slope(x, y):
    """Least-squares slope of ln y against ln x."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def nearest_index(values, target):
    """Index of the entry of ``values`` closest to ``target`` (NaN entries never chosen)."""
    values = np.asarray(values, float)
    return int(np.nanargmin(np.abs(values - target)))
