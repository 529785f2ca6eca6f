"""The original code's draws of the sparse-parity figures (arXiv 2501.12391, Fig 2 and Appendix Fig 16).

Per run, NumPy's legacy ``RandomState(seed)`` draws the data, ``choice(2**32, n)`` written as 32 bits with the most
significant first, then the training rows, ``choice(n, n_train, replace=False)``; torch, seeded with ``seed`` right
before the network is built, draws the ``nn.Linear`` initialisations; every step NumPy draws the batch order
``choice(n_train, n_train, replace=False)``, whose last p * n positions carry a task of frequency p, then the test
batch order, which only the original's unused test loss reads. Accuracies are float32 means.
"""
import numpy as np
import torch

from ...sparse_parity import N_BITS, N_SAMPLES, ParityData, check_data_settings, parity_experiment, parity_labels
from ..parity_backprop import FusedBackprop
from . import check_rng
from .streams import generators


class OriginalParityDraws:
    """One run's NumPy stream in the paper's code once its data are drawn: each training step's batch orders.

    Every step the original draws the order of the training batch, ``choice(n_train, n_train, replace=False)``, then
    the order of the test batch, ``choice(n_test, n_test, replace=False)``. Only its unused test loss reads the second,
    but it is drawn all the same: the next step's training order depends on it.
    """

    def __init__(self, state, n_train, n_test):
        self.state, self.n_train, self.n_test = state, int(n_train), int(n_test)

    def batch_order(self):
        """The next step's training-batch order, reversed: int64 tensor (n_train,). The original puts a task of count
        c on the *last* c positions of its order, which are the first c of the reversed order."""
        order = self.state.choice(self.n_train, self.n_train, replace=False)
        self.state.choice(self.n_test, self.n_test, replace=False)     # the test batch order, discarded
        return torch.from_numpy(order).flip(0)


def original_parity_data(seed, tasks, n_samples=N_SAMPLES, train_fraction=1.0, n_bits=N_BITS, dtype=torch.float64):
    """A run's data set as the paper's code draws it, and the NumPy stream that goes on to draw its batch orders.

    Draws from ``np.random.seed(seed)``, in order: ``choice(2**n_bits, n_samples)`` integers, each written as n_bits
    binary digits with the most significant first (column 0 is x1); then the training rows
    ``choice(n_samples, n_train, replace=False)`` with n_train = int(train_fraction * n_samples), in that order. With
    train_fraction 1 the test set is the training set (same rows, same order); below 1 it is the other rows.

    Returns
    -------
    data : ParityData
    stream : OriginalParityDraws, positioned right after the data draws
    """
    check_data_settings(tasks, n_bits, train_fraction)
    _, state = generators(seed)
    integers = state.choice(2 ** n_bits, n_samples)
    x = torch.from_numpy((integers[:, None] >> np.arange(n_bits - 1, -1, -1)) & 1).to(dtype)
    y = parity_labels(x, tasks)
    n_train = int(train_fraction * n_samples)
    train = state.choice(n_samples, n_train, replace=False)
    x_train, y_train = x[train], y[train]
    if train_fraction == 1:
        data = ParityData(x_train, y_train, x_train, y_train)
    else:
        # the original lists the other rows in set order; only its unused test loss sees the order
        test = np.setdiff1d(np.arange(n_samples), train)
        data = ParityData(x_train, y_train, x[test], y[test])
    return data, OriginalParityDraws(state, n_train, data.x_test.shape[0])


def parity_streams(rng):
    """The ``draw_data`` of ``sparse_parity.parity_experiment`` for ``rng``: 'original' (the paper code's draws) or
    'counter' (the core's own)."""
    check_rng(rng)
    return {"draw_data": original_parity_data} if rng == "original" else {}


# The original's three-output networks put x3⊕x4 on output 0 and x1⊕x2 on output 1 (its Fig 16 legends name them the
# other way round). Which output learns which task decides which initial weights each task gets.
SWAPPED_PAIR = (1, 0, 2)


def figure_experiment(seeds, tasks, *, rng, steps, frequencies=None, output_order=None, **settings):
    """``sparse_parity.parity_experiment`` as Figs 2 and 16 run it, on the fast ``FusedBackprop``, with the original's
    records: the accuracy after updates 1 ... steps (a float32 mean under rng 'original') and the training RMSE
    before each update.

    Network output j learns task ``tasks[output_order[j]]`` (default j); ``frequencies`` and the records are in the
    order of ``tasks``. ``settings``: the other keywords of ``parity_experiment``.

    Returns
    -------
    dict: ``accuracy`` (steps, R, K), ``train_rmse`` (steps, R), ``test_accuracy`` (R, K).
    """
    order = list(range(len(tasks)) if output_order is None else output_order)
    if sorted(order) != list(range(len(tasks))):
        raise ValueError(f"output_order must be a permutation of 0..{len(tasks) - 1}, got {output_order!r}")
    if frequencies is not None:
        frequencies = np.asarray(frequencies, float)[..., order]
    run = parity_experiment(seeds, [tasks[k] for k in order], steps=steps, frequencies=frequencies,
                            backprop=FusedBackprop, **parity_streams(rng), **settings)
    correct = run.correct[1:]
    if rng == "original":                       # the original's .float() mean: 9 500 of 10 000 is 0.94999999
        accuracy = (correct.astype(np.float32) / np.float32(run.n_train)).astype(np.float64)
    else:
        accuracy = correct / run.n_train
    column = np.argsort(order)                  # record column of each task
    return {"accuracy": accuracy[..., column], "train_rmse": run.train_rmse[:-1],
            "test_accuracy": run.test_accuracy[..., column]}


# The figure JSONs' note on the two choices of streams (Figs 2 and 16)
RNG_NOTE = ("rng 'original' (paper preset): every seed's run is the paper code's run with that seed, draw for draw "
            "(NumPy legacy data, split and per-step batch orders, the discarded test orders included; torch's "
            "nn.Linear initialisation; accuracies as float32 means), so the paper seed's curves are the paper's and "
            "the '_original_run' claims check its numbers. rng 'counter': the package's own streams, runs like the "
            "paper's.")
