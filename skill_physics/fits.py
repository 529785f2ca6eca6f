"""Comparing Geometry-model experiments with Resource-model theory: mean squared differences and the N0 fit.

arXiv:2501.12391, Figs. 6 and 7 bottom. Experiment and theory curves are compared index by index (the GM records
before each update, the RM after; the paper's code keeps that alignment, and so do we).
"""
from dataclasses import dataclass

import numpy as np

from .measure import crossing_times
from .resource import resource_model
from .tasks import power_law_frequencies
from .util import check_choice

# the fit grid of the paper's code: 601 values of N0, 0.01 decade apart, from 1e-4 to 100
N0_GRID = 10.0 ** np.linspace(-4, 2, 601)


def mean_squared_difference(experiment, theory, axis=None):
    """Mean of (experiment - theory)^2, over all entries or over ``axis``; shapes must broadcast."""
    diff = np.asarray(experiment, float) - np.asarray(theory, float)
    return np.mean(diff * diff, axis=axis)


def n0_fit_errors(experiment, frequencies, eta_eff, n0_grid=N0_GRID):
    """Squared error of Resource-model theory against experiments, for every N0 of a grid.

    The theory (MSE form, C = I, clipping) runs once per distinct eta_eff with all N0 values at once.

    Parameters
    ----------
    experiment : array (T, R, K)
        Skills of R experiments over T record indices.
    frequencies : array (K,)
        Task frequencies p shared by the experiments.
    eta_eff : float or array (R,)
        Resource-model step matched to each experiment.
    n0_grid : array (G,)
        Candidate values of N0.

    Returns
    -------
    ndarray (R, G): mean over T steps and K tasks of (s_experiment - s_theory)^2.
    """
    experiment = np.asarray(experiment, float)
    T, R, _ = experiment.shape
    n0_grid = np.asarray(n0_grid, float)
    eta = np.broadcast_to(np.asarray(eta_eff, float), (R,))
    errors = np.empty((R, n0_grid.size))
    for value in np.unique(eta):   # runs that share eta_eff share the theory curves
        theory = resource_model(frequencies, eta_eff=value, n0=n0_grid, steps=T)   # (T, G, K)
        for r in np.flatnonzero(eta == value):
            errors[r] = mean_squared_difference(experiment[:, r, None, :], theory, axis=(0, 2))
    return errors


def fit_n0(experiment, frequencies, eta_eff, n0_grid=N0_GRID):
    """Best-fitting N0 of each experiment: the grid value with the smallest ``n0_fit_errors``.

    Returns
    -------
    best : ndarray (R,)
        The fitted N0 per experiment.
    errors : ndarray (R, G)
        The whole error curve.
    """
    errors = n0_fit_errors(experiment, frequencies, eta_eff, n0_grid)
    return np.asarray(n0_grid, float)[np.argmin(errors, axis=1)], errors


# ---- the paper's question asked of any run: how serially do the skills learn? --------------------------------------

LOSS_RULES = ("exp", "linear")
FIT_POINTS = 200              # data points the Resource-model fit reads (uniform and log-spaced in steps)
TIME_SCALES = 10.0 ** np.arange(-6, 3.01, 0.1)    # candidate eta_eff: resource per data step


def skills_from_losses(losses, rule="exp"):
    """Skills in [0, 1] from per-skill losses (..., T, K): 'exp' s = exp(-loss) (a CE loss: s is the probability of the
    right answer); 'linear' s = 1 - loss / loss at the first record (an MSE loss: the Resource model's 1 - l)."""
    check_choice("rule", rule, LOSS_RULES)
    losses = np.asarray(losses, float)
    if rule == "exp":
        return np.exp(-losses)
    return np.clip(1 - losses / losses[..., :1, :], 0.0, 1.0)


def _rates(state, p, n0, form):
    """d(state)/d(resource time) of the Resource model: residuals l (MSE) or logits z (CE), (G, K), under N0 (G, 1)
    (inf: the decoupled limit, no competition)."""
    residual = np.maximum(state, 0.0) if form == "mse" else 0.5 - 0.5 * np.tanh(state / 2)   # CE: sigmoid(-z)
    c = p * residual
    total = np.where(np.isinf(n0), 1.0, c.sum(-1, keepdims=True) + np.where(np.isinf(n0), 0.0, n0))
    share = np.divide(c, total, out=np.zeros_like(c), where=total > 0)
    return -share if form == "mse" else share


def resource_curves(frequencies, n0, times, loss="mse"):
    """Skills (S, G, K) of the continuous Resource model, dl/dtau = -c / (sum c + N0) (MSE; CE: dz/dtau = c / (...)),
    at resource times ``times`` (S,) for each N0 of ``n0`` (G,); N0 = inf is the decoupled (parallel) limit
    dl_k/dtau = -p_k l_k. The discrete model with small eta_eff follows it with tau = eta_eff * updates."""
    p = np.asarray(frequencies, float)
    n0 = np.asarray(n0, float).reshape(-1, 1)
    state = np.ones((n0.size, p.size)) if loss == "mse" else np.zeros((n0.size, p.size))
    out, tau = np.empty((len(times), n0.size, p.size)), 0.0
    for i, target in enumerate(np.asarray(times, float)):
        while tau < target:       # Heun steps, each moving no skill by more than ~1 %
            rate = _rates(state, p, n0, loss)
            dt = min(target - tau, 0.01 / max(np.abs(rate).max(), 1e-12))
            trial = state + dt * rate
            state, tau = state + 0.5 * dt * (rate + _rates(trial, p, n0, loss)), tau + dt
        out[i] = 1 - np.maximum(state, 0.0) if loss == "mse" else 0.5 + 0.5 * np.tanh(state / 2)
    return out


@dataclass
class SkillFit:
    """What ``fit_skills`` measured of R runs of K skills, in order of decreasing frequency (arrays (R, ...)).

    onset, completion, duration (R, K): first step at or above the onset and completion thresholds, and their gap.
    after_previous (R, K - 1): share of skill k's gain that comes after skill k - 1 completed (1: strictly serial).
    delay_ratio (R, K - 1): completion_k / completion_{k-1}, beside frequency_ratio (K - 1,) = p_{k-1} / p_k.
    n0_grid (G,), errors (R, G), eta_eff (R, G): the Resource model's mean squared skill error at each N0, with its
    best eta_eff (resource per data step). n0, eta, error (R,): the best fit; domino_* and parallel_*: the limits N0 = 0
    and N0 -> inf (decoupled skills). competition (R,): sum_k c_k / (sum_k c_k + N0) at the start (0 parallel, 1
    Domino), competition_range (R, 2) over the N0 whose error is within ``factor`` of the best.
    """

    steps: np.ndarray
    order: np.ndarray           # (K,): the input column of each skill
    frequencies: np.ndarray
    onset: np.ndarray
    completion: np.ndarray
    duration: np.ndarray
    after_previous: np.ndarray
    delay_ratio: np.ndarray
    frequency_ratio: np.ndarray
    n0_grid: np.ndarray
    errors: np.ndarray
    eta_eff: np.ndarray
    n0: np.ndarray
    eta: np.ndarray
    error: np.ndarray
    domino_error: np.ndarray
    domino_eta: np.ndarray
    parallel_error: np.ndarray
    parallel_eta: np.ndarray
    competition: np.ndarray
    competition_range: np.ndarray
    factor: float
    loss: str


def learning_times(skills, steps, onset=0.1, completion=0.9):
    """Onset and completion steps (R, K) of skills (R, T, K): the first step at or above each threshold (NaN: never)."""
    return tuple(crossing_times(np.moveaxis(skills, 1, 0), level, strict=False, steps=steps)
                 for level in (onset, completion))


def domino_statistics(skills, steps, completion):
    """after_previous and delay_ratio (R, K - 1) of skills (R, T, K) in frequency order (see ``SkillFit``)."""
    gain = skills[:, -1] - skills[:, 0]                                               # (R, K)
    done = np.nan_to_num(completion[:, :-1], nan=steps[-1])
    at = np.clip(np.searchsorted(steps, done), 0, len(steps) - 1)                     # (R, K - 1)
    reached = np.take_along_axis(skills[:, :, 1:], at[:, None, :], axis=1)[:, 0]
    after = np.divide(skills[:, -1, 1:] - reached, gain[:, 1:], out=np.full(reached.shape, np.nan),
                      where=gain[:, 1:] > 0)
    return np.clip(after, 0.0, 1.0), completion[:, 1:] / completion[:, :-1]


def _fit_points(steps):
    """At most FIT_POINTS record positions, spread uniformly and log-uniformly over the steps."""
    n = len(steps)
    if n <= FIT_POINTS:
        return np.arange(n)
    span = np.geomspace(1, n, FIT_POINTS // 2).astype(int) - 1
    return np.unique(np.concatenate([np.linspace(0, n - 1, FIT_POINTS // 2).astype(int), span]))


def _time_scale_errors(data, t, model, taus, scales):
    """Mean squared error (G, H) of the model (S, G, K), known on the resource times ``taus``, against data (T, K) at
    steps t (T,); row g reads tau = eta_eff * t, eta_eff = scales[h] (H,) for every row or scales[h, g] (H, G)."""
    G = model.shape[1]
    rows = np.arange(G) if np.ndim(scales) == 2 else slice(None)
    errors = np.empty((G, len(scales)))
    for h, scale in enumerate(scales):
        x = np.clip(np.multiply.outer(t, scale), taus[0], taus[-1])                  # (T,) or (T, G)
        i = np.clip(np.searchsorted(taus, x) - 1, 0, len(taus) - 2)
        w = ((x - taus[i]) / (taus[i + 1] - taus[i]))[..., None]
        w = w if w.ndim == 3 else w[:, None]
        curve = (1 - w) * model[i, rows] + w * model[i + 1, rows]                      # (T, G, K)
        errors[:, h] = ((curve - data[:, None, :]) ** 2).mean(axis=(0, 2))
    return errors


def _best_time_scales(data, t, model, taus):
    """Each model row's best eta_eff (G,) and its error (G,): a 0.1-decade grid on every fourth point, then 0.01
    decades around the best on all of them."""
    G = model.shape[1]
    best = TIME_SCALES[_time_scale_errors(data[::4], t[::4], model, taus, TIME_SCALES).argmin(-1)]   # coarse: cheap
    fine = best[None, :] * 10.0 ** np.arange(-0.1, 0.1001, 0.01)[:, None]            # (21, G)
    errors = _time_scale_errors(data, t, model, taus, fine)
    h = errors.argmin(-1)
    return fine[h, np.arange(G)], errors[np.arange(G), h]


def fit_skills(skills, steps, *, frequencies=None, alpha=None, loss="mse", n0_grid=N0_GRID[::10], eta_eff=None,
               onset=0.1, completion=0.9, factor=2.0):
    """Ask the paper's question of measured curves: how serially do the skills learn (arXiv 2501.12391, Sec. 4)?

    Parameters
    ----------
    skills : array (T, K) or (R, T, K)
        Skills in [0, 1] of K skills at ``steps`` (``skills_from_losses`` turns losses into skills).
    steps : array (T,), increasing
    frequencies : array (K,), optional
        How often each skill is needed; or ``alpha``: p_k ∝ k^-alpha with the columns in order of frequency.
    loss : {'mse', 'ce'}
        The Resource model's form.
    n0_grid : array (G,)
        Candidate N0 (default: 0.1 decades from 1e-4 to 100).
    eta_eff : float or array (R,), optional
        Fix the resource per step, one model update per record, as Fig 7 bottom (``n0_fit_errors``); default: fit
        it, in the model's continuous limit. The two limits are always fitted.
    onset, completion : float
        Thresholds of the learning times.
    factor : float
        The N0 whose error is within ``factor`` of the best make ``competition_range``.

    Returns
    -------
    SkillFit, every skill in order of decreasing frequency.
    """
    check_choice("loss", loss, ("mse", "ce"))
    skills, steps = np.asarray(skills, float), np.asarray(steps, float)
    skills = skills[None] if skills.ndim == 2 else skills
    if (frequencies is None) == (alpha is None):
        raise ValueError("give either frequencies or alpha")
    p = power_law_frequencies(skills.shape[-1], alpha) if frequencies is None else np.asarray(frequencies, float)
    order = np.argsort(-p, kind="stable")
    p, skills, n0_grid = p[order] / p.sum(), skills[..., order], np.asarray(n0_grid, float)
    starts, ends = learning_times(skills, steps, onset, completion)
    after, delay = domino_statistics(skills, steps, ends)
    grid = np.concatenate([[0.0], n0_grid if eta_eff is None else [], [np.inf]])
    taus = np.concatenate([[0.0], np.geomspace(1e-3, 50 * (1 + n0_grid.max()) / p.min(), 400)])
    model, idx = resource_curves(p, grid, taus, loss), _fit_points(steps)
    eta, err = (np.stack(part) for part in zip(*[_best_time_scales(run[idx], steps[idx], model, taus)
                                                 for run in skills]))                   # (R, len(grid)) each
    if eta_eff is not None:
        fixed = n0_fit_errors(np.moveaxis(skills, 0, 1), p, eta_eff, n0_grid) if loss == "mse" else None
        if fixed is None:
            raise ValueError("eta_eff is fixed for the MSE form only (Fig 7 bottom)")
        eta = np.column_stack([eta[:, 0], np.broadcast_to(np.asarray(eta_eff, float)[..., None], fixed.shape),
                               eta[:, -1]])
        err = np.column_stack([err[:, 0], fixed, err[:, -1]])
    rows, g = np.arange(len(skills)), err[:, 1:-1].argmin(-1)
    c0 = 1.0 if loss == "mse" else 0.5
    near, shares = err[:, 1:-1] <= factor * err[rows, 1 + g][:, None], c0 / (c0 + n0_grid)
    band = np.stack([np.where(near, shares, np.inf).min(-1), np.where(near, shares, -np.inf).max(-1)], -1)
    return SkillFit(steps, order, p, starts, ends, ends - starts, after, delay, p[:-1] / p[1:], n0_grid, err[:, 1:-1],
                    eta[:, 1:-1], n0_grid[g], eta[rows, 1 + g], err[rows, 1 + g], err[:, 0], eta[:, 0], err[:, -1],
                    eta[:, -1], shares[g], band, factor, loss)


def fitted_curves(fit, run=0):
    """Skills (T, K) at ``fit.steps`` of the best fit and the two limits of run ``run``: (best, domino, parallel)."""
    out = []
    for n0, eta in ((fit.n0[run], fit.eta[run]), (0.0, fit.domino_eta[run]), (np.inf, fit.parallel_eta[run])):
        out.append(resource_curves(fit.frequencies, [n0], eta * fit.steps, fit.loss)[:, 0])
    return tuple(out)
