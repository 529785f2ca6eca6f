"""Cache files and progress bars: what the experiment modules and the figure toolkit both need.

The experiment modules (``sparse_parity``, ``modularity``, ``sweep``) import this module, never ``figure``: they
return arrays, and only the figure toolkit knows figures and claims.

A cache file is a compressed ``.npz`` of a nested dict of arrays (keys joined with '/'), written atomically: a
reader sees either no file or a whole one. ``cached`` adds two stamps to what it stores: the code version that
computed the arrays and the seconds the computation took, so that a re-plot from the cache reports the compute
time, not its own.
"""
import os
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

STAMPS = ("code_version", "compute_s")   # stored as '_code_version', '_compute_s' beside the arrays


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


def _pop_stamps(data):
    """Remove the stamps from loaded ``data``; a stamp missing from an older file reads None."""
    found = {k: data.pop(f"_{k}", None) for k in STAMPS}
    return {"code_version": None if found["code_version"] is None else str(found["code_version"]),
            "compute_s": None if found["compute_s"] is None else float(found["compute_s"])}


def cached(path, compute, recompute=False, version=""):
    """``compute()`` unless ``path`` holds its result already; a computed result is written to ``path``.

    Parameters
    ----------
    path : Path             the .npz cache file
    compute : callable      () -> dict of arrays
    recompute : bool        compute even if ``path`` exists
    version : str           the code version stored with a computed result

    Returns
    -------
    data : dict of arrays
    stamps : dict           'code_version' (str, None if the file predates stamps) and 'compute_s' (seconds the
                            computation took when it ran; None if the file predates this stamp)
    """
    if path.exists() and not recompute:
        data = load_arrays(path)
        return data, _pop_stamps(data)
    start = time.perf_counter()
    data = compute()
    stamps = {"code_version": version, "compute_s": time.perf_counter() - start}
    save_arrays(path, {**data, **{f"_{k}": np.asarray(v) for k, v in stamps.items()}})
    return data, stamps


def progress(iterable=None, total=None, desc=None, enabled=True):
    """A tqdm progress bar (on stderr), or the bare iterable when disabled."""
    from tqdm.auto import tqdm
    return tqdm(iterable, total=total, desc=desc, disable=not enabled, mininterval=0.5, leave=False)
