"""Multitask sparse parity (Figs 2, 16): data, task-frequency subsets, the batched MLP trainer, the two scripts."""
import json
import re
import sys

import numpy as np
import pytest
import torch

from skill_physics import crossing_times, mlp
from skill_physics import sparse_parity as sp
from skill_physics.paper import paths
from skill_physics.paper.replay.parity import original_parity_data
from skill_physics.sparse_parity import COMPOSITION, INDEPENDENT, TWO_PARITIES, parity_data, stack_data

sys.path.insert(0, str(paths.SCRIPTS))
import Fig2_sparse_parity as fig2  # noqa: E402
import Fig16_compositional_parity as fig16  # noqa: E402


def test_labels_are_parities_of_the_right_bits():
    data = parity_data(3, INDEPENDENT, n_samples=400)
    x, y = data.x_train.numpy().astype(int), data.y_train.numpy()
    assert x.shape == (400, 32) and set(np.unique(x)) == {0, 1} and x.dtype == np.int64
    assert abs(x.mean() - 0.5) < 0.02                                       # fair bits
    np.testing.assert_array_equal(y[:, 0], x[:, 0] ^ x[:, 1])               # x1⊕x2 = bits 0, 1
    np.testing.assert_array_equal(y[:, 1], x[:, 2] ^ x[:, 3])
    np.testing.assert_array_equal(y[:, 2], x[:, 4] ^ x[:, 5] ^ x[:, 6] ^ x[:, 7])
    assert data.x_test is data.x_train                                      # ratio 1: test set = training set


def test_split_is_a_partition_and_seeds_reproduce():
    full = parity_data(5, COMPOSITION, n_samples=500)
    split = parity_data(5, COMPOSITION, n_samples=500, train_fraction=0.8)
    assert split.x_train.shape == (400, 32) and split.x_test.shape == (100, 32)
    code = 2.0 ** torch.arange(32, dtype=torch.float64)                    # each row as one integer
    rows = torch.cat([split.x_train, split.x_test]) @ code
    torch.testing.assert_close(rows.sort().values, (full.x_train @ code).sort().values)   # the same rows, reordered
    torch.testing.assert_close(parity_data(5, COMPOSITION, 500).x_train, full.x_train, rtol=0, atol=0)
    assert not torch.equal(parity_data(6, COMPOSITION, 500).x_train, full.x_train)


FIELDS = ("x_train", "y_train", "x_test", "y_test")


def test_the_split_is_a_function_of_the_seed_and_the_original_streams_are_the_originals():
    split = parity_data(5, COMPOSITION, n_samples=300, train_fraction=0.8, dtype=torch.float32)
    torch.manual_seed(123)                                                  # the global generator plays no part
    again = parity_data(5, COMPOSITION, n_samples=300, train_fraction=0.8, dtype=torch.float32)
    for field in FIELDS:
        torch.testing.assert_close(getattr(split, field), getattr(again, field), rtol=0, atol=0)
    assert split.x_train.dtype == torch.float32
    np.testing.assert_array_equal(split.y_test.numpy(), sp.parity_labels(split.x_test, COMPOSITION).numpy())
    replayed = original_parity_data(4, COMPOSITION, n_samples=300, n_bits=12, train_fraction=0.8,
                                    dtype=torch.float32)[0]
    assert replayed.x_train.shape == (240, 12) and replayed.x_test.shape == (60, 12)
    assert not torch.equal(replayed.x_train, parity_data(4, COMPOSITION, 300, 12, 0.8, torch.float32).x_train)


def test_bad_settings_raise():
    with pytest.raises(ValueError, match="whole number"):
        sp.task_row_counts([[1.0, 0.333]], 100)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        sp.task_row_counts([[1.0, 1.5]], 100)
    with pytest.raises(ValueError, match="task bits"):
        parity_data(0, ((0, 32),), n_samples=10)


def test_frequency_subsets_have_exact_size_and_the_right_expected_frequency():
    n, steps = 200, 400
    g = torch.Generator().manual_seed(0)
    counts = torch.tensor([[n, 20], [n, 100]])                             # p2 = 0.1 and 0.5
    total = torch.zeros(2, n, 2, dtype=torch.float64)
    for _ in range(steps):
        perms = torch.stack([torch.randperm(n, generator=g) for _ in range(2)])
        mask = sp.frequency_mask(perms, counts)
        np.testing.assert_array_equal(mask.sum(1), counts)                  # exactly p * n rows every step
        total += mask
    freq = total / steps
    assert torch.all(freq[..., 0] == 1)                                     # task 1 on every row
    for run, p in enumerate((0.1, 0.5)):                                    # each row carries task 2 a fraction p
        assert abs(freq[run, :, 1].mean() - p) < 1e-12
        assert freq[run, :, 1].std() < 4 * np.sqrt(p * (1 - p) / steps)


def test_mask_equals_positional_mask_on_the_permuted_batch():
    # the original: loss on X[π] with the mask fixed on positions (the first p n positions carry task 2)
    data = parity_data(1, TWO_PARITIES, n_samples=50)
    layers = mlp.init_mlp([torch.Generator().manual_seed(1)], (32, 50, 2), torch.float64)
    perm = torch.randperm(50, generator=torch.Generator().manual_seed(2))
    positional = torch.ones(1, 50, 2, dtype=torch.float64)
    positional[0, 10:, 1] = 0
    original = sp.masked_mse(mlp.forward(layers, data.x_train[perm][None], torch.relu), data.y_train[perm][None],
                             positional)
    mask = sp.frequency_mask(perm[None], torch.tensor([[50, 10]]))
    ours = sp.masked_mse(mlp.forward(layers, data.x_train[None], torch.relu), data.y_train[None], mask)
    torch.testing.assert_close(ours, original)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_init_is_pytorch_default_linear(dtype):
    # float64 too: the paper's runs are float64, where a bound of 1/sqrt(fan_in) misses nn.Linear's by one ulp
    torch.manual_seed(11)
    layers = [torch.nn.Linear(32, 50, dtype=dtype), torch.nn.Linear(50, 3, dtype=dtype)]
    params = mlp.init_mlp([torch.Generator().manual_seed(11)], (32, 50, 3), dtype=dtype)
    expected = [t for lin in layers for t in (lin.weight.T[None], lin.bias[None, None])]
    for ours, ref in zip([p for layer in params for p in layer], expected, strict=True):
        torch.testing.assert_close(ours, ref, rtol=0, atol=0)


def test_batched_training_equals_one_by_one():
    seeds, freqs = [4, 4, 7], [[1.0, 0.5], [1.0, 0.1], [1.0, 1.0]]
    x, y = stack_data([parity_data(s, TWO_PARITIES, n_samples=100) for s in seeds])
    together = sp.train_parity_mlps(x, y, seeds, freqs, steps=25)
    for r in range(3):
        alone = sp.train_parity_mlps(x[r:r + 1], y[r:r + 1], seeds[r:r + 1], freqs[r:r + 1], steps=25)
        np.testing.assert_allclose(alone.train_rmse[:, 0], together.train_rmse[:, r], rtol=1e-12)
        np.testing.assert_array_equal(alone.correct[:, 0], together.correct[:, r])


def test_training_records_every_step_and_the_test_accuracy_of_the_final_model():
    seeds = [3, 5]
    x, y = stack_data([parity_data(s, TWO_PARITIES, n_samples=64) for s in seeds])
    x_test, y_test = x[:, :16], y[:, :16]
    run = sp.train_parity_mlps(x, y, seeds, steps=7, x_test=x_test, y_test=y_test)
    assert run.accuracy.shape == (8, 2, 2) and run.train_rmse.shape == (8, 2)
    # record t is of the model after t updates: the last one is the final model's, as is the test accuracy
    longer = sp.train_parity_mlps(x, y, seeds, steps=8)
    np.testing.assert_array_equal(run.accuracy, longer.accuracy[:8])
    np.testing.assert_allclose(run.train_rmse, longer.train_rmse[:8], rtol=1e-12)
    alone = sp.train_parity_mlps(x, y, seeds, steps=7, x_test=x, y_test=y)
    np.testing.assert_allclose(alone.test_accuracy, run.accuracy[-1], rtol=1e-12)    # the training set as test set
    assert run.test_accuracy.shape == (2, 2) and np.all((0 <= run.test_accuracy) & (run.test_accuracy <= 1))
    without = sp.train_parity_mlps(x, y, seeds, steps=7)
    assert without.test_accuracy.dtype == float and np.isnan(without.test_accuracy).all()
    assert without.test_accuracy.shape == (2, 2)
    with pytest.raises(ValueError, match=r"x \(2, 64, 32\), y \(1, 64, 2\), 2 seeds"):
        sp.train_parity_mlps(x, y[:1], seeds, steps=7)


def test_training_learns_single_bit_tasks():
    run = sp.parity_experiment([0, 1], ((0,), (5,)), steps=150, n_samples=300)
    assert run.accuracy.shape == (151, 2, 2) and run.train_rmse.shape == (151, 2)
    assert np.all(np.isfinite(crossing_times(run.accuracy, 1.0, strict=False)))     # 100 % within 150 steps
    assert np.all(run.train_rmse[-1] < run.train_rmse[0] / 2)


def test_theory_reference_values():
    th = fig16.theory(fig16.PAPER)
    r1, r2, fixed = th["r1"], th["r2"], th["r2_fixed"]
    np.testing.assert_allclose(r1[0], [0.003762, 0.003762, 0], atol=1e-6)
    assert crossing_times(r1[:, 0], 0.5, strict=False) == 133 and crossing_times(r1[:, 1], 0.99, strict=False) == 277
    assert crossing_times(r1[:, 2], 0.01) == 289
    np.testing.assert_array_equal([crossing_times(r1[:, 2], v, strict=False) for v in (0.5, 0.99)], [438, 613])
    assert crossing_times(r2[:, 0], 0.99, strict=False) == 364
    np.testing.assert_array_equal([crossing_times(r2[:, 2], v, strict=False) for v in (0.5, 0.99)], [1913, 2487])
    np.testing.assert_allclose(fixed[[999, 1999, 2999], 2], [0.27, 0.52, 0.68], atol=0.01)


def test_fig16_e1_is_fig2_case2():
    for preset in ("PAPER", "QUICK"):
        a, b = getattr(fig2, preset), getattr(fig16, preset)
        assert (a["case2_seeds"], a["steps"], a["n_samples"], a["case2_train_fraction"], a["rng"]) == (
            b["seeds"], b["e1_steps"], b["n_samples"], b["train_fraction"], b["rng"])
    assert fig2.PAPER["rng"] == fig16.PAPER["rng"] == "original"          # the paper presets replay the paper's runs


def test_fig2_quick_writes_outputs_and_claims(run_script):
    proc, out = run_script("Fig2_sparse_parity.py", "--quick")
    assert proc.returncode == 0, proc.stderr
    for name in ("Fig2_sparse_parity", "Fig2_sparse_parity_bottom", "Fig2_sparse_parity_seeds"):
        for ext in ("pdf", "png"):
            assert (out / f"{name}.{ext}").stat().st_size > 0
    report = json.loads((out / "Fig2_sparse_parity.json").read_text())
    assert report["rng"] == "original"
    names = {c["name"] for c in report["claims"]}
    assert {"t95_bottom_original_run", "case2_composite_when_parts_at_0.95_original_run"} <= names
    for name in ("ratio_t95_p0.10", "ratio_t95_p1.00", "ratio_t95_p0.05_gt_p1.00", "t95_task1_spread",
                 "case2_composite_delay", "case2_composite_last", "final_rmse_p0.10"):
        assert name in names and f"{name}_over_seeds" in names
    spread = next(c for c in report["claims"] if c["name"] == "ratio_t95_p1.00_over_seeds")
    assert len(spread["ours"]) == 3                                          # median, min, max


def test_fig16_quick_theory_claims_hold(run_script):
    proc, out = run_script("Fig16_compositional_parity.py", "--quick")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "Fig16_compositional_parity.json").read_text())
    claims = {c["name"]: c for c in report["claims"]}
    for name in ("R1_t099_task1", "R1_t05_task3", "R1_t099_task3", "R2_t05_task3", "R2_t099_task3",
                 "R2fixed_task3_at_3000", "R1_t05_task1", "R1_t001_task3", "R2_t099_task1"):
        assert claims[name]["holds"], claims[name]
    assert {"E2_task3_t095", "E2_task3_t095_all_seeds", "E2_task3_plateau"} <= set(claims)
    for name in ("Fig16_compositional_parity", "Fig16_compositional_parity_seeds"):
        assert (out / f"{name}.png").stat().st_size > 0 and (out / f"{name}.pdf").stat().st_size > 0


def test_a_runs_data_come_from_its_own_seed_sequence():
    # the data generator of seed s: torch seeded with the high 63 bits of the first 64-bit word of the NumPy
    # SeedSequence of (s, 0xDA7A), so that the data never share the initialisation's stream
    for seed in (0, 3, 2**40 + 1):
        word = int(np.random.SeedSequence([seed, 0xDA7A]).generate_state(1, np.uint64)[0])
        assert sp.data_seed(seed) == word >> 1 and 0 <= sp.data_seed(seed) < 2**63
    g = torch.Generator().manual_seed(sp.data_seed(9))
    want = torch.randint(0, 2, (40, 6), generator=g).to(torch.float64)
    data = parity_data(9, ((0, 1),), n_samples=40, n_bits=6)
    torch.testing.assert_close(data.x_train, want, rtol=0, atol=0)
    np.testing.assert_array_equal(data.y_train[:, 0].numpy(), (want[:, 0] + want[:, 1]).numpy() % 2)


@pytest.mark.parametrize("tasks,n_bits,fraction,message", [
    (((0, 8),), 8, 1.0, r"^task bits must lie in 0\.\.7, got tasks=\(\(0, 8\),\)$"),
    (((-1, 2),), 8, 1.0, r"^task bits must lie in 0\.\.7, got tasks=\(\(-1, 2\),\)$"),
    (((0, 1),), 8, 0.0, r"^train_fraction must be in \(0, 1\], got 0\.0$"),
    (((0, 1),), 8, 1.5, r"^train_fraction must be in \(0, 1\], got 1\.5$"),
    (((0, 1),), 8, -0.5, r"^train_fraction must be in \(0, 1\], got -0\.5$"),
])
def test_data_settings_are_refused_by_name(tasks, n_bits, fraction, message):
    with pytest.raises(ValueError, match=message):
        parity_data(0, tasks, n_samples=20, n_bits=n_bits, train_fraction=fraction)


def test_data_settings_at_their_limits_are_allowed():
    data = parity_data(0, ((0, 7),), n_samples=20, n_bits=8, train_fraction=0.05)     # last bit, one training row
    assert data.x_train.shape == (1, 8) and data.x_test.shape == (19, 8)
    assert parity_data(0, ((7,),), n_samples=20, n_bits=8).x_train.shape == (20, 8)


def test_labels_stack_tasks_on_the_last_axis():
    bits = torch.tensor([[1, 1, 0, 1], [0, 1, 1, 1], [1, 1, 1, 0]])
    labels = sp.parity_labels(bits, ((0, 1), (1, 2, 3), (3,)))
    assert labels.tolist() == [[0, 0, 1], [1, 1, 1], [0, 0, 0]]


def test_correct_counts_put_one_half_on_the_zero_side():
    outputs = torch.tensor([[[0.5, 0.7], [0.2, 0.5], [0.9, 0.51]]])             # (R, n, K) = (1, 3, 2)
    labels = torch.tensor([[[0.0, 1.0], [0.0, 0.0], [1.0, 1.0]]])
    counts = sp.correct_counts(outputs, labels)
    assert counts.dtype == torch.int64 and counts.tolist() == [[3, 3]]
    assert sp.correct_counts(outputs, 1 - labels).tolist() == [[0, 0]]


def test_frequency_mask_is_float64_unless_asked():
    orders, counts = torch.tensor([[2, 0, 1]]), torch.tensor([[3, 1]])
    mask = sp.frequency_mask(orders, counts)
    assert mask.dtype == torch.float64
    assert mask.tolist() == [[[1.0, 0.0], [1.0, 0.0], [1.0, 1.0]]]       # row 2 comes first: it carries task 2
    assert sp.frequency_mask(orders, counts, torch.float32).dtype == torch.float32


def test_masked_mse_divides_the_masked_sum_by_all_n_k_entries():
    outputs = torch.tensor([[[1.0, 0.0, 0.5], [0.0, 2.0, 1.0]]], dtype=torch.float64)      # (R, n, K) = (1, 2, 3)
    y = torch.tensor([[[0.0, 0.0, 1.0], [1.0, 1.0, 1.0]]], dtype=torch.float64)
    mask = torch.tensor([[[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]], dtype=torch.float64)
    # squared errors 1, 0, 0.25 / 1, 1, 0
    torch.testing.assert_close(sp.masked_mse(outputs, y), torch.tensor([3.25 / 6], dtype=torch.float64))
    torch.testing.assert_close(sp.masked_mse(outputs, y, mask), torch.tensor([2.0 / 6], dtype=torch.float64))
    two = sp.masked_mse(torch.cat([outputs, y]), torch.cat([y, y]), torch.cat([mask, mask]))   # per run
    torch.testing.assert_close(two, torch.tensor([2.0 / 6, 0.0], dtype=torch.float64))


def test_task_row_counts_need_frequencies_in_zero_one_and_whole_rows():
    counts = sp.task_row_counts([[1.0, 0.25], [0.5, 1.0]], 8)
    assert counts.dtype == torch.int64 and counts.tolist() == [[8, 2], [4, 8]]
    for bad in ([[1.0, 0.0]], [[1.0, -0.5]], [[1.0, 0.10000001]]):     # 10000.001 rows: not whole to 1e-6
        with pytest.raises(ValueError, match=r"^task frequencies must lie in \(0, 1\] and give a whole number of the "
                                             r"100000 rows, got "):
            sp.task_row_counts(bad, 100_000)


def small_mlps(n_runs=1, hidden=5, n_tasks=2, seed=1):
    layers = mlp.init_mlp([torch.Generator().manual_seed(seed + r) for r in range(n_runs)], (6, hidden, n_tasks),
                          torch.float64)
    return [tuple(q.requires_grad_() for q in layer) for layer in layers]


def test_autograd_pass_fills_each_grad_by_default():
    x, y = stack_data([parity_data(2, ((0, 1), (2,)), n_samples=12, n_bits=6)])
    mask = sp.frequency_mask(torch.randperm(12, generator=torch.Generator().manual_seed(0))[None],
                             torch.tensor([[12, 3]]))
    layers = small_mlps()
    params = [q for layer in layers for q in layer]
    loss, right = sp.autograd_pass(layers, x, y, mask)
    want = sp.masked_mse(mlp.forward(layers, x, torch.relu), y, mask)
    torch.testing.assert_close(loss, want.detach(), rtol=0, atol=0)
    assert not loss.requires_grad and right.shape == (1, 2)
    for q, g in zip(params, torch.autograd.grad(want.sum(), params)):
        torch.testing.assert_close(q.grad, g, rtol=0, atol=0)
    fresh = small_mlps(seed=4)
    sp.autograd_pass(fresh, x, y, mask, backward=False)
    assert all(q.grad is None for layer in fresh for q in layer)


def test_frequencies_below_one_take_a_tasks_loss_off_the_rows_not_drawn():
    x, y = stack_data([parity_data(4, TWO_PARITIES, n_samples=40)])
    full = sp.train_parity_mlps(x, y, [4], steps=1)
    half = sp.train_parity_mlps(x, y, [4], [1.0, 0.5], steps=1)
    # record 0 is the initial MLP on the rows drawn for update 1: half of task 2's squared errors are left out
    assert half.train_rmse[0, 0] < full.train_rmse[0, 0]
    np.testing.assert_array_equal(half.correct[0], full.correct[0])        # the counts look at every row
    assert half.correct.dtype == np.int64 and half.correct.shape == (2, 1, 2)


def test_the_final_model_is_the_last_one_recorded():
    x, y = stack_data([parity_data(s, TWO_PARITIES, n_samples=32) for s in (1, 2)])
    seen, trained = [], []

    def recording_backprop(layers, n_rows):
        """autograd_pass, keeping the trained layers and a copy of the parameters at every pass."""
        trained.extend(layers)

        def step_pass(layers_, x_, y_, mask, backward):
            seen.append([q.detach().clone() for layer in layers for q in layer])
            return sp.autograd_pass(layers, x_, y_, mask, backward=backward)
        return step_pass

    run = sp.train_parity_mlps(x, y, [1, 2], [[1.0, 0.5], [1.0, 1.0]], steps=3, backprop=recording_backprop)
    assert len(seen) == 4 and run.train_rmse.shape == (4, 2)
    final = [q.detach() for layer in trained for q in layer]
    for last, now in zip(seen[-1], final, strict=True):
        torch.testing.assert_close(now, last, rtol=0, atol=0)             # no update after record 3
    assert not torch.equal(seen[0][0], seen[-1][0])                       # while every update moved the MLPs


def test_a_single_test_row_gives_an_accuracy_and_no_test_rows_give_nan():
    x, y = stack_data([parity_data(3, TWO_PARITIES, n_samples=32)])
    one = sp.train_parity_mlps(x, y, [3], steps=2, x_test=x[:, :1], y_test=y[:, :1])
    assert set(one.test_accuracy.ravel()) <= {0.0, 1.0}
    none = sp.train_parity_mlps(x, y, [3], steps=2, x_test=x[:, :0], y_test=y[:, :0])
    assert none.test_accuracy.shape == (1, 2) and np.isnan(none.test_accuracy).all()


def test_disagreeing_shapes_are_named_in_one_sentence():
    x, y = stack_data([parity_data(s, TWO_PARITIES, n_samples=16) for s in (1, 2)])
    with pytest.raises(ValueError, match=r"^x \(2, 16, 32\), y \(2, 16, 2\), 3 seeds and the streams disagree on "
                                         r"runs or rows$"):
        sp.train_parity_mlps(x, y, [1, 2, 3], steps=1)


def test_training_is_silent_unless_progress_is_asked(capsys):
    x, y = stack_data([parity_data(1, TWO_PARITIES, n_samples=16)])
    sp.train_parity_mlps(x, y, [1], steps=2)
    sp.parity_experiment([1], TWO_PARITIES, steps=2, n_samples=16)
    assert capsys.readouterr().err == ""
    sp.train_parity_mlps(x, y, [1], steps=2, progress=True)
    assert "MLP steps" in capsys.readouterr().err
    sp.parity_experiment([1], TWO_PARITIES, steps=2, n_samples=16, progress=True)
    assert "MLP steps" in capsys.readouterr().err


@pytest.mark.parametrize("seeds", [[5], [5, 6, 5]])
def test_an_experiment_trains_on_the_data_its_seeds_draw(seeds):
    freqs, tasks = [1.0, 0.25], ((0,), (1, 2))
    run = sp.parity_experiment(seeds, tasks, steps=3, frequencies=freqs, n_samples=40, train_fraction=0.5)
    data = [parity_data(s, tasks, n_samples=40, train_fraction=0.5) for s in seeds]
    x, y = stack_data(data)
    x_test, y_test = (torch.stack([getattr(d, k) for d in data]) for k in ("x_test", "y_test"))
    alone = sp.train_parity_mlps(x, y, seeds, freqs, steps=3, x_test=x_test, y_test=y_test)
    assert run.n_train == 20 and x_test.shape[1] == 20
    np.testing.assert_array_equal(run.correct, alone.correct)
    np.testing.assert_array_equal(run.train_rmse, alone.train_rmse)
    np.testing.assert_array_equal(run.test_accuracy, alone.test_accuracy)


def test_an_experiment_trains_with_the_backprop_it_is_given():
    calls = []

    def counting_backprop(layers, n_rows):
        """autograd_pass, counting the passes."""
        def step_pass(layers_, x, y, mask, backward):
            calls.append(backward)
            return sp.autograd_pass(layers_, x, y, mask, backward=backward)
        return step_pass

    sp.parity_experiment([2], TWO_PARITIES, steps=2, n_samples=16, backprop=counting_backprop)
    assert calls == [True, True, False]                # one pass per record, the last without a gradient


def test_the_learning_rate_given_is_adams():
    x, y = stack_data([parity_data(3, TWO_PARITIES, n_samples=64)])
    plain, fast = (sp.train_parity_mlps(x, y, [3], steps=3, lr=lr).train_rmse for lr in (sp.LEARNING_RATE, 1e-1))
    assert plain[0] == fast[0] and abs(fast[-1, 0] - plain[-1, 0]) > 1e-3


def test_frequencies_written_to_nine_digits_still_give_whole_rows():
    np.testing.assert_array_equal(sp.task_row_counts([0.333333333, 0.666666667], 300), [100, 200])
    with pytest.raises(ValueError, match="whole number"):
        sp.task_row_counts([0.3333, 0.6667], 300)


def test_a_progress_bar_labelled_mlp_steps_on_request(capfd):
    x, y = stack_data([parity_data(3, TWO_PARITIES, n_samples=64)])
    sp.train_parity_mlps(x, y, [3], steps=2, progress=True)
    assert re.search(r"(^|\r)MLP steps:", capfd.readouterr().err)
