"""What ``train_geometry`` promises its caller beyond the dynamics: how many runs it infers, what it records and in
which dtype, its errors and progress bar, and where the original's float32 forms change a run (the CE residual that
rounds to zero once sigmoid(z) rounds to 1: arXiv 2501.12391, Fig 15's floor). ``OriginalGeometryDraws``' block sizing
and errors."""
import re

import numpy as np
import pytest
import torch

from skill_physics import power_law_frequencies, task_vectors, train_geometry
from skill_physics.geometry import gradient_weights, population_loss, residuals
from skill_physics.paper.replay import streams as replay
from skill_physics.paper.replay.geometry import OriginalGeometryDraws, original_draws, original_vectors
from skill_physics.rng import CounterRNG

K, N = 3, 6


def small(**kwargs):
    """A few steps of a small run with sampled batches; keyword arguments override these settings."""
    args = dict(vectors=task_vectors("random_unit", K, N, seed=0), frequencies=power_law_frequencies(K, 1.0),
                steps=5, lr=1e-2, gradient="batch") | kwargs
    return train_geometry(args.pop("vectors"), args.pop("frequencies"), **args)


# ---- the number of stacked runs -----------------------------------------------------------------------------------

def test_per_run_vectors_alone_set_the_number_of_runs():
    V = torch.stack([task_vectors("random_unit", K, N, seed=s) for s in range(4)])
    rec = small(vectors=V)
    assert rec.skills.shape == (6, 4, K) and rec.x.shape == (4, N)
    assert not np.allclose(rec.skills[:, 0], rec.skills[:, 1])       # each run its own vectors


def test_per_run_frequencies_alone_set_the_number_of_runs():
    p = np.stack([power_law_frequencies(K, a) for a in (0.5, 1.0, 2.0)])
    rec = small(frequencies=p, gradient="expected", optimizer="sgd")
    assert rec.skills.shape == (6, 3, K)
    assert not np.allclose(rec.skills[:, 0], rec.skills[:, 2])


def test_runs_that_disagree_on_their_number_raise():
    V = torch.stack([task_vectors("random_unit", K, N, seed=s) for s in range(2)])
    p = np.stack([power_law_frequencies(K, 1.0)] * 3)
    with pytest.raises(ValueError, match=r"disagree on the number of runs: \[1, 2, 3, 4\]"):
        small(vectors=V, frequencies=p, lr=np.full(4, 1e-2))
    with pytest.raises(ValueError, match=r"disagree on the number of runs: \[1, 2, 3\]"):
        small(vectors=V, lr=np.full(3, 1e-2))


# ---- arguments ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,match", [
    (dict(steps=0), r"^steps must be a positive integer, got 0$"),
    (dict(steps=5.0), r"^steps must be a positive integer, got 5\.0$"),
    (dict(lr=0.0), r"^lr must be positive"),
    (dict(batch_size=np.array([4, 0])), r"^batch_size must be positive"),
    (dict(record=[]), r"^record indices must lie in \[0, steps=5\]$"),
    (dict(record=[-1, 2]), r"^record indices must lie in \[0, steps=5\]$"),
    (dict(record=[0, 6]), r"^record indices must lie in \[0, steps=5\]$"),
    (dict(vectors=torch.zeros(1, 2, K, N)), r"^vectors must be \(K, N\) or \(R, K, N\).*got \(1, 2, 3, 6\) and \(3,\)"),
    (dict(frequencies=[0.5, 0.5]), r"^vectors must be .*got \(3, 6\) and \(2,\)$"),
    (dict(gradient="mimic"), r"^gradient='mimic' is not allowed"),
    (dict(gradient_scale=-1.0), r"^gradient_scale must be positive"),
])
def test_bad_arguments_say_what_is_wrong(kwargs, match):
    with pytest.raises(ValueError, match=match):
        small(**kwargs)


def test_defaults_record_every_state_from_0_to_steps_updates_with_seed_zero_and_no_alignment():
    rec = small()
    np.testing.assert_array_equal(rec.steps, np.arange(6))
    assert rec.n_align is None
    np.testing.assert_array_equal(rec.skills, small(seeds=0).skills)
    assert not np.array_equal(rec.skills, small(seeds=1).skills)


def test_record_returns_the_sorted_unique_steps_it_was_given():
    rec = small(record=[5, 0, 2, 2])
    np.testing.assert_array_equal(rec.steps, [0, 2, 5])
    full = small(record=np.arange(6))
    np.testing.assert_array_equal(rec.skills, full.skills[[0, 2, 5]])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("gradient", ["batch", "expected"])
def test_records_have_the_promised_dtypes(dtype, gradient):
    rec = small(dtype=dtype, gradient=gradient, record_align=True, noise=0.1)
    numpy_dtype = np.float32 if dtype == torch.float32 else np.float64
    assert rec.skills.dtype == numpy_dtype and rec.x.dtype == numpy_dtype
    assert rec.loss.dtype == np.float64            # the population loss is summed in float64 whatever the run's dtype
    assert rec.n_align.dtype == np.int32


def test_float64_noise_is_the_counter_normals_drawn_in_float64():
    # one SGD step from x = 0: the noisy run minus the clean one is -lr * sigma * xi, xi the float64 normals of step 0
    lr, sigma, seed = 0.5, 0.25, 11
    x = small(optimizer="sgd", lr=lr, noise=np.array([0.0, sigma]), seeds=seed, steps=1, record=[1],
              dtype=torch.float64).x
    xi = CounterRNG([seed]).normal("noise", 0, N, torch.float64)[0].numpy()
    np.testing.assert_allclose((x[0] - x[1]) / (lr * sigma), xi, rtol=1e-12)


def test_aligned_dimensions_count_only_coordinates_that_move_a_skill_up():
    # one-hot tasks and the full expectation: -g = p_k (1 - s_k) e_k, so task k has one aligned coordinate while
    # p_k > 0 and none where p_k = 0 (a zero gradient aligns nothing; its zero coordinates align nothing either)
    rec = small(vectors=torch.eye(K, N), frequencies=[0.5, 0.5, 0.0], gradient="expected", optimizer="sgd",
                record_align=True, lr=0.1)
    np.testing.assert_array_equal(rec.n_align[:, 0], np.tile([1, 1, 0], (6, 1)))


def test_a_coordinate_where_the_gradient_cancels_exactly_aligns_with_no_task():
    # two equal tasks whose second coordinates are +1 and -1: g's second coordinate is exactly 0 at every step
    rec = train_geometry(torch.tensor([[1.0, 1.0], [1.0, -1.0]]) / np.sqrt(2), [0.5, 0.5], steps=3, lr=0.1,
                         gradient="expected", optimizer="sgd", record_align=True)
    np.testing.assert_array_equal(rec.n_align[:, 0], np.ones((4, 2)))


def test_no_progress_bar_by_default_and_a_labelled_one_with_its_total_on_request(capfd):
    small(steps=7)
    assert capfd.readouterr().err == ""
    small(steps=7, progress="relaxation")
    err = capfd.readouterr().err
    assert "relaxation" in err and "/7" in err          # steps=7: 7 updates
    small(steps=7, progress=True)
    assert re.search(r"\bgeometry\b", capfd.readouterr().err)


# ---- the original's float32 forms ---------------------------------------------------------------------------------

def test_ce_weights_use_the_float64_residual_unless_asked_for_the_originals():
    z = torch.tensor([[20.0]])          # float32 sigmoid(20) rounds to 1: the original's residual 1 - sigmoid is 0
    p, counts = torch.tensor([[1.0]]), torch.tensor([[4.0]])
    rounded, exact = residuals(z, "ce", rounded_sigmoid=True), residuals(z, "ce")
    assert gradient_weights(rounded, p, counts, 4.0, "ce", "batch").item() == 0.0
    w = gradient_weights(exact, p, counts, 4.0, "ce", "batch").item()
    assert w == pytest.approx(-np.exp(-20.0), rel=1e-5)
    assert population_loss(z, p.double(), "ce", rounded_sigmoid=True).item() == 0.0
    assert population_loss(z, p.double(), "ce").item() == pytest.approx(np.exp(-20.0), rel=1e-6)


def test_original_ce_run_stops_where_float32_sigmoid_reaches_one():
    # one task along e_1, SignGD (Adam with betas 0, as the original): z climbs until float32 sigmoid(z) rounds to 1;
    # from then on the original's residual 1 - sigmoid(z), its gradient and its loss are exactly 0 and z stays put,
    # while the float64 forms (sigmoid(-z), softplus) keep a small gradient and a falling loss
    steps = 40
    v, p = torch.eye(1, 2), [1.0]
    args = dict(steps=steps, lr=1.0, optimizer="signgd", loss="ce", gradient="batch", batch_size=4,
                record=np.arange(steps + 1))
    counter = train_geometry(v, p, **args)
    original = train_geometry(v, p, rounded_sigmoid=True, draws=OriginalGeometryDraws([replay.generators(0)], 4),
                              **args)
    top = original.x[0, 0]
    assert torch.sigmoid(torch.tensor(top)).item() == 1.0 and 10 < top < 20
    stopped = original.loss[:, 0] == 0
    first = int(np.argmax(stopped))
    assert 10 < first < steps - 10 and np.all(stopped[first:]) and not np.any(stopped[:first])
    assert np.all(original.skills[first:, 0, 0] == 1.0)
    assert np.all(np.diff(counter.loss[:, 0]) < 0) and counter.loss[-1, 0] > 0
    assert counter.x[0, 0] > top + 3


def test_original_draws_are_the_arguments_of_a_replay_with_the_float32_sigmoid():
    v, p = torch.eye(2, 3), [0.7, 0.3]
    args = dict(steps=6, lr=0.5, optimizer="signgd", loss="ce", gradient="batch", batch_size=4)
    replayed = original_draws([replay.generators(0)], 4)
    assert set(replayed) == {"draws", "rounded_sigmoid"} and replayed["rounded_sigmoid"] is True
    with pytest.raises(ValueError, match=r"^the original draws 0 normals per step"):
        replayed["draws"].normal("noise", 0, 1)
    by_hand = train_geometry(v, p, draws=OriginalGeometryDraws([replay.generators(0)], 4), rounded_sigmoid=True,
                             **args)
    np.testing.assert_array_equal(train_geometry(v, p, **original_draws([replay.generators(0)], 4), **args).skills,
                                  by_hand.skills)
    noisy = original_draws([replay.generators(0)], 4, noise_size=3)["draws"]
    assert noisy.normal("noise", 0, 3).shape == (1, 3)


# ---- OriginalGeometryDraws ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("runs,batch_size,block", [(1, 128, 512), (2, 2 ** 12, 512), (1, 3 * 2 ** 12, 341),
                                                   (3, 2 ** 14, 85), (1, 2 ** 22 + 1, 1)])
def test_blocks_hold_at_most_2_to_the_22_uniforms(runs, batch_size, block):
    streams = OriginalGeometryDraws([replay.generators(r) for r in range(runs)], batch_size)
    assert streams.block == block


def test_streams_without_noise_refuse_normals_and_are_read_in_order():
    streams = OriginalGeometryDraws([replay.generators(0)], 8)
    with pytest.raises(ValueError, match=r"^the original draws 0 normals per step, 1 were asked for$"):
        streams.normal("noise", 0, 1)
    cdf = torch.tensor([[0.5, 1.0]], dtype=torch.float64)
    streams.categorical_counts(0, cdf, 8)
    with pytest.raises(ValueError, match=r"^original streams are read step by step; step 600 after 0$"):
        streams.categorical_counts(600, cdf, 8)


def test_normals_come_in_the_dtype_asked_for():
    streams = OriginalGeometryDraws([replay.generators(0)], 8, noise_size=3)
    assert streams.normal("noise", 0, 3, torch.float64).dtype == torch.float64
    assert streams.normal("noise", 0, 2).dtype == torch.float32


def test_original_vectors_name_the_bad_kind():
    with pytest.raises(ValueError, match=r"^kind='orthogonal' is not allowed"):
        original_vectors(torch.Generator(), "orthogonal", K, N)
