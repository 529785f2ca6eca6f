"""The sweep's files (arXiv 2501.12391, Figs 10, 11, 18): one cache file per cell and variant, written atomically so
that an interrupted sweep resumes, and the committed summary of a whole sweep, which the figures read.

A file is valid for its settings (the folder or file name: ``SweepConfig.key``) and ``ENGINE_VERSION``.
"""
import sys

import numpy as np

from .. import paths
from ..store import CacheError, load_arrays, save_arrays
from .engine import ENGINE_VERSION
from .settings import FIT_STEPS, grid_cells


def cell_path(cfg, variant, seed, n_dim, folder=None):
    """<folder (default ``cfg.folder``)>/<variant>/seed<s>_d<dddd>.npz."""
    return (cfg.folder if folder is None else folder) / variant / f"seed{seed}_d{n_dim:04d}.npz"


def engine_version(data):
    """The ``ENGINE_VERSION`` whose numbers a cell or summary holds (files without the entry hold version 1's)."""
    return int(data.get("engine_version", 1))


CELL_ARRAYS = ("alphas", "steps", "loss", "final_loss")   # what a cell file holds (and final_skills)


def read_cell(path):
    """A cell file's arrays; CacheError if it cannot be read or lacks an array (caused by a ValueError)."""
    data = load_arrays(path)
    missing = [k for k in CELL_ARRAYS if k not in data]
    if missing or data["loss"].shape != (data["alphas"].size, data["steps"].size):
        what = f"it lacks {', '.join(missing)}" if missing else "its arrays disagree in shape"
        raise CacheError(f"cache file {path} is damaged ({what})") from ValueError(what)
    return data


_said = set()


def note(text):
    """Print ``sweep: note: text`` on stderr, once per process."""
    if text not in _said:
        _said.add(text)
        print(f"sweep: note: {text}", file=sys.stderr)


def set_aside(path, err, then):
    """Rename a damaged ``path`` to ``*.damaged`` and say so (``then``: what happens next)."""
    path.replace(path.with_name(path.name + ".damaged"))
    print(f"sweep: {err}; set aside as {path.name}.damaged, {then}", file=sys.stderr)


def is_cached(cfg, variant, seed, n_dim):
    """Whether the cell's file exists, can be read and holds this engine's numbers. A damaged file is set aside
    (renamed ``*.damaged``, with a message on stderr), so that the cell counts as missing and is computed again."""
    path = cell_path(cfg, variant, seed, n_dim)
    if not path.exists():
        return False
    try:
        return engine_version(read_cell(path)) == ENGINE_VERSION
    except CacheError as err:
        set_aside(path, err, "the cell will be computed again")
        return False


def shown(path):
    """``path`` relative to the repository when it lies inside it, else absolute (a cluster's shared results)."""
    return path.relative_to(paths.ROOT) if path.is_relative_to(paths.ROOT) else path


def load_cell(cfg, variant, seed, n_dim, in_summary=False):
    """A cached cell's arrays, or None if it is not computed yet. A damaged file of a cell the committed summary
    holds (``in_summary``) is set aside, and None returned: the summary's numbers stand in for it."""
    path = cell_path(cfg, variant, seed, n_dim)
    if not path.exists():
        return None
    try:
        data = read_cell(path)
    except CacheError as err:
        if in_summary:
            set_aside(path, err, "the committed summary holds this cell")
            return None
        raise CacheError(f"sweep cell {path} is damaged ({err.__cause__}); run scripts/sweep.py (it sets damaged "
                         "cells aside and computes them again)") from err
    if not np.allclose(data["alphas"], cfg.alphas):
        raise CacheError(f"cache file {path} holds alphas {data['alphas']}, expected {cfg.alphas}")
    if engine_version(data) != ENGINE_VERSION:
        raise CacheError(f"sweep cell {path} holds the numbers of engine version {engine_version(data)}, this code "
                         f"computes version {ENGINE_VERSION}; run scripts/sweep.py to compute it again")
    return data


def at_steps(cell, steps):
    """A cell's losses (A, len(steps)) at exactly these record steps; CacheError if the cell did not record one."""
    recorded = cell["steps"]
    at = np.searchsorted(recorded, steps).clip(max=len(recorded) - 1)
    if not np.array_equal(recorded[at], steps):
        missing = np.setdiff1d(steps, recorded)
        raise CacheError(f"a sweep cell lacks the record steps {missing[:5].tolist()}{' ...' * (len(missing) > 5)}")
    return cell["loss"][:, at]


TABLES = ("final_loss", "fit_loss", "trace", "early", "done")   # what ``gather`` collects of a variant


def _blank_tables(cfg):
    A, D, S = len(cfg.alphas), len(cfg.dims), len(cfg.seeds)
    T, T0 = min(cfg.trace_until, cfg.steps) + 1, min(cfg.dense_until, cfg.steps) + 1
    return {"final_loss": np.full((A, D, S), np.nan), "fit_loss": np.full((A, D, S, len(FIT_STEPS)), np.nan),
            "trace": np.full((A, T), np.nan), "early": np.full((A, S, T0), np.nan), "done": np.zeros((D, S), bool)}


def gather(cfg, variants=None, use_summary=True):
    """Collect the sweep into the tables the figures read: the committed summary (``load_summary``, unless
    ``use_summary`` is False), overlaid with every cell of the cache; missing cells are NaN.

    Returns
    -------
    dict with 'alphas' (A,), 'dims' (D,), 'seeds' (S,), 'trace_steps' (T,), 'early_steps' (T0,), 'from_summary'
    (how many cell files the summary stood in for) and per variant a dict:
    'final_loss' (A, D, S), 'median_loss' (A, D) (median over seeds, NaN if a seed is missing), 'trace' (A, T)
    (loss of the trace cell at every step to ``trace_until``), 'fit_loss' (A, D, S, 2) (the loss at the alpha_S
    fit steps ``FIT_STEPS`` of every cell), 'early' (A, S, T0) (every seed's loss at n_dim = ``trace_dim`` at the
    steps 'early_steps' = 0 .. ``dense_until``, which every cell records), 'done' (D, S) bool.
    """
    variants = variants or cfg.variants
    trace_steps = np.arange(min(cfg.trace_until, cfg.steps) + 1)
    early_steps = np.arange(min(cfg.dense_until, cfg.steps) + 1)
    out = {"alphas": np.asarray(cfg.alphas, float), "dims": np.asarray(cfg.dims), "seeds": np.asarray(cfg.seeds),
           "trace_steps": trace_steps, "early_steps": early_steps}
    summary = load_summary(cfg) if use_summary else None
    from_summary = 0
    for v in variants:
        tables = {k: summary[v][k].copy() for k in TABLES} if summary and v in summary else _blank_tables(cfg)
        for i, d in enumerate(cfg.dims):
            for j, s in enumerate(cfg.seeds):
                cell = load_cell(cfg, v, s, d, in_summary=bool(tables["done"][i, j]))
                if cell is None:
                    from_summary += int(tables["done"][i, j])
                    continue
                tables["final_loss"][:, i, j], tables["done"][i, j] = cell["final_loss"], True
                if max(FIT_STEPS) <= cfg.steps:
                    tables["fit_loss"][:, i, j] = at_steps(cell, FIT_STEPS)
                if d == cfg.trace_dim:
                    tables["early"][:, j] = at_steps(cell, early_steps)
                if (s, d) == (cfg.trace_seed, cfg.trace_dim):
                    tables["trace"] = at_steps(cell, trace_steps)
        out[v] = {**tables, "median_loss": np.median(tables["final_loss"], axis=2)}
    out["from_summary"] = np.asarray(from_summary)
    return out


def summary_path(cfg):
    """data/sweep_<settings hash>.npz: what Figs 10 and 18 read of a complete sweep, committed."""
    return paths.DATA / f"sweep_{cfg.key()}.npz"


def export_summary(cfg):
    """Write ``gather(cfg)`` (the committed summary overlaid with the cache) to ``summary_path(cfg)``, stamped with the
    settings hash and ``ENGINE_VERSION``: the final loss of every run, the loss at the fit steps and the trace, not the
    final skills (~3 MB instead of ~40 MB). Cells not computed yet stay NaN with done = False, so a partial sweep
    can be committed and resumed elsewhere. Returns (path, cells done, cells in the grid)."""
    data = gather(cfg)
    data.pop("from_summary")
    done = sum(int(data[v]["done"].sum()) for v in cfg.variants)
    path = summary_path(cfg)
    save_arrays(path, {**data, "settings_key": np.asarray(cfg.key()),
                       "engine_version": np.asarray(ENGINE_VERSION)})
    return path, done, len(cfg.variants) * len(grid_cells(cfg))


def load_summary(cfg):
    """The committed summary of the sweep ``cfg`` as ``gather`` returns it, or None if there is none, it is of
    another grid or it holds another engine version's numbers (said on stderr). CacheError if it is damaged."""
    path = summary_path(cfg)
    if not path.exists():
        return None
    restore = f"restore the committed one with `git checkout {shown(path)}`"
    try:
        data = load_arrays(path)
        if str(data.pop("settings_key")) != cfg.key():
            raise CacheError(f"the sweep summary {shown(path)} holds another sweep than its name says; {restore}")
        version = engine_version(data)
        differ = [k for k in ("alphas", "dims", "seeds") if not np.array_equal(data[k], getattr(cfg, k))]
        for v in [v for v in cfg.variants if v in data] if version == ENGINE_VERSION and not differ else ():
            if data[v]["done"].shape != (len(cfg.dims), len(cfg.seeds)):
                raise KeyError(f"{v}/done of shape {data[v]['done'].shape}")
    except (CacheError, KeyError, TypeError, IndexError) as err:
        if isinstance(err, CacheError) and err.__cause__ is None:
            raise
        cause = err.__cause__ if isinstance(err, CacheError) else f"it lacks {err}"
        raise CacheError(f"the sweep summary {shown(path)} is damaged ({cause}); {restore}") from err
    if version != ENGINE_VERSION:
        note(f"{shown(path)} holds the numbers of engine version {version}, this code computes version "
             f"{ENGINE_VERSION}: it is not read")
        return None
    if differ:
        note(f"{shown(path)} holds a sweep of another grid (its {', '.join(differ)} differ from this code's): it is "
             f"not read, and every cell is computed; if it was not meant to change, {restore}")
        return None
    data.pop("engine_version", None)
    return data


def done_cells(cfg, variant, use_summary=True, cells=None):
    """The (seed, n_dim) cells of ``variant`` among ``cells`` (default the whole grid) that are computed: in the cache
    or in the committed summary."""
    summary = load_summary(cfg) if use_summary else None
    if summary and variant in summary:
        done = summary[variant]["done"]
        from_summary = {(s, d) for i, d in enumerate(cfg.dims) for j, s in enumerate(cfg.seeds) if done[i, j]}
    else:
        from_summary = set()
    # every existing file is read, also of cells the summary holds, so that a damaged one is set aside
    cells = grid_cells(cfg) if cells is None else cells
    return {c for c in cells if is_cached(cfg, variant, *c) or c in from_summary}


def is_complete(cfg, variants=None, use_summary=True):
    """Whether every cell of ``variants`` (default all) is computed (cache or summary)."""
    return all(len(done_cells(cfg, v, use_summary)) == len(grid_cells(cfg)) for v in (variants or cfg.variants))


