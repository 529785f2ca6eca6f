"""Multitask sparse parity learned by a one-hidden-layer ReLU MLP (arXiv 2501.12391, Sec. 4, Fig. 2, App. Fig. 16).

Task k's label is the parity of a subset of 32 random bits. Linear(32, 50) -> ReLU -> Linear(50, K) trains full-batch
with Adam on the MSE to the labels; a task of frequency p carries loss on a fresh random p n of the n rows at each
update, the loss still divided by all n K entries. R runs, each from its own seed, train as one batched program."""
from dataclasses import dataclass

import numpy as np
import torch

from . import mlp
from .util import check_steps
from .util import progress as progress_bar

N_BITS = 32
N_SAMPLES = 10_000
HIDDEN = 50
LEARNING_RATE = 1e-3                              # Adam, betas (0.9, 0.999), eps 1e-8
TWO_PARITIES = ((0, 1), (2, 3))                   # x1⊕x2 and x3⊕x4 (Fig 2 Case 1 and bottom row)
COMPOSITION = ((0, 1), (2, 3), (0, 1, 2, 3))      # ... and their composition (Fig 2 Case 2, Fig 16 E1)
INDEPENDENT = ((0, 1), (2, 3), (4, 5, 6, 7))      # ... and an unrelated 4-bit parity (Fig 16 E2)


def data_seed(seed):
    """Seed of a run's data generator, independent of the initialisation's."""
    return int(np.random.SeedSequence([int(seed), 0xDA7A]).generate_state(1, np.uint64)[0] >> 1)


def parity_labels(bits, tasks):
    """Parities (n, K) of bits (n, n_bits) in {0, 1}; ``tasks`` holds K subsets of 0-based bit indices."""
    return torch.stack([bits[:, list(t)].sum(-1) % 2 for t in tasks], dim=-1)


@dataclass
class ParityData:
    """Training rows and test rows (other rows, or the training rows themselves)."""

    x_train: torch.Tensor   # (n_train, n_bits), {0, 1}
    y_train: torch.Tensor   # (n_train, K), {0, 1}
    x_test: torch.Tensor    # (n_test, n_bits)
    y_test: torch.Tensor    # (n_test, K)


def check_data_settings(tasks, n_bits, train_fraction):
    """Raise ValueError for task bits outside the input or a training fraction outside (0, 1]."""
    if any(not 0 <= b < n_bits for t in tasks for b in t):
        raise ValueError(f"task bits must lie in 0..{n_bits - 1}, got tasks={tasks!r}")
    if not 0 < train_fraction <= 1:
        raise ValueError(f"train_fraction must be in (0, 1], got {train_fraction!r}")


def parity_data(seed, tasks, n_samples=N_SAMPLES, n_bits=N_BITS, train_fraction=1.0, dtype=torch.float64):
    """A run's data set of fair bits: all rows train and test (Fig 2 Case 1), or a random fraction trains (Case 2)."""
    check_data_settings(tasks, n_bits, train_fraction)
    g = torch.Generator().manual_seed(data_seed(seed))
    x = torch.randint(0, 2, (n_samples, n_bits), generator=g).to(dtype)
    y = parity_labels(x, tasks)
    if train_fraction == 1:
        return ParityData(x, y, x, y)
    order, n_train = torch.randperm(n_samples, generator=g), round(train_fraction * n_samples)
    train, test = order[:n_train], order[n_train:]
    return ParityData(x[train], y[train], x[test], y[test])


def stack_data(datasets):
    """Training rows of R data sets stacked along a run axis: x (R, n, n_bits), y (R, n, K)."""
    return torch.stack([d.x_train for d in datasets]), torch.stack([d.y_train for d in datasets])


def task_row_counts(frequencies, n_rows):
    """Rows that carry each task's loss at an update, p n_rows, int64 (R, K); ValueError unless a whole number."""
    p = np.asarray(frequencies, float)
    counts = np.rint(p * n_rows)
    if np.any(p <= 0) or np.any(p > 1) or not np.allclose(counts, p * n_rows, rtol=0, atol=1e-6):
        raise ValueError(f"task frequencies must lie in (0, 1] and give a whole number of the {n_rows} rows, "
                         f"got {p.tolist()!r}")
    return torch.as_tensor(counts, dtype=torch.int64)


def frequency_mask(orders, counts, dtype=torch.float64):
    """Which rows carry which task's loss, (R, n, K) of {0, 1}: row orders[r, j] carries task k if j < counts[r, k]."""
    rank = torch.empty_like(orders)
    rank.scatter_(1, orders, torch.arange(orders.shape[1]).expand_as(orders))
    return (rank[:, :, None] < counts[:, None, :]).to(dtype)


def masked_mse(outputs, y, mask=None):
    """Each run's training loss (R,): the sum of mask (f(x) - y)^2 over its n K entries, / (n K)."""
    err2 = (outputs - y) ** 2
    return (err2 if mask is None else mask * err2).sum((1, 2)) / (y.shape[1] * y.shape[2])


def correct_counts(outputs, y):
    """Rows whose output is on the label's side of 1/2, per run and task: (R, n, K) -> int64 (R, K)."""
    return ((outputs > 0.5) == (y > 0.5)).sum(1)


def autograd_pass(layers, x, y, mask=None, backward=True):
    """Loss (R,) and correct counts (R, K) of the current MLPs; with ``backward``, the gradient in each ``.grad``."""
    with torch.set_grad_enabled(backward):
        outputs = mlp.forward(layers, x, torch.relu)
        loss = masked_mse(outputs, y, mask)
    if backward:
        params = [p for layer in layers for p in layer]
        # the runs are independent: the gradient of the sum is each run's own
        for p, grad in zip(params, torch.autograd.grad(loss.sum(), params)):
            p.grad = grad
    return loss.detach(), correct_counts(outputs.detach(), y)


@dataclass
class ParityRun:
    """Records of R stacked runs; record t is the MLP after t updates, t = 0 ... steps."""

    correct: np.ndarray         # (steps + 1, R, K) int64: training rows classified right
    train_rmse: np.ndarray      # (steps + 1, R): sqrt of the training loss on the rows drawn for update t + 1
    test_accuracy: np.ndarray   # (R, K): the final MLP's accuracy on the test rows (NaN without test rows)
    n_train: int

    @property
    def accuracy(self):
        """Training accuracy, (steps + 1, R, K)."""
        return self.correct / self.n_train


def _draw_orders(streams, generators, runs, n_rows):
    """The next update's row orders (len(runs), n_rows) of ``runs``: from their streams, or their generators."""
    if streams is None:
        orders = [torch.randperm(n_rows, generator=generators[r]) for r in runs]
    else:       # every stream moves on at each update, whether a run reads it or not
        drawn = {stream: stream.batch_order() for stream in dict.fromkeys(streams)}
        orders = [drawn[streams[r]] for r in runs]
    return torch.stack(orders) if runs else None


def train_parity_mlps(x, y, seeds, frequencies=None, *, steps, hidden=HIDDEN, lr=LEARNING_RATE, x_test=None,
                      y_test=None, streams=None, backprop=None, progress=False):
    """Train R MLPs full-batch with Adam on multitask sparse parity, as one batched program.

    Parameters
    ----------
    x, y : tensors (R, n, n_bits) and (R, n, K), of {0, 1}
    seeds : R ints, the runs' initialisations (and without ``streams`` their row orders)
    frequencies : array (R, K) or (K,) in (0, 1], each p n a whole number of rows; default all 1
    steps : int, the number of updates
    x_test, y_test : tensors (R, n_test, n_bits), (R, n_test, K), optional
    streams : R objects whose ``batch_order()`` orders the rows of an update, a task of frequency p on the first p n
        (runs given one object share its draws); default a ``randperm`` of each run's generator
    backprop : callable (layers, n_rows) -> a pass like ``autograd_pass``, optional

    Returns
    -------
    ParityRun
    """
    n_runs, n_rows, n_bits = x.shape
    n_tasks = y.shape[-1]
    if len(seeds) != n_runs or tuple(y.shape[:2]) != (n_runs, n_rows) or (streams is not None
                                                                           and len(streams) != n_runs):
        raise ValueError(f"x {tuple(x.shape)}, y {tuple(y.shape)}, {len(seeds)} seeds and the streams disagree on "
                         "runs or rows")
    check_steps(steps)
    p = np.ones(n_tasks) if frequencies is None else np.asarray(frequencies, float)
    counts = task_row_counts(np.broadcast_to(p, (n_runs, n_tasks)), n_rows)
    sampled = [r for r in range(n_runs) if bool((counts[r] < n_rows).any())]
    generators = [torch.Generator().manual_seed(int(s)) for s in seeds]
    layers = [tuple(q.to(x.device).requires_grad_() for q in layer)
              for layer in mlp.init_mlp(generators, (n_bits, hidden, n_tasks), x.dtype)]
    step_pass = autograd_pass if backprop is None else backprop(layers, n_rows)
    optimizer = torch.optim.Adam([q for layer in layers for q in layer], lr=lr, betas=(0.9, 0.999), eps=1e-8)
    mask = torch.ones_like(y) if sampled else None
    correct = np.empty((steps + 1, n_runs, n_tasks), dtype=np.int64)
    rmse = np.empty((steps + 1, n_runs))
    bar = progress_bar(total=steps, desc="MLP steps", enabled=progress)
    for t in range(steps + 1):
        orders = _draw_orders(streams, generators, sampled, n_rows)
        if sampled:
            mask[sampled] = frequency_mask(orders, counts[sampled], y.dtype).to(y.device)
        loss, right = step_pass(layers, x, y, mask, backward=t < steps)
        rmse[t], correct[t] = loss.sqrt().cpu().numpy(), right.cpu().numpy()
        if t < steps:
            optimizer.step()
            bar.update()
    bar.close()
    test_accuracy = np.full((n_runs, n_tasks), np.nan)
    if x_test is not None and x_test.shape[1] > 0:
        with torch.no_grad():
            outputs = mlp.forward(layers, x_test, torch.relu)
        test_accuracy = (correct_counts(outputs, y_test).double() / x_test.shape[1]).cpu().numpy()
    return ParityRun(correct, rmse, test_accuracy, n_rows)


def counter_parity_data(seed, tasks, n_samples, train_fraction):
    """``parity_data`` and no order stream: the default ``draw_data`` of ``parity_experiment``."""
    return parity_data(seed, tasks, n_samples, train_fraction=train_fraction), None


def parity_experiment(seeds, tasks, *, steps, frequencies=None, n_samples=N_SAMPLES, train_fraction=1.0,
                      draw_data=counter_parity_data, backprop=None, device="cpu", progress=False):
    """Draw each run's data from its seed (``draw_data``: its data set and row-order stream, None for the counter
    streams) and train all runs as one batched program: ``train_parity_mlps``'s ``ParityRun``.

    Parameters
    ----------
    seeds : R ints; runs with equal seeds share their data
    tasks : K bit subsets, e.g. ``COMPOSITION``
    draw_data : callable (seed, tasks, n_samples, train_fraction) -> (ParityData, stream or None)
    """
    drawn = {s: draw_data(s, tasks, n_samples, train_fraction) for s in dict.fromkeys(seeds)}
    streams = [drawn[s][1] for s in seeds]
    data = [drawn[s][0] for s in seeds]
    x, y = stack_data(data)
    x_test, y_test = (torch.stack([getattr(d, k) for d in data]).to(device) for k in ("x_test", "y_test"))
    return train_parity_mlps(x.to(device), y.to(device), list(seeds), frequencies, steps=steps, x_test=x_test,
                             y_test=y_test, streams=None if streams[0] is None else streams, backprop=backprop,
                             progress=progress)

