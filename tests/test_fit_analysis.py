"""``skill_physics.cli.analysis``: chance levels, ceilings, the data's order, the fit over alpha and the verdict on
serial or parallel learning, each checked against its definition on small curves written here."""
from dataclasses import replace

import numpy as np
import pytest

from skill_physics import power_law_frequencies, resource_model
from skill_physics.cli.analysis import (
    above_chance,
    best_level,
    chance_levels,
    data_order,
    fit_alpha,
    limits_gap,
    reasons,
    undecided,
    verdict,
    with_ceiling,
)
from skill_physics.cli.readers import InputError
from skill_physics.fits import fit_skills, fitted_curves

P = power_law_frequencies(3, 1.0)


def domino_curves(loss="mse"):
    """Steps (T,) and skills (T, 3) of the Resource model near its Domino limit, the most frequent skill first."""
    steps = np.arange(0, 1500, 10)
    return steps, resource_model(P, eta_eff=0.02, n0=1e-3, steps=1500, loss=loss).skills[:-1][steps]


@pytest.fixture(scope="module")
def decided():
    """A fit of clean Domino curves: the limits differ and the best fit lies on the data."""
    steps, skills = domino_curves()
    return fit_skills(skills, steps, frequencies=P)


def test_a_bare_chance_level_is_every_skills():
    np.testing.assert_array_equal(chance_levels(["0.25"], ["a", "b"]), [0.25, 0.25])


def test_chance_globs_take_the_first_match_and_a_bare_number_the_rest():
    levels = chance_levels(["0.25", "ab*=0.5", "a*=0.1"], ["abc", "ax", "b"])
    np.testing.assert_array_equal(levels, [0.5, 0.1, 0.25])


def test_a_chance_name_may_hold_an_equals_sign():
    """The level is what follows the last '=': 'loss=top1=0.5' is the level 0.5 of the skill 'loss=top1'."""
    np.testing.assert_array_equal(chance_levels(["loss=top1=0.5"], ["loss=top1"]), [0.5])


def test_without_chance_levels_every_skill_is_at_zero():
    for items in (None, []):
        levels = chance_levels(items, ["a", "b", "c"])
        assert levels.dtype == float and levels.tolist() == [0.0, 0.0, 0.0]


def test_chance_levels_lie_in_zero_to_one():
    np.testing.assert_array_equal(chance_levels(["0"], ["a"]), [0.0])          # 0 is a level (no chance)
    for bad in ("1", "1.5", "-0.1", "a=1"):
        with pytest.raises(InputError, match=rf"^--chance '{bad}': a chance level lies in \[0, 1\)$"):
            chance_levels([bad], ["a"])


def test_a_chance_level_that_is_no_number_is_named():
    for bad in ("x", "a=", "a=half"):
        with pytest.raises(InputError, match=rf"^--chance '{bad}': a number, or NAME=number$"):
            chance_levels([bad], ["a"])


def test_a_skill_no_chance_glob_matches_is_named():
    with pytest.raises(InputError, match=r"^--chance gives no level for b, c \(add NAME=0, or a bare number for the "
                                         r"rest\)$"):
        chance_levels(["a=0.5"], ["a", "b", "c"])


def test_above_chance_is_zero_at_chance_one_at_a_perfect_score():
    np.testing.assert_allclose(above_chance([0.25, 1, 0.625, 0], 0.25), [0, 1, 0.5, -1 / 3])
    np.testing.assert_allclose(above_chance([[1, 0]], np.array([0.5, 0.0])), [[1, 0]])   # integer accuracies


def test_above_chance_is_computed_in_double_precision():
    """float32 accuracies (a logger's) give float64 skills: 0.3 - 0.25 is not rounded to float32's 7 digits."""
    skills = above_chance(np.array([0.3, 0.6], np.float32), 0.25)
    assert skills.dtype == np.float64
    np.testing.assert_array_equal(skills, (np.array([0.3, 0.6], np.float32).astype(float) - 0.25) / 0.75)


def test_best_level_is_the_top_of_the_three_record_running_median():
    """One lucky record is no best level; a best reached at either end counts, each end repeated once."""
    skills = np.array([[0.0, 0.9, 0.1],
                       [1.0, 0.2, 0.2],
                       [0.0, 0.1, 0.9],
                       [0.5, 0.1, 0.8],
                       [0.6, 0.1, 0.3]])
    medians = np.array([[0.0, 0.9, 0.1], [0.0, 0.2, 0.2], [0.5, 0.1, 0.8], [0.5, 0.1, 0.8], [0.6, 0.1, 0.3]])
    np.testing.assert_allclose(best_level(skills), medians.max(0))
    np.testing.assert_allclose(best_level(np.array([[0.1], [0.2], [0.9]])), [0.9])
    np.testing.assert_allclose(best_level(np.array([[0.1], [0.1], [0.9], [0.2]])), [0.2])   # a lucky last but one


def test_ceiling_one_keeps_the_skills_and_best_divides_by_the_best_level():
    skills = np.array([[0.0, 0.0], [0.2, 0.0], [0.4, 0.0], [0.4, 0.0]])
    assert with_ceiling(skills, "1") is skills
    np.testing.assert_allclose(with_ceiling(skills, "best"), [[0, 0], [0.5, 0], [1, 0], [1, 0]])   # 0 stays 0


def test_ceiling_best_leaves_a_skill_whose_best_level_is_zero_as_it_is():
    """One lucky record above a flat 0 is no best level: that skill is not rescaled."""
    skills = np.array([[0.0, 0.1], [0.3, 0.2], [0.0, 0.4], [0.0, 0.4]])
    np.testing.assert_allclose(with_ceiling(skills, "best"), [[0, 0.25], [0.3, 0.5], [0, 1], [0, 1]])


def test_data_order_puts_the_higher_mean_first_and_keeps_ties_in_column_order():
    skills = np.array([[0.1, 0.5, 0.1, 0.0], [0.3, 0.5, 0.3, 0.9]])
    assert data_order(skills).tolist() == [1, 3, 0, 2]


def test_data_order_keeps_ties_in_column_order_for_many_skills():
    """40 skills of three mean levels: within a level, the column order (a sort that is not stable would mix)."""
    means = np.tile([0.2, 0.5, 0.1, 0.5], 10)
    order = data_order(np.array([means, means]))
    assert order.tolist() == [k for level in (0.5, 0.2, 0.1) for k in range(40) if means[k] == level]


def test_fit_alpha_takes_the_best_alpha_and_every_near_alpha_and_n0():
    """The best of fit_skills over the alphas; the ranges over every (alpha, N0) within the factor of the best
    error, here wider than the best alpha's own; the competition range (sum c = 1 for MSE) from the N0 range."""
    steps, skills = domino_curves()
    noisy = np.clip(skills + np.random.default_rng(1).normal(0, 0.05, skills.shape), 0, 1)
    alphas = np.array([0.75, 1.0, 1.25])
    fit, alpha, alpha_range = fit_alpha(noisy, steps, alphas=alphas, onset=0.2, completion=0.8)
    each = [fit_skills(noisy, steps, alpha=a, onset=0.2, completion=0.8) for a in alphas]
    errors = np.array([f.errors[0] for f in each])
    assert alpha == 1.0 and isinstance(alpha, float)
    np.testing.assert_allclose(fit.error, each[1].error)
    np.testing.assert_allclose(fit.onset, each[1].onset)          # the options reach fit_skills
    near = errors <= fit.factor * errors.min()
    n0 = np.broadcast_to(fit.n0_grid, errors.shape)[near]
    np.testing.assert_allclose(fit.n0_range, [[n0.min(), n0.max()]])
    assert n0.max() > each[1].n0_range[0, 1]
    np.testing.assert_allclose(fit.competition_range, [[1 / (1 + n0.max()), 1 / (1 + n0.min())]])
    np.testing.assert_allclose(alpha_range, [alphas[near.any(1)].min(), alphas[near.any(1)].max()])


def test_fit_alpha_competition_range_in_the_ce_form_starts_from_half():
    """In the CE form each skill starts at 1/2, so sum c = 1/2 at the start: competition = 0.5 / (0.5 + N0)."""
    steps, skills = domino_curves("ce")
    fit, alpha, alpha_range = fit_alpha(skills, steps, alphas=[0.5, 1.0, 2.0], loss="ce")
    assert alpha == 1.0 and alpha_range.tolist() == [1.0, 1.0]         # clean curves: no other alpha is near
    low, high = fit.n0_range[0]
    np.testing.assert_allclose(fit.competition_range, [[0.5 / (0.5 + high), 0.5 / (0.5 + low)]])


def test_limits_gap_is_the_rms_between_the_limits_curves(decided):
    _, domino, parallel = fitted_curves(decided)
    assert limits_gap(decided) == pytest.approx(np.sqrt(np.mean((domino - parallel) ** 2)), rel=1e-12)
    assert limits_gap(decided) > 0.05


def with_error(fit, error, **changes):
    """The fit with another best error and the limits' errors as factors of it."""
    factors = {k: changes.pop(k) for k in ("domino", "parallel") if k in changes}
    return replace(fit, error=np.array([error]),
                   domino_error=np.array([factors.get("domino", fit.domino_factor[0]) * error]),
                   parallel_error=np.array([factors.get("parallel", fit.parallel_factor[0]) * error]), **changes)


def test_clean_domino_curves_decide(decided):
    assert not undecided(decided) and verdict(decided) is None


def test_both_limits_within_the_factor_do_not_decide(decided):
    f = decided.factor
    assert undecided(with_error(decided, decided.error[0], domino=f, parallel=f))
    assert not undecided(with_error(decided, decided.error[0], domino=f, parallel=10 * f))
    assert not undecided(with_error(decided, decided.error[0], domino=10 * f, parallel=f))


def test_a_competition_range_from_below_a_tenth_to_above_nine_tenths_does_not_decide(decided):
    def case(low, high):
        return undecided(replace(decided, competition_range=np.array([[low, high]])))

    assert case(0.09, 0.91)
    assert not case(0.1, 0.91) and not case(0.09, 0.9) and not case(0.5, 0.91)


def test_a_misfit_of_half_the_limits_gap_does_not_decide(decided):
    gap = limits_gap(decided)
    assert undecided(with_error(decided, (gap / 2) ** 2))
    assert not undecided(with_error(decided, (0.99 * gap / 2) ** 2))


def test_reasons_count_the_records_while_the_skills_rise(decided):
    """From the first onset to the last completion (the last step where a skill never completes)."""
    steps = np.arange(10.0)
    onset, completion = np.array([[3.0, 4.0, 5.0]]), np.array([[5.0, 6.0, np.nan]])
    fit = replace(decided, steps=steps, onset=onset, completion=completion)
    assert reasons(fit)[0] == "too few points (7 records while the skills rise)"        # steps 3 .. 9
    assert not any("too few" in r for r in reasons(replace(fit, onset=np.array([[2.0, 4.0, 5.0]]))))   # 8 records
    never = replace(fit, onset=np.full((1, 3), np.nan))
    assert reasons(never)[0] == "too few points (1 records while the skills rise)"      # only the last step


def test_reasons_name_onsets_within_one_record(decided):
    steps = np.arange(0.0, 100.0, 10.0)
    overlap = "onsets that overlap (every skill starts within one record of the others)"

    def said(onset):
        return overlap in reasons(replace(decided, steps=steps, onset=np.array([onset]),
                                          completion=np.array([[90.0, 90.0, 90.0]])))

    assert said([10.0, 15.0, 20.0]) and said([10.0, 20.0, np.nan])
    assert not said([10.0, 20.0, 30.0]) and not said([10.0, np.nan, np.nan])


def test_reasons_name_a_misfit_of_half_the_gap(decided):
    gap = limits_gap(decided)
    text = reasons(with_error(decided, (0.6 * gap) ** 2))
    assert (f"noise or a shape the model does not draw (the best fit misses the data by {0.6 * gap:.2g} rms, more "
            f"than half the {gap:.2g} by which the two limits differ)") in text
    assert not any("noise" in r for r in reasons(with_error(decided, (0.4 * gap) ** 2)))
    assert np.sqrt((gap / 2) ** 2) == gap / 2                       # so the next misfit is half the gap exactly
    assert any("noise" in r for r in reasons(with_error(decided, (gap / 2) ** 2)))


def test_without_another_reason_the_limits_draw_the_same_curves(decided):
    assert reasons(decided) == [f"the two limits draw nearly the same curves here (they differ by "
                                f"{limits_gap(decided):.2g} rms)"]


def test_the_verdict_names_the_reasons_and_the_n0_range(decided):
    f = decided.factor
    fit = replace(with_error(decided, decided.error[0], domino=f, parallel=f), n0_range=np.array([[0.00123, 45.6]]))
    assert verdict(fit) == ("These curves do not tell serial from parallel learning: " + ", ".join(reasons(fit)) +
                            f"; every N0 from 0.00123 to 45.6 fits within {f:g}x the best error.")


def test_the_verdict_lists_several_reasons_separated_by_commas(decided):
    f, gap = decided.factor, limits_gap(decided)
    noisy = with_error(decided, (gap / 2) ** 2, domino=f, parallel=f)
    fit = replace(noisy, onset=np.full_like(decided.onset, decided.steps[len(decided.steps) // 2]))
    named = reasons(fit)
    assert len(named) >= 2 and any("onsets that overlap" in r for r in named)
    assert f"learning: {named[0]}, {named[1]}" in verdict(fit)
