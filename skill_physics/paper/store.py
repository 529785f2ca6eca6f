"""Cache files of the figures and the sweep.

A cache file is a compressed ``.npz`` of a nested dict of arrays (keys joined with '/'), written atomically: a
reader sees either no file or a whole one. ``cached`` stores beside the arrays the seconds they took to compute,
so that a re-plot from the cache reports the compute time, not its own. Which numbers a file holds is said by its
name (``figure.cache_path``), never by a stamp of the code's text.
"""
import os
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

COMPUTE_S = "_compute_s"   # the stamp stored beside the arrays


class CacheError(RuntimeError):
    """A cache file exists but cannot be read."""


def _flatten(data, prefix=""):
    flat = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}/"))
        else:
            flat[f"{prefix}{key}"] = np.asarray(value)
    return flat


def _unflatten(flat):
    data = {}
    for key, value in flat.items():
        *parents, leaf = key.split("/")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return data


def atomic_write(path, write):
    """Call ``write(file object)`` on a temporary file beside ``path``, then rename it into place.

    Parameters
    ----------
    path : path-like      the file to (re)place; its folder is created
    write : callable      receives the open binary file
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def save_arrays(path, data):
    """Write a (nested) dict of arrays to ``path`` (.npz) atomically."""
    atomic_write(path, lambda f: np.savez_compressed(f, **_flatten(data)))


def load_arrays(path):
    """Read what ``save_arrays`` wrote; raise CacheError if the file is damaged."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return _unflatten({k: z[k] for k in z.files})
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as err:
        raise CacheError(f"cache file {path} is damaged ({err}); delete it or run with --recompute") from err


def cached(path, compute, recompute=False):
    """``compute()`` unless ``path`` holds its result already; a computed result is written to ``path``.

    Parameters
    ----------
    path : Path             the .npz cache file
    compute : callable      () -> dict of arrays
    recompute : bool        compute even if ``path`` exists

    Returns
    -------
    data : dict of arrays
    compute_s : float or None   seconds the computation took when it ran (None for a file without the stamp)
    """
    if path.exists() and not recompute:
        data = load_arrays(path)
        seconds = data.pop(COMPUTE_S, None)
        return data, None if seconds is None else float(seconds)
    start = time.perf_counter()
    data = compute()
    seconds = time.perf_counter() - start
    save_arrays(path, {**data, COMPUTE_S: np.asarray(seconds)})
    return data, seconds
