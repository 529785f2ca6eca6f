"""Comparing Geometry-model experiments with Resource-model theory: mean squared differences and the N0 fit.

arXiv:2501.12391, Figs. 6 and 7 bottom. Experiment and theory curves are compared index by index (the GM records
before each update, the RM after; the paper's code keeps that alignment, and so do we).
"""
import numpy as np

from .resource import resource_model

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
