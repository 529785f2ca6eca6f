"""The original code's random streams (``rng="original"``): the paper's own runs, draw for draw.

One module per kind of draw: ``streams`` (its generators), ``geometry`` (task vectors, batches, noise), ``parity``
(the sparse-parity data and batch orders), ``grokking`` (split and initialisation). Under ``rng="counter"`` the
figures draw the core's own counter-based numbers instead: runs like the paper's, not the paper's.
"""
from ...util import check_choice

RNGS = ("original", "counter")


def check_rng(rng):
    """Raise ValueError unless ``rng`` is one of ``RNGS``."""
    check_choice("rng", rng, RNGS)
