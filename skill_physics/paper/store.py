"""Cache files of the figures and the sweep.

A cache file is a compressed ``.npz`` of a nested dict of arrays (keys joined with '/'), written atomically: a
reader sees either no file or a whole one. ``cached`` stores beside the arrays the seconds they took to compute,
so that a re-plot from the cache reports the compute time, not its own. Which numbers a file holds is said by its
name (``figure.cache_path``), never by a stamp of the code's text. Files follow the umask; a write that fails
(a full disk) keeps the bytes in a temporary file and says where (``WriteError``).
"""
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

COMPUTE_S = "_compute_s"   # the stamp stored beside the arrays
_WRITING = set()           # the temporary files being written (``remove_temporaries``)


class CacheError(RuntimeError):
    """A cache file exists but cannot be read."""


class WriteError(RuntimeError):
    """A file or folder cannot be written; the message names it and says where any computed result was kept."""


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


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def writable_folder(folder, what, remedy):
    """Create ``folder`` and write a file in it, before any compute; WriteError naming ``what`` and ``remedy`` if
    it is a file, or cannot be created or written. Returns the folders it created (outermost last)."""
    folder = Path(folder)
    created = [f for f in (folder, *folder.parents) if not f.exists()]
    if folder.exists() and not folder.is_dir():
        raise WriteError(f"{what} {folder} is an existing file, not a folder; {remedy}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise WriteError(f"{what} {folder} cannot be written ({err.strerror or err}); {remedy}") from err
    return created


def remove_empty(folders):
    """Remove the folders ``writable_folder`` created, innermost first, where they are still empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def keep_elsewhere(name, write):
    """Write ``write(file object)`` to a new file named after ``name`` in the temporary folder, else the home
    folder; returns its path, or None if neither can be written."""
    for folder in (tempfile.gettempdir(), Path.home()):
        try:
            fd, kept = tempfile.mkstemp(dir=folder, prefix="skill_physics-kept-", suffix=f"-{name}")
            with os.fdopen(fd, "wb") as f:
                write(f)
            return Path(kept)
        except OSError:
            continue
    return None


def atomic_write(path, write):
    """Call ``write(file object)`` on a temporary file beside ``path``, then rename it into place (mode: the umask's).

    Parameters
    ----------
    path : path-like      the file to (re)place; its folder is created
    write : callable      receives the open binary file

    Raises WriteError (naming ``path`` and where the bytes were kept instead) if the file cannot be written.
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        _WRITING.add(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
        _WRITING.discard(tmp)
    except BaseException as err:
        remove_temporaries({tmp} & _WRITING)
        if not isinstance(err, OSError):
            raise
        kept = keep_elsewhere(path.name, write)
        where = f"the result is kept in {kept}: `mv {kept} {path}` once that can be written" if kept else \
            "it could not be kept anywhere else either"
        raise WriteError(f"cannot write {path} ({err.strerror or err}); {where}") from err


def remove_temporaries(which=None):
    """Remove the temporary files ``atomic_write`` is writing (``which``: some of them), e.g. when a signal stops the
    process: only whole files are left."""
    for tmp in list(_WRITING if which is None else which):
        _WRITING.discard(tmp)
        try:
            os.unlink(tmp)
        except OSError:
            pass


def save_arrays(path, data):
    """Write a (nested) dict of arrays to ``path`` (.npz) atomically."""
    atomic_write(path, lambda f: np.savez_compressed(f, **_flatten(data)))


def load_arrays(path):
    """Read what ``save_arrays`` wrote; raise CacheError if the file is damaged."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return _unflatten({k: z[k] for k in z.files})
    except Exception as err:    # any damage: bad zip, bad npy header, corrupt deflate stream, unreadable file
        raise CacheError(f"cache file {path} is damaged ({type(err).__name__}: {err}); delete it or run with "
                         "--recompute") from err


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
    try:
        save_arrays(path, {**data, COMPUTE_S: np.asarray(seconds)})
    except WriteError as err:      # the result is kept elsewhere (said) and still used
        print(f"note: {err}", file=sys.stderr)
    return data, seconds
