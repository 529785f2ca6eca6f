"""Real curves for ``fit_skills``: accuracies above chance, a ceiling, an order and frequencies the data imply, and
whether the fit decides between serial and parallel learning (arXiv 2501.12391, Sec. 4, the Resource model).
"""
from dataclasses import replace
from fnmatch import fnmatch

import numpy as np

from ..fits import fit_skills, fitted_curves
from ..resource import START
from .readers import InputError

ALPHAS = np.arange(0.0, 3.01, 0.25)     # power-law exponents tried when the frequencies are unknown
CEILINGS = ("1", "best")
ORDERS = ("data", "columns")
SPAN = (0.1, 0.9)        # a competition range from below 0.1 to above 0.9 holds both the parallel and Domino ends
FEW_POINTS = 8           # fewer records than this while the skills rise cannot show a learning order


def chance_levels(items, names):
    """Chance level (K,) of each skill from '0.25' (all) or 'glob=0.5' items, a bare number being the default."""
    default, pairs = None, []
    for item in items or []:
        glob, sep, value = item.rpartition("=")
        try:
            level = float(value)
        except ValueError:
            raise InputError(f"--chance {item!r}: a number, or NAME=number") from None
        if not 0 <= level < 1:
            raise InputError(f"--chance {item!r}: a chance level lies in [0, 1)")
        if sep:
            pairs.append((glob, level))
        else:
            default = level
    levels = [next((v for g, v in pairs if fnmatch(n, g)), default) for n in names]
    missing = [n for n, v in zip(names, levels) if v is None]
    if items and missing:
        raise InputError(f"--chance gives no level for {', '.join(missing)} (add NAME=0, or a bare number for the "
                         "rest)")
    return np.array([0.0 if v is None else v for v in levels])


def above_chance(values, chance):
    """(acc - chance) / (1 - chance): 0 at chance, 1 at a perfect score; below chance it is negative."""
    return (np.asarray(values, float) - chance) / (1 - chance)


def best_level(skills):
    """Each skill's best level (K,): the maximum of its 3-record running median, so one lucky record is not it."""
    padded = np.concatenate([skills[:1], skills, skills[-1:]])
    return np.median(np.stack([padded[:-2], padded[1:-1], padded[2:]]), axis=0).max(0)


def with_ceiling(skills, ceiling):
    """Skills (T, K) on the scale the fit reads: '1' keeps them (a perfect score is learned), 'best' divides each by
    its best level (the best it reached is learned)."""
    if ceiling == "1":
        return skills
    best = best_level(skills)
    return skills / np.where(best > 0, best, 1.0)


def data_order(skills):
    """Column order (K,) by mean skill over the records, highest first: in the Resource model a more frequent skill
    is ahead at every step, so any average orders the skills by frequency, and a mean is steadier than one
    crossing of a noisy curve."""
    return np.argsort(-skills.mean(0), kind="stable")


def fit_alpha(skills, steps, alphas=ALPHAS, **options):
    """The best fit over p_k ∝ k^-alpha, columns in order of decreasing frequency, alpha on a grid, with N0.

    Returns the best ``SkillFit`` (its n0_range and competition_range over every (alpha, N0) within its factor of
    the best error), alpha and the range (2,) of alpha within that factor."""
    fits = [fit_skills(skills, steps, alpha=a, **options) for a in alphas]
    errors = np.array([f.errors[0] for f in fits])                       # (A, G)
    best = int(np.argmin(errors.min(1)))
    fit = fits[best]
    near = errors <= fit.factor * errors.min()
    grid = np.broadcast_to(fit.n0_grid, errors.shape)
    n0_range = np.array([[grid[near].min(), grid[near].max()]])
    c0 = 1 - START[fit.loss]                          # sum_k c_k at the start: 1 (MSE), 1/2 (CE)
    fit = replace(fit, n0_range=n0_range, competition_range=c0 / (c0 + n0_range[:, ::-1]))
    near_alpha = np.asarray(alphas)[near.any(1)]
    return fit, float(alphas[best]), np.array([near_alpha.min(), near_alpha.max()])


def limits_gap(fit):
    """The rms difference (skill units) between the curves of the two fitted limits."""
    _, domino, parallel = fitted_curves(fit)
    return float(np.sqrt(np.mean((domino - parallel) ** 2)))


def undecided(fit):
    """True where both limits fit within the factor, the competition range reaches both ends, or the best fit
    misses the data by half the gap between the limits' curves or more (then the choice between them rests on
    the misfit, not on the data's signal)."""
    low, high = fit.competition_range[0]
    both = fit.domino_factor[0] <= fit.factor and fit.parallel_factor[0] <= fit.factor
    return bool(both or (low < SPAN[0] and high > SPAN[1]) or np.sqrt(fit.error[0]) >= limits_gap(fit) / 2)


def reasons(fit):
    """Why the curves do not decide, in words: too few points, overlapping onsets,
    noise, or limits that draw the same curves."""
    steps, onset = fit.steps, fit.onset[0]
    end = np.nanmax(np.where(np.isnan(fit.completion[0]), steps[-1], fit.completion[0]))
    start = np.nanmin(onset) if np.isfinite(onset).any() else steps[-1]
    rising = int(np.sum((steps >= start) & (steps <= end)))
    out = []
    if rising < FEW_POINTS:
        out.append(f"too few points ({rising} records while the skills rise)")
    idx = np.searchsorted(steps, onset[np.isfinite(onset)])
    if len(idx) > 1 and idx.max() - idx.min() <= 1:
        out.append("onsets that overlap (every skill starts within one record of the others)")
    gap, miss = limits_gap(fit), np.sqrt(fit.error[0])
    if miss >= gap / 2:
        out.append(f"noise or a shape the model does not draw (the best fit misses the data by {miss:.2g} rms, "
                   f"more than half the {gap:.2g} by which the two limits differ)")
    return out or [f"the two limits draw nearly the same curves here (they differ by {gap:.2g} rms)"]


def verdict(fit):
    """One sentence where these curves do not tell serial from parallel learning, else None."""
    if not undecided(fit):
        return None
    return ("These curves do not tell serial from parallel learning: " + ", ".join(reasons(fit)) +
            f"; every N0 from {fit.n0_range[0, 0]:.3g} to {fit.n0_range[0, 1]:.3g} fits within {fit.factor:g}x "
            "the best error.")
