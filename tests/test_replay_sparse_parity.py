"""rng="original" in the sparse-parity experiment (Figs 2, 16): the package's replay against the paper code's
algorithm written out plainly, and stacked replays against one-by-one replays."""
import numpy as np
import pytest
import torch

from skill_physics import mlp
from skill_physics.paper.figure import printed
from skill_physics.paper.replay.parity import (
    SWAPPED_PAIR,
    OriginalParityDraws,
    figure_experiment,
    original_parity_data,
    parity_streams,
)
from skill_physics.sparse_parity import COMPOSITION, TWO_PARITIES


@pytest.fixture
def float64_default():
    """The original sets torch's default dtype to float64 before anything else."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


def original_run(seed, tasks, frequencies, train_fraction, n_samples, steps):
    """The paper code's sparse-parity run, one run in a plain loop, with its calls in its order.

    Global seeds; integers choice(2**32, n) written as 32 binary digits, most significant first; training rows
    choice(n, n_train, replace=False); torch re-seeded, then nn.Linear(32, 50) and nn.Linear(50, K); a task of
    frequency p masked on the first int(n (1 - p)) positions of every batch; each step the training order, the test
    order, loss on the ordered batch, Adam step, the (unused) test loss, and the training accuracies as float32 means.
    Returns the training set, the initial parameters, accuracies (steps, K) and RMSEs (steps,).
    """
    torch.manual_seed(seed)
    np.random.seed(seed)
    integers = np.random.choice(2 ** 32, n_samples)
    bits = np.array([[int(c) for c in format(i, "032b")] for i in integers], dtype=np.float64)
    labels = np.concatenate([np.sum(bits[:, list(t)], axis=1)[:, None] % 2 for t in tasks], axis=1)
    inputs, labels = torch.tensor(bits), torch.tensor(labels)
    mask = torch.ones(n_samples, len(tasks))
    for k, p in enumerate(frequencies):
        mask[:int(n_samples * (1 - p)), k] *= 0.
    n_train = int(n_samples * train_fraction)
    train = np.random.choice(n_samples, n_train, replace=False)
    test = train if train_fraction == 1 else list(set(range(n_samples)) - set(train))
    x, y, x_test, y_test = inputs[train], labels[train], inputs[test], labels[test]
    torch.manual_seed(seed)
    layers = [torch.nn.Linear(32, 50), torch.nn.Linear(50, len(tasks))]
    initial = [p.detach().clone() for layer in layers for p in (layer.weight, layer.bias)]

    def model(v):
        return layers[1](torch.relu(layers[0](v)))

    optimizer = torch.optim.Adam([p for layer in layers for p in layer.parameters()], lr=1e-3, betas=(0.9, 0.999))
    accuracy, rmse = [], []
    for _ in range(steps):
        order = np.random.choice(x.shape[0], x.shape[0], replace=False)
        test_order = np.random.choice(x_test.shape[0], x_test.shape[0], replace=False)
        loss = torch.mean((model(x[order]) - y[order]) ** 2 * mask[:n_train])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            torch.mean((model(x_test[test_order]) - y_test[test_order]) ** 2)    # computed, never used
            hits = ((model(x) > 0.5) == y).float()
            accuracy.append([torch.mean(hits[:, k]).item() for k in range(len(tasks))])
        rmse.append(torch.sqrt(loss).item())
    return {"x": x, "y": y, "x_test": x_test, "initial": initial, "accuracy": np.array(accuracy),
            "rmse": np.array(rmse)}


# (seed, tasks in the network's output order, frequencies, training fraction): Case 1 / bottom row with a rare
# task, whose subsets come from the stream (the discarded test orders included), and Case 2 with its outputs swapped
CASES = {"case1": (4, TWO_PARITIES, (1.0, 0.1), 1.0, None),
         "case2": (1, [COMPOSITION[k] for k in SWAPPED_PAIR], (1.0, 1.0, 1.0), 0.8, SWAPPED_PAIR)}
N_SAMPLES, STEPS = 200, 100


@pytest.mark.parametrize("case", CASES)
def test_replay_draws_the_original_data_and_initialisation(case, float64_default):
    seed, tasks, frequencies, fraction, _ = CASES[case]
    ref = original_run(seed, tasks, frequencies, fraction, N_SAMPLES, steps=1)
    data, stream = original_parity_data(seed, tasks, N_SAMPLES, train_fraction=fraction)
    torch.testing.assert_close(data.x_train, ref["x"], rtol=0, atol=0)          # same rows in the same order
    torch.testing.assert_close(data.y_train, ref["y"], rtol=0, atol=0)
    code = 2.0 ** torch.arange(32, dtype=torch.float64)                         # the test rows, as a set
    torch.testing.assert_close((data.x_test @ code).sort().values, (ref["x_test"] @ code).sort().values,
                               rtol=0, atol=0)
    assert (stream.n_train, stream.n_test) == (ref["x"].shape[0], ref["x_test"].shape[0])
    layers = mlp.init_mlp([torch.Generator().manual_seed(seed)], (32, 50, len(tasks)), torch.float64)
    expected = [t for w, b in zip(ref["initial"][0::2], ref["initial"][1::2]) for t in (w.T[None], b[None, None])]
    for ours, theirs in zip([p for layer in layers for p in layer], expected, strict=True):
        torch.testing.assert_close(ours, theirs, rtol=0, atol=0)               # bit for bit, float64


@pytest.mark.parametrize("case", CASES)
def test_replay_trains_as_the_original(case, float64_default):
    seed, tasks, frequencies, fraction, output_order = CASES[case]
    ref = original_run(seed, tasks, frequencies, fraction, N_SAMPLES, STEPS)
    label_tasks = tasks if output_order is None else COMPOSITION
    label_freqs = np.asarray(frequencies)[np.argsort(output_order if output_order else range(len(tasks)))]
    ours = figure_experiment([seed], label_tasks, rng="original", steps=STEPS, frequencies=label_freqs,
                             n_samples=N_SAMPLES, train_fraction=fraction, output_order=output_order)
    accuracy = ours["accuracy"][:, 0] if output_order is None else ours["accuracy"][:, 0][:, list(output_order)]
    assert len(np.unique(accuracy)) > 20                                       # the accuracies move
    np.testing.assert_array_equal(accuracy, ref["accuracy"])                   # float32 means: equal to the bit
    # the loss sums the same terms in another order (rows unpermuted, blocked): equal up to rounding
    np.testing.assert_allclose(ours["train_rmse"][:, 0], ref["rmse"], rtol=1e-12)


def test_counter_and_original_streams_differ():
    runs = {rng: figure_experiment([4], TWO_PARITIES, rng=rng, steps=5, frequencies=[1.0, 0.1], n_samples=N_SAMPLES)
            for rng in ("original", "counter")}
    assert not np.array_equal(runs["original"]["train_rmse"], runs["counter"]["train_rmse"])
    with pytest.raises(ValueError, match=r"^rng='legacy' is not allowed"):
        parity_streams("legacy")


def test_stacked_replay_equals_one_by_one():
    # runs of one seed share its stream, other seeds have their own; masked and unmasked runs mixed
    seeds, freqs = [4, 4, 7, 4, 1], [[1.0, 0.5], [1.0, 0.1], [1.0, 0.05], [1.0, 1.0], [1.0, 0.1]]
    kw = {"steps": 25, "n_samples": 100, "rng": "original"}
    together = figure_experiment(seeds, TWO_PARITIES, frequencies=freqs, **kw)
    for r in range(len(seeds)):
        alone = figure_experiment(seeds[r:r + 1], TWO_PARITIES, frequencies=freqs[r:r + 1], **kw)
        np.testing.assert_array_equal(alone["accuracy"][:, 0], together["accuracy"][:, r])
        np.testing.assert_allclose(alone["train_rmse"][:, 0], together["train_rmse"][:, r], rtol=1e-12)
    assert not np.array_equal(together["accuracy"][:, 0], together["accuracy"][:, 1])  # p2 matters


def test_printed_claim_tolerance_is_half_the_last_digit():
    assert printed("a", "1.90", 1.9049, says="a")["holds"] and not printed("a", "1.90", 1.9051, says="a")["holds"]
    assert printed("b", "0.5155", 0.51554, says="b")["holds"] and not printed("b", "0.5155", 0.5156, says="b")["holds"]
    assert printed("c", "1951", 1951.4, says="c")["holds"] and not printed("c", "1951", 1952, says="c")["holds"]


def test_each_batch_order_is_a_reversed_training_permutation_after_which_the_test_order_is_drawn():
    draws = OriginalParityDraws(np.random.RandomState(5), np.int64(7), 4.0)
    reference = np.random.RandomState(5)
    for _ in range(3):
        expected = reference.choice(7, 7, replace=False)[::-1]
        reference.choice(4, 4, replace=False)                   # the original's test batch, drawn and unused
        order = draws.batch_order()
        assert order.dtype == torch.int64 and order.tolist() == expected.tolist()


def test_original_parity_data_orders_the_training_rows_and_counts_the_test_rows():
    """With train fraction f < 1 the stream orders the f n training rows and draws orders of the (1 - f) n test rows."""
    _, draws = original_parity_data(3, COMPOSITION, n_samples=20, train_fraction=0.75)
    assert (draws.n_train, draws.n_test) == (15, 5)
    order = draws.batch_order()
    assert sorted(order.tolist()) == list(range(15))
