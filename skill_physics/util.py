"""Argument checks and progress bars shared by the models: each public function validates at its boundary, once."""
import numpy as np
from tqdm.auto import tqdm


def check_choice(name, value, allowed):
    """Raise ValueError naming the argument and the allowed values unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not allowed; choose one of {', '.join(map(repr, allowed))}")


def _first_bad(value, ok):
    """``value`` itself if scalar, else its first entry where ``ok`` is False and that entry's index."""
    v = np.asarray(value)
    if v.ndim == 0:
        return repr(v.item())
    index = tuple(int(i) for i in np.argwhere(~ok)[0])
    return f"{v[index].item()!r} at index {index if len(index) > 1 else index[0]}"


def check_finite(name, value, low=None):
    """Raise ValueError unless every entry of ``value`` is a finite number (and >= ``low``, if given)."""
    try:
        v = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    ok = np.isfinite(v) & (True if low is None else v >= low)
    if not ok.all():
        raise ValueError(f"{name} must be finite{'' if low is None else f' and >= {low}'}, got {_first_bad(v, ok)}")


def check_positive(name, value):
    """Raise ValueError unless every entry of ``value`` is finite and > 0."""
    check_finite(name, value)
    ok = np.asarray(value, dtype=float) > 0
    if not ok.all():
        raise ValueError(f"{name} must be positive, got {value!r}")


def check_counts(name, value):
    """Raise ValueError unless every entry of ``value`` is a whole number >= 1 (a batch size, a number of tasks)."""
    v = np.asarray(value)
    ok = np.issubdtype(v.dtype, np.number) and not np.issubdtype(v.dtype, np.complexfloating)
    if not (ok and v.size and np.all(np.isfinite(v) & (v >= 1) & (v == np.floor(v)))):
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")


def check_frequencies(name, p, normalized=False):
    """Raise ValueError unless ``p`` (..., K) holds finite frequencies >= 0, each row summing to 1 if ``normalized``
    (to 1e-6)."""
    check_finite(name, p, low=0)
    sums = np.sum(np.asarray(p, dtype=float), axis=-1)
    if normalized and not np.allclose(sums, 1, rtol=0, atol=1e-6):
        close = np.isclose(sums, 1, rtol=0, atol=1e-6)
        raise ValueError(f"{name} must sum to 1 over the tasks (the last axis), got the sum {_first_bad(sums, close)}")


def check_steps(steps, name="steps"):
    """Raise ValueError unless ``steps`` is a positive integer."""
    if not (isinstance(steps, (int, np.integer)) and not isinstance(steps, bool) and steps > 0):
        raise ValueError(f"{name} must be a positive integer, got {steps!r}")


def record_indices(record, steps, default):
    """The sorted record indices (``default`` (n,) when ``record`` is None); ValueError unless in [0, steps]."""
    indices = default if record is None else np.unique(np.asarray(record, dtype=np.int64))
    if indices.size == 0 or indices[0] < 0 or indices[-1] > steps:
        raise ValueError(f"record indices must lie in [0, steps={steps}]")
    return indices


def progress(iterable=None, total=None, desc=None, enabled=True):
    """A tqdm progress bar on stderr, silent unless ``enabled``; a string ``enabled`` is also the bar's label."""
    desc = enabled if isinstance(enabled, str) else desc
    return tqdm(iterable, total=total, desc=desc, disable=not enabled, mininterval=0.5, leave=False)
