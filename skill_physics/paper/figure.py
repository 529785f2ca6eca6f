"""The figure-script runner: command line, presets, cache, then the figure's images and claims JSON.

A script describes its figure with a ``FigureScript`` (``compute(cfg, ctx) -> dict`` of arrays, cached in results/;
``plot(data, cfg) -> Figure`` or ``{suffix: Figure}``; ``claims(data, cfg) -> list`` of ``claim`` rows) and calls
``main``. Only the paper preset with the paper's seeds and streams writes ``figures/``; ``--quick``, ``--seed K`` and
``--rng R`` write to ``figures/<variant>/``. The outputs are byte-stable: no creation date, the cache named relative to
the results folder, and the runtime is the compute time stored in the cache.
"""
import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")  # headless: scripts and tests never need a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

# the scripts import their toolkit from here: claims, files and options are re-exported
from ..util import progress  # noqa: E402, F401
from . import kernels, paths  # noqa: E402
from .claims import REPLAYED, SEED_RANGE, claim, in_range, printed, seed_claims, within  # noqa: E402, F401
from .files import plain, save_figure, write_json, write_report  # noqa: E402, F401
from .options import MAX_SEED, check_device, check_threads, exit_on_signals, folder_arg, seed_arg  # noqa: E402, F401
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


# ----------------------------------------------------------------------------------------------------------- cache

def cache_path(fig, preset, cfg, ctx):
    """results/<FigN_slug>/<preset>-<hash of the settings and the figure's version>.npz."""
    key = {"cfg": plain(cfg), "device": ctx.device, "seed": ctx.seed, "version": fig.version}
    if kernels.native():    # numbers of other kernels never stand in for the pinned ones, nor the other way round
        key["kernels"] = kernels.in_use()
    key = json.dumps(key, sort_keys=True)
    return paths.RESULTS / fig.name / f"{preset}-{hashlib.sha1(key.encode()).hexdigest()[:12]}.npz"


# ---------------------------------------------------------------------------------------------------------- output

def task_colors(n_tasks):
    """The paper's task colours: task i (0-based) gets viridis(i / (K - 1)), task 1 dark purple."""
    return plt.cm.viridis(np.linspace(0, 1, n_tasks)) if n_tasks > 1 else plt.cm.viridis([0.0])


def output_folder(quick=False, seed=0, rng=None, root=None, native=None):
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
    native : bool       the CPU's own kernels (default: ``kernels.native()``)
    """
    root = paths.FIGURES if root is None else Path(root)
    native = kernels.native() if native is None else native
    parts = (["quick"] if quick else []) + ([f"seed{seed}"] if seed else []) + ([f"rng-{rng}"] if rng else []) + (
        ["native-kernels"] if native else [])
    return root / "-".join(parts) if parts else root


# ------------------------------------------------------------------------------------------------------------- CLI

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
