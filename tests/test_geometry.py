"""The Geometry-model engine against closed forms, autograd, and itself run one by one."""
import numpy as np
import pytest
import torch

from skill_physics import power_law_frequencies, task_vectors, train_geometry
from skill_physics.geometry import combine, gradient_weights, project, residuals
from skill_physics.rng import CounterRNG


def test_signgd_single_task_ramps_linearly_then_holds():
    # one orthonormal task, batch gradient: every coordinate moves lr * sign(v_i) per step,
    # so the skill rises by lr * |v|_1 per step until it reaches 1
    lr = 3e-4
    v = task_vectors("orthogonal", 1, 1000, seed=1)
    rec = train_geometry(v, [1.0], steps=400, lr=lr, gradient="batch", batch_size=16)
    s = rec.skills[:, 0, 0].astype(float)
    slope = lr * v.abs().sum().item()
    n_ramp = int(1 / slope)
    np.testing.assert_allclose(s[:n_ramp], slope * np.arange(n_ramp), rtol=1e-3, atol=1e-5)
    assert np.all(np.abs(s[n_ramp + 1:] - 1) <= slope + 1e-5)   # then holds at 1, within one step


def test_sgd_on_the_expected_gradient_is_exponential_relaxation():
    # orthonormal tasks: s_k <- s_k + 2 lr p_k (1 - s_k), so s_k(t) = 1 - (1 - 2 lr p_k)^t
    K, lr, steps = 5, 0.1, 200
    p = power_law_frequencies(K, 1.0)
    rec = train_geometry(task_vectors("orthogonal", K, 50, seed=3), p, steps=steps, lr=lr, optimizer="sgd",
                         gradient="expected", dtype=torch.float64)
    t = np.arange(steps + 1)[:, None]
    np.testing.assert_allclose(rec.skills[:, 0], 1 - (1 - 2 * lr * p) ** t, atol=1e-10)


def test_one_clock_steps_counts_updates_and_record_t_is_the_state_after_t_updates():
    V, p = task_vectors("random_unit", 3, 8, seed=5), power_law_frequencies(3, 1.0)
    kw = dict(lr=1e-2, optimizer="adam", gradient="batch", batch_size=8, noise=0.1, seeds=4)
    full = train_geometry(V, p, steps=6, **kw)
    np.testing.assert_array_equal(full.steps, np.arange(7))                  # default: every state, 0 .. steps
    for t in range(7):
        alone = train_geometry(V, p, steps=max(t, 1), record=[t], **kw)      # t updates, then recorded
        np.testing.assert_array_equal(alone.skills[0], full.skills[t])
    np.testing.assert_array_equal(train_geometry(V, p, steps=6, record=[6], **kw).x, full.x)


def test_stacked_runs_equal_runs_one_by_one():
    V = task_vectors("random_unit", 6, 40, seed=0)
    p = power_law_frequencies(6, 2.0)
    lrs, seeds, noise = np.array([1e-3, 3e-3, 1e-2]), np.array([5, 6, 7]), np.array([0.0, 0.1, 0.3])
    kw = dict(steps=150, optimizer="adam", loss="ce", gradient="batch", batch_size=32)
    stacked = train_geometry(V, p, lr=lrs, seeds=seeds, noise=noise, **kw)
    for r in range(3):
        alone = train_geometry(V, p, lr=lrs[r], seeds=seeds[r], noise=noise[r], **kw)
        np.testing.assert_allclose(stacked.skills[:, r], alone.skills[:, 0], atol=1e-6)
        np.testing.assert_allclose(stacked.loss[:, r], alone.loss[:, 0], atol=1e-6)


def test_per_run_vectors_equal_shared_vectors():
    V = task_vectors("orthogonal", 4, 30, seed=2)
    p = power_law_frequencies(4, 1.0)
    shared = train_geometry(V, p, steps=100, lr=1e-3, gradient="batch", seeds=[0, 1])
    per_run = train_geometry(torch.stack([V, V]), p, steps=100, lr=1e-3, gradient="batch", seeds=[0, 1])
    np.testing.assert_allclose(shared.skills, per_run.skills, atol=1e-6)


@pytest.mark.parametrize("loss,scale", [("mse", 0.5), ("mse", 1.0), ("ce", 1.0)])
def test_count_gradient_equals_mean_of_per_sample_gradients(loss, scale):
    K, N, B = 7, 12, 64
    torch.manual_seed(0)
    V = torch.randn(K, N, dtype=torch.float64)
    x = torch.randn(1, N, dtype=torch.float64) * 0.3
    p = torch.as_tensor(power_law_frequencies(K, 1.0))[None]
    counts = CounterRNG([11]).categorical_counts(3, torch.cumsum(p, 1), B)
    g = combine(V, gradient_weights(residuals(project(V, x), loss), p, counts, B, loss, "batch", scale))
    # the same draw as a list of B task indices, differentiated sample by sample
    idx = torch.repeat_interleave(torch.arange(K), counts[0].long())
    xs = x.clone().requires_grad_(True)
    z = (V[idx] * xs).sum(-1)
    per_sample = (1 - z) ** 2 if loss == "mse" else -torch.nn.functional.logsigmoid(z)
    per_sample.mean().backward()
    torch.testing.assert_close(g, scale * xs.grad)


def test_counts_are_multinomial():
    p = torch.tensor([[0.6, 0.3, 0.1]], dtype=torch.float64)
    rng = CounterRNG([3])
    counts = torch.stack([rng.categorical_counts(t, torch.cumsum(p, 1), 50)[0] for t in range(4000)])
    assert torch.all(counts.sum(1) == 50)
    np.testing.assert_allclose(counts.mean(0), 50 * p[0], rtol=0.02)
    np.testing.assert_allclose(counts.var(0), 50 * p[0] * (1 - p[0]), rtol=0.08)


def test_padding_with_zero_tasks_and_dimensions_changes_nothing():
    V = task_vectors("orthogonal", 3, 20, seed=4)
    p = power_law_frequencies(3, 2.0)
    small = train_geometry(V, p, steps=120, lr=1e-3, seeds=9, optimizer="adam", gradient="batch")
    padded_V = torch.zeros(5, 26)
    padded_V[:3, :20] = V
    big = train_geometry(padded_V, np.r_[p, 0, 0], steps=120, lr=1e-3, seeds=9, optimizer="adam", gradient="batch")
    np.testing.assert_allclose(big.skills[:, :, :3], small.skills, atol=1e-6)
    assert np.all(big.x[:, 20:] == 0)


def test_aligned_dimensions_at_start():
    # at x = 0 with one task, -g is parallel to v: every coordinate is aligned
    v = task_vectors("random_unit", 1, 100, seed=0)
    rec = train_geometry(v, [1.0], steps=2, lr=1e-3, record_align=True)
    assert rec.n_align[0, 0, 0] == 100


def test_population_loss_at_init():
    rec = train_geometry(task_vectors("random_unit", 4, 10), power_law_frequencies(4, 1), steps=1, lr=0.01,
                         loss="ce", gradient="batch")
    assert rec.loss[0, 0] == pytest.approx(np.log(2))


@pytest.mark.parametrize("kwargs,match", [
    (dict(optimizer="rmsprop"), "optimizer='rmsprop'"),
    (dict(loss="hinge"), "loss='hinge'"),
    (dict(gradient="exact"), "gradient='exact'"),
    (dict(gradient="mimic"), "gradient='mimic'"),
    (dict(gradient_scale=0.0), "gradient_scale"),
    (dict(steps=0), "steps"),
    (dict(lr=-1.0), "lr"),
    (dict(batch_size=0), "batch_size"),
    (dict(noise=-0.1), "noise"),
])
def test_bad_arguments_raise(kwargs, match):
    args = dict(steps=5, lr=1e-3) | kwargs
    with pytest.raises(ValueError, match=match):
        train_geometry(task_vectors("random_unit", 3, 5), power_law_frequencies(3, 1), **args)


def test_stacked_runs_with_different_batch_sizes_equal_runs_alone():
    # each run counts its random words with its own batch size as stride, so its batches do not depend on the
    # batch sizes of the runs it is stacked with
    V = task_vectors("random_unit", 5, 20, seed=1)
    p = power_law_frequencies(5, 1.0)
    sizes = np.array([16, 1024, 128])
    stacked = train_geometry(V, p, steps=60, lr=1e-3, gradient="batch", batch_size=sizes, seeds=3)
    for r, b in enumerate(sizes):
        alone = train_geometry(V, p, steps=60, lr=1e-3, gradient="batch", batch_size=int(b), seeds=3)
        np.testing.assert_allclose(stacked.skills[:, r], alone.skills[:, 0], atol=1e-6)
