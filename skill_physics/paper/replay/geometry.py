"""The original code's draws of the Geometry-model figures (arXiv 2501.12391, Figs 4-8, 15): task vectors, batches
and gradient noise, as an implementation of the random stream that ``train_geometry`` reads (``draws=``).
"""
import numpy as np
import torch

from ...util import check_choice
from .streams import choice_cdf, clone, generators, state_key

# The original's two batch gradients, in ``train_geometry``'s terms: "autograd" (the batch loss through torch's
# autograd) and "mimic", its MSE gradient written by hand without the 2 of d(1 - s)^2/ds: the gradient of l / 2.
AUTOGRAD = {"gradient": "batch"}
MIMIC = {"gradient": "batch", "gradient_scale": 0.5}


def original_record(steps):
    """The records of the original's loop of ``steps`` updates: it logs the state before each update, 0 .. steps - 1,
    so the state after its last update is never seen."""
    return np.arange(steps)


def original_fit_updates(n_records):
    """The update counts of the Resource-model states that the original's N0 fit compares with Geometry records
    0 .. n_records - 1: record t (after t updates) meets the Resource model after t + 1."""
    return np.arange(1, n_records + 1)


class OriginalGeometryDraws:
    """The original code's per-step draws of R stacked runs, each from its own generator pair.

    Each step of the original's training loop draws its batch with NumPy's legacy ``choice(K, B, p=p)`` (B uniforms of
    ``random_sample``) and then, in some figures, ``torch.randn(n)`` of gradient noise (drawn even where sigma = 0
    or the noise is multiplied by 0). The two generators are independent, so each is read on its own, in blocks of
    steps; runs whose generators are in the same state share their draws.

    Parameters
    ----------
    pairs : sequence of R (torch.Generator, numpy.random.RandomState)
        Each run's generators at the start of its training loop (after its setup draws); copied, not advanced.
    batch_size : int or array (R,)
        Uniforms per step of each run.
    noise_size : int or array (R,)
        Normals per step of each run's ``torch.randn(noise_size)`` (0: the original draws no noise); runs with
        fewer than the most get zeros after their own.
    block : int
        Steps drawn at once (fewer where R * B is large).
    """

    def __init__(self, pairs, batch_size, noise_size=0, block=512):
        self.n_runs = len(pairs)
        self.sizes = np.broadcast_to(np.asarray(batch_size, dtype=np.int64), (self.n_runs,)).copy()
        self.noise_sizes = np.broadcast_to(np.asarray(noise_size, dtype=np.int64), (self.n_runs,)).copy()
        self.noise_size = int(self.noise_sizes.max())
        # at most ~2^22 uniforms (32 MiB) per block
        self.block = max(1, min(int(block), 2 ** 22 // (self.n_runs * int(self.sizes.max()))))
        # the first run with the same generator states and the same draws per step draws for all of them
        keys = [(state_key(pair), int(b), int(n)) for pair, b, n in zip(pairs, self.sizes, self.noise_sizes)]
        self.source = [keys.index(k) for k in keys]
        self.pairs = {r: clone(pairs[r]) for r in set(self.source)}
        self.start = -self.block
        self.uniforms = self.noise = None

    def cdf(self, p):
        """The choice tables (R, K) of the frequencies p (R, K), as the original's ``choice`` forms them."""
        return torch.as_tensor(np.stack([choice_cdf(row) for row in p.cpu().numpy()]), device=p.device)

    def _draw(self, start):
        """Draw steps start .. start + block - 1 of every run."""
        b_max = int(self.sizes.max())
        uniforms = np.zeros((self.block, self.n_runs, b_max))
        noise = np.zeros((self.block, self.n_runs, self.noise_size), dtype=np.float32)
        drawn = {}
        for r, src in enumerate(self.source):
            if src not in drawn:
                gen, state = self.pairs[src]
                # one call per step: the same stream as the original's (block, B) draws, and torch's normals depend
                # on the size of each call (below 16 they come from a scalar path)
                n = int(self.noise_sizes[src])
                drawn[src] = (state.random_sample((self.block, self.sizes[src])),
                              np.stack([torch.randn(n, generator=gen).numpy() for _ in range(self.block)])
                              if n else None)
            u, xi = drawn[src]
            uniforms[:, r, :self.sizes[r]] = u
            if xi is not None:
                noise[:, r, :xi.shape[1]] = xi
        self.start, self.uniforms, self.noise = start, uniforms, noise

    def _row(self, step):
        if not self.start <= step < self.start + self.block:
            if step != self.start + self.block:
                raise ValueError(f"original streams are read step by step; step {step} after {self.start}")
            self._draw(step)
        return step - self.start

    def categorical_counts(self, step, cdf, batch_size):
        """Per-task counts (R, K) of step ``step``'s batches: the original's ``choice`` draws, counted.

        ``cdf`` (R, K) must be ``cdf(p)`` for the indices to equal ``choice``.
        """
        row = self._row(step)   # before reading self.uniforms: it may draw the next block
        u = torch.as_tensor(self.uniforms[row], device=cdf.device)
        idx = torch.searchsorted(cdf, u, right=True)
        keep = (torch.arange(u.shape[1], device=cdf.device)[None, :]
                < torch.as_tensor(self.sizes, device=cdf.device)[:, None]).to(cdf.dtype)
        return torch.zeros_like(cdf).scatter_add_(1, idx, keep)

    def normal(self, stream, step, n, dtype=torch.float32):
        """The first n of step ``step``'s ``noise_size`` normals, shape (R, n); ``stream`` is ignored."""
        if n > self.noise_size:
            raise ValueError(f"the original draws {self.noise_size} normals per step, {n} were asked for")
        row = self._row(step)
        return torch.as_tensor(self.noise[row][:, :n]).to(dtype)

def original_orthogonal_rows(generator, n_tasks, n_dim):
    """The original's orthogonal task vectors: the first K rows of U of the SVD of a float32 ``randn(N, N)`` drawn
    from ``generator`` (advanced by N^2 normals). Returns a (K, N) float32 tensor.

    LAPACK may choose other signs for the singular vectors, i.e. flip whole columns of U, which flips the same
    coordinates of every task vector. SignGD, Adam and SGD act coordinate by coordinate and commute with such flips,
    so the skills do not depend on the signs (tests/test_replay_geometry.py checks this bit for bit).
    """
    gaussian = torch.randn(int(n_dim), int(n_dim), generator=generator)
    return torch.linalg.svd(gaussian, full_matrices=False)[0][:int(n_tasks)]


def original_vectors(generator, kind, n_tasks, n_dim, discard=None):
    """Task vectors as the original draws them from ``generator``: a ``randn(*discard)`` drawn and never used, then
    float32 ``u = randn(K, N)``.

    Parameters
    ----------
    generator : torch.Generator
        Advanced by the draws.
    kind : {'random_unit', 'random_scaled'}
        'random_unit': u divided by its row norms; 'random_scaled': ``u / sqrt(N)`` with sqrt(N) a float32 tensor.
    n_tasks, n_dim : int
        K and N.
    discard : tuple of int, optional
        Shape of a Gaussian matrix the original draws first and never uses (Figs 7 bottom, 8, 15).

    Returns
    -------
    torch.Tensor, shape (K, N), float32
    """
    check_choice("kind", kind, ("random_unit", "random_scaled"))
    if discard:
        torch.randn(*discard, generator=generator)
    u = torch.randn(int(n_tasks), int(n_dim), generator=generator)
    if kind == "random_unit":
        return u / torch.norm(u, dim=1, keepdim=True)
    return u / torch.sqrt(torch.tensor(float(n_dim)))


def original_unit_vectors(seed, n_tasks, n_dim):
    """``original_vectors`` of kind 'random_unit' right after ``manual_seed(seed)`` (the sweep's task vectors)."""
    return original_vectors(generators(seed)[0], "random_unit", n_tasks, n_dim)


def original_start(seed, kind, n_tasks, n_dim, discard=None):
    """A run that seeds torch and NumPy with ``seed`` and then draws its vectors (``original_vectors``).

    Returns
    -------
    pair : (torch.Generator, numpy.random.RandomState), where the run's training loop starts
    vectors : torch.Tensor, shape (K, N), float32
    """
    pair = generators(seed)
    return pair, original_vectors(pair[0], kind, n_tasks, n_dim, discard)


def original_draws(pairs, batch_size, noise_size=0):
    """The ``train_geometry`` arguments of a replay: the runs' ``OriginalGeometryDraws`` and the original's float32
    sigmoid (``rounded_sigmoid=True``)."""
    return {"draws": OriginalGeometryDraws(pairs, batch_size, noise_size), "rounded_sigmoid": True}
