"""Modularity and the Domino effect in a real MLP (arXiv:2501.12391, Fig. 19).

Two regression tasks share one network: task 1 (frequent) maps x1 to x1^2 on output 1, task 2 (rare) maps x2 to
x2^2 on output 2. A modular MLP multiplies its weights by fixed block-diagonal 0/1 masks, so each task has its own
half of every layer. R runs train as one tensor program (stacked weights, batched matmuls, one element-wise Adam);
each draws its initialisation and data from its own seeded generator, as ``nn.Linear`` would, so a stacked run
equals the run alone.
"""

import numpy as np
import torch
import torch.nn.functional as F

from .measure import crossing_times
from .mlp import stacked_forward, stacked_linear_init
from .util import check_steps, progress


def block_masks(widths, n_modules):
    """Block-diagonal 0/1 weight masks that split every layer into ``n_modules`` equal consecutive groups.

    Unit j of a layer of width w belongs to module floor(j * n_modules / w); a weight is kept only between units of
    the same module. For widths (2, 100, 100, 2) and two modules: input 1 -> hidden units 1-50 -> 1-50 -> output 1
    and input 2 -> 51-100 -> 51-100 -> output 2.

    Parameters
    ----------
    widths : sequence of int
        Layer widths, input first; each at least ``n_modules``.
    n_modules : int

    Returns
    -------
    list of tensors (in, out), float32, one per layer.
    """
    if any(w < n_modules for w in widths):
        raise ValueError(f"every width must be >= n_modules={n_modules}, got widths={list(widths)}")
    groups = [torch.arange(w) * n_modules // w for w in widths]
    return [(g_in[:, None] == g_out[None, :]).float() for g_in, g_out in zip(groups[:-1], groups[1:])]


def init_mlps(widths, seeds):
    """Stacked default initialisations of R MLPs, run r drawn from ``torch.Generator().manual_seed(seeds[r])``.

    Parameters
    ----------
    widths : sequence of int
        Layer widths, input first.
    seeds : sequence of int, length R

    Returns
    -------
    params : list of [weight (R, in, out), bias (R, out)] per layer, float32, requires_grad
    generators : list of R generators, advanced past the initialisation (draw the run's data from them next)
    """
    weights, biases, generators = stacked_linear_init(seeds, widths, torch.float32)
    return [[w.requires_grad_(), b.requires_grad_()] for w, b in zip(weights, biases)], generators


def mlp_forward(params, x, masks=None):
    """Batched MLP with SiLU after every hidden layer: ``mlp.stacked_forward`` of params [(weight (R, in, out),
    bias (R, out)), ...] on x (R, B, in) with the optional fixed 0/1 weight masks -> (R, B, out)."""
    return stacked_forward(params, x, F.silu, masks)


def two_task_data(generator, n_samples=1000, frequent_fraction=0.99):
    """Samples of the two regression tasks, drawn from ``generator``.

    x ~ U[-1, 1]^2; a random subset of int(n_samples * frequent_fraction) points are task-1 samples (x2 = 0, target
    (x1^2, 0), only output 1 supervised), the others task-2 samples (x1 = 0, target (0, x2^2), output 2 supervised).

    Returns
    -------
    x : tensor (B, 2); target : tensor (B, 2); mask : tensor (B, 2) of 0/1 (supervised outputs);
    task : tensor (B,) of int64, 0 or 1.
    """
    x = torch.rand(n_samples, 2, generator=generator) * 2 - 1
    task = torch.ones(n_samples, dtype=torch.long)
    task[torch.randperm(n_samples, generator=generator)[:int(n_samples * frequent_fraction)]] = 0
    mask = F.one_hot(task, 2).float()
    x = x * mask                    # task 1 keeps x1 only, task 2 keeps x2 only
    return x, x ** 2 * mask, mask, task


def task_mse(pred, target, mask):
    """Per-task MSE over each task's own samples and its supervised output; shapes (R, B, 2) -> (R, 2)."""
    return ((pred - target) ** 2 * mask).sum(1) / mask.sum(1)


def _flat(params):
    return [p for layer in params for p in layer]


def _keep_runs(params, optimizer, keep):
    """The stacked parameters and Adam state of the runs ``keep`` only (a new optimizer over the smaller stack)."""
    kept = [[p.detach()[keep].clone().requires_grad_() for p in layer] for layer in params]
    new = torch.optim.Adam(_flat(kept), lr=optimizer.defaults["lr"], betas=optimizer.defaults["betas"])
    for old, p in zip(_flat(params), _flat(kept)):
        state = optimizer.state[old]
        new.state[p] = {"step": state["step"].clone(), "exp_avg": state["exp_avg"][keep].clone(),
                        "exp_avg_sq": state["exp_avg_sq"][keep].clone()}
    return kept, new


def train_two_task(seeds, modular, *, widths=(2, 100, 100, 2), steps=1000, lr=5e-4, betas=(0.9, 0.999),
                   n_samples=1000, frequent_fraction=0.99, threshold=1e-3, stop_when_learned=True, chunk_size=25,
                   progress_bar=False):
    """Train R two-task MLPs (full batch, Adam), stacked into batched programs, and record each task's MSE.

    Parameters
    ----------
    seeds : sequence of int, length R
        Run r's initialisation and data come from a generator seeded with seeds[r].
    modular : bool or sequence of bool, length R
        Which runs use the block-diagonal masks (two modules).
    widths, steps, lr, betas, n_samples, frequent_fraction
        Architecture, number of Adam steps, Adam settings, data size and the frequent task's share.
    threshold : float
        A task is learned once its MSE is below this.
    stop_when_learned : bool
        Drop a run from the stack once both of its tasks have been learned (its learning times are known; the runs
        are independent, so the others are unchanged). Its MSE record is NaN from then on.
    chunk_size : int
        Runs stacked into one program; chunks run one after the other. Larger stacks do the same arithmetic, but
        their activations (runs x samples x width floats, 80 MB at 200 runs) are allocated outside the heap at every
        step and the page faults double the CPU time; 25 runs (10 MB) avoid that.
    progress_bar : bool

    Returns
    -------
    dict with 'mse' (steps, R, 2) float32: each task's MSE of the prediction before update t (the training loss is the
    mean over all B x 2 entries of mask * (pred - target)^2); 'n_rare' (R,): number of task-2 samples per run.
    """
    seeds = [int(s) for s in seeds]
    n_runs = len(seeds)
    check_steps(steps)
    check_steps(chunk_size, "chunk_size")
    modular = torch.as_tensor(modular, dtype=torch.bool).expand(n_runs)
    mse = torch.full((steps, n_runs, 2), float("nan"))
    n_rare = np.empty(n_runs)
    chunks = range(0, n_runs, chunk_size)
    bar = progress(total=steps * len(chunks), desc="two-task MLPs", enabled=progress_bar)
    for c in chunks:
        part = slice(c, c + chunk_size)
        n_rare[part] = _train_stack(seeds[part], modular[part], mse[:, part], bar, widths=widths, lr=lr,
                                    betas=betas, n_samples=n_samples, frequent_fraction=frequent_fraction,
                                    threshold=threshold, stop_when_learned=stop_when_learned)
    bar.close()
    return {"mse": mse.numpy(), "n_rare": n_rare}


def _train_stack(seeds, modular, mse, bar, *, widths, lr, betas, n_samples, frequent_fraction, threshold,
                 stop_when_learned):
    """Train the runs ``seeds`` as one stacked program, writing their task MSEs into ``mse`` (steps, R, 2).

    Returns the number of task-2 samples per run, (R,).
    """
    n_runs = len(seeds)
    params, generators = init_mlps(widths, seeds)
    data = [two_task_data(g, n_samples, frequent_fraction) for g in generators]
    x, target, mask = (torch.stack([d[i] for d in data]) for i in range(3))
    n_rare = mask[:, :, 1].sum(1).numpy()
    # non-modular runs get all-ones masks, so both models share one program
    masks = [torch.where(modular[:, None, None], m, torch.ones_like(m)) for m in block_masks(widths, 2)]
    optimizer = torch.optim.Adam(_flat(params), lr=lr, betas=betas)
    active = torch.arange(n_runs)                  # indices of the runs still in the stack
    learned = torch.zeros(n_runs, 2, dtype=torch.bool)
    for t in range(len(mse)):
        bar.update(1)
        pred = mlp_forward(params, x, masks)
        with torch.no_grad():
            mse[t, active] = task_mse(pred, target, mask)
            learned |= mse[t, active] < threshold
        # sum over runs of each run's mean loss: run r's gradient is its own loss's gradient
        loss = ((pred - target) ** 2 * mask).mean(dim=(1, 2)).sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        done = learned.all(1)
        if stop_when_learned and done.any():
            if done.all():
                break
            keep = torch.nonzero(~done).squeeze(1)
            params, optimizer = _keep_runs(params, optimizer, keep)
            x, target, mask, learned, active = x[keep], target[keep], mask[keep], learned[keep], active[keep]
            masks = [m[keep] for m in masks]
    return n_rare


def learning_times(mse, threshold=1e-3):
    """t_i = first step whose task-i MSE is < threshold, or the number of steps if never; (steps, ...) -> (...)."""
    t = np.atleast_1d(crossing_times(mse, threshold, above=False))
    t[np.isnan(t)] = len(mse)
    return t.reshape(np.shape(mse)[1:])
