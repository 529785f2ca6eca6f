"""Tasks of the Geometry model: power-law frequencies and task-vector constructions (arXiv:2501.12391)."""
import numpy as np
import torch

from .util import check_choice, check_counts, check_finite

VECTOR_KINDS = ("orthogonal", "random_unit", "random_scaled", "basis_zero")


def power_law_frequencies(n_tasks, alpha):
    """Task frequencies p_k = k^-alpha / sum_j j^-alpha, k = 1..n_tasks (task 1 most frequent).

    Parameters
    ----------
    n_tasks : int
        Number of tasks K >= 1.
    alpha : float
        Frequency exponent, >= 0 (alpha = 0 gives uniform frequencies).

    Returns
    -------
    numpy.ndarray, shape (K,), float64, summing to 1.
    """
    check_counts("n_tasks", n_tasks)
    check_finite("alpha", alpha, low=0)
    w = np.arange(1, int(n_tasks) + 1, dtype=np.float64) ** (-float(alpha))
    return w / w.sum()


def task_vectors(kind, n_tasks, n_dim, seed=0, generator=None):
    """Draw the task vectors v_k as the rows of a (K, N) float32 tensor.

    Parameters
    ----------
    kind : {'orthogonal', 'random_unit', 'random_scaled', 'basis_zero'}
        'orthogonal': first K rows of the orthogonal factor U of the SVD of an N x N Gaussian matrix (needs K <= N);
        'random_unit': K i.i.d. N(0, I_N) vectors scaled to unit norm;
        'random_scaled': K i.i.d. N(0, I_N / N) vectors, not normalised;
        'basis_zero': rows 1..N the standard basis, rows N+1..K zero (deterministic; the "modular" model).
    n_tasks, n_dim : int
        K and N.
    seed : int
        Seed of a fresh ``torch.Generator`` (ignored when ``generator`` is given).
    generator : torch.Generator, optional
        Draw from this generator instead, so that consecutive calls give new vectors.

    Returns
    -------
    torch.Tensor, shape (K, N), float32, on the CPU.
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
