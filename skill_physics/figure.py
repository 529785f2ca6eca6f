"""The figure-script toolkit (DESIGN.md §3): CLI, presets, cache, claims JSON, pdf + png output.

A figure script describes itself with a ``FigureScript`` and calls ``main``:

    FIG = FigureScript(number=9, slug="domino", presets={"paper": {...}, "quick": {...}},
                       compute=compute, plot=plot, claims=claims)
    if __name__ == "__main__":
        raise SystemExit(main(FIG))

``compute(cfg, ctx) -> dict`` of arrays (cached in results/), ``plot(data, cfg) -> Figure`` or ``{suffix: Figure}``
(suffix '' is the paper panel, others are supplements), ``claims(data, cfg) -> list`` of ``claim(...)`` dicts.
"""
import argparse
import hashlib
import json
import math
import os
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")  # headless: scripts and tests never need a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from . import paths  # noqa: E402


class CacheError(RuntimeError):
    """A cache file exists but cannot be read."""


@dataclass
class Context:
    """Run-time settings of one invocation: torch device, seed offset, whether to show progress bars."""

    device: str = "cpu"
    seed: int = 0
    progress: bool = True


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
    threads: int = 1                             # torch threads: tiny tensor programs run fastest on one
    stochastic: bool = True                      # draws random numbers (JSON "rng": the preset's, else 'counter')

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


def in_range(ours, low, high):
    """True where low <= ours <= high; NaN never holds."""
    ours = np.asarray(ours, float)
    return bool(np.all((ours >= low) & (ours <= high)))


# ----------------------------------------------------------------------------------------------------------- cache

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


def _atomic(path, write):
    """Call write(file object) on a temporary file beside ``path``, then rename it into place."""
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
    _atomic(path, lambda f: np.savez_compressed(f, **_flatten(data)))


def load_arrays(path):
    """Read what ``save_arrays`` wrote; raise CacheError if the file is damaged."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return _unflatten({k: z[k] for k in z.files})
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as err:
        raise CacheError(f"cache file {path} is damaged ({err}); delete it or run with --recompute") from err


def cache_path(fig, preset, cfg, ctx):
    """results/<FigN_slug>/<preset>-<hash of settings>.npz."""
    key = json.dumps({"cfg": _plain(cfg), "device": ctx.device, "seed": ctx.seed}, sort_keys=True)
    return paths.RESULTS / fig.name / f"{preset}-{hashlib.sha1(key.encode()).hexdigest()[:12]}.npz"


def code_version(fig):
    """Hash of the code that computes a figure: the package's modules and the figure's script.

    Stored in the cache file; a cache written by other code is still used (a figure is then re-plotted in seconds,
    whatever the code edit was) but the run says so and the JSON records it.
    """
    import inspect
    sources = sorted(Path(__file__).parent.glob("*.py")) + [Path(inspect.getsourcefile(fig.compute))]
    digest = hashlib.sha1()
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def cached(path, compute, recompute=False, version=""):
    """``compute()`` unless ``path`` holds its result already; the result is written to ``path``, stamped with
    ``version``. Returns (data, whether the cached data was computed by ``version``)."""
    if path.exists() and not recompute:
        data = load_arrays(path)
        return data, str(data.pop("_code_version", "")) == version
    data = compute()
    save_arrays(path, {**data, "_code_version": np.asarray(version)})
    return data, True


# ---------------------------------------------------------------------------------------------------------- output

def task_colors(n_tasks):
    """The spec's "viridis index colouring": task i (0-based) gets viridis(i / (K - 1)), task 1 dark purple."""
    return plt.cm.viridis(np.linspace(0, 1, n_tasks)) if n_tasks > 1 else plt.cm.viridis([0.0])


def save_figure(fig, stem):
    """Write ``stem``.pdf and ``stem``.png atomically and close the figure."""
    for ext, kw in ((".pdf", {}), (".png", {"dpi": 150})):
        _atomic(Path(str(stem) + ext), lambda f: fig.savefig(f, format=ext[1:], bbox_inches="tight", **kw))
    plt.close(fig)


def write_json(path, payload):
    _atomic(path, lambda f: f.write((json.dumps(_plain(payload), indent=2) + "\n").encode()))


def progress(iterable=None, total=None, desc=None, enabled=True):
    """A tqdm progress bar (on stderr), or the bare iterable when disabled."""
    from tqdm.auto import tqdm
    return tqdm(iterable, total=total, desc=desc, disable=not enabled, mininterval=0.5, leave=False)


# ------------------------------------------------------------------------------------------------------------- CLI

def parse_args(fig, argv=None):
    parser = argparse.ArgumentParser(prog=f"{fig.name}.py",
                                     description=f"Regenerate paper figure {fig.number} ({fig.slug}).")
    parser.add_argument("--quick", action="store_true", help="reduced sizes for smoke tests (seconds)")
    parser.add_argument("--recompute", action="store_true", help="ignore the cache in results/")
    parser.add_argument("--device", default="cpu", help="torch device: cpu (default) or cuda")
    parser.add_argument("--seed", type=int, default=0, help="offset added to the paper's seeds (default 0)")
    parser.add_argument("--rng", choices=("original", "counter"), default=None,
                        help="random streams of a seeded figure: 'original' (the paper code's generators and order "
                             "of draws; the default of the paper presets) or 'counter' (runs like the paper's)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output folder (default {paths.FIGURES}; with --quick {paths.QUICK_FIGURES})")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return parser.parse_args(argv)


def _check_device(device):
    import torch
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise ValueError(f"--device={device!r} is not allowed; choose 'cpu' or 'cuda'")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda was requested but torch sees no CUDA device")


def main(fig, argv=None):
    """Run a figure script: compute (or load), plot, write pdf/png/json, print a summary. Returns the exit code."""
    args = parse_args(fig, argv)
    preset = "quick" if args.quick else "paper"
    out = args.out or (paths.QUICK_FIGURES if args.quick else paths.FIGURES)
    start = time.perf_counter()
    try:
        import torch
        _check_device(args.device)
        torch.set_num_threads(fig.threads)
        cfg = dict(fig.presets[preset])
        if args.rng is not None:
            if "rng" not in cfg:
                raise ValueError(f"--rng: figure {fig.number} draws no random numbers, or only counter-based ones")
            cfg["rng"] = args.rng
        ctx = Context(device=args.device, seed=args.seed, progress=not args.no_progress)
        path = cache_path(fig, preset, cfg, ctx)
        data, current = cached(path, lambda: fig.compute(cfg, ctx), args.recompute, code_version(fig))
        if not current:
            print(f"{fig.name}: note: {path} was computed by another version of the code; "
                  "run with --recompute to refresh it", file=sys.stderr)
        figures = fig.plot(data, cfg)
        rows = fig.claims(data, cfg)
    except (ValueError, CacheError) as err:
        print(f"{fig.name}: error: {err}", file=sys.stderr)
        return 2
    if not isinstance(figures, dict):
        figures = {"": figures}
    out.mkdir(parents=True, exist_ok=True)
    for suffix, f in figures.items():
        save_figure(f, out / (fig.name + (f"_{suffix}" if suffix else "")))
    runtime = time.perf_counter() - start
    write_json(out / f"{fig.name}.json", {
        "figure": fig.number, "slug": fig.slug, "preset": preset, "seed": args.seed, "device": args.device,
        "rng": cfg.get("rng", "counter" if fig.stochastic else None),
        "runtime_s": round(runtime, 2), "cache": str(path.relative_to(paths.ROOT)) if path.is_relative_to(
            paths.ROOT) else str(path), "cache_matches_code": current,
        "outputs": [fig.name + (f"_{s}" if s else "") for s in figures], "notes": fig.notes, "claims": rows})
    n_hold = sum(r["holds"] for r in rows)
    print(f"{fig.name} ({preset}): {n_hold}/{len(rows)} claims hold, {runtime:.1f} s "
          f"-> {out / fig.name}.{{pdf,png,json}}")
    for r in rows:
        print(f"  {'ok  ' if r['holds'] else 'MISS'} {r['name']}: ours {r['ours']} | paper {r['paper']} "
              f"({r['tolerance']})")
    return 0
