"""Tasks of the Geometry model (arXiv:2501.12391, Sec. 3): power-law frequencies and task vectors."""
import numpy as np
import torch

from .util import check_choice, check_counts, check_finite

VECTOR_KINDS = ("orthogonal", "random_unit", "random_scaled", "basis_zero")


def power_law_frequencies(n_tasks, alpha):
    """Task frequencies p_k = k^-alpha / sum_j j^-alpha, k = 1 .. K, alpha >= 0: shape (K,), float64."""
    check_counts("n_tasks", n_tasks)
    check_finite("alpha", alpha, low=0)
    w = np.arange(1, int(n_tasks) + 1, dtype=np.float64) ** (-float(alpha))
    return w / w.sum()


def task_vectors(kind, n_tasks, n_dim, seed=0, generator=None):
    """Task vectors v_k, the rows of a (K, N) float32 CPU tensor, K = n_tasks, N = n_dim.

    kind: 'orthogonal', the first K rows of the orthogonal factor of an N x N Gaussian matrix (K <= N); 'random_unit',
    N(0, I_N) vectors scaled to unit norm; 'random_scaled', N(0, I_N / N) vectors; 'basis_zero', the standard basis
    then zero rows (the modular model). Drawn from a fresh generator seeded with ``seed``, or from ``generator``.
    """
    check_choice("kind", kind, VECTOR_KINDS)
    check_counts("n_tasks", n_tasks)
    check_counts("n_dim", n_dim)
    K, N = int(n_tasks), int(n_dim)
    if kind == "orthogonal" and K > N:
        raise ValueError(f"kind='orthogonal' needs n_tasks <= n_dim, got n_tasks={K} > n_dim={N}")
    if kind == "basis_zero":
        return torch.eye(K, N, dtype=torch.float32)
    gen = generator if generator is not None else torch.Generator().manual_seed(int(seed))
    if kind == "orthogonal":
        # float64 SVD so that the rows are orthonormal to float32 precision
        u, _, _ = torch.linalg.svd(torch.randn(N, N, generator=gen, dtype=torch.float64))
        return u[:K].to(torch.float32)
    g = torch.randn(K, N, generator=gen, dtype=torch.float64)
    if kind == "random_unit":
        g = g / g.norm(dim=1, keepdim=True)
    else:  # random_scaled
        g = g / np.sqrt(N)
    return g.to(torch.float32)
