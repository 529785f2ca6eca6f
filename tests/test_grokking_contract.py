"""What ``train_grokking`` and its parts promise beyond the dynamics: the paper's defaults, the number of stacked runs,
what is recorded and in which dtype, the progress bar, and the accuracy and operands of the modular-addition data."""
import re

import numpy as np
import torch

from skill_physics import mlp
from skill_physics.grokking import (
    flatten,
    init_parameters,
    layer_widths,
    loss_and_accuracy,
    mlp_shapes,
    modular_addition_split,
    pair_operands,
    train_grokking,
)

SMALL = dict(modulus=5, embed_dim=3, width=4)
ADAMW = dict(lr=1e-2, betas=(0.9, 0.98), weight_decay=0.1)


def small(**kwargs):
    """A few full-batch steps of a small model; keyword arguments override these settings."""
    return train_grokking(**(dict(steps=2, **SMALL, **ADAMW) | kwargs))


def test_the_defaults_are_the_papers_model_with_no_progress_bar(capfd):
    # p = 59, d = 128, w = 100 (arXiv 2501.12391, Sec. 6): the same start as the model built with them by hand
    default = train_grokking(steps=1, record=[0], **ADAMW)
    explicit = train_grokking(steps=1, record=[0], **ADAMW, modulus=59, embed_dim=128, width=100)
    assert capfd.readouterr().err == ""
    np.testing.assert_array_equal(default.train_loss, explicit.train_loss)


def test_a_learning_rate_weight_decay_or_betas_per_run_set_the_number_of_runs():
    by_lr = small(lr=[1e-3, 1e-1])
    by_wd = small(weight_decay=[0.0, 10.0])
    by_betas = small(betas=[(0.9, 0.98), (0.0, 0.0)])
    for run in (by_lr, by_wd, by_betas):
        assert run.train_loss.shape == (3, 2)
        assert run.train_loss[0, 0] == run.train_loss[0, 1] and run.train_loss[2, 0] != run.train_loss[2, 1]


def test_only_the_asked_steps_are_recorded():
    run = small(steps=3, record=[0, 2])
    np.testing.assert_array_equal(run.steps, [0, 2])
    assert run.train_loss.shape == (2, 1)


def test_the_seed_draws_the_split_and_the_start():
    shapes = mlp_shapes(**SMALL)
    by_hand = small(split=modular_addition_split(5, 0.8, 1), theta=init_parameters(shapes, 1))
    np.testing.assert_array_equal(small(seed=1).test_loss, by_hand.test_loss)
    assert not np.array_equal(small(seed=0).test_loss, by_hand.test_loss)


def test_float32_runs_compute_in_float32_whatever_the_start_given():
    wide = small(dtype=torch.float64)
    for run in (small(dtype=torch.float32),
                small(dtype=torch.float32, theta=init_parameters(mlp_shapes(**SMALL), 0, torch.float64))):
        np.testing.assert_allclose(run.train_loss, wide.train_loss, rtol=1e-5)
        assert not np.array_equal(run.train_loss, wide.train_loss)


def test_integer_betas_train_like_float_betas():
    np.testing.assert_array_equal(small(betas=(0, 0)).train_loss, small(betas=(0.0, 0.0)).train_loss)


def test_a_labelled_bar_counts_the_states_on_request(capfd):
    small(steps=4, progress=True)
    err = capfd.readouterr().err
    assert re.search(r"\bgrokking\b", err) and "/5" in err      # states 0 .. 4


def test_the_start_is_the_float64_embedding_then_the_mlp_draws_of_one_generator():
    shapes = mlp_shapes(**SMALL)
    gen = torch.Generator().manual_seed(3)
    embedding = torch.randn(shapes["embedding"], generator=gen, dtype=torch.float64)
    expected = flatten(embedding, mlp.init_mlp([gen], layer_widths(shapes), torch.float64), shapes)
    theta = init_parameters(shapes, 3)
    assert theta.dtype == torch.float64 and torch.equal(theta, expected)
    narrow = init_parameters(shapes, 3, torch.float32)
    assert narrow.dtype == torch.float32 and torch.equal(narrow, expected.float())


def test_accuracy_is_the_share_of_argmax_hits_per_run():
    labels = torch.tensor([0, 1, 2])
    logits = torch.zeros(2, 3, 3, dtype=torch.float64)
    logits[0, [0, 1, 2], [0, 1, 0]] = 1.0      # run 0 predicts 0, 1, 0: two hits
    logits[1, :, 2] = 1.0                       # run 1 predicts 2 everywhere: one hit
    loss, accuracy = loss_and_accuracy(logits, labels)
    np.testing.assert_allclose(accuracy, [2 / 3, 1 / 3])
    assert loss.shape == (2,) and loss[0] < loss[1]


def test_operands_are_int64_whatever_the_pairs_integer_type():
    a, b, label = pair_operands(np.array([7, 24], dtype=np.int32), 5)
    assert a.dtype == b.dtype == label.dtype == torch.int64
    np.testing.assert_array_equal(a, [2, 4])
    np.testing.assert_array_equal(b, [1, 4])
    np.testing.assert_array_equal(label, [3, 3])
