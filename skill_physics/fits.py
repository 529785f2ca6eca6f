"""Fitting the Resource model to learning curves (arXiv:2501.12391, Figs 6 and 7 bottom).

``fit_n0`` is Fig 7 bottom's fit of N0 to Geometry-model runs with eta_eff fixed; ``fit_skills`` asks any run's
per-skill curves how serially they learn: learning times, Domino statistics, and the best N0 and eta_eff of the
Resource model's continuous limit beside its Domino (N0 = 0) and parallel (N0 -> inf) limits.
"""
from dataclasses import dataclass

import numpy as np
from scipy.special import wrightomega

from .measure import crossing_times
from .resource import LOSSES, START, resource_model
from .tasks import power_law_frequencies
from .util import check_choice

N0_GRID = 10.0 ** np.linspace(-4, 2, 601)           # Fig 7 bottom's grid: 0.01 decade apart, 1e-4 to 100


def mean_squared_difference(experiment, theory, axis=None):
    """Mean of (experiment - theory)^2, over all entries or over ``axis``; shapes must broadcast."""
    diff = np.asarray(experiment, float) - np.asarray(theory, float)
    return np.mean(diff * diff, axis=axis)


def n0_fit_errors(experiment, frequencies, eta_eff, n0_grid=N0_GRID, updates=None):
    """Mean squared skill difference (R, G) of R runs and the discrete Resource model, for every N0 of a grid.

    Parameters
    ----------
    experiment, frequencies, eta_eff : arrays (T, R, K), (K,) and scalar or (R,)
        Skills of R runs at T records, their shared task frequencies, and the model's step matched to each run.
    n0_grid : array (G,)
    updates : array of int (T,), optional
        Updates before each record, where the model is compared (default 0 .. T - 1).
    """
    experiment = np.asarray(experiment, float)
    T, R, _ = experiment.shape
    updates = np.arange(T) if updates is None else np.asarray(updates, dtype=np.int64)
    n0_grid = np.asarray(n0_grid, float)
    eta = np.broadcast_to(np.asarray(eta_eff, float), (R,))
    errors = np.empty((R, n0_grid.size))
    for value in np.unique(eta):   # runs that share eta_eff share the theory curves
        theory = resource_model(frequencies, eta_eff=value, n0=n0_grid,
                                steps=max(int(updates.max()), 1)).skills[updates]   # (T, G, K)
        for r in np.flatnonzero(eta == value):
            errors[r] = mean_squared_difference(experiment[:, r, None, :], theory, axis=(0, 2))
    return errors


def fit_n0(experiment, frequencies, eta_eff, n0_grid=N0_GRID, updates=None):
    """The grid's best N0 (R,) of each run and the whole error curve (R, G) of ``n0_fit_errors``."""
    errors = n0_fit_errors(experiment, frequencies, eta_eff, n0_grid, updates)
    return np.asarray(n0_grid, float)[np.argmin(errors, axis=1)], errors


LOSS_RULES = ("exp", "sqrt", "linear")
FIT_POINTS = 256                    # records the fit reads at most, each weighted by the records it stands for


def skill_level(fraction, loss):
    """The skill a ``fraction`` of the way from its start (``START``) to 1 in the form ``loss``: a threshold."""
    return START[loss] + fraction * (1 - START[loss])


def skills_from_losses(losses, rule="exp"):
    """Skills (..., T, K) from per-skill losses (..., T, K), L0 being each skill's first loss: 'exp' s = exp(-L) (CE),
    'sqrt' s = 1 - sqrt(L / L0) (MSE), 'linear' s = 1 - L / L0; the last two clipped to [0, 1]."""
    check_choice("rule", rule, LOSS_RULES)
    losses = np.asarray(losses, float)
    if rule == "exp":
        return np.exp(-losses)
    ratio = np.maximum(losses / losses[..., :1, :], 0.0)
    return np.clip(1 - (np.sqrt(ratio) if rule == "sqrt" else ratio), 0.0, 1.0)


def _terms(theta, p, loss):
    """s, ds/dtheta, g and dg/dtheta (..., K) at theta (...): MSE l = exp(-p theta), g = 1 - l; CE z + e^z = 1 + p
    theta (e^z: Wright's omega), g = z."""
    x = np.multiply.outer(theta, p)
    if loss == "mse":
        s = -np.expm1(-x)
        ds = p * (1 - s)
        return s, ds, s, ds
    w = wrightomega(1 + x)
    return w / (1 + w), p * w / (1 + w) ** 3, np.log(w), p / (1 + w)


def _table(p, loss, per_decade=60):
    """theta grid (M,) from 0 to where every skill is learned, the skills there (M, K) and sum_k g_k (M,)."""
    hi = (50.0 if loss == "mse" else 1e7) / p.min()      # MSE: l = e^-50; CE: 1 - s ~ 1 / (p theta) = 1e-7
    lo = 1e-4 / p.max()
    theta = np.concatenate([[0.0], np.geomspace(lo, hi, int(per_decade * np.log10(hi / lo)))])
    s, _, g, _ = _terms(theta, p, loss)
    return theta, s, g.sum(-1)


def _solve(tau, a, b, p, loss, table):
    """Skills (rows, T, K) and their d/d ln(tau) at times tau (rows, T) of clocks a theta + b sum_k g_k = tau."""
    theta_grid, _, G = table
    theta = np.stack([np.interp(t, ai * theta_grid + bi * G, theta_grid) for t, ai, bi in zip(tau, a, b)])
    a, b = a[:, None], b[:, None]
    for _ in range(2):   # Newton from the tabulated guess: the clock is increasing and concave in theta
        _, _, g, dg = _terms(theta, p, loss)
        step = (a * theta + b * g.sum(-1) - tau) / np.maximum(a + b * dg.sum(-1), 1e-300)
        theta = np.clip(theta - step, 0.0, theta_grid[-1])
    s, ds, _, dg = _terms(theta, p, loss)
    return s, ds * (tau / np.maximum(a + b * dg.sum(-1), 1e-300))[..., None]


def resource_curves(frequencies, n0, times, loss="mse"):
    """Skills (S, G, K) of the Resource model's small-eta_eff limit at times tau = eta_eff * updates (S,), per N0 (G,).

    dl_k/dtau = -c_k / (sum_j c_j + N0) is solved by l_k = exp(-p_k theta) with tau = N0 theta + sum_k (1 - l_k):
    the resource spent is the wasted N0 theta plus what the skills gained (CE: z_k + e^z_k = 1 + p_k theta, tau =
    N0 theta + sum_k z_k). N0 = inf is the parallel limit, where tau is eta_eff / N0 times the updates.
    """
    check_choice("loss", loss, LOSSES)
    p, n0 = np.asarray(frequencies, float), np.atleast_1d(np.asarray(n0, float))
    times = np.broadcast_to(np.asarray(times, float), (n0.size, np.size(times)))
    inf = np.isinf(n0)
    s, _ = _solve(times, np.where(inf, 1.0, n0), np.where(inf, 0.0, 1.0), p, loss, _table(p, loss))
    return np.moveaxis(s, 0, 1)


def _fit_points(n):
    """Indices (at most FIT_POINTS, evenly and log-evenly spread over n records) and the records each stands for."""
    if n <= FIT_POINTS:
        return np.arange(n), np.ones(n)
    half = FIT_POINTS // 2
    idx = np.unique(np.concatenate([np.linspace(0, n - 1, half), np.geomspace(1, n, half) - 1]).round().astype(int))
    edges = np.concatenate([[-0.5], (idx[1:] + idx[:-1]) / 2, [n - 0.5]])
    return idx, np.diff(edges)


def _scan(y, u, w, table, a, b):
    """ln eta_eff (rows,) of least tabulated error: a 0.1-decade scan, then 0.01 decades around its best."""
    theta, S, G = table
    F = (y ** 2).sum(-1)[:, None] - 2 * y @ S.T + (S ** 2).sum(-1)          # (T, M): squared error at each theta
    start = np.argmax(S.max(-1) - S[0].max() >= 0.005)       # the first skill has barely started
    best = np.empty(len(a))
    for r, (ai, bi) in enumerate(zip(a, b)):
        clock = ai * theta + bi * G

        def errors(ln_eta):
            f = np.interp(np.exp(ln_eta)[:, None] * u, clock, np.arange(len(theta)))
            i = np.minimum(f.astype(int), len(theta) - 2)
            return (w * ((i + 1 - f) * F[np.arange(len(u)), i] + (f - i) * F[np.arange(len(u)), i + 1])).sum(-1)

        grid = np.arange(np.log(clock[start] / u[-1]), np.log(clock[-1] / u[u > 0][0]), 0.1 * np.log(10))
        centre = grid[np.argmin(errors(grid))]
        fine = centre + np.linspace(-0.1, 0.1, 21) * np.log(10)
        best[r] = fine[np.argmin(errors(fine))]
    return best


def _fit_run(y, u, w, p, loss, table, a, b):
    """Best ln eta_eff and weighted mean squared error (rows,) of each clock (a, b) for skills y (T, K) at updates
    u (T,): the tabulated scan, then Gauss-Newton steps, halved back where they do not lower the error."""
    ln_eta, norm = _scan(y, u, w, table, a, b), w.sum() * y.shape[-1]
    best, lowest = ln_eta.copy(), np.full(len(a), np.inf)
    for _ in range(4):
        s, jac = _solve(np.exp(ln_eta)[:, None] * u, a, b, p, loss, table)
        r, wj = s - y, w[:, None] * jac
        err = (w[:, None] * r ** 2).sum((-2, -1)) / norm
        step = -(wj * r).sum((-2, -1)) / np.maximum((wj * jac).sum((-2, -1)), 1e-300)
        better = err < lowest
        best, lowest = np.where(better, ln_eta, best), np.where(better, err, lowest)
        ln_eta = np.where(better, ln_eta + np.clip(step, -0.5, 0.5), (best + ln_eta) / 2)
    return best, lowest


@dataclass
class SkillFit:
    """What ``fit_skills`` measured of R runs of K skills, in order of decreasing frequency: errors are the Resource
    model's mean squared skill errors at their best eta_eff; the Domino limit is N0 = 0, the parallel N0 -> inf."""

    steps: np.ndarray               # (T,) the records' steps
    order: np.ndarray               # (K,) the input column of each skill
    frequencies: np.ndarray         # (K,) summing to 1
    onset: np.ndarray               # (R, K) first step at or above the onset level
    completion: np.ndarray          # (R, K) first step at or above the completion level
    duration: np.ndarray            # (R, K) completion - onset
    after_previous: np.ndarray      # (R, K - 1) share of skill k's gain after skill k - 1 completed (1: serial)
    delay_ratio: np.ndarray         # (R, K - 1) completion_k / completion_{k-1}
    frequency_ratio: np.ndarray     # (K - 1,) p_{k-1} / p_k
    n0_grid: np.ndarray             # (G,)
    errors: np.ndarray              # (R, G) error at each N0
    eta_eff: np.ndarray             # (R, G) best eta_eff at each N0
    n0: np.ndarray                  # (R,) best N0 ...
    eta: np.ndarray                 # (R,) ... its eta_eff ...
    error: np.ndarray               # (R,) ... and its error
    domino_error: np.ndarray        # (R,)
    domino_eta: np.ndarray          # (R,)
    parallel_error: np.ndarray      # (R,)
    parallel_eta: np.ndarray        # (R,) eta_eff / N0 of the parallel limit
    competition: np.ndarray         # (R,) sum_k c_k / (sum_k c_k + N0) at the start: 1 Domino, 0 parallel
    n0_range: np.ndarray            # (R, 2) the N0 whose error is within ``factor`` of the best
    competition_range: np.ndarray   # (R, 2) their competition
    factor: float
    loss: str

    @property
    def domino_factor(self):
        """How many times the best fit's error the Domino limit's is (R,)."""
        return self.domino_error / self.error

    @property
    def parallel_factor(self):
        """How many times the best fit's error the parallel limit's is (R,)."""
        return self.parallel_error / self.error


def learning_times(skills, steps, onset=0.1, completion=0.9):
    """Onset and completion steps (R, K) of skills (R, T, K): the first step at or above each level (NaN: never)."""
    return tuple(crossing_times(np.moveaxis(skills, 1, 0), level, strict=False, steps=steps)
                 for level in (onset, completion))


def domino_statistics(skills, steps, completion):
    """after_previous and delay_ratio (R, K - 1) of skills (R, T, K) in frequency order, given the completion steps
    (R, K) (see ``SkillFit``); NaN where the previous skill never completes."""
    gain = skills[:, -1, 1:] - skills[:, 0, 1:]                                       # (R, K - 1)
    at = np.searchsorted(steps, np.nan_to_num(completion[:, :-1], nan=steps[-1]))
    reached = np.take_along_axis(skills[:, :, 1:], at[:, None, :], axis=1)[:, 0]
    after = np.divide(skills[:, -1, 1:] - reached, gain, out=np.full(gain.shape, np.nan), where=gain > 0)
    after[np.isnan(completion[:, :-1])] = np.nan
    return np.clip(after, 0.0, 1.0), completion[:, 1:] / completion[:, :-1]


def _checked(skills, steps, frequencies, alpha, loss):
    """Skills (R, T, K), steps (T,) and frequencies (K,) as arrays, or ValueError naming what is wrong."""
    check_choice("loss", loss, LOSSES)
    skills, steps = np.asarray(skills, float), np.asarray(steps, float)
    skills = skills[None] if skills.ndim == 2 else skills
    if skills.ndim != 3 or steps.shape != skills.shape[1:2] or len(steps) < 3:
        raise ValueError(f"skills of shape {skills.shape} and steps of shape {steps.shape}: give skills (T, K) or "
                         "(R, T, K) and steps (T,), T >= 3")
    if not (np.isfinite(skills).all() and np.isfinite(steps).all()):
        raise ValueError("skills and steps must be finite numbers (no NaN or inf)")
    if steps[0] < 0 or np.any(np.diff(steps) <= 0):
        raise ValueError("steps must increase from >= 0 (they count updates from the start of training)")
    if (frequencies is None) == (alpha is None):
        raise ValueError("give either frequencies or alpha")
    K = skills.shape[-1]
    p = power_law_frequencies(K, alpha) if frequencies is None else np.asarray(frequencies, float)
    if p.shape != (K,) or not (np.isfinite(p).all() and np.all(p > 0)):
        raise ValueError(f"frequencies must be {K} positive numbers, one per skill, got {frequencies!r}")
    return skills, steps, p


def fit_skills(skills, steps, *, frequencies=None, alpha=None, loss="mse", n0_grid=N0_GRID[::10], eta_eff=None,
               onset=0.1, completion=0.9, factor=1.25):
    """Ask the paper's question of measured curves: how serially do the skills learn?

    Parameters
    ----------
    skills, steps : arrays (T, K) or (R, T, K), and (T,)
        Skills in [0, 1] (see ``skills_from_losses``) at increasing steps, counting updates from the start.
    frequencies : array (K,), optional
        How often each skill is needed; or ``alpha``: p_k ∝ k^-alpha, columns by decreasing frequency.
    loss : {'mse', 'ce'}
        The Resource model's form (its skill starts at 0, CE at 1/2).
    n0_grid : array (G,)
        Candidate N0 (default: 0.1 decades from 1e-4 to 100).
    eta_eff : float or array (R,), optional
        Fix the resource per update and fit the discrete model (MSE, Fig 7 bottom; integer steps); default: fit
        it as the time scale of the continuous limit.
    onset, completion, factor : float
        Learning-time levels as shares of the way from the starting skill to 1; the N0 within ``factor`` of the
        best error make the ranges.

    Returns
    -------
    SkillFit, arrays (R, ...) even for one run.
    """
    skills, steps, p = _checked(skills, steps, frequencies, alpha, loss)
    if eta_eff is not None and loss != "mse":   # before any fitting: the discrete fit exists for MSE only
        raise ValueError("eta_eff is fixed for the MSE form only (Fig 7 bottom)")
    if eta_eff is not None and np.any(steps != np.round(steps)):
        raise ValueError("eta_eff is fixed for steps that count updates (integers) only")
    order = np.argsort(-p, kind="stable")
    p, skills, n0_grid = p[order] / p.sum(), skills[..., order], np.asarray(n0_grid, float)
    starts, ends = learning_times(skills, steps, skill_level(onset, loss), skill_level(completion, loss))
    after, delay = domino_statistics(skills, steps, ends)
    G, fixed = len(n0_grid), eta_eff is not None
    # clocks tau = a theta + b sum_k g_k: N0 of the grid, the Domino limit N0 = 0, the parallel limit theta = tau
    a, b = np.concatenate([[] if fixed else n0_grid, [0.0, 1.0]]), np.concatenate([np.ones(1 if fixed else G + 1), [0]])
    table, (idx, w) = _table(p, loss), _fit_points(len(steps))
    ln_eta, err = (np.stack(x) for x in zip(*[_fit_run(y[idx], steps[idx], w, p, loss, table, a, b) for y in skills]))
    eta = np.exp(ln_eta)
    if fixed:
        fixed_eta = np.broadcast_to(np.asarray(eta_eff, float).reshape(-1, 1), (len(skills), G))
        eta = np.column_stack([fixed_eta, eta])
        err = np.column_stack([n0_fit_errors(np.moveaxis(skills, 0, 1), p, eta_eff, n0_grid, steps), err])
    rows, g = np.arange(len(skills)), err[:, :G].argmin(-1)
    near = err[:, :G] <= factor * err[rows, g][:, None]
    n0_range = np.stack([np.where(near, n0_grid, np.inf).min(-1), np.where(near, n0_grid, -np.inf).max(-1)], -1)
    c0 = 1 - START[loss]                                  # sum_k p_k l_k at the start: 1 (MSE), 1/2 (CE)
    return SkillFit(steps=steps, order=order, frequencies=p, onset=starts, completion=ends, duration=ends - starts,
                    after_previous=after, delay_ratio=delay, frequency_ratio=p[:-1] / p[1:], n0_grid=n0_grid,
                    errors=err[:, :G], eta_eff=eta[:, :G], n0=n0_grid[g], eta=eta[rows, g], error=err[rows, g],
                    domino_error=err[:, G], domino_eta=eta[:, G], parallel_error=err[:, G + 1],
                    parallel_eta=eta[:, G + 1], competition=c0 / (c0 + n0_grid[g]), n0_range=n0_range,
                    competition_range=c0 / (c0 + n0_range[:, ::-1]), factor=factor, loss=loss)


def fitted_curves(fit, run=0):
    """Skills (T, K) at ``fit.steps`` of run ``run``'s best fit and its two limits: (best, domino, parallel)."""
    return tuple(resource_curves(fit.frequencies, [n0], eta * fit.steps, fit.loss)[:, 0]
                 for n0, eta in ((fit.n0[run], fit.eta[run]), (0.0, fit.domino_eta[run]),
                                 (np.inf, fit.parallel_eta[run])))
