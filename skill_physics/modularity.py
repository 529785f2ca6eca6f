"""Modularity and the Domino effect in a real MLP (arXiv 2501.12391, Sec. 5, Fig. 19).

Two regression tasks share one SiLU MLP: task 1 (frequent) maps x1 to x1^2 on output 1, task 2 (rare) x2 to x2^2 on
output 2. A modular MLP masks its weights block-diagonally, so each task has its own half of every layer. R runs,
each from its own seeded generator, train as one batched program."""
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from . import mlp
from .measure import crossing_times
from .util import check_steps
from .util import progress as progress_bar


def block_masks(widths, n_modules):
    """Block-diagonal 0/1 weight masks, (in, out) float32 per layer: unit j of a layer of width w is in module
    floor(j n_modules / w), and a weight joins units of one module only."""
    if any(w < n_modules for w in widths):
        raise ValueError(f"every width must be >= n_modules={n_modules}, got widths={list(widths)}")
    groups = [torch.arange(w) * n_modules // w for w in widths]
    return [(g_in[:, None] == g_out[None, :]).float() for g_in, g_out in zip(groups[:-1], groups[1:])]


def two_task_data(generator, n_samples=1000, frequent_fraction=0.99):
    """x (B, 2), target (B, 2), mask (B, 2) of the supervised output and task (B,): x ~ U[-1, 1]^2, then a random
    int(B frequent_fraction) samples are task 1's (x2 = 0), the others task 2's (x1 = 0)."""
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


@dataclass
class TwoTaskRun:
    """Records of R runs; record t is the MLPs after t updates, t = 0 ... steps."""

    mse: np.ndarray      # (steps + 1, R, 2) float32: each task's MSE; NaN once the run has left the stack
    n_rare: np.ndarray   # (R,): task-2 samples per run


def train_two_task(seeds, modular, *, widths=(2, 100, 100, 2), steps=1000, lr=5e-4, betas=(0.9, 0.999),
                   n_samples=1000, frequent_fraction=0.99, threshold=1e-3, stop_when_learned=True, chunk_size=25,
                   progress=False):
    """Train R two-task MLPs full-batch with Adam on the mean of mask (f(x) - target)^2 over all B x 2 entries.

    Parameters
    ----------
    seeds : R ints; run r's initialisation, then its data, come from a generator seeded with seeds[r]
    modular : bool or R bools, the runs with block-diagonal masks (two modules)
    steps : int, the number of updates
    threshold : float; a task is learned once its MSE is below it
    stop_when_learned : bool; drop a run from the stack once both its tasks are learned (the others do not change)
    chunk_size : int, runs per stacked program (larger stacks' activations page-fault at every update)

    Returns
    -------
    TwoTaskRun
    """
    seeds = [int(s) for s in seeds]
    n_runs = len(seeds)
    check_steps(steps)
    check_steps(chunk_size, "chunk_size")
    modular = torch.as_tensor(modular, dtype=torch.bool).expand(n_runs)
    mse = torch.full((steps + 1, n_runs, 2), float("nan"))
    n_rare = np.empty(n_runs)
    chunks = range(0, n_runs, chunk_size)
    bar = progress_bar(total=steps * len(chunks), desc="two-task MLPs", enabled=progress)
    for c in chunks:
        part = slice(c, c + chunk_size)
        n_rare[part] = _train_stack(seeds[part], modular[part], mse[:, part], bar, widths=widths, lr=lr,
                                    betas=betas, n_samples=n_samples, frequent_fraction=frequent_fraction,
                                    threshold=threshold, stop_when_learned=stop_when_learned)
    bar.close()
    return TwoTaskRun(mse.numpy(), n_rare)


def _train_stack(seeds, modular, mse, bar, *, widths, lr, betas, n_samples, frequent_fraction, threshold,
                 stop_when_learned):
    """Train the runs ``seeds`` as one program, writing their MSEs into ``mse`` (steps + 1, R, 2); return n_rare."""
    generators = [torch.Generator().manual_seed(s) for s in seeds]
    params = [[p.requires_grad_() for p in layer] for layer in mlp.init_mlp(generators, widths, torch.float32)]
    data = [two_task_data(g, n_samples, frequent_fraction) for g in generators]
    x, target, mask = (torch.stack([d[i] for d in data]) for i in range(3))
    n_rare = mask[:, :, 1].sum(1).numpy()
    # non-modular runs get all-ones masks, so both models share one program
    masks = [torch.where(modular[:, None, None], m, torch.ones_like(m)) for m in block_masks(widths, 2)]
    optimizer = torch.optim.Adam(_flat(params), lr=lr, betas=betas)
    active = torch.arange(len(seeds))              # indices of the runs still in the stack
    learned = torch.zeros(len(seeds), 2, dtype=torch.bool)
    for t in range(len(mse)):
        pred = mlp.forward(params, x, F.silu, masks)
        with torch.no_grad():
            mse[t, active] = task_mse(pred, target, mask)
            learned |= mse[t, active] < threshold
        if t == len(mse) - 1:
            break
        # the sum over runs of each run's mean loss: run r's gradient is its own loss's
        loss = ((pred - target) ** 2 * mask).mean(dim=(1, 2)).sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        bar.update(1)
        done = learned.all(1)
        if stop_when_learned and done.any():
            if done.all():
                break
            keep = torch.nonzero(~done).squeeze(1)
            params, optimizer = _keep_runs(params, optimizer, keep)
            x, target, mask, learned, active = x[keep], target[keep], mask[keep], learned[keep], active[keep]
            masks = [m[keep] for m in masks]
    return n_rare


def learned_at(mse, threshold=1e-3):
    """Each task's learning time: the first record t with MSE < threshold, len(mse) if none; (T, ...) -> (...)."""
    t = np.atleast_1d(crossing_times(mse, threshold, above=False))
    t[np.isnan(t)] = len(mse)
    return t.reshape(np.shape(mse)[1:])
