"""The original code's sparse-parity runs (arXiv 2501.12391, Fig 2 and Appendix Fig 16): its draws, output order
and records. Its torch generator, seeded with the run's seed, draws the ``nn.Linear`` initialisations, as the core's
do; its NumPy ``RandomState(seed)`` draws the data, the split and each step's batch orders."""
import numpy as np
import torch

from ...sparse_parity import N_BITS, N_SAMPLES, ParityData, check_data_settings, parity_experiment, parity_labels
from ..parity_backprop import FusedBackprop
from . import check_rng
from .streams import generators


class OriginalParityDraws:
    """One run's NumPy stream once its data are drawn: at each step the training batch's order, then the test
    batch's, which only the original's unused test loss reads but the next training order depends on."""

    def __init__(self, state, n_train, n_test):
        self.state, self.n_train, self.n_test = state, int(n_train), int(n_test)

    def batch_order(self):
        """The next training order, reversed (n_train,): the original's task of count c is on its last c positions."""
        order = self.state.choice(self.n_train, self.n_train, replace=False)
        self.state.choice(self.n_test, self.n_test, replace=False)     # the test batch order, discarded
        return torch.from_numpy(order).flip(0)


def original_parity_data(seed, tasks, n_samples=N_SAMPLES, train_fraction=1.0, n_bits=N_BITS, dtype=torch.float64):
    """A run's (ParityData, OriginalParityDraws) as the original draws them: ``choice(2**n_bits, n)`` integers
    written as bits, most significant first (column 0 is x1), then the training rows ``choice(n, int(f n),
    replace=False)`` in that order; the test rows are the training rows (f = 1) or the others."""
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


# The original's networks learn x3⊕x4 on output 0, x1⊕x2 on output 1: this decides each task's initial weights
SWAPPED_PAIR = (1, 0, 2)


def figure_experiment(seeds, tasks, *, rng, steps, frequencies=None, output_order=None, **settings):
    """``sparse_parity.parity_experiment`` as Figs 2 and 16 run it: on ``FusedBackprop``, output j learning task
    ``tasks[output_order[j]]``, and the original's records, {'accuracy': (steps, R, K) after updates 1 ... steps
    (float32 means under rng 'original'), 'train_rmse': (steps, R) before each update, 'test_accuracy': (R, K)},
    tasks in the order of ``tasks`` (as ``frequencies``)."""
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


RNG_NOTE = (  # the figure JSONs' note on the two choices of streams (Figs 2 and 16)
            "rng 'original' (paper preset): every seed's run is the paper code's run with that seed, draw for draw "
            "(NumPy legacy data, split and per-step batch orders, the discarded test orders included; torch's "
            "nn.Linear initialisation; accuracies as float32 means), so the paper seed's curves are the paper's and "
            "the '_original_run' claims check its numbers. rng 'counter': the package's own streams, runs like the "
            "paper's.")
