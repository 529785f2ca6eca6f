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

from .optim import make_optimizer
from .rng import CounterRNG
from .util import (
    check_choice,
    check_counts,
    check_finite,
    check_frequencies,
    check_positive,
    check_steps,
    record_indices,
)
from .util import progress as progress_bar

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


def population_loss(z, p, loss, stable=True):
    """sum_k p_k l_k in float64: l = (1 - z)^2 ('mse') or -log sigmoid(z) ('ce'); z, p of shape (R, K).

    ``stable=False``: l_k in the dtype of z from its sigmoid, as a float32 network computes it, then summed in float64.
    A float32 sigmoid rounds to 1 above z ~ 17, so that loss stops at ~1e-7 where the stable one goes on falling.
    """
    if not stable:
        per_task = (1 - z) ** 2 if loss == "mse" else -torch.log(torch.sigmoid(z))
        return (p * per_task.double()).sum(-1)
    z = z.double()
    per_task = (1 - z) ** 2 if loss == "mse" else torch.nn.functional.softplus(-z)
    return (p * per_task).sum(-1)


def gradient_weights(z, p, counts, batch_size, loss, gradient, stable=True):
    """Weights w (R, K) of the gradient g = sum_k w_k v_k.

    'mimic' (MSE without the factor 2): w = -(n_k / B) (1 - s_k); 'autograd': the gradient of the batch loss,
    -(2 n_k / B)(1 - s_k) for MSE and -(n_k / B)(1 - sigmoid(z_k)) for CE; 'full_expectation': the gradient of the
    population loss sum_k p_k l_k, -2 p_k (1 - s_k) (MSE) or -p_k (1 - sigmoid(z_k)) (CE). n_k are the per-task
    counts of the batch. ``stable=False``: the CE residual 1 - sigmoid(z) from the sigmoid in the dtype of z (0 once
    it rounds to 1, as autograd through a float32 network gives it), not sigmoid(-z).
    """
    if loss == "mse":
        residual = 1 - z
    else:
        residual = torch.sigmoid(-z) if stable else 1 - torch.sigmoid(z)
    factor = 2.0 if (loss == "mse" and gradient != "mimic") else 1.0
    if gradient == "full_expectation":
        return -factor * p * residual
    return -factor * (counts / batch_size) * residual


def _runs(*shapes):
    """Number of stacked runs R implied by the leading axes of per-run arguments (1 if all are shared)."""
    sizes = {s for s in shapes if s is not None}
    if len(sizes - {1}) > 1:
        raise ValueError(f"per-run arguments disagree on the number of runs: {sorted(sizes)}")
    return max(sizes | {1})


def train_geometry(vectors, frequencies, *, steps, lr, optimizer="signgd", loss="mse", gradient="mimic",
                   batch_size=128, noise=0.0, seeds=0, record=None, record_align=False, optimizer_options=None,
                   dtype=torch.float32, device="cpu", progress=False, draws=None, stable=True):
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
        record (0 .. steps - 1: the paper's log before each of its ``steps`` updates) makes steps - 1 updates, and a
        record ending at ``steps`` makes all of them.
    lr : float or array (R,)
        Learning rate per run, > 0.
    optimizer : str
        A key of ``optim.OPTIMIZERS``: 'signgd', 'adam', 'sgd', ...
    loss : {'mse', 'ce'}
    gradient : {'mimic', 'autograd', 'full_expectation'}
        'mimic' needs loss 'mse'; 'full_expectation' descends the population loss that ``record.loss`` reports
        (no sampling: batch_size is ignored).
    batch_size : int or array (R,)
        B task samples per step, drawn as Categorical(p) counts, > 0.
    noise : float or array (R,)
        Gradient-noise scale sigma, >= 0: g <- g + sigma xi, xi ~ N(0, I_N).
    seeds : int or array (R,)
        Seed of each run's batches and noise (runs with equal seeds share their random numbers).
    record : array of int, optional
        Record indices in [0, steps]; index t is the state after t updates, taken before update t + 1 (the clock of
        ``resource_model(..., start=True)``). Default: 0 .. steps - 1.
    record_align : bool
        Also record aligned-dimension counts.
    optimizer_options : dict, optional
        Extra hyperparameters of the optimizer (e.g. ``betas``), scalars or per-run arrays.
    dtype, device : torch dtype and device of the computation.
    progress : bool or str
        Show a progress bar (a string is its label).
    draws : random stream of R runs, optional
        Where the batches and the noise come from: an object with ``n_runs``, ``cdf(p)``,
        ``categorical_counts(step, cdf, batch_size)`` and ``normal(stream, step, n, dtype)``, such as
        ``rng.CounterRNG`` (the default, of ``seeds``).
    stable : bool
        Compute the CE residual and the loss in their stable float64 forms; False: from the sigmoid in ``dtype``, as
        autograd through a float32 network does (see ``gradient_weights`` and ``population_loss``).

    Returns
    -------
    GeometryRecord
    """
    _check_settings(loss, gradient, steps, lr, batch_size, noise)
    check_frequencies("frequencies", frequencies, normalized=True)
    V = torch.as_tensor(vectors, dtype=dtype).to(device)
    p = torch.as_tensor(np.asarray(frequencies, dtype=np.float64), device=device)
    if V.dim() not in (2, 3) or p.shape[-1] != V.shape[-2]:
        raise ValueError(f"vectors must be (K, N) or (R, K, N) and frequencies (K,) or (R, K) with the same K; "
                         f"got {tuple(V.shape)} and {tuple(p.shape)}")
    R = _runs(V.shape[0] if V.dim() == 3 else None, p.shape[0] if p.dim() == 2 else None,
              *(np.size(a) for a in (lr, noise, seeds, batch_size)))
    K, N = V.shape[-2], V.shape[-1]
    p = p.reshape(-1, K).expand(R, K)
    if draws is None:
        draws = CounterRNG(np.broadcast_to(np.asarray(seeds, dtype=np.int64), (R,)).copy(), device)
    if draws.n_runs != R:
        raise ValueError(f"draws hold {draws.n_runs} runs, the other arguments {R}")
    steps_rec = record_indices(record, steps, default=np.arange(steps))
    skills = torch.empty((len(steps_rec), R, K), dtype=dtype, device=device)
    losses = torch.empty((len(steps_rec), R), dtype=torch.float64, device=device)
    align = torch.empty((len(steps_rec), R, K), dtype=torch.int32, device=device) if record_align else None
    x = torch.zeros((R, N), dtype=dtype, device=device)
    opt = make_optimizer(optimizer, x, lr, **(optimizer_options or {}))
    sizes = torch.as_tensor(np.asarray(batch_size).astype(np.int64), device=device).reshape(-1).expand(R)
    sigma = torch.as_tensor(noise, dtype=dtype, device=device).reshape(-1, 1).expand(R, 1)
    noisy, cdf = bool((sigma > 0).any()), draws.cdf(p)
    row_of = {int(t): i for i, t in enumerate(steps_rec)}
    last = int(steps_rec[-1])
    bar = progress_bar(total=last, desc="geometry", enabled=progress)
    for t in range(last + 1):
        z = project(V, x)
        row = row_of.get(t)
        if row is not None:
            skills[row] = skills_from_logits(z, loss)
            losses[row] = population_loss(z, p, loss, stable)
        if t == last and align is None:
            break                                 # no update follows the last record
        counts = None if gradient == "full_expectation" else draws.categorical_counts(t, cdf, sizes).to(dtype)
        g = combine(V, gradient_weights(z, p.to(dtype), counts, sizes[:, None].to(dtype), loss, gradient, stable))
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


def _check_settings(loss, gradient, steps, lr, batch_size, noise):
    """Raise ValueError, naming the argument, for settings ``train_geometry`` cannot run."""
    check_choice("loss", loss, LOSSES)
    check_choice("gradient", gradient, GRADIENTS)
    if gradient == "mimic" and loss != "mse":
        raise ValueError("gradient='mimic' is defined for loss='mse' only; use gradient='autograd' for loss='ce'")
    check_steps(steps)
    check_positive("lr", lr)
    check_positive("batch_size", batch_size)
    check_counts("batch_size", batch_size)
    check_finite("noise", noise, low=0)
