"""Multitask sparse parity learned by a one-hidden-layer ReLU MLP (arXiv 2501.12391, Fig. 2 and Appendix Fig. 16).

Task k's label is the parity of a subset of 32 random bits. Linear(32, 50) -> ReLU -> Linear(50, K) trains full-batch
with Adam on the MSE to the {0, 1} labels; a task of frequency p < 1 carries loss on a fresh, uniformly random subset
of exactly p * n rows each step, the loss still divided by all n * K entries. R MLPs train at once as batched matrix
products; each run's random numbers (data, init, batch orders) come from its own seed, so a stacked run is the run
alone. Other streams, such as the paper code's own, enter through ``parity_experiment(draw_data=...)``.
"""
from dataclasses import dataclass

import numpy as np
import torch

from .mlp import linear_init, stacked_forward
from .util import check_steps
from .util import progress as progress_bar

N_BITS = 32            # input bits per sample
N_SAMPLES = 10_000     # data set size of the paper
HIDDEN = 50            # hidden ReLU units
LEARNING_RATE = 1e-3   # Adam, betas (0.9, 0.999), eps 1e-8


def data_seed(seed):
    """Seed of a run's data generator, derived from the run seed so that data and initialisation are independent."""
    return int(np.random.SeedSequence([int(seed), 0xDA7A]).generate_state(1, np.uint64)[0] >> 1)


def random_bits(n_samples, n_bits, generator, dtype=torch.float64):
    """Bits i.i.d. Bernoulli(1/2) in {0, 1}, shape (n_samples, n_bits); column 0 is x1."""
    return torch.randint(0, 2, (n_samples, n_bits), generator=generator).to(dtype)


def parity_labels(bits, tasks):
    """Parities of bit subsets.

    Parameters
    ----------
    bits : tensor (n, n_bits), values {0, 1}
    tasks : sequence of K sequences of 0-based bit indices, e.g. ((0, 1), (2, 3)) for x1⊕x2 and x3⊕x4

    Returns
    -------
    tensor (n, K), dtype of ``bits``, values {0, 1}.
    """
    return torch.stack([bits[:, list(t)].sum(-1) % 2 for t in tasks], dim=-1)


@dataclass
class ParityData:
    """One data set: training rows and (possibly empty, possibly identical) test rows."""

    x_train: torch.Tensor   # (n_train, n_bits)
    y_train: torch.Tensor   # (n_train, K)
    x_test: torch.Tensor    # (n_test, n_bits)
    y_test: torch.Tensor    # (n_test, K)


def check_data_settings(tasks, n_bits, train_fraction):
    """Raise ValueError for task bits outside the input or a training fraction outside (0, 1]."""
    if any(not 0 <= b < n_bits for t in tasks for b in t):
        raise ValueError(f"task bits must lie in 0..{n_bits - 1}, got tasks={tasks!r}")
    if not 0 < train_fraction <= 1:
        raise ValueError(f"train_fraction must be in (0, 1], got {train_fraction!r}")


def parity_data(seed, tasks, n_samples=N_SAMPLES, n_bits=N_BITS, train_fraction=1.0, dtype=torch.float64):
    """Draw a run's data set.

    ``train_fraction`` 1.0: all rows train and the test set is the same rows (the paper's Case 1); below 1: a random
    train_fraction * n rows train and the rest test (Case 2 and Fig 16 use 0.8), drawn from ``data_seed(seed)``.
    """
    check_data_settings(tasks, n_bits, train_fraction)
    g = torch.Generator().manual_seed(data_seed(seed))
    x = random_bits(n_samples, n_bits, g, dtype)
    y = parity_labels(x, tasks)
    if train_fraction == 1:
        return ParityData(x, y, x, y)
    order = torch.randperm(n_samples, generator=g)
    n_train = round(train_fraction * n_samples)
    train, test = order[:n_train], order[n_train:]
    return ParityData(x[train], y[train], x[test], y[test])


def stack_data(datasets):
    """Training inputs and labels of several data sets stacked along a run axis: (R, n, n_bits), (R, n, K)."""
    return torch.stack([d.x_train for d in datasets]), torch.stack([d.y_train for d in datasets])


# ----------------------------------------------------------------------------------------------------- model

def init_mlp(seeds, widths, dtype=torch.float64):
    """Stacked PyTorch-default ``nn.Linear`` initialisations, one per seed.

    Each run's generator, seeded with its seed, draws layer by layer ``mlp.linear_init``: the numbers, to the last bit,
    of ``torch.manual_seed(seed)`` followed by building the ``nn.Linear`` layers.

    Parameters
    ----------
    seeds : sequence of R ints
    widths : sequence of ints, e.g. (32, 50, 2)

    Returns
    -------
    params : list [W1 (R, w0, w1), b1 (R, 1, w1), W2 (R, w1, w2), b2 (R, 1, w2), ...], on the CPU
    generators : list of R torch.Generator, positioned right after the initialisation (counter streams go on to draw
        the batch orders from them)
    """
    generators = [torch.Generator().manual_seed(int(s)) for s in seeds]
    params = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers = [linear_init(g, fan_in, fan_out, dtype) for g in generators]
        params += [torch.stack([w.T for w, _ in layers]).contiguous(), torch.stack([b[None] for _, b in layers])]
    return params, generators


def mlp_forward(params, x):
    """Raw outputs of the stacked MLPs, Linear -> ReLU -> ... -> Linear: x (R, n, w0) -> (R, n, w_last)."""
    return stacked_forward(list(zip(params[0::2], params[1::2])), x, torch.relu)


# --------------------------------------------------------------------------------------------- task frequencies

def task_row_counts(frequencies, n_rows):
    """Rows per step that carry each task's loss: exactly p * n_rows, shape (R, K) int64.

    Raises ValueError unless 0 < p <= 1 and p * n_rows is a whole number of rows.
    """
    p = np.asarray(frequencies, float)
    counts = np.rint(p * n_rows)
    if np.any(p <= 0) or np.any(p > 1) or not np.allclose(counts, p * n_rows, rtol=0, atol=1e-6):
        raise ValueError(f"task frequencies must lie in (0, 1] and give a whole number of the {n_rows} rows, "
                         f"got {p.tolist()!r}")
    return torch.as_tensor(counts, dtype=torch.int64)


def frequency_mask(permutations, counts, dtype=torch.float64):
    """Which rows carry which task's loss this step.

    Row ``permutations[r, j]`` is position j of run r's permuted batch; position j carries task k when j < counts[r, k]
    (a positional mask on the permuted batch), i.e. row i carries task k when its rank π⁻¹(i) < counts[r, k].

    Parameters
    ----------
    permutations : int64 tensor (R, n), each row a permutation of 0..n-1
    counts : int64 tensor (R, K)

    Returns
    -------
    tensor (R, n, K) of {0, 1}.
    """
    rank = torch.empty_like(permutations)
    positions = torch.arange(permutations.shape[1]).expand_as(permutations)
    rank.scatter_(1, permutations, positions)
    return (rank[:, :, None] < counts[:, None, :]).to(dtype)


# --------------------------------------------------------------------------------------------------- training

@dataclass
class ParityRecord:
    """Per-step records of R stacked runs."""

    accuracy: np.ndarray        # (steps, R, K): training accuracy after update t + 1 (full, unpermuted training set)
    train_rmse: np.ndarray      # (steps, R): sqrt of the (masked) training loss before update t + 1
    test_accuracy: np.ndarray   # (R, K): accuracy on the test rows after the last update (NaN without test rows)


def accuracy(outputs, labels):
    """Fraction of rows with (output > 0.5) == label, per run and task: (R, n, K) -> (R, K)."""
    return ((outputs > 0.5) == (labels > 0.5)).to(torch.float64).mean(1)


def masked_mse(params, x, y, mask=None):
    """The training loss of each run: sum of mask * (f(x) - y)^2 over all n * K entries / (n * K), shape (R,)."""
    err2 = (mlp_forward(params, x) - y) ** 2
    return (err2 if mask is None else mask * err2).sum((1, 2)) / (y.shape[1] * y.shape[2])


class _Backprop:
    """Loss gradients of stacked one-hidden-layer MLPs, written by hand into preallocated buffers.

    Autograd allocates several fresh (R, n, hidden) tensors per step; on a CPU those allocations (page faults) and the
    extra passes cost about three times the arithmetic. Here the rows go through in blocks that stay in cache, and the
    gradient of ``masked_mse`` is accumulated block by block (checked against autograd in the tests).
    """

    def __init__(self, params, n_rows, block_rows):
        w1, _, w2, _ = params
        n_runs, hidden, n_tasks = w2.shape
        self.block = max(1, min(n_rows, block_rows))
        kw = {"dtype": w1.dtype, "device": w1.device}
        self.h = torch.empty(n_runs, self.block, hidden, **kw)         # hidden activations of a block
        self.dh = torch.empty_like(self.h)                              # their gradient
        self.out = torch.empty(n_runs, self.block, n_tasks, **kw)
        self.grads = [torch.zeros_like(p) for p in params]
        # W2's gradient lives transposed, (R, K, hidden) in memory: e^T h is a far faster product than h^T e
        self.grads[2] = torch.zeros(n_runs, n_tasks, hidden, **kw).transpose(1, 2)

    def __call__(self, params, x, y, mask=None, backward=True):
        """Accumulate over row blocks; return (loss (R,), correct (R, K) row counts of the current model).

        With ``backward`` the loss gradients are left in ``self.grads`` (same shapes as ``params``).
        """
        w1, b1, w2, b2 = params
        g_w1, g_b1, g_w2, g_b2 = self.grads
        n_rows, n_tasks = y.shape[1], y.shape[2]
        for g in self.grads:
            g.zero_()
        loss = torch.zeros(y.shape[0], dtype=y.dtype, device=y.device)
        correct = torch.zeros(y.shape[0], n_tasks, dtype=torch.int64, device=y.device)
        for start in range(0, n_rows, self.block):
            rows = slice(start, start + self.block)
            xb, yb = x[:, rows], y[:, rows]
            size = xb.shape[1]
            h, dh, out = (buf[:, :size] for buf in (self.h, self.dh, self.out))
            torch.baddbmm(b1, xb, w1, out=h).clamp_min_(0)
            torch.baddbmm(b2, h, w2, out=out)
            correct += ((out > 0.5) == (yb > 0.5)).sum(1)
            out.sub_(yb)                            # the error e = f(x) - y ...
            if mask is not None:
                out.mul_(mask[:, rows])             # ... of the entries that carry loss this step
            loss += (out * out).sum((1, 2))
            if not backward:
                continue
            g_w2.transpose(1, 2).baddbmm_(out.transpose(1, 2), h)
            g_b2 += out.sum(1, keepdim=True)
            torch.bmm(out, w2.transpose(1, 2), out=dh)
            # dh <- dh * (h > 0), the ReLU's derivative, in one fused in-place pass
            torch.ops.aten.threshold_backward.grad_input(dh, h, 0, grad_input=dh)
            g_w1.baddbmm_(xb.transpose(1, 2), dh)
            g_b1 += dh.sum(1, keepdim=True)
        scale = 1.0 / (n_rows * n_tasks)
        for g in self.grads:
            g.mul_(2 * scale)                       # d/df of the mean of e^2 is 2 e / (n K)
        return loss * scale, correct


def _counter_orders(generators, runs, n_rows):
    """Counter streams: each run in ``runs`` draws ``randperm(n_rows)`` from its own generator, (len(runs), n_rows).
    A task of count c sits on the first c positions of the order."""
    return torch.stack([torch.randperm(n_rows, generator=generators[r]) for r in runs])


def _stream_orders(streams, runs):
    """Other streams: every distinct stream draws its step's order (even when no run reads it: the stream moves on),
    and each run in ``runs`` gets its stream's. Returns (len(runs), n_rows), None if no runs."""
    drawn = {stream: stream.batch_order() for stream in dict.fromkeys(streams)}
    return torch.stack([drawn[streams[r]] for r in runs]) if runs else None


def train_parity_mlps(x, y, seeds, frequencies=None, *, steps, hidden=HIDDEN, lr=LEARNING_RATE, x_test=None,
                      y_test=None, streams=None, accuracy_dtype=torch.float64, block_rows=None, progress=False):
    """Train R MLPs full-batch with Adam on multitask sparse parity, as one batched program.

    Per step: each run draws its batch order (which rows carry which task), then the loss sum of mask * (f(x) - y)^2
    over all n * K entries / (n * K), an Adam step, and the accuracies of the updated model, which share one forward
    pass with the next step's loss. The rows stay in place: the loss is a sum over rows, so only the subsets matter.

    Parameters
    ----------
    x : tensor (R, n, n_bits)
    y : tensor (R, n, K), {0, 1}
    seeds : sequence of R ints
        Initialisation of each run (and with counter streams its batch orders; runs with equal seeds share both).
    frequencies : array (R, K) or (K,), optional
        Task frequencies in (0, 1]; default all 1.
    steps : int
    hidden : int
    lr : float
    x_test, y_test : tensors (R, n_test, n_bits), (R, n_test, K), optional
    streams : sequence of R order streams, optional
        Objects whose ``batch_order()`` gives each step's order of the training rows (a task of frequency p on its
        first p * n positions); runs given the same object share its draws. Default: runs with a frequency below 1
        draw ``randperm`` from their initialisation generator.
    accuracy_dtype : torch dtype
        Dtype of the recorded accuracies: float32 rounds correct/n as the original's ``.float()`` mean does (9 500 of
        10 000 correct is then 0.94999999, below 0.95).
    block_rows : int, optional
        Rows per block of the forward/backward pass (default: about 8 MB of hidden activations per block).
    progress : bool or str
        Show a progress bar (a string is its label).

    Returns
    -------
    ParityRecord
    """
    n_runs, n_rows, n_bits = x.shape
    n_tasks = y.shape[-1]
    if len(seeds) != n_runs or tuple(y.shape[:2]) != (n_runs, n_rows) or (streams is not None
                                                                           and len(streams) != n_runs):
        raise ValueError(f"x {tuple(x.shape)}, y {tuple(y.shape)}, {len(seeds)} seeds and the streams disagree on "
                         "runs or rows")
    check_steps(steps)
    p = np.broadcast_to(np.ones(n_tasks) if frequencies is None else np.asarray(frequencies, float),
                        (n_runs, n_tasks))
    counts = task_row_counts(p, n_rows)
    sampled = [r for r in range(n_runs) if bool((counts[r] < n_rows).any())]   # runs that need subsets
    params, generators = init_mlp(seeds, (n_bits, hidden, n_tasks), x.dtype)
    params = [q.to(x.device) for q in params]
    backprop = _Backprop(params, n_rows, block_rows or max(64, 2 ** 20 // (n_runs * hidden)))
    for q, g in zip(params, backprop.grads):
        q.grad = g                                  # Adam reads the buffers that backprop fills
    optimizer = torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8)
    mask = torch.ones_like(y) if sampled else None
    acc = np.empty((steps, n_runs, n_tasks))
    rmse = np.empty((steps, n_runs))
    bar = progress_bar(total=steps, desc="MLP steps", enabled=progress)
    for t in range(steps + 1):
        if t < steps:
            orders = (_stream_orders(streams, sampled) if streams is not None
                      else _counter_orders(generators, sampled, n_rows) if sampled else None)
            if sampled:
                mask[sampled] = frequency_mask(orders, counts[sampled], y.dtype).to(y.device)
        loss, correct = backprop(params, x, y, mask, backward=t < steps)
        if t > 0:
            acc[t - 1] = (correct.to(accuracy_dtype) / n_rows).cpu().numpy()
        if t == steps:
            break
        rmse[t] = loss.sqrt().cpu().numpy()
        optimizer.step()
        bar.update()
    bar.close()
    test_acc = np.full((n_runs, n_tasks), np.nan)
    if x_test is not None and x_test.shape[1] > 0:
        test_acc = accuracy(mlp_forward(params, x_test), y_test).cpu().numpy()
    return ParityRecord(acc, rmse, test_acc)


# ------------------------------------------------------------------------------------------------ experiments

TWO_PARITIES = ((0, 1), (2, 3))                   # x1⊕x2 and x3⊕x4 (Fig 2 Case 1 and bottom row)
COMPOSITION = ((0, 1), (2, 3), (0, 1, 2, 3))      # ... and their composition x1⊕x2⊕x3⊕x4 (Fig 2 Case 2, Fig 16 E1)
INDEPENDENT = ((0, 1), (2, 3), (4, 5, 6, 7))      # ... and an unrelated 4-bit parity x5⊕x6⊕x7⊕x8 (Fig 16 E2)
# The original's three-output networks put x3⊕x4 on output 0 and x1⊕x2 on output 1 (its Fig 16 legends name them the
# other way round). Which output learns which task decides which initial weights each task gets, so the paper's runs
# need this order; the records come back in the order of the tasks, so the plots are labelled correctly.
SWAPPED_PAIR = (1, 0, 2)


def counter_parity_data(seed, tasks, n_samples, train_fraction):
    """``parity_data`` with no order stream: the default ``draw_data`` of ``parity_experiment``."""
    return parity_data(seed, tasks, n_samples, train_fraction=train_fraction), None


def parity_experiment(seeds, tasks, *, steps, frequencies=None, n_samples=N_SAMPLES, train_fraction=1.0,
                      draw_data=counter_parity_data, accuracy_dtype=torch.float64, output_order=None, device="cpu",
                      progress=False):
    """Draw each run's data set from its seed and train all runs as one batched program.

    Parameters
    ----------
    seeds : sequence of R ints
        Data, initialisation and batch orders of each run; runs with equal seeds share their data set (drawn once).
    tasks : sequence of K bit subsets, e.g. ``COMPOSITION``
    steps : int
    frequencies : array (R, K) or (K,), optional
        Task frequencies (see ``train_parity_mlps``), in the order of ``tasks``.
    n_samples : int
    train_fraction : float
    draw_data : callable (seed, tasks, n_samples, train_fraction) -> (ParityData, order stream or None)
        Draws a seed's data set, and the stream of its batch orders (None: the counter streams).
    accuracy_dtype : torch dtype
        Of the recorded accuracies (``train_parity_mlps``).
    output_order : sequence of K ints, optional
        Network output j learns task ``tasks[output_order[j]]`` (e.g. ``SWAPPED_PAIR``); default output j learns
        task j. The records are in the order of ``tasks`` either way.
    device : str
    progress : bool or str

    Returns
    -------
    dict: ``accuracy`` (steps, R, K), ``train_rmse`` (steps, R), ``test_accuracy`` (R, K).
    """
    order = list(range(len(tasks)) if output_order is None else output_order)
    if sorted(order) != list(range(len(tasks))):
        raise ValueError(f"output_order must be a permutation of 0..{len(tasks) - 1}, got {output_order!r}")
    if frequencies is not None:
        frequencies = np.asarray(frequencies, float)[..., order]
    drawn = {s: draw_data(s, [tasks[k] for k in order], n_samples, train_fraction) for s in dict.fromkeys(seeds)}
    streams = [drawn[s][1] for s in seeds]
    data = {s: d for s, (d, _) in drawn.items()}
    x, y = stack_data([data[s] for s in seeds])
    x_test, y_test = (torch.stack([getattr(data[s], k) for s in seeds]) for k in ("x_test", "y_test"))
    record = train_parity_mlps(x.to(device), y.to(device), list(seeds), frequencies, steps=steps,
                               x_test=x_test.to(device), y_test=y_test.to(device),
                               streams=None if streams[0] is None else streams, accuracy_dtype=accuracy_dtype,
                               progress=progress)
    task_order = np.argsort(order)                  # record column of each task
    return {"accuracy": record.accuracy[..., task_order], "train_rmse": record.train_rmse,
            "test_accuracy": record.test_accuracy[..., task_order]}


def composition_experiment(seeds, *, steps, n_samples=N_SAMPLES, train_fraction=0.8, device="cpu", progress=False,
                           **streams):
    """Fig 2 Case 2 = Fig 16 E1: x1⊕x2, x3⊕x4 and their composition x1⊕x2⊕x3⊕x4, all frequencies 1, 80/20 split,
    the network's outputs in the original's order (``SWAPPED_PAIR``). ``streams``: ``draw_data`` and
    ``accuracy_dtype`` of ``parity_experiment``."""
    return parity_experiment(seeds, COMPOSITION, steps=steps, n_samples=n_samples, train_fraction=train_fraction,
                             output_order=SWAPPED_PAIR, device=device, progress=progress, **streams)
