"""Every path of the repository, and how many cores the scripts may use (``usable_cores``).

``ROOT`` is the checkout being worked in, which need not be the one the package was imported from (``pip install -e``
in one clone, scripts run from another): the checkout of the running ``scripts/<name>.py``, else the one around the
working directory, else the package's own, else the working directory. A checkout holds ``pyproject.toml`` and
``skill_physics/__init__.py``. ``SKILL_PHYSICS_RESULTS`` moves the results cache.
"""
import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent   # skill_physics/
MARKERS = ("pyproject.toml", "skill_physics/__init__.py")


def usable_cores():
    """The number of CPU cores this process may run on: its affinity where the OS reports one (Linux), else all."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def max_threads():
    """The most threads or processes a command line accepts: 4 per usable core (more only thrash, or crash)."""
    return 4 * usable_cores()


def is_checkout(folder):
    """True if ``folder`` holds this project (``MARKERS``)."""
    return all((Path(folder) / m).is_file() for m in MARKERS)


def enclosing_checkout(path):
    """The nearest checkout at or above ``path``, or None."""
    path = Path(path).resolve()
    return next((f for f in (path, *path.parents) if is_checkout(f)), None)


def find_root(main_file=None, cwd=None, package_dir=PACKAGE_DIR):
    """The checkout being worked in (the order is in the module docstring).

    Parameters
    ----------
    main_file : path-like or None   the running script (``__main__.__file__``), if any
    cwd : path-like or None         the working directory (default: the current one)
    package_dir : Path              where the imported ``skill_physics`` lives
    """
    cwd = Path.cwd() if cwd is None else Path(cwd)
    if main_file is not None:
        script_dir = Path(main_file).resolve().parent
        if script_dir.name == "scripts" and is_checkout(script_dir.parent):
            return script_dir.parent
    return enclosing_checkout(cwd) or enclosing_checkout(package_dir) or cwd.resolve()


def _main_file():
    return getattr(sys.modules.get("__main__"), "__file__", None)


ROOT = find_root(_main_file())
FIGURES = ROOT / "figures"          # committed paper-preset outputs (pdf, png, json) and figures/README.md
QUICK_FIGURES = FIGURES / "quick"   # --quick outputs (git-ignored), so a smoke test never overwrites a paper figure
# cache of computed arrays (git-ignored); SKILL_PHYSICS_RESULTS moves it (the tests use a fresh one, so that a stale
# cache can never stand in for the code under test)
RESULTS = Path(os.environ.get("SKILL_PHYSICS_RESULTS", ROOT / "results"))
SCRIPTS = ROOT / "scripts"
DATA = ROOT / "data"                # committed compact results of long computations (the sweep's summary)


def foreign_package():
    """True when the imported package is not the working checkout's own (see the module docstring)."""
    return PACKAGE_DIR.parent != ROOT
