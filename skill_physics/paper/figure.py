"""The figure-script toolkit: command line, presets, cache, claims JSON, pdf + png output.

A script describes its figure with a ``FigureScript`` (``compute(cfg, ctx) -> dict`` of arrays, cached in results/;
``plot(data, cfg) -> Figure`` or ``{suffix: Figure}``; ``claims(data, cfg) -> list`` of ``claim`` rows) and calls
``main``. Only the paper preset with the paper's seeds and streams writes ``figures/``; ``--quick``, ``--seed K`` and
``--rng R`` write to ``figures/<variant>/``. The outputs are byte-stable: no creation date, the cache named relative to
the results folder, and the runtime is the compute time stored in the cache.
"""
import argparse
import contextlib
import hashlib
import json
import math
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")  # headless: scripts and tests never need a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from ..util import progress  # noqa: E402, F401  (re-exported for the scripts)
from . import kernels, paths  # noqa: E402
from .replay import RNGS  # noqa: E402
from .store import (  # noqa: E402, F401
    CacheError,
    WriteError,
    atomic_write,
    cached,
    load_arrays,
    remove_empty,
    save_arrays,
    writable_folder,
)


@dataclass
class Context:
    """Run-time settings of one invocation: torch device, seed offset, whether to show progress bars, whether to
    recompute rather than read cached or committed results."""

    device: str = "cpu"
    seed: int = 0
    progress: bool = True
    recompute: bool = False


@dataclass
class FigureScript:
    """Everything ``main`` needs to know about one paper figure."""

    number: int
    slug: str
    presets: dict
    compute: Callable
    plot: Callable
    claims: Callable
    notes: list = field(default_factory=list)   # differences from the paper's figure, written into the JSON
    threads: int = 1            # torch threads (0: every usable core): tiny tensor programs run fastest on one
    stochastic: bool = True                      # draws random numbers (JSON "rng": the preset's, else 'counter')
    # the version of the numbers compute() returns: bump it by hand in a commit that means to change them (here or in
    # the package), so that caches of the old numbers are not read; edits that keep the numbers keep every cache
    version: int = 1

    @property
    def name(self):
        return f"Fig{self.number}_{self.slug}"


# ---------------------------------------------------------------------------------------------------------- claims

def _plain(value):
    """A JSON-able version of numbers, arrays and containers (NaN and inf become null)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in np.asarray(value, dtype=object).tolist()] if np.ndim(value) else _plain(
            np.asarray(value).item())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    return value


def claim(name, paper, ours, tolerance, holds):
    """One row of a figure's claims table; ``holds`` must be computed from ``ours``, never typed in."""
    return {"name": name, "paper": _plain(paper), "ours": _plain(ours), "tolerance": tolerance,
            "holds": bool(np.all(holds))}


def within(ours, paper, abs=None, rel=None):
    """True where |ours - paper| <= abs, or <= rel * |paper|; NaN never holds."""
    ours, paper = np.asarray(ours, float), np.asarray(paper, float)
    bound = abs if abs is not None else rel * np.abs(paper)
    return bool(np.all(np.abs(ours - paper) <= bound))


def replayed(name, paper, ours, decimals):
    """The tight claim of a run that replays the paper's run: ``ours`` equals ``paper`` to its ``decimals`` printed
    digits (row '<name>_exact')."""
    tol = 0.5 * 10.0 ** -decimals
    return claim(f"{name}_exact", paper, ours, f"±{tol:g} (replayed run: the paper's printed digits)",
                 within(ours, paper, abs=tol))


def seed_claims(name, paper, values, tolerance, test):
    """Claim rows for a quantity measured on several seeds, the figure seed first.

    Returns two ``claim`` rows: ``name`` with the figure seed's value (holds: ``test(values[0])``) and
    ``name_over_seeds`` with [median, min, max] over all seeds (holds: ``test(median)``); booleans are reported as the
    fraction of seeds where they hold (holds: every seed).
    """
    values = np.asarray(values)
    if values.dtype == bool:
        return [claim(name, paper, values[0], tolerance, test(values[0])),
                claim(f"{name}_over_seeds", paper, values.mean(), f"fraction of {values.size} seeds; all hold",
                      bool(values.all()))]
    values = values.astype(float)
    spread = [np.median(values), values.min(), values.max()]
    return [claim(name, paper, values[0], tolerance, test(values[0])),
            claim(f"{name}_over_seeds", paper, spread, f"median, min, max of {values.size} seeds; median {tolerance}",
                  test(spread[0]))]


def printed_claim(name, printed, ours):
    """A claim that ``ours`` equals a number printed as the string ``printed`` (e.g. "1.90") to half a unit of its
    last digit (±0.005): the tolerance of a replayed run against the run it replays."""
    half = 0.5 * 10.0 ** -len(printed.partition(".")[2])
    return claim(name, float(printed), ours, f"±{half:g} (as printed: {printed})",
                 within(ours, float(printed), abs=half))


def printed_digits(name, paper, ours, digits):
    """The tight claim of a replayed run: ``ours`` equals each printed value to its ``digits`` significant digits
    (half a unit of the last one)."""
    paper = np.asarray(paper, float)
    half = 0.5 * 10.0 ** (np.floor(np.log10(np.abs(paper))) - digits + 1)
    return claim(f"{name}_exact", paper, ours, f"±half a unit of {digits} significant digits (replayed run)",
                 bool(np.all(np.abs(np.asarray(ours, float) - paper) <= half)))


def in_range(ours, low, high):
    """True where low <= ours <= high; NaN never holds."""
    ours = np.asarray(ours, float)
    return bool(np.all((ours >= low) & (ours <= high)))


# ----------------------------------------------------------------------------------------------------------- cache

def cache_path(fig, preset, cfg, ctx):
    """results/<FigN_slug>/<preset>-<hash of the settings and the figure's version>.npz."""
    key = {"cfg": _plain(cfg), "device": ctx.device, "seed": ctx.seed, "version": fig.version}
    if kernels.native():    # numbers of other kernels never stand in for the pinned ones, nor the other way round
        key["kernels"] = kernels.in_use()
    key = json.dumps(key, sort_keys=True)
    return paths.RESULTS / fig.name / f"{preset}-{hashlib.sha1(key.encode()).hexdigest()[:12]}.npz"


# ---------------------------------------------------------------------------------------------------------- output

def task_colors(n_tasks):
    """The paper's task colours: task i (0-based) gets viridis(i / (K - 1)), task 1 dark purple."""
    return plt.cm.viridis(np.linspace(0, 1, n_tasks)) if n_tasks > 1 else plt.cm.viridis([0.0])


# what the image files embed besides the drawing: no creation date, so that unchanged results give unchanged bytes
IMAGE_METADATA = {"pdf": {"CreationDate": None}, "png": {}}


def save_figure(fig, stem):
    """Write ``stem``.pdf and ``stem``.png atomically (byte-stable, see ``IMAGE_METADATA``) and close the figure."""
    for fmt, kw in (("pdf", {}), ("png", {"dpi": 150})):
        atomic_write(Path(f"{stem}.{fmt}"), lambda f: fig.savefig(f, format=fmt, bbox_inches="tight",
                                                                   metadata=IMAGE_METADATA[fmt], **kw))
    plt.close(fig)


def write_json(path, payload):
    atomic_write(path, lambda f: f.write((json.dumps(_plain(payload), indent=2) + "\n").encode()))


def output_folder(quick=False, seed=0, rng=None, root=None):
    """The default output folder of a run: ``figures/`` for the paper settings, else ``figures/<variant>/``.

    The variant names every non-paper option given, joined by '-': 'quick', 'seed<K>' (K != 0), 'rng-<R>' (any
    ``--rng``), 'native-kernels' (``SKILL_PHYSICS_NATIVE_KERNELS`` set), e.g. ``figures/seed1/``,
    ``figures/quick-rng-counter/``.

    Parameters
    ----------
    quick : bool        the smoke-test preset
    seed : int          offset added to the paper's seeds
    rng : str or None   the ``--rng`` option, if given
    root : Path         the paper folder (default ``paths.FIGURES``)
    """
    root = paths.FIGURES if root is None else Path(root)
    parts = (["quick"] if quick else []) + ([f"seed{seed}"] if seed else []) + ([f"rng-{rng}"] if rng else []) + (
        ["native-kernels"] if kernels.native() else [])
    return root / "-".join(parts) if parts else root


# ------------------------------------------------------------------------------------------------------------- CLI

MAX_SEED = 10 ** 9      # --seed K offsets seeds that NumPy's legacy streams take below 2**32


def folder_arg(text):
    """argparse type of an output folder: any non-empty path."""
    if not str(text).strip():
        raise argparse.ArgumentTypeError("must name a folder, got ''")
    return Path(text)


def seed_arg(text):
    """argparse type of --seed: an integer in 0 .. MAX_SEED."""
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if not 0 <= seed <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be an integer in 0..{MAX_SEED}, got {text!r}")
    return seed


def check_threads(name, threads, least=0):
    """Raise ValueError unless ``least`` <= threads <= paths.max_threads() (0: every usable core)."""
    if threads < least:
        raise ValueError(f"{name} must be >= {least}" + (" (0: every usable core)" if least == 0 else "") +
                         f", got {threads}")
    if threads > paths.max_threads():
        raise ValueError(f"{name} must be at most {paths.max_threads()} (4 per usable core), got {threads}")


def parse_args(fig, argv=None):
    parser = argparse.ArgumentParser(prog=f"{fig.name}.py",
                                     description=f"Regenerate paper figure {fig.number} ({fig.slug}).")
    parser.add_argument("--quick", action="store_true", help="reduced sizes for smoke tests (seconds)")
    parser.add_argument("--recompute", action="store_true", help="ignore the cache in results/")
    parser.add_argument("--device", default="cpu", help="torch device: cpu (default) or cuda")
    parser.add_argument("--seed", type=seed_arg, default=0,
                        help=f"offset added to the paper's seeds, 0..{MAX_SEED} (default 0)")
    parser.add_argument("--rng", choices=RNGS, default=None,
                        help="random streams of a seeded figure: 'original' (the paper code's generators and order "
                             "of draws; the default of the paper presets) or 'counter' (runs like the paper's)")
    parser.add_argument("--out", type=folder_arg, default=None,
                        help=f"output folder (default {paths.FIGURES} for the paper settings; --quick, --seed K and "
                             "--rng R write to figures/quick/, figures/seedK/, figures/rng-R/ and combinations)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: the figure's own choice, one for most; 0: every usable core)")
    return parser.parse_args(argv)


def check_device(device):
    """Raise ValueError unless ``device`` is 'cpu', or a CUDA device that torch sees."""
    if device not in ("cpu", "cuda") and not re.fullmatch(r"cuda:\d+", device):
        raise ValueError(f"--device={device!r} is not allowed; choose 'cpu', 'cuda' or 'cuda:N'")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"--device {device} was requested but torch sees no CUDA device")
    if device.startswith("cuda:") and int(device[5:]) >= torch.cuda.device_count():
        raise ValueError(f"--device {device}: torch sees {torch.cuda.device_count()} CUDA device(s), 0..")


@contextlib.contextmanager
def exit_on_signals(prog):
    """While in the block, Ctrl-C and SIGTERM exit quietly (SystemExit 130 or 143, one line on stderr): on the way
    out a temporary file being written is removed (``atomic_write``) and children are stopped. Main thread only."""
    def stop(signum, frame):
        print(f"{prog}: stopped by {signal.Signals(signum).name}", file=sys.stderr, flush=True)
        sys.exit(128 + signum)
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def write_report(path, payload):
    """Write the figure's JSON, but leave an existing file alone when only its measured ``runtime_s`` would change
    (a rerun keeps ``git status`` clean)."""
    fresh = json.loads(json.dumps(_plain(payload)))
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        old = None
    if isinstance(old, dict) and {**old, "runtime_s": None} == {**fresh, "runtime_s": None}:
        return
    write_json(path, payload)


def _report(fig, args, preset, cfg, path, compute_s, figures, rows):
    """The figure's JSON: settings, the compute time, the cache (relative to the results folder) and the claims."""
    return {"figure": fig.number, "slug": fig.slug, "preset": preset, "seed": args.seed, "device": args.device,
            "rng": cfg.get("rng", "counter" if fig.stochastic else None), "kernels": kernels.in_use(),
            # the seconds the cached arrays took to compute (null for a cache older than this stamp): a re-plot from
            # the cache reports the cost of a run from scratch, and rewrites the same bytes
            "runtime_s": None if compute_s is None else round(compute_s, 2),
            "cache": path.relative_to(paths.RESULTS).as_posix(), "version": fig.version,
            "outputs": [fig.name + (f"_{s}" if s else "") for s in figures], "notes": fig.notes, "claims": rows}


def _config(fig, args, preset):
    """The preset's settings, with --rng applied."""
    cfg = dict(fig.presets[preset])
    if args.rng is not None:
        if "rng" not in cfg:
            raise ValueError(f"--rng: figure {fig.number} draws no random numbers, or only counter-based ones")
        cfg["rng"] = args.rng
    return cfg


def _draw(fig, data, cfg, path):
    """The figures and claim rows of ``data``; a cache that lacks an array is damaged (CacheError naming it)."""
    try:
        figures = fig.plot(data, cfg)
        rows = fig.claims(data, cfg)
    except KeyError as err:
        raise CacheError(f"cache file {path} lacks the array {err}: it is damaged; delete it or run with "
                         "--recompute") from err
    return figures if isinstance(figures, dict) else {"": figures}, rows


def _write_outputs(fig, out, figures, report):
    """Write the pdf, png and JSON; the WriteErrors of the files that could not be written (each kept elsewhere)."""
    problems = []
    for suffix, f in figures.items():
        try:
            save_figure(f, out / (fig.name + (f"_{suffix}" if suffix else "")))
        except WriteError as err:
            problems.append(err)
    try:
        write_report(out / f"{fig.name}.json", report)
    except WriteError as err:
        problems.append(err)
    return problems


def main(fig, argv=None):
    """Run a figure script: compute (or load), plot, write pdf/png/json, print a summary. Returns the exit code.

    From the command line (``argv`` None) the process first makes sure it computes with the pinned CPU kernels."""
    if argv is None:
        kernels.ensure_pinned()
    args = parse_args(fig, argv)
    with exit_on_signals(fig.name):
        return _run(fig, args)


def _run(fig, args):
    preset = "quick" if args.quick else "paper"
    start = time.perf_counter()
    if paths.foreign_package():
        print(f"{fig.name}: note: writing into the checkout {paths.ROOT}, but skill_physics is imported from "
              f"{paths.PACKAGE_DIR}; run `pip install -e .` in this checkout (or scripts/reproduce.py, which uses this "
              "checkout's package) to compute with this checkout's code", file=sys.stderr)
    created = []
    try:
        check_device(args.device)
        threads = fig.threads if args.threads is None else args.threads
        check_threads("--threads", threads)
        out = args.out or output_folder(args.quick, args.seed, args.rng)
        created = writable_folder(out, "the output folder", "make it writable or choose another with --out")
        torch.set_num_threads(threads or paths.usable_cores())
        cfg = _config(fig, args, preset)
        ctx = Context(device=args.device, seed=args.seed, progress=not args.no_progress, recompute=args.recompute)
        path = cache_path(fig, preset, cfg, ctx)
        if args.recompute or not path.exists():     # where the result will be cached, before computing it
            writable_folder(path.parent, "the results folder", "make it writable or set SKILL_PHYSICS_RESULTS to a "
                            "writable folder")
        data, compute_s = cached(path, lambda: fig.compute(cfg, ctx), args.recompute)
        figures, rows = _draw(fig, data, cfg, path)
    except (ValueError, CacheError, WriteError) as err:
        remove_empty(created)
        print(f"{fig.name}: error: {err}", file=sys.stderr)
        return 2
    problems = _write_outputs(fig, out, figures, _report(fig, args, preset, cfg, path, compute_s, figures, rows))
    for err in problems:
        print(f"{fig.name}: error: {err}", file=sys.stderr)
    n_hold = sum(r["holds"] for r in rows)
    compute_s = "unknown" if compute_s is None else f"{compute_s:.1f} s"
    print(f"{fig.name} ({preset}): {n_hold}/{len(rows)} claims hold, {time.perf_counter() - start:.1f} s "
          f"(compute {compute_s}) -> {out / fig.name}.{{pdf,png,json}}")
    for r in rows:
        print(f"  {'ok  ' if r['holds'] else 'MISS'} {r['name']}: ours {r['ours']} | paper {r['paper']} "
              f"({r['tolerance']})")
    return 1 if problems else 0
