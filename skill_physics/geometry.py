"""The Geometry model (arXiv:2501.12391, Figs 4-8): many independent runs as one tensor program.

Run r has parameters x_r in R^N (0 at the start), task vectors v_{r,k} and frequencies p_{r,k}. Its skill on task k
is s = v.x with loss l = (1 - s)^2 ('mse'), or s = sigmoid(v.x) with l = -log s ('ce'); the objective is
L = sum_k p_k l_k. Runs share no state: stacking them changes nothing, and their random numbers follow their seeds.
"""
from dataclasses import dataclass

import numpy as np
import torch

from .optim import make_optimizer
from .resource import LOSSES
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

GRADIENTS = ("expected", "batch")


@dataclass
class GeometryRecord:
    """What ``train_geometry`` recorded: row t of each array is the state after ``steps[t]`` updates."""

    steps: np.ndarray               # (T,) int
    skills: np.ndarray              # (T, R, K) skills s_k
    loss: np.ndarray                # (T, R) float64, L = sum_k p_k l_k
    n_align: np.ndarray | None      # (T, R, K) aligned dimensions #{i: v_{k,i} (-g_i) > 0}, g without noise
    x: np.ndarray                   # (R, N) parameters at the last record


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


def residuals(z, loss, rounded_sigmoid=False):
    """r = 1 - s, with dl/dz = -2r ('mse') or -r ('ce'); ``rounded_sigmoid``: CE's r from sigmoid(z) in the dtype of
    z, 0 once it rounds to 1 (z > ~17 in float32), as autograd through a float32 network computes it."""
    if loss == "mse":
        return 1 - z
    return 1 - torch.sigmoid(z) if rounded_sigmoid else torch.sigmoid(-z)


def population_loss(z, p, loss, rounded_sigmoid=False):
    """L = sum_k p_k l_k (R,) in float64 of logits and frequencies (R, K); ``rounded_sigmoid`` as in ``residuals``."""
    if rounded_sigmoid:
        per_task = (1 - z) ** 2 if loss == "mse" else -torch.log(torch.sigmoid(z))
        return (p * per_task.double()).sum(-1)
    z = z.double()
    per_task = (1 - z) ** 2 if loss == "mse" else torch.nn.functional.softplus(-z)
    return (p * per_task).sum(-1)


def gradient_weights(residual, p, counts, batch_size, loss, gradient, scale=1.0):
    """Weights w (R, K) of g = sum_k w_k v_k: -c p_k r_k, the gradient of L ('expected'), or -c (n_k / B) r_k, that of
    a batch of B tasks with n_k draws of task k ('batch'); c = 2 scale (MSE) or scale (CE)."""
    factor = (2.0 if loss == "mse" else 1.0) * scale
    share = p if gradient == "expected" else counts / batch_size
    return -factor * share * residual


def _runs(*shapes):
    sizes = {s for s in shapes if s is not None}
    if len(sizes - {1}) > 1:
        raise ValueError(f"per-run arguments disagree on the number of runs: {sorted(sizes)}")
    return max(sizes | {1})


def train_geometry(vectors, frequencies, *, steps, lr, optimizer="signgd", loss="mse", gradient="expected",
                   batch_size=128, gradient_scale=1.0, noise=0.0, seeds=0, record=None, record_align=False,
                   optimizer_options=None, dtype=torch.float32, device="cpu", progress=False, draws=None,
                   rounded_sigmoid=False):
    """Train R independent Geometry-model runs at once; the defaults descend L exactly with SignGD from x = 0.
    Parameters
    ----------
    vectors, frequencies : arrays (K, N) and (K,) shared by all runs, or (R, K, N) and (R, K)
        Task vectors v_k and frequencies p (rows sum to 1); zero rows with p = 0 pad runs with fewer tasks.
    steps : int
        Number of updates; record t (``record``, default 0 .. steps) is the state after t updates.
    lr, noise, seeds, batch_size : scalars or arrays (R,)
        Learning rate; noise sigma (g + sigma xi, xi ~ N(0, I)); seed of batches and noise; tasks per batch B.
    optimizer, optimizer_options : str and dict
        A key of ``optim.OPTIMIZERS`` ('signgd', 'adam', 'sgd', ...) and its extra settings (e.g. ``betas``).
    loss, gradient : {'mse', 'ce'} and {'expected', 'batch'}
        l = (1 - s)^2 or -log s; the gradient of L or of a batch's mean loss, times ``gradient_scale``.
    record_align : bool
        Also record aligned-dimension counts.
    draws : random stream, optional
        Batches and noise, with the methods of ``rng.CounterRNG`` (the default, of ``seeds``).
    rounded_sigmoid : bool
        CE's residual and loss from sigmoid(z) in ``dtype`` (see ``residuals``).
    dtype, device, progress
        Of the computation; ``progress`` (bool or a label) shows a progress bar.

    Returns
    -------
    GeometryRecord
    """
    _check_settings(loss, gradient, steps, lr, batch_size, noise, gradient_scale)
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
    steps_rec = record_indices(record, steps, default=np.arange(steps + 1))
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
            losses[row] = population_loss(z, p, loss, rounded_sigmoid)
        if t == last and align is None:
            break                                 # updates after the last record would not be seen
        counts = None if gradient == "expected" else draws.categorical_counts(t, cdf, sizes).to(dtype)
        w = gradient_weights(residuals(z, loss, rounded_sigmoid), p.to(dtype), counts, sizes[:, None].to(dtype),
                             loss, gradient, gradient_scale)
        g = combine(V, w)
        if align is not None and row is not None:
            align[row] = ((V * (-g)[:, None, :]) > 0).sum(-1, dtype=torch.int32)   # (R, K, N) summed over N
        if t == last:
            break
        if noisy:
            g = g + sigma * draws.normal("noise", t, N, dtype)
        x = opt.step(x, g)
        bar.update()
    bar.close()
    return GeometryRecord(steps=steps_rec, skills=skills.cpu().numpy(), loss=losses.cpu().numpy(),
                          n_align=None if align is None else align.cpu().numpy(), x=x.cpu().numpy())


def _check_settings(loss, gradient, steps, lr, batch_size, noise, gradient_scale):
    check_choice("loss", loss, LOSSES)
    check_choice("gradient", gradient, GRADIENTS)
    check_steps(steps)
    check_positive("lr", lr)
    check_positive("gradient_scale", gradient_scale)
    check_positive("batch_size", batch_size)
    check_counts("batch_size", batch_size)
    check_finite("noise", noise, low=0)
