"""The original code's draws of the grokking figure (arXiv 2501.12391, Fig 13): its split and initialisation.

The original seeds ``torch.manual_seed(seed)`` and ``np.random.seed(seed)`` with float64 as torch's default dtype,
builds the three ``nn.Linear`` layers (weight, then bias, layer by layer), draws the embedding
``torch.normal(0, 1, (p, d))``, then the split ``np.random.choice(p^2, int(0.8 p^2), replace=False)``.
"""
import numpy as np
import torch

from ...grokking import flatten, layer_widths, split_pairs
from ...mlp import init_mlp
from . import check_rng
from .streams import generators


def original_split(modulus, train_fraction, seed=0):
    """The original's split of seed ``seed``, as ``grokking.modular_addition_split`` returns a split:
    ``choice(p^2, int(p^2 f), replace=False)`` trains; the rest test, listed in the order the original lists them
    (the iteration order of a Python set difference; it changes only the rounding of the test mean)."""
    n_pairs = modulus * modulus
    train = generators(seed)[1].choice(n_pairs, int(n_pairs * train_fraction), replace=False)
    test = np.array(list(set(range(n_pairs)) - set(train.tolist())), dtype=np.int64)
    return split_pairs(train, test, modulus)


def original_parameters(shapes, seed=0):
    """The original's initialisation as a flat float64 row (P,): after ``manual_seed(seed)``, ``nn.Linear`` layers
    1, 2, 3 draw their weight then their bias, then the embedding is ``torch.normal(0, 1, (p, d))``."""
    gen = generators(seed)[0]
    layers = init_mlp([gen], layer_widths(shapes), torch.float64)
    embedding = torch.normal(0.0, 1.0, size=shapes["embedding"], generator=gen, dtype=torch.float64)
    return flatten(embedding, layers, shapes)


def grokking_streams(rng, modulus, train_fraction, shapes, seed):
    """The ``split`` and ``theta`` of ``grokking.train_grokking`` for ``rng``: 'original' (the paper code's draws)
    or 'counter' (none given: the core's own)."""
    check_rng(rng)
    if rng == "counter":
        return {}
    return {"split": original_split(modulus, train_fraction, seed), "theta": original_parameters(shapes, seed)}
