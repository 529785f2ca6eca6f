"""Argument checks and progress bars shared by the models: each public function validates at its boundary, once."""
import numpy as np
from tqdm.auto import tqdm


def check_choice(name, value, allowed):
    """Raise ValueError naming the argument and the allowed values unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not allowed; choose one of {', '.join(map(repr, allowed))}")


def check_positive(name, value):
    """Raise ValueError unless every entry of ``value`` is > 0."""
    if not np.all(np.asarray(value) > 0):
        raise ValueError(f"{name} must be positive, got {value!r}")


def check_steps(steps, name="steps"):
    """Raise ValueError unless ``steps`` is a positive integer."""
    if not (isinstance(steps, (int, np.integer)) and steps > 0):
        raise ValueError(f"{name} must be a positive integer, got {steps!r}")


def progress(iterable=None, total=None, desc=None, enabled=True):
    """A tqdm progress bar on stderr, silent unless ``enabled``; a string ``enabled`` is also the bar's label."""
    desc = enabled if isinstance(enabled, str) else desc
    return tqdm(iterable, total=total, desc=desc, disable=not enabled, mininterval=0.5, leave=False)
