"""The original code's random streams (``rng="original"``): the paper's own runs, draw for draw.

The paper's code seeds each experiment with ``torch.manual_seed(s)`` and ``np.random.seed(s)`` and then draws in a
fixed order, so its runs are a pure function of the seed. Replaying them needs the same generators (PyTorch's CPU
Mersenne Twister, NumPy's legacy ``RandomState``), the same seeds, the same order and the same dtypes, discarded
draws included. This module holds the primitives; each experiment states its own order of draws.

Why not only the counter-based ``rng`` module: its draws do not depend on what was drawn before, which is what
stacked statistics need, but they are other numbers than the paper's. Under ``rng="original"`` a figure shows the
paper's runs; under ``rng="counter"`` it shows runs like them.
"""
import numpy as np
import torch

RNGS = ("original", "counter")


def check_rng(rng):
    """Raise ValueError unless ``rng`` is 'original' or 'counter'."""
    if rng not in RNGS:
        raise ValueError(f"rng={rng!r} is not allowed; choose one of {', '.join(map(repr, RNGS))}")


def generators(seed):
    """A fresh (torch.Generator, numpy RandomState) pair, the state of ``manual_seed(seed)`` and
    ``np.random.seed(seed)``."""
    return torch.Generator().manual_seed(int(seed)), np.random.RandomState(int(seed))


def choice_cdf(p):
    """The cumulative table of NumPy's legacy ``choice(K, size, p=p)``: cumsum(p) / its last entry, float64 (K,)."""
    cdf = np.cumsum(np.asarray(p, dtype=np.float64))
    cdf /= cdf[-1]
    return cdf


def choice(state, cdf, size):
    """Task indices of ``state.choice(K, size, p=p)``, bit for bit, given ``cdf = choice_cdf(p)``: ``size`` uniforms
    of ``random_sample``, each placed by a right-sided search (skips the legacy method's checks of p, ~10x faster)."""
    return cdf.searchsorted(state.random_sample(size), side="right")


def random_unit_vectors(seed, n_tasks, n_dim):
    """The original's random unit task vectors: ``manual_seed(seed)``, ``u = randn(K, N)`` in float32, each row
    divided by its float32 norm. Returns a (K, N) float32 tensor."""
    gen = torch.Generator().manual_seed(int(seed))
    u = torch.randn(int(n_tasks), int(n_dim), generator=gen, dtype=torch.float32)
    return u / torch.norm(u, dim=1, keepdim=True)


def power_law(n_tasks, alpha):
    """The original's task frequencies, ``1 / k**alpha`` normalised by their sum (k = 1..K), float64 (K,).

    Equal to ``tasks.power_law_frequencies`` up to rounding; replaying ``choice`` needs the same bits."""
    prob = 1 / (np.arange(int(n_tasks)) + 1) ** float(alpha)
    return prob / np.sum(prob)


def population_loss_ce(z, p):
    """The original's recorded CE loss, sum_k p_k (-log sigmoid(z_k)): sigmoid and log in the dtype of ``z``
    (float32: a skill that rounds to 1 adds exactly 0), the weighted sum in float64. z (..., K), p (..., K) -> (...)."""
    return (-torch.log(torch.sigmoid(z))).double().mul(p).sum(-1)
