"""The Geometry model engine (arXiv:2501.12391): many independent runs as one tensor program.

Run r has parameters x_r in R^N (x_r = 0 at start), task vectors v_{r,k} (rows of V) and frequencies p_{r,k}.
Its skill on task k is s = v.x (loss 'mse') or s = sigmoid(v.x) (loss 'ce'). Each step draws a batch of B tasks,
forms a gradient g = sum_k w_k v_k, optionally adds noise sigma * xi, and takes an element-wise optimizer step.
Stacking runs along a leading axis R is exact: every operation acts on each row alone, and the random numbers of a
run depend on its own seed only (see ``rng``).
"""
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from . import replay
from .optim import make_optimizer
from .rng import CounterRNG
from .tasks import check_choice, check_positive

LOSSES = ("mse", "ce")
# the paper code's names: 'mimic'; 'autograd' = autograd_mse / autograd_ce (by the loss); 'full_expectation'
GRADIENTS = ("mimic", "autograd", "full_expectation")


@dataclass
class GeometryRecord:
    """What ``train_geometry`` recorded.

    Attributes
    ----------
    steps : ndarray (T,)        record indices: entry t holds the state after steps[t] updates
    skills : ndarray (T, R, K)  s_k per run
    loss : ndarray (T, R)       population loss sum_k p_k l_k (float64)
    n_align : ndarray (T, R, K) or None   aligned dimensions #{i: v_{k,i} (-g_i) > 0} of the noise-free gradient
    x : ndarray (R, N)          parameters at the last record (after steps[-1] updates)
    """

    steps: np.ndarray
    skills: np.ndarray
    loss: np.ndarray
    n_align: np.ndarray | None
    x: np.ndarray


def project(vectors, x):
    """Logits z_{r,k} = v_{r,k} . x_r, shape (R, K); ``vectors`` is (K, N) shared or (R, K, N) per run."""
    if vectors.dim() == 2:
        return x @ vectors.T
    return torch.bmm(vectors, x[:, :, None])[:, :, 0]


def combine(vectors, weights):
    """g_r = sum_k w_{r,k} v_{r,k}, shape (R, N), for weights of shape (R, K)."""
    if vectors.dim() == 2:
        return weights @ vectors
    return torch.bmm(weights[:, None, :], vectors)[:, 0, :]


def skills_from_logits(z, loss):
    """Skill s = z ('mse') or sigmoid(z) ('ce')."""
    return z if loss == "mse" else torch.sigmoid(z)


def population_loss(z, p, loss, original=False):
    """sum_k p_k l_k in float64: l = (1 - z)^2 ('mse') or -log sigmoid(z) ('ce'); z, p of shape (R, K).

    ``original``: l_k in the dtype of z, as the original computes it from its float32 skills, then summed in float64.
    A float32 sigmoid rounds to 1 above z ~ 17, so this loss stops at ~1e-7 (Fig 15's AdEMAMix at K = 10, sigma = 0
    reads that floor) where the float64 loss goes on falling.
    """
    if original:
        per_task = (1 - z) ** 2 if loss == "mse" else -torch.log(torch.sigmoid(z))
        return (p * per_task.double()).sum(-1)
    z = z.double()
    per_task = (1 - z) ** 2 if loss == "mse" else torch.nn.functional.softplus(-z)
    return (p * per_task).sum(-1)


def gradient_weights(z, p, counts, batch_size, loss, gradient, original=False):
    """Weights w (R, K) of the gradient g = sum_k w_k v_k.

    'mimic' (MSE without the factor 2): w = -(n_k / B) (1 - s_k); 'autograd': the true gradient of the batch loss,
    -(2 n_k / B)(1 - s_k) for MSE and -(n_k / B)(1 - sigmoid(z_k)) for CE; 'full_expectation': the gradient of
    (1/K) sum_k p_k l_k, i.e. -(2/K) p_k (1 - s_k) (MSE) or -(1/K) p_k (1 - sigmoid(z_k)) (CE).
    n_k are the per-task counts of the batch. ``original``: the CE residual 1 - sigmoid(z) as autograd forms it from
    the float32 sigmoid (0 once sigmoid rounds to 1), not sigmoid(-z).
    """
    if loss == "mse":
        residual = 1 - z
    else:
        residual = 1 - torch.sigmoid(z) if original else torch.sigmoid(-z)
    factor = 2.0 if (loss == "mse" and gradient != "mimic") else 1.0
    if gradient == "full_expectation":
        return -(factor / z.shape[1]) * p * residual
    return -factor * (counts / batch_size) * residual


class OriginalStreams:
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
        keys = [(replay.state_key(pair), int(b), int(n)) for pair, b, n in zip(pairs, self.sizes, self.noise_sizes)]
        self.source = [keys.index(k) for k in keys]
        self.pairs = {r: replay.clone(pairs[r]) for r in set(self.source)}
        self.start = -self.block
        self.uniforms = self.noise = None

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

        ``cdf`` (R, K) must be ``replay.choice_cdf`` of each run's frequencies for the indices to equal ``choice``.
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


def original_start(seed, kind, n_tasks, n_dim, discard=None):
    """A run that seeds torch and NumPy with ``seed`` and then draws its vectors (``original_vectors``).

    Returns
    -------
    pair : (torch.Generator, numpy.random.RandomState), where the run's training loop starts
    vectors : torch.Tensor, shape (K, N), float32
    """
    pair = replay.generators(seed)
    return pair, original_vectors(pair[0], kind, n_tasks, n_dim, discard)


def _runs(*shapes):
    """Number of stacked runs R implied by the leading axes of per-run arguments (1 if all are shared)."""
    sizes = {s for s in shapes if s is not None}
    if len(sizes - {1}) > 1:
        raise ValueError(f"per-run arguments disagree on the number of runs: {sorted(sizes)}")
    return max(sizes | {1})


def train_geometry(vectors, frequencies, *, steps, lr, optimizer="signgd", loss="mse", gradient="mimic",
                   batch_size=128, noise=0.0, seeds=0, record=None, record_align=False, optimizer_options=None,
                   dtype=torch.float32, device="cpu", progress=False, rng="counter", streams=None):
    """Train R independent Geometry-model runs at once.

    Parameters
    ----------
    vectors : array or tensor, shape (K, N) shared by all runs, or (R, K, N)
        Task vectors (rows). Zero rows with zero frequency pad runs with fewer tasks; zero columns pad runs with fewer
        dimensions (a coordinate with zero gradient never moves under SGD, Adam or SignGD).
    frequencies : array, shape (K,) or (R, K)
        Task frequencies p (each row sums to 1).
    steps : int
        Length of the run, > 0: record indices lie in [0, steps]. Updates run up to the last record, so the default
        record (0 .. steps - 1: the paper code's log before each of its ``steps`` updates) makes steps - 1 updates,
        and a record ending at ``steps`` makes all of them.
    lr : float or array (R,)
        Learning rate per run, > 0.
    optimizer : str
        A key of ``optim.OPTIMIZERS``: 'signgd', 'adam', 'sgd', ...
    loss : {'mse', 'ce'}
    gradient : {'mimic', 'autograd', 'full_expectation'}
        'mimic' needs loss 'mse'; 'full_expectation' ignores batch_size (no sampling).
    batch_size : int or array (R,)
        B task samples per step, drawn as Categorical(p) counts, > 0.
    noise : float or array (R,)
        Gradient-noise scale sigma, >= 0: g <- g + sigma xi, xi ~ N(0, I_N).
    seeds : int or array (R,)
        Seed of each run's batches and noise under ``rng='counter'`` (runs with equal seeds share their random
        numbers).
    record : array of int, optional
        Record indices in [0, steps]; index t is the state after t updates, taken before update t + 1.
        Default: 0 .. steps - 1 (the paper code's "before each update").
    record_align : bool
        Also record aligned-dimension counts.
    optimizer_options : dict, optional
        Extra hyperparameters of the optimizer (e.g. ``betas``), scalars or per-run arrays.
    dtype, device : torch dtype and device of the computation.
    progress : bool or str
        Show a progress bar (a string is its label).
    rng : {'counter', 'original'}
        'counter': draws from ``rng.CounterRNG`` of ``seeds``. 'original': the draws of ``streams``, the original
        code's generators, and the original's float32 arithmetic where it shows (the CE residual 1 - sigmoid(z) and
        the per-task loss; see ``gradient_weights`` and ``population_loss``); batch indices come from the choice cdf
        of ``replay.choice_cdf``.
    streams : OriginalStreams, optional
        Each run's draws; needed by (and only by) ``rng='original'``.

    Returns
    -------
    GeometryRecord
    """
    check_choice("loss", loss, LOSSES)
    check_choice("gradient", gradient, GRADIENTS)
    replay.check_rng(rng)
    original = rng == "original"
    if original != (streams is not None):
        raise ValueError("rng='original' needs streams=OriginalStreams(...), and only it takes streams")
    if gradient == "mimic" and loss != "mse":
        raise ValueError("gradient='mimic' is defined for loss='mse' only; use gradient='autograd' for loss='ce'")
    if not (isinstance(steps, (int, np.integer)) and steps > 0):
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    check_positive("lr", lr)
    check_positive("batch_size", batch_size)
    if not np.all(np.asarray(noise) >= 0):
        raise ValueError(f"noise must be >= 0, got {noise!r}")

    V = torch.as_tensor(vectors, dtype=dtype).to(device)
    p = torch.as_tensor(np.asarray(frequencies, dtype=np.float64), device=device)
    if V.dim() not in (2, 3) or p.shape[-1] != V.shape[-2]:
        raise ValueError(f"vectors must be (K, N) or (R, K, N) and frequencies (K,) or (R, K) with the same K; "
                         f"got {tuple(V.shape)} and {tuple(p.shape)}")
    R = _runs(V.shape[0] if V.dim() == 3 else None, p.shape[0] if p.dim() == 2 else None,
              *(np.size(a) for a in (lr, noise, seeds, batch_size)))
    K, N = V.shape[-2], V.shape[-1]
    p = p.reshape(-1, K).expand(R, K)
    if original:
        if streams.n_runs != R:
            raise ValueError(f"streams hold {streams.n_runs} runs, the other arguments {R}")
        cdf = torch.as_tensor(np.stack([replay.choice_cdf(row) for row in p.cpu().numpy()]), device=device)
    else:
        cdf = torch.cumsum(p, dim=1)
        cdf = cdf / cdf[:, -1:]
    sizes = torch.as_tensor(batch_size, device=device).reshape(-1).expand(R)
    sigma = torch.as_tensor(noise, dtype=dtype, device=device).reshape(-1, 1).expand(R, 1)
    noisy = bool((sigma > 0).any())
    draws = streams if original else CounterRNG(np.broadcast_to(np.asarray(seeds, dtype=np.int64), (R,)).copy(),
                                                device)

    steps_rec = np.arange(steps) if record is None else np.unique(np.asarray(record, dtype=np.int64))
    if steps_rec.size == 0 or steps_rec[0] < 0 or steps_rec[-1] > steps:
        raise ValueError(f"record indices must lie in [0, steps={steps}]")
    row_of = {int(t): i for i, t in enumerate(steps_rec)}
    skills = torch.empty((len(steps_rec), R, K), dtype=dtype, device=device)
    losses = torch.empty((len(steps_rec), R), dtype=torch.float64, device=device)
    align = torch.empty((len(steps_rec), R, K), dtype=torch.int32, device=device) if record_align else None

    x = torch.zeros((R, N), dtype=dtype, device=device)
    opt = make_optimizer(optimizer, x, lr, **(optimizer_options or {}))
    last = int(steps_rec[-1])
    bar = tqdm(total=last, desc=progress if isinstance(progress, str) else "geometry", disable=not progress,
               mininterval=0.5, leave=False)
    for t in range(last + 1):
        z = project(V, x)
        row = row_of.get(t)
        if row is not None:
            skills[row] = skills_from_logits(z, loss)
            losses[row] = population_loss(z, p, loss, original)
        if t == last and align is None:
            break                                 # no update follows the last record
        counts = None if gradient == "full_expectation" else draws.categorical_counts(t, cdf, sizes).to(dtype)
        g = combine(V, gradient_weights(z, p.to(dtype), counts, sizes[:, None].to(dtype), loss, gradient, original))
        if align is not None and row is not None:
            # (K, N) or (R, K, N) times (R, 1, N): both broadcast to (R, K, N)
            align[row] = ((V * (-g)[:, None, :]) > 0).sum(-1, dtype=torch.int32)
        if t == last:
            break                                 # the last record's alignment needed its gradient, not its update
        if noisy:
            g = g + sigma * draws.normal("noise", t, N, dtype)
        x = opt.step(x, g)
        bar.update()
    bar.close()
    return GeometryRecord(steps=steps_rec, skills=skills.cpu().numpy(), loss=losses.cpu().numpy(),
                          n_align=None if align is None else align.cpu().numpy(), x=x.cpu().numpy())

