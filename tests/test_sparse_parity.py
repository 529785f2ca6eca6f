"""Multitask sparse parity (Figs 2, 16): data, task-frequency subsets, the batched MLP trainer, the two scripts."""
import json
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
