"""The Domino model in closed form (arXiv:2501.12391, Fig. 9) and the parallel model it is contrasted with."""
import numpy as np


def domino_skills(t, n_tasks, t0):
    """Serial learning, shape (T, K) for times t (T,): task i ramps linearly from 0 at (i - 1) t0 to 1 at i t0,
    t0 > 0 steps per task (1 / eta_eff when derived from the Resource model)."""
    if not t0 > 0:
        raise ValueError(f"t0 must be > 0, got {t0!r}")
    start = t0 * np.arange(int(n_tasks))
    return np.clip((np.asarray(t, float)[:, None] - start[None, :]) / t0, 0.0, 1.0)


def parallel_skills(t, timescales):
    """Parallel learning, shape (T, K): every task starts at t = 0, s_i(t) = 1 - exp(-t / tau_i), tau (K,) > 0."""
    tau = np.asarray(timescales, float)
    if not np.all(tau > 0):
        raise ValueError(f"timescales must be > 0, got {timescales!r}")
    return 1 - np.exp(-np.asarray(t, float)[:, None] / tau[None, :])

