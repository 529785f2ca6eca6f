"""One clock in the MLP trainers (sparse parity, two-task modularity, grokking): ``steps`` is the number of updates,
and record t is the model after t updates, t = 0 ... steps: record 0 is the initial model, and a shorter run is the
start of a longer one."""
import numpy as np
import torch
import torch.nn.functional as F

from skill_physics import mlp
from skill_physics import sparse_parity as sp
from skill_physics.grokking import (
    init_parameters,
    loss_and_accuracy,
    mlp_logits,
    mlp_shapes,
    modular_addition_split,
    train_grokking,
    unflatten,
)
from skill_physics.modularity import task_mse, train_two_task, two_task_data


def test_parity_records_the_initial_model_then_one_record_per_update():
    seeds = [3, 5]
    x, y = sp.stack_data([sp.parity_data(s, sp.TWO_PARITIES, n_samples=64) for s in seeds])
    run = sp.train_parity_mlps(x, y, seeds, [[1.0, 0.5], [1.0, 1.0]], steps=6)
    assert run.correct.shape == (7, 2, 2) and run.train_rmse.shape == (7, 2)
    initial = mlp.init_mlp([torch.Generator().manual_seed(s) for s in seeds], (32, sp.HIDDEN, 2), torch.float64)
    outputs = mlp.forward(initial, x, torch.relu)
    np.testing.assert_array_equal(run.correct[0], sp.correct_counts(outputs, y).numpy())
    np.testing.assert_allclose(run.train_rmse[0, 1], sp.masked_mse(outputs, y)[1].sqrt().item(), rtol=1e-12)
    shorter = sp.train_parity_mlps(x, y, seeds, [[1.0, 0.5], [1.0, 1.0]], steps=3)
    np.testing.assert_array_equal(shorter.correct, run.correct[:4])
    np.testing.assert_allclose(shorter.train_rmse, run.train_rmse[:4], rtol=1e-12)
    assert not np.array_equal(run.correct[0], run.correct[-1])


def test_two_task_records_the_initial_model_then_one_record_per_update():
    kw = dict(widths=(2, 8, 8, 2), n_samples=100, stop_when_learned=False)
    run = train_two_task([4], False, steps=5, **kw)
    assert run.mse.shape == (6, 1, 2)
    g = torch.Generator().manual_seed(4)
    initial = mlp.init_mlp([g], kw["widths"])
    x, target, mask, _ = two_task_data(g, kw["n_samples"])
    expected = task_mse(mlp.forward(initial, x[None], F.silu), target[None], mask[None])
    np.testing.assert_array_equal(run.mse[0], expected.detach().numpy())
    shorter = train_two_task([4], False, steps=2, **kw)
    np.testing.assert_array_equal(shorter.mse, run.mse[:3])
    assert not np.array_equal(run.mse[0], run.mse[-1])


def test_grokking_records_the_initial_model_then_one_record_per_update():
    kw = dict(lr=0.01, betas=(0.9, 0.999), weight_decay=0.0, modulus=7, embed_dim=4, width=8)
    run = train_grokking(steps=5, **kw)
    np.testing.assert_array_equal(run.steps, np.arange(6))
    assert run.train_loss.shape == (6, 1)
    shapes = mlp_shapes(7, 4, 8)
    a, b, labels = modular_addition_split(7, 0.8)["train"]
    loss, _ = loss_and_accuracy(mlp_logits(unflatten(init_parameters(shapes)[None], shapes), a, b), labels)
    np.testing.assert_array_equal(run.train_loss[0], loss.numpy())
    shorter = train_grokking(steps=2, **kw)
    np.testing.assert_array_equal(shorter.train_loss, run.train_loss[:3])
    assert run.train_loss[-1, 0] < run.train_loss[0, 0]
