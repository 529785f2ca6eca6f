"""The original code's generators: seeding, copying and advancing them, and its batch and frequency arithmetic.

The paper's code seeds each experiment with ``torch.manual_seed(s)`` and ``np.random.seed(s)`` and then draws in a
fixed order, so its runs are a pure function of the seed. Replaying them needs the same generators (PyTorch's CPU
Mersenne Twister, NumPy's legacy ``RandomState``), seeds, order and dtypes, discarded draws included.
"""
import numpy as np
import torch


def generators(seed):
    """A fresh (torch.Generator, numpy RandomState) pair, the state of ``manual_seed(seed)`` and
    ``np.random.seed(seed)``."""
    return torch.Generator().manual_seed(int(seed)), np.random.RandomState(int(seed))


def choice_cdf(p):
    """The cumulative table of NumPy's legacy ``choice(K, size, p=p)``: cumsum(p) / its last entry, float64 (K,)."""
    cdf = np.cumsum(np.asarray(p, dtype=np.float64))
    cdf /= cdf[-1]
    return cdf


def original_power_law(n_tasks, alpha):
    """The original's task frequencies ``1 / (arange(K) + 1) ** alpha``, divided by their sum, float64 (K,).

    It differs from ``tasks.power_law_frequencies`` in the last bit or two (1 / k^alpha rounds otherwise than
    k^-alpha), which moves a choice cdf by one ulp and so some of the replayed draws.
    """
    prob = 1 / (np.arange(int(n_tasks)) + 1) ** alpha
    return prob / np.sum(prob)


def clone(pair):
    """An independent copy of a (torch.Generator, RandomState) pair, in the same state."""
    gen, state = pair
    gen_copy = torch.Generator()
    gen_copy.set_state(gen.get_state())
    state_copy = np.random.RandomState()
    state_copy.set_state(state.get_state())
    return gen_copy, state_copy


def state_key(pair):
    """Bytes that are equal for two pairs exactly when their generators are in the same state."""
    gen, state = pair
    name, words, pos, has_gauss, gauss = state.get_state()
    return gen.get_state().numpy().tobytes() + words.tobytes() + np.array([pos, has_gauss, gauss]).tobytes()


def advance(pair, steps, batch_size, noise_size):
    """Draw and discard one run of a training loop that draws, each step, ``batch_size`` uniforms of NumPy (the
    batch of ``choice``) and ``torch.randn(noise_size)`` (0: none). Later runs of the original's loops continue
    the stream, so each starts where this leaves ``pair``. Returns ``pair``, advanced in place."""
    gen, state = pair
    for start in range(0, int(steps), 4096):   # blocks: the same stream as one call per step, in less memory
        state.random_sample((min(4096, int(steps) - start), int(batch_size)))
    if noise_size:
        for _ in range(int(steps)):            # one call per step: torch's normals depend on the call's size
            torch.randn(int(noise_size), generator=gen)
    return pair


def loop_starts(pair, n_runs, steps, batch_size, noise_size=0):
    """Where each of ``n_runs`` consecutive runs of one of the original's loops, seeded once, starts its streams:
    run i after i runs of ``steps`` steps (see ``advance``). Returns n_runs cloned pairs; ``pair`` ends after them."""
    starts = []
    for _ in range(int(n_runs)):
        starts.append(clone(pair))
        advance(pair, steps, batch_size, noise_size)
    return starts
