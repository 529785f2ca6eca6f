"""The rotated quadratic of Fig 12 (arXiv:2501.12391, Fig. 12), R runs stacked.

Loss l = sum_i c_i u_i^2 with u = R theta; the components l_i = u_i^2 play the role of skills. With R = I each
coordinate of theta serves one component (basis-aligned); with a rotation every coordinate serves all of them.
"""
import numpy as np
import torch

from .optim import make_optimizer


def hadamard(n):
    """The normalised Sylvester-Hadamard matrix H_n / sqrt(n) (orthogonal, symmetric), n a power of 2, float64."""
    if n < 1 or n & (n - 1):
        raise ValueError(f"n must be a power of 2, got {n!r}")
    h = np.ones((1, 1))
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h / np.sqrt(n)


def train_quadratic(rotations, weights, theta0, *, steps, lr, optimizer, dtype=torch.float32, optimizer_options=None):
    """Optimise R stacked quadratics and record their components before each update.

    Parameters
    ----------
    rotations : array (R, n, n)
        Rotation R of each run.
    weights : array (n,)
        Component weights c.
    theta0 : array (n,)
        Initial parameters (shared).
    steps : int
        Number of updates; records t = 0 .. steps - 1.
    lr : float or array (R,)
    optimizer : str
        A key of ``optim.OPTIMIZERS`` ('sgd', 'signgd', ...).
    dtype : torch dtype of theta and of the computation (the paper: float32).

    Returns
    -------
    ndarray (steps, R, n): l_i = (R theta)_i^2 at record t.
    """
    rot = torch.as_tensor(np.asarray(rotations), dtype=dtype)
    c = torch.as_tensor(np.asarray(weights), dtype=dtype)
    theta = torch.as_tensor(np.asarray(theta0), dtype=dtype).expand(rot.shape[0], -1).clone()
    opt = make_optimizer(optimizer, theta, lr, **(optimizer_options or {}))
    components = torch.empty((steps, *theta.shape), dtype=dtype)
    for t in range(steps):
        u = torch.einsum("rij,rj->ri", rot, theta)
        components[t] = u * u
        grad = torch.einsum("rji,rj->ri", rot, 2 * c * u)    # d/dtheta sum_i c_i u_i^2 = 2 R^T (c * u)
        theta = opt.step(theta, grad)
    return components.numpy()
