"""The rotated quadratic of arXiv:2501.12391, Fig. 12: l = sum_i c_i u_i^2 with u = R theta, R runs stacked.

Its components l_i = u_i^2 are the skills: with R = I each coordinate of theta serves one (basis-aligned), under a
rotation every coordinate serves all of them.
"""
from dataclasses import dataclass

import numpy as np
import torch

from .optim import make_optimizer
from .util import check_steps


@dataclass
class QuadraticRecord:
    """What ``train_quadratic`` recorded; entry t is the state after t updates."""

    steps: np.ndarray        # (T + 1,) update counts 0 .. T
    components: np.ndarray   # (T + 1, R, n) l_i = (R theta)_i^2
    theta: np.ndarray        # (R, n) parameters after T updates


def hadamard(n):
    """The normalised Sylvester-Hadamard matrix H_n / sqrt(n) (orthogonal, symmetric), n a power of 2, float64."""
    if n < 1 or n & (n - 1):
        raise ValueError(f"n must be a power of 2, got {n!r}")
    h = np.ones((1, 1))
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h / np.sqrt(n)


def train_quadratic(rotations, weights, theta0, *, steps, lr, optimizer, dtype=torch.float32, optimizer_options=None):
    """Optimise R stacked quadratics for ``steps`` updates; returns a ``QuadraticRecord``.

    rotations (R, n, n) holds each run's R, weights (n,) the c_i, theta0 (n,) the start shared by the runs; lr is a
    float or (R,), optimizer a key of ``optim.OPTIMIZERS`` ('sgd', 'signgd', ...), dtype that of the computation.
    """
    check_steps(steps)
    rot = torch.as_tensor(np.asarray(rotations), dtype=dtype)
    c = torch.as_tensor(np.asarray(weights), dtype=dtype)
    theta = torch.as_tensor(np.asarray(theta0), dtype=dtype).expand(rot.shape[0], -1).clone()
    opt = make_optimizer(optimizer, theta, lr, **(optimizer_options or {}))
    components = torch.empty((steps + 1, *theta.shape), dtype=dtype)
    for t in range(steps + 1):
        u = torch.einsum("rij,rj->ri", rot, theta)
        components[t] = u * u
        if t < steps:
            grad = torch.einsum("rji,rj->ri", rot, 2 * c * u)    # d/dtheta sum_i c_i u_i^2 = 2 R^T (c * u)
            theta = opt.step(theta, grad)
    return QuadraticRecord(steps=np.arange(steps + 1), components=components.numpy(), theta=theta.numpy())
