"""Scaling exponents of the sweep (arXiv 2501.12391, Figs 10, 11 and 18) and what Figs 10 and 18 share; the
theories' exponents are in ``skill_physics.scaling``.

alpha_N: loss vs model size (median final loss over seeds vs n_dim); alpha_S: loss vs steps (the trace cell, d = 100,
seed 0). The paper's values are two-point log-log slopes over a hard-coded window; a least-squares slope over every
grid point of the same window is the robustness check.
"""
import os
from dataclasses import fields, replace

import numpy as np
import torch

from ..measure import loglog_slope, two_point_slope
from ..tasks import power_law_frequencies, task_vectors
from . import sweep
from .replay.geometry import original_unit_vectors

FIT_DIMS = sweep.FIT_DIMS          # alpha_N window: d = 40 -> 220
FIT_STEPS = sweep.FIT_STEPS        # alpha_S window: t = 80 -> 200
CHINCHILLA = {"N": 0.34, "S": 0.28}   # Hoffmann et al. (hard-coded reference lines)
# set to 1 to draw a figure from the cells computed so far (cache and committed summary; missing cells are NaN)
# instead of computing the missing ones
CACHED_ONLY_ENV = "SKILL_PHYSICS_SWEEP_CACHED_ONLY"


def alpha_row(alphas, alpha):
    """Index of ``alpha`` in ``alphas``, selected by value (never by position: the original Fig 18 was off by one)."""
    hits = np.flatnonzero(np.isclose(np.asarray(alphas, float), alpha))
    if hits.size != 1:
        raise ValueError(f"alpha={alpha} is not in the sweep's alphas {list(alphas)}")
    return int(hits[0])


def _window(x, lo, hi):
    x = np.asarray(x)
    return (x >= lo) & (x <= hi)


def exponents(x, curves, window):
    """Two-point and least-squares exponents -d ln L / d ln x of each curve over ``window`` = (x1, x2).

    Parameters
    ----------
    x : array (T,)       grid (n_dim or steps); must contain x1 and x2
    curves : array (A, T) losses
    window : (x1, x2)

    Returns
    -------
    (two_point (A,), least_squares (A,)); NaN where a curve is missing in the window.
    """
    x1, x2 = window
    if not (np.any(np.asarray(x) == x1) and np.any(np.asarray(x) == x2)):
        return np.full(len(curves), np.nan), np.full(len(curves), np.nan)
    inside = _window(x, x1, x2)
    two = np.array([two_point_slope(x, c, x1, x2) for c in curves])
    lsq = []
    for c in curves:   # every grid point of the window that is computed (all of them once the sweep is complete)
        ok = inside & np.isfinite(c) & (c > 0)
        lsq.append(-loglog_slope(np.asarray(x)[ok], c[ok]) if ok.sum() >= 2 else np.nan)
    return two, np.array(lsq)


def all_exponents(data, variants, trace_dim):
    """Exponents of gathered sweep data: {variant: {'alphaN', 'alphaN_lsq', 'alphaS', 'alphaS_lsq'} (each (A,)),
    'alphaS_seeds' (A, S): the two-point alpha_S of every seed at n_dim = ``trace_dim`` (the seed spread)}."""
    out = {}
    t1, t2 = FIT_STEPS
    for v in variants:
        aN, aN_lsq = exponents(data["dims"], data[v]["median_loss"], FIT_DIMS)
        aS, aS_lsq = exponents(data["trace_steps"], data[v]["trace"], FIT_STEPS)
        dims = list(data["dims"])
        fit = data[v]["fit_loss"][:, dims.index(trace_dim)] if trace_dim in dims else np.full((len(aS), 1, 2), np.nan)
        seeds = two_point_slope([t1, t2], np.moveaxis(fit, -1, 0), t1, t2)   # fit[..., 0] = L(t1), [..., 1] = L(t2)
        out[v] = {"alphaN": aN, "alphaN_lsq": aN_lsq, "alphaS": aS, "alphaS_lsq": aS_lsq, "alphaS_seeds": seeds}
    return out


def seed_range(values):
    """[min, max] over the finite entries (NaN, NaN if none): the spread of a seed-0 quantity over the seeds."""
    values = np.asarray(values, float)
    ok = np.isfinite(values)
    return [float(values[ok].min()), float(values[ok].max())] if ok.any() else [np.nan, np.nan]


def final_over_seeds(data, variant, alpha, n_dim):
    """Final losses (S,) of ``variant`` at (alpha, n_dim) over the seeds; NaN where missing or off the grid."""
    dims = list(data["dims"])
    if n_dim not in dims or not np.isclose(data["alphas"], alpha).any():
        return np.full(len(data["seeds"]), np.nan)
    return data[variant]["final_loss"][alpha_row(data["alphas"], alpha), dims.index(n_dim)]


def median_final(data, variant, alpha, n_dim):
    """Median over the seeds of ``final_over_seeds`` (= gather's 'median_loss'); NaN where a cell is missing."""
    return float(np.median(final_over_seeds(data, variant, alpha, n_dim)))


def collapse_dims(dims, median_loss, threshold):
    """Per alpha, the smallest n_dim from which the median final loss stays below ``threshold`` up to the largest
    n_dim (the "cliff" of the loss-vs-n_dim curves); NaN where it never does. A missing cell counts as not below.

    dims (D,), median_loss (A, D) -> (A,)
    """
    below = np.asarray(median_loss) < threshold                     # NaN (missing) compares False
    out = np.full(len(below), np.nan)
    for a, row in enumerate(below):
        if row[-1]:
            first_above = np.flatnonzero(~row)
            out[a] = dims[first_above[-1] + 1] if first_above.size else dims[0]
    return out


def loss_minima(V, p):
    """min over x of the population CE loss sum_k p_k softplus(-v_k . x) for every stack of task vectors: the
    capacity-limited plateau that the non-modular runs approach when n_dim < K. L-BFGS in float64 on the sum over
    the stack: the loss is convex in x and separable across the stack, so its minimiser minimises every term.

    V (S, K, d), p (K,) -> (S,)
    """
    V, p = torch.as_tensor(V, dtype=torch.float64), torch.as_tensor(p, dtype=torch.float64)
    x = torch.zeros(V.shape[0], V.shape[2], 1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([x], max_iter=500, tolerance_grad=1e-12, tolerance_change=1e-15,
                            line_search_fn="strong_wolfe")

    def terms():
        return (p * torch.nn.functional.softplus(-torch.bmm(V, x)[..., 0])).sum(dim=1)

    def loss():
        opt.zero_grad()
        value = terms().sum()
        value.backward()
        return value

    for _ in range(3):     # L-BFGS stops early on flat stretches; restarting is cheap and makes the minimum exact
        opt.step(loss)
    with torch.no_grad():
        return terms().numpy()


def minima_over_draws(n_dim, alpha, n_tasks, seeds, rng="counter"):
    """``loss_minima`` of the random unit task vectors drawn with each seed, as the sweep draws them under ``rng``
    (the spread of the plateau over task-vector draws, which the sweep's 4 seeds sample only thinly): (len(seeds),)."""
    V = torch.stack([original_unit_vectors(s, n_tasks, n_dim) if rng == "original" else
                     task_vectors("random_unit", n_tasks, n_dim, seed=s) for s in seeds])
    return loss_minima(V, power_law_frequencies(n_tasks, alpha))


def computed(x, y):
    """The points of a curve that are computed (finite): a partial sweep still draws connected curves."""
    x, y = np.asarray(x), np.asarray(y)
    ok = np.isfinite(y)
    return x[ok], y[ok]


# ------------------------------------------------------------------------------------------ figure-script plumbing

def preset(cfg):
    """A SweepConfig as a figure preset dict (its fields, documented in ``sweep.SweepConfig``)."""
    out = {f.name: getattr(cfg, f.name) for f in fields(cfg)}
    if cached_only():
        # the number of computed cells (cache or committed summary) joins the settings, so the figure cache of a
        # partial sweep is keyed by how far the sweep had got (and never stands for the full figure)
        out["cached_only"] = sum(len(sweep.done_cells(cfg, v)) for v in cfg.variants)
    return out


def cached_only():
    return os.environ.get(CACHED_ONLY_ENV) == "1"


def notes(lines):
    """A figure's notes, plus a warning when it is drawn from a partial cache."""
    if cached_only():
        lines = lines + [f"drawn with {CACHED_ONLY_ENV}=1 from the sweep cells computed so far (cache and committed "
                         "summary): missing cells are NaN (gaps in curves; claims that read them do not hold)"]
    return lines


def sweep_data(cfg, ctx, variants):
    """The gathered sweep described by preset ``cfg``: the committed summary overlaid with the cache, after computing
    the cells that neither holds (unless cached-only). ``ctx.recompute`` ignores the summary."""
    names = {f.name for f in fields(sweep.SweepConfig)}
    settings = sweep.SweepConfig(**{k: tuple(v) if isinstance(v, (list, np.ndarray)) else v
                                    for k, v in cfg.items() if k in names})
    if ctx.seed:   # --seed offsets every seed of the grid (and the trace cell's)
        settings = replace(settings, seeds=tuple(s + ctx.seed for s in settings.seeds),
                           trace_seed=settings.trace_seed + ctx.seed)
    use_summary = not ctx.recompute
    if "cached_only" not in cfg:
        sweep.run_sweep(settings, variants, device=ctx.device, progress=ctx.progress, use_summary=use_summary)
    data = sweep.gather(settings, variants, use_summary)
    data["done_fraction"] = np.array(np.mean([data[v]["done"].mean() for v in variants]))
    return data
