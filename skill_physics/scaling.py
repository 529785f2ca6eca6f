"""Scaling exponents the theories predict (arXiv:2501.12391, Figs 10 and 11) for task frequencies p_k ∝ k^-alpha:
the loss falls as N^-alpha_N with model size N and as S^-alpha_S with training steps S."""
import numpy as np


def quanta_alpha_N(alpha):
    """The quanta model's alpha_N (skills learned in parallel)."""
    return np.asarray(alpha, float) - 1


def quanta_alpha_S(alpha):
    """The quanta model's alpha_S."""
    alpha = np.asarray(alpha, float)
    return (alpha - 1) / alpha


def domino_alpha(alpha):
    """The Domino model's alpha_N = alpha_S (skills learned one after another)."""
    return np.asarray(alpha, float) - 1
