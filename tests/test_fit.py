"""Measuring your own runs (``fits.fit_skills``): it gives back the N0 of curves the Resource model made, its Domino
statistics follow their definitions, and with eta_eff fixed it is Fig 7 bottom's fit."""
from decimal import Decimal

import numpy as np
import pytest

from skill_physics import power_law_frequencies, resource_model
from skill_physics.fits import (
    FIT_POINTS,
    N0_GRID,
    _fit_points,
    fit_n0,
    fit_skills,
    fitted_curves,
    mean_squared_difference,
    resource_curves,
    skill_level,
    skills_from_losses,
)

K = 8
P = power_law_frequencies(K, 1.5)
STEP = 10.0 ** 0.1     # the default grid's spacing


def resource_run(n0, steps=4000, eta=None, loss="mse"):
    """Curves the discrete Resource model makes at ``n0`` (small eta: near its continuous limit), row t after t
    updates."""
    eta = 0.01 * (1 + n0) if eta is None else eta
    return resource_model(P, eta_eff=eta, n0=n0, steps=steps, loss=loss).skills[:-1], np.arange(steps)


@pytest.mark.parametrize("n0", [1e-3, 1e-2, 1e-1, 1.0, 10.0])
def test_recovers_n0_over_four_decades_within_one_grid_step(n0):
    skills, steps = resource_run(n0, steps=20_000 if n0 >= 10 else 4000)
    fit = fit_skills(skills, steps, frequencies=P)
    assert abs(np.log10(fit.n0[0] / n0)) <= np.log10(STEP) + 1e-9
    assert fit.error[0] < fit.domino_error[0] and fit.error[0] < fit.parallel_error[0]


@pytest.mark.parametrize("n0", [1e-2, 1e-1, 1.0])
def test_recovers_n0_from_noisy_curves_within_a_factor_of_two(n0):
    skills, steps = resource_run(n0)
    noisy = np.clip(skills + np.random.default_rng(0).normal(0, 0.02, skills.shape), 0, 1)
    fit = fit_skills(noisy, steps, frequencies=P)
    assert 0.5 <= fit.n0[0] / n0 <= 2.0


def test_the_ce_form_is_recovered_too():
    skills, steps = resource_run(0.1, loss="ce", eta=0.05)
    fit = fit_skills(skills, steps, frequencies=P, loss="ce")
    assert abs(np.log10(fit.n0[0] / 0.1)) <= np.log10(STEP) + 1e-9 and fit.loss == "ce"


def test_the_limits_and_the_competition_share():
    domino, steps = resource_run(1e-4)
    parallel = 1 - np.exp(-np.outer(steps, P) * 0.01)             # decoupled skills: l_k = exp(-eta p_k t)
    fits = fit_skills(np.stack([domino, parallel]), steps, frequencies=P)
    assert fits.domino_error[0] < 1e-3 * fits.parallel_error[0]        # Domino data: the Domino limit fits
    assert fits.parallel_error[1] < 1e-3 * fits.domino_error[1]        # parallel data: the parallel limit fits
    np.testing.assert_allclose(fits.parallel_eta[1], 0.01, rtol=0.03)
    assert fits.competition[0] > 0.99 and fits.competition[1] < 0.02   # 1 / (1 + N0) at the start
    low, high = fits.competition_range[0]
    assert low <= fits.competition[0] <= high


def test_runs_fit_at_once_as_alone():
    runs = [resource_run(n0)[0] for n0 in (0.01, 1.0)]
    steps = np.arange(4000)
    together = fit_skills(np.stack(runs), steps, frequencies=P)
    for r, run in enumerate(runs):
        alone = fit_skills(run, steps, frequencies=P)
        assert together.n0[r] == alone.n0[0] and together.eta[r] == alone.eta[0]
        np.testing.assert_array_equal(together.errors[r], alone.errors[0])


def test_learning_times_and_domino_statistics_follow_their_definitions():
    steps = np.arange(10.0)
    first = np.clip(steps / 4, 0, 1)                                   # completes (0.9) at step 4
    second = np.clip((steps - 4) / 4, 0, 1)                            # starts when the first completes
    fit = fit_skills(np.stack([second, first], 1), steps, frequencies=[0.2, 0.8])   # columns out of order
    np.testing.assert_array_equal(fit.order, [1, 0])
    np.testing.assert_array_equal(fit.onset[0], [1, 5])                # first step at or above 0.1
    np.testing.assert_array_equal(fit.completion[0], [4, 8])
    np.testing.assert_array_equal(fit.duration[0], [3, 3])
    assert fit.after_previous[0, 0] == 1.0                             # all of its gain after the first completed
    assert fit.delay_ratio[0, 0] == 2.0 and fit.frequency_ratio[0] == 4.0


def test_alpha_gives_power_law_frequencies_by_column():
    skills, steps = resource_run(0.1)
    fit = fit_skills(skills, steps, alpha=1.5)
    np.testing.assert_allclose(fit.frequencies, P)


def test_with_eta_fixed_it_is_fig7_bottoms_fit():
    skills, _ = resource_run(0.3, steps=500, eta=0.05)
    noisy = np.clip(skills + np.random.default_rng(1).normal(0, 0.01, skills.shape), 0, 1)
    best, _ = fit_n0(noisy[:, None, :], P, 0.05, N0_GRID)
    fit = fit_skills(noisy, np.arange(500), frequencies=P, n0_grid=N0_GRID, eta_eff=0.05)
    assert fit.n0[0] == best[0] and fit.eta[0] == 0.05


def test_fitted_curves_are_the_model_at_the_fitted_time_scale():
    skills, steps = resource_run(0.1)
    fit = fit_skills(skills, steps, frequencies=P)
    best, domino, parallel = fitted_curves(fit)
    assert best.shape == domino.shape == parallel.shape == skills.shape
    assert np.mean((best - skills) ** 2) == pytest.approx(fit.error[0], rel=0.5)
    np.testing.assert_allclose(resource_curves(P, [np.inf], [0.0, 1e9])[-1], 1.0)


def test_losses_become_skills_by_a_named_rule():
    losses = np.array([[2.0, 1.0], [1.0, 0.5], [0.0, 0.0]])
    np.testing.assert_allclose(skills_from_losses(losses, "exp"), np.exp(-losses))
    np.testing.assert_allclose(skills_from_losses(losses, "linear"), [[0, 0], [0.5, 0.5], [1, 1]])
    with pytest.raises(ValueError, match=r"^rule='log' is not allowed"):
        skills_from_losses(losses, "log")


@pytest.mark.parametrize("kwargs,match", [
    ({}, r"^give either frequencies or alpha$"),
    ({"alpha": 1.0, "frequencies": P}, r"^give either frequencies or alpha$"),
    ({"alpha": 1.0, "loss": "hinge"}, r"^loss='hinge' is not allowed"),
])
def test_bad_arguments_say_what_is_wrong(kwargs, match):
    skills, steps = resource_run(0.1, steps=50)
    with pytest.raises(ValueError, match=match):
        fit_skills(skills, steps, **kwargs)


def test_fig2s_mlp_learns_serially_and_the_best_fit_beats_the_parallel_limit():
    """The paper's expectation (Sec. 4, Fig 2): the frequent parity is learned first, the rare one about twice as late
    (not ten times, as independent learning at rates ∝ p would have it), so the Resource model fits near its Domino
    limit and clearly better than the parallel one. Four seeds of a smaller data set (3 000 rows, 800 steps)."""
    from skill_physics.sparse_parity import TWO_PARITIES, parity_experiment
    out = parity_experiment([0, 1, 2, 3], TWO_PARITIES, steps=800, frequencies=[1.0, 0.1], n_samples=3000)
    skills = np.moveaxis(np.clip(2 * out.accuracy - 1, 0, 1), 1, 0)              # chance 1/2 -> skill 0
    fit = fit_skills(skills, np.arange(801), frequencies=[1.0, 0.1])
    assert not np.isnan(fit.completion).any()
    assert np.all(fit.parallel_error > 2 * fit.error) and np.median(fit.parallel_error / fit.error) > 5
    assert np.all(fit.competition > 0.9)
    assert 1.5 < np.median(fit.delay_ratio) < 3 and fit.frequency_ratio[0] == 10


# ---- the closed form, exact recovery, any time scale, and Fig 7 bottom's Geometry runs ------------------------------

P20 = power_law_frequencies(20, 1.0)


@pytest.mark.parametrize("loss", ["mse", "ce"])
def test_the_closed_form_is_the_discrete_models_small_step_limit(loss):
    """resource_curves solves dl/dtau = -c / (sum c + N0) exactly: the discrete map at step eta differs by O(eta)."""
    gaps = []
    for eta in (0.02, 0.01):
        steps = int(8 / eta)
        discrete = resource_model(P, eta_eff=eta, n0=0.05, steps=steps, loss=loss).skills
        exact = resource_curves(P, [0.05], eta * np.arange(steps + 1), loss)[:, 0]
        gaps.append(np.abs(discrete - exact).max())
    assert gaps[1] < 0.01 and gaps[0] / gaps[1] == pytest.approx(2, rel=0.15)   # first order in eta


def test_twenty_skills_over_four_decades_are_recovered_exactly():
    """Curves of the continuous model at N0 on the grid, 10 000 steps: that N0, its eta_eff, no error left."""
    n0 = np.array([1e-3, 1e-2, 1e-1, 1.0, 10.0])
    steps = np.arange(10_000.0)
    curves = np.stack([resource_curves(P20, [n], 0.02 * (1 + n) * steps)[:, 0] for n in n0])
    fit = fit_skills(curves, steps, frequencies=P20)
    np.testing.assert_allclose(fit.n0, n0, rtol=1e-9)
    np.testing.assert_allclose(fit.eta, 0.02 * (1 + n0), rtol=1e-6)
    assert np.all(fit.error < 1e-20) and np.all(fit.domino_factor > 1e6) and np.all(fit.parallel_factor > 1e6)


def test_the_ce_form_over_three_decades_is_recovered_exactly():
    n0 = np.array([0.01, 0.1, 1.0])
    steps = np.arange(3000.0)
    curves = np.stack([resource_curves(P, [n], 0.05 * steps, "ce")[:, 0] for n in n0])
    fit = fit_skills(curves, steps, frequencies=P, loss="ce")
    np.testing.assert_allclose(fit.n0, n0, rtol=1e-9)
    assert np.all(fit.error < 1e-20)
    np.testing.assert_allclose(fit.competition, 0.5 / (0.5 + n0))            # sum_k p_k sigmoid(-0) = 1/2


def test_the_time_scale_is_whatever_the_steps_count():
    """Steps counted in tokens (a million per update) give the same N0 and eta_eff a million times smaller."""
    skills, steps = resource_run(0.1)
    per_update, per_token = fit_skills(skills, steps, frequencies=P), fit_skills(skills, steps * 1e6, frequencies=P)
    assert per_token.n0[0] == per_update.n0[0] == pytest.approx(0.1)
    assert per_token.eta[0] == pytest.approx(per_update.eta[0] * 1e-6, rel=1e-6)


def test_noisy_curves_keep_the_truth_inside_the_stated_range():
    """Noise 0.03 on 8 skills: the best N0 within 0.3 decades, and the N0 within 1.25x the best error contain it."""
    steps = np.arange(4000.0)
    rng = np.random.default_rng(3)
    for n0 in (0.01, 0.1, 1.0):
        clean = resource_curves(P, [n0], 0.01 * (1 + n0) * steps)[:, 0]
        fit = fit_skills(np.clip(clean + rng.normal(0, 0.03, (3,) + clean.shape), 0, 1), steps, frequencies=P)
        assert np.all(np.abs(np.log10(fit.n0 / n0)) <= 0.3 + 1e-9)
        assert np.all((fit.n0_range[:, 0] <= n0 * (1 + 1e-9)) & (n0 <= fit.n0_range[:, 1] * (1 + 1e-9)))
        np.testing.assert_allclose(fit.competition_range, 1 / (1 + fit.n0_range[:, ::-1]))


def test_fig7_bottoms_geometry_runs():
    """Fig 7 bottom's noise sweep (N = 1000, K = 10, alpha = 2, SignGD lr 1e-3, B = 128, 1000 steps, three noise
    levels). With eta_eff fixed at 2 lr sqrt(N), fit_skills is fit_n0 (its errors to rounding: the frequencies are
    normalised once more). With eta_eff free, where
    the figure's N0 < 1 (the skills compete) the best N0 agrees within 0.2 decades; where it is larger only
    eta_eff / N0 is measured: the free fit's range holds the figure's N0 and its eta_eff / N0 is within 15 %."""
    import torch

    from skill_physics import effective_rate, task_vectors, train_geometry
    p, noise = power_law_frequencies(10, 2.0), np.array([1e-3, 1e-2, 0.1])
    vectors = task_vectors("random_unit", 10, 1000, generator=torch.Generator().manual_seed(2))
    rec = train_geometry(vectors, p, steps=1000, lr=1e-3, optimizer="signgd", loss="mse", gradient="batch",
                         batch_size=128, noise=noise, seeds=2)
    skills, eta = np.asarray(rec.skills, float), effective_rate(1e-3, 1000)
    figure_n0, figure_errors = fit_n0(skills, p, eta, N0_GRID)
    fixed = fit_skills(np.moveaxis(skills, 1, 0), rec.steps, frequencies=p, eta_eff=eta, n0_grid=N0_GRID)
    np.testing.assert_array_equal(fixed.n0, figure_n0)
    np.testing.assert_allclose(fixed.errors, figure_errors, rtol=1e-12)
    free = fit_skills(np.moveaxis(skills, 1, 0), rec.steps, frequencies=p)
    compete = figure_n0 < 1
    assert compete.sum() == 2 and np.all(np.abs(np.log10(free.n0 / figure_n0))[compete] <= 0.2)
    low, high = free.n0_range[~compete].T
    assert np.all((low <= figure_n0[~compete]) & (figure_n0[~compete] <= high))
    np.testing.assert_allclose((free.eta / free.n0)[~compete], eta / figure_n0[~compete], rtol=0.15)


def test_domino_statistics_of_a_skill_after_one_never_completed():
    steps = np.arange(10.0)
    first, second = np.clip(steps / 20, 0, 1), np.clip((steps - 2) / 4, 0, 1)   # the first never reaches 0.9
    fit = fit_skills(np.stack([first, second], 1), steps, frequencies=[0.8, 0.2])
    assert np.isnan(fit.completion[0, 0]) and fit.completion[0, 1] == 6
    assert np.isnan(fit.after_previous[0, 0]) and np.isnan(fit.delay_ratio[0, 0])


def test_an_mse_loss_becomes_the_mse_forms_skill_by_the_sqrt_rule():
    skills, _ = resource_run(0.1, steps=200)
    np.testing.assert_allclose(skills_from_losses((1 - skills) ** 2, "sqrt"), skills, atol=1e-12)


@pytest.mark.parametrize("kwargs,match", [
    ({"frequencies": [1.0, 2.0]}, r"^frequencies must be 8 positive numbers"),
    ({"frequencies": -P}, r"^frequencies must be 8 positive numbers"),
    ({"alpha": 1.0, "steps": np.arange(50.0)[::-1]}, r"^steps must increase from >= 0"),
    ({"alpha": 1.0, "steps": np.arange(50.0) - 1}, r"^steps must increase from >= 0"),
    ({"alpha": 1.0, "steps": np.r_[0.0, np.arange(49.0)]}, r"^steps must increase from >= 0"),
    ({"alpha": 1.0, "steps": np.arange(49.0)}, r"^skills of shape \(1, 50, 8\) and steps of shape \(49,\): give "
     r"skills \(T, K\) or \(R, T, K\) and steps \(T,\), T >= 3$"),
    ({"alpha": 1.0, "skills": np.full((50, 8), np.nan)},
     r"^skills and steps must be finite numbers \(no NaN or inf\)$"),
    ({"frequencies": np.r_[P[:-1], 0.0]}, r"^frequencies must be 8 positive numbers"),
    ({"alpha": 1.0, "eta_eff": 0.01, "loss": "ce"}, r"^eta_eff is fixed for the MSE form only"),
    ({"alpha": 1.0, "eta_eff": 0.01, "steps": np.arange(50.0) + 0.5},
     r"^eta_eff is fixed for steps that count updates \(integers\) only$"),
])
def test_bad_curves_say_what_is_wrong(kwargs, match):
    skills, steps = resource_run(0.1, steps=50)
    kwargs = {"skills": skills, "steps": steps} | kwargs
    with pytest.raises(ValueError, match=match):
        fit_skills(**kwargs)


def test_up_to_fit_points_records_every_record_counts_once():
    # at most FIT_POINTS records: all of them, each standing for itself
    for n in (3, FIT_POINTS):
        idx, weight = _fit_points(n)
        np.testing.assert_array_equal(idx, np.arange(n))
        np.testing.assert_array_equal(weight, np.ones(n))


def test_with_fit_points_records_the_error_is_the_plain_mean_over_all_of_them():
    p = power_law_frequencies(4, 1.5)
    skills = resource_model(p, eta_eff=0.01, n0=0.1, steps=FIT_POINTS).skills[:-1]
    fit = fit_skills(skills, np.arange(FIT_POINTS), frequencies=p)
    best, _, _ = fitted_curves(fit)
    assert fit.error[0] == pytest.approx(np.mean((best - skills) ** 2), rel=1e-9)


def test_long_runs_are_read_at_evenly_and_log_evenly_spread_records():
    n = 10_000
    idx, weight = _fit_points(n)
    half = FIT_POINTS // 2
    assert len(idx) <= FIT_POINTS and np.all(np.diff(idx) > 0)
    # half of the points evenly from the first record to the last, half log-evenly (records 0 .. n - 1 as 1 .. n)
    assert set(np.round(np.linspace(0, n - 1, half)).astype(int)) <= set(idx)
    assert set(np.round(np.geomspace(1, n, half) - 1).astype(int)) <= set(idx)
    # each stands for the records nearer to it than to its neighbours: together all n
    assert weight.sum() == n
    nearest = np.abs(np.arange(n)[:, None] - idx[None, :]).argmin(1)
    ties = np.isin(np.arange(n), (idx[1:] + idx[:-1]) / 2)
    np.testing.assert_allclose(weight, np.bincount(nearest[~ties], minlength=len(idx))
                               + 0.5 * np.bincount(nearest[ties], minlength=len(idx))
                               + 0.5 * np.bincount(nearest[ties] + 1, minlength=len(idx))[:len(idx)])


def test_fit_n0_gives_float_n0_for_an_integer_grid():
    skills, _ = resource_run(1.0, steps=50, eta=0.05)
    best, errors = fit_n0(skills[:, None, :], P, 0.05, [0, 1, 10])
    assert best.dtype == np.float64 and best[0] == 1.0 and errors.shape == (1, 3)


def test_fitted_curves_of_a_ce_fit_are_in_the_ce_form():
    # the CE form's skills start at 1/2, the MSE form's at 0
    p = power_law_frequencies(4, 1.5)
    skills = resource_model(p, eta_eff=0.05, n0=0.1, steps=300, loss="ce").skills[:-1]
    fit = fit_skills(skills, np.arange(300), frequencies=p, loss="ce")
    for curve in fitted_curves(fit):
        np.testing.assert_allclose(curve[0], 0.5)
    best, _, _ = fitted_curves(fit)
    np.testing.assert_allclose(best, skills, atol=0.01)


def test_mean_squared_difference_reads_any_real_numbers_as_floats():
    assert mean_squared_difference([Decimal("0.5"), Decimal("1")], [0.0, 0.0]) == pytest.approx(0.625)
    assert mean_squared_difference([0.0, 0.0], [Decimal("0.5"), Decimal("1")]) == pytest.approx(0.625)
    wide = np.array([0.5, 1.0], dtype=np.longdouble)
    assert mean_squared_difference(wide, [0.0, 0.0]).dtype == np.float64
    assert mean_squared_difference([0.0, 0.0], wide).dtype == np.float64


def test_resource_curves_refuse_an_unknown_loss_by_name():
    with pytest.raises(ValueError, match=r"^loss='hinge' is not allowed; choose one of 'mse', 'ce'$"):
        resource_curves(P, [1.0], [0.0, 1.0], loss="hinge")


def test_resource_curves_read_any_real_numbers_as_floats():
    p, n0, times = [0.75, 0.25], [0.0, 1.0, np.inf], [0.0, 0.5, 2.0]
    want = resource_curves(p, n0, times)
    assert want.dtype == np.float64
    for args in ([[Decimal("0.75"), Decimal("0.25")], n0, times],
                 [p, [Decimal("0"), Decimal("1"), Decimal("Infinity")], times],
                 [p, n0, [Decimal("0"), Decimal("0.5"), Decimal("2")]],
                 [np.array(p, dtype=np.longdouble), n0, times],
                 [p, np.array(n0, dtype=np.longdouble), times],
                 [p, n0, np.array(times, dtype=np.longdouble)]):
        got = resource_curves(*args)
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_skill_level_is_the_share_of_the_way_from_the_start_to_one():
    # MSE skills start at 0, CE skills at 1/2
    assert skill_level(0.9, "mse") == pytest.approx(0.9)
    assert skill_level(0.1, "ce") == pytest.approx(0.55)
    assert skill_level(0.9, "ce") == pytest.approx(0.95)
    assert skill_level(1.0, "ce") == pytest.approx(1.0)


def test_losses_become_skills_by_the_exp_rule_by_default():
    losses = np.array([[2.0, 1.0], [1.0, 0.5]])
    np.testing.assert_allclose(skills_from_losses(losses), np.exp(-losses))


def test_unsigned_integer_losses_are_read_as_numbers():
    # losses as uint (e.g. error counts): -L must not wrap around
    losses = np.array([[4, 2], [1, 0]], dtype=np.uint8)
    np.testing.assert_allclose(skills_from_losses(losses, "exp"), np.exp(-losses.astype(float)))
    np.testing.assert_allclose(skills_from_losses(losses, "sqrt"), [[0, 0], [0.5, 1]])


def test_a_loss_above_its_first_value_is_skill_zero():
    # a loss that rises above L0 would give a negative skill: clipped to 0
    losses = np.array([[1.0, 4.0], [3.0, 1.0], [0.25, 9.0]])
    np.testing.assert_allclose(skills_from_losses(losses, "linear"), [[0, 0], [0, 0.75], [0.75, 0]])
    np.testing.assert_allclose(skills_from_losses(losses, "sqrt"), [[0, 0], [0, 0.5], [0.5, 0]])
