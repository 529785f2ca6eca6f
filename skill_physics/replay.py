"""The original code's random streams (``rng="original"``): the paper's own runs, draw for draw.

The paper's code seeds each experiment with ``torch.manual_seed(s)`` and ``np.random.seed(s)`` and then draws in a
fixed order, so its runs are a pure function of the seed. Replaying them needs the same generators (PyTorch's CPU
Mersenne Twister, NumPy's legacy ``RandomState``), the same seeds, the same order and the same dtypes, discarded
draws included. This module holds the primitives; each experiment states its own order of draws.

Why not only the counter-based ``rng`` module: its draws do not depend on what was drawn before, which is what
stacked statistics need, but they are other numbers than the paper's. Under ``rng="original"`` a figure shows the
paper's runs; under ``rng="counter"`` it shows runs like them.
"""
import math

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


def linear_init(generator, fan_in, fan_out, dtype=torch.float64):
    """``nn.Linear(fan_in, fan_out)``'s default initialisation drawn from ``generator``: the weight, then the bias.

    The weight is ``kaiming_uniform_(a=sqrt(5))``, the bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)). Why torch's own
    initialiser for the weight: it computes its bound as sqrt(3) gain / sqrt(fan_in), one ulp below 1/sqrt(fan_in)
    in float64 for fan_in = 100 and 256, and every later step of a replay inherits that last bit.

    Returns
    -------
    weight : tensor (fan_out, fan_in), as nn.Linear stores it
    bias : tensor (fan_out,)
    """
    weight = torch.nn.init.kaiming_uniform_(torch.empty(fan_out, fan_in, dtype=dtype), a=math.sqrt(5),
                                            generator=generator)
    bound = 1 / math.sqrt(fan_in)
    bias = torch.empty(fan_out, dtype=dtype).uniform_(-bound, bound, generator=generator)
    return weight, bias


def power_law(n_tasks, alpha):
    """The original's task frequencies ``1 / (arange(K) + 1) ** alpha``, divided by their sum, float64 (K,).

    Equal to ``tasks.power_law_frequencies`` to the last bit or two: an integer ``alpha`` squares integers exactly
    where ``k ** -alpha`` rounds (K = 40, alpha = 2 differs), which moves a choice cdf by one ulp.
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
