"""The Domino model in closed form (arXiv:2501.12391) and the parallel model it is contrasted with (Fig 9)."""
import numpy as np


def domino_skills(t, n_tasks, t0):
    """Serial learning: task i ramps linearly from (i-1) t0 to i t0, s_i(t) = clip((t - (i-1) t0) / t0, 0, 1).

    Parameters
    ----------
    t : array (T,)
        Times.
    n_tasks : int
        K.
    t0 : float
        Time per task, > 0 (t0 = 1 / eta_eff when derived from the Resource model).

    Returns
    -------
    ndarray, shape (T, K).
    """
    if not t0 > 0:
        raise ValueError(f"t0 must be > 0, got {t0!r}")
    start = t0 * np.arange(int(n_tasks))
    return np.clip((np.asarray(t, float)[:, None] - start[None, :]) / t0, 0.0, 1.0)


def parallel_skills(t, timescales):
    """Parallel ("quanta") learning: s_i(t) = 1 - exp(-t / tau_i), all tasks start at t = 0.

    Parameters
    ----------
    t : array (T,)
    timescales : array (K,)
        tau_i > 0.

    Returns
    -------
    ndarray, shape (T, K).
    """
    tau = np.asarray(timescales, float)
    if not np.all(tau > 0):
        raise ValueError(f"timescales must be > 0, got {timescales!r}")
    return 1 - np.exp(-np.asarray(t, float)[:, None] / tau[None, :])
