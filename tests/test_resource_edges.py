"""The Resource model and its dependency gates at the edges of their arguments."""
import numpy as np
import pytest

from skill_physics import Dependencies, effective_rate, resource_loss, resource_model


def test_effective_rate_is_factor_lr_sqrt_n():
    assert effective_rate(3e-4, 1000) == pytest.approx(2 * 3e-4 * np.sqrt(1000), rel=1e-15)
    assert effective_rate(0.01, 16, factor=0.5) == pytest.approx(0.5 * 0.01 * 4, rel=1e-15)


def test_one_step_and_the_defaults():
    s = resource_model([0.75, 0.25], eta_eff=0.1, n0=0.0, steps=1).skills     # MSE, clipped, no overlap
    np.testing.assert_allclose(s, [[0.0, 0.0], [0.075, 0.025]], rtol=1e-14)
    # defaults: MSE with clipping, so a single task lands exactly on skill 1 and stays there
    s = resource_model([1.0], eta_eff=0.3, n0=0.0, steps=6).skills[:, 0]
    np.testing.assert_allclose(s[:4], [0.0, 0.3, 0.6, 0.9], rtol=1e-14)
    assert np.all(s[4:] == 1.0)


def test_resource_loss_default_and_one_run():
    s, p = np.array([0.5, 0.9]), np.array([0.7, 0.3])
    assert resource_loss(s, p) == pytest.approx(0.7 * 0.25 + 0.3 * 0.01, rel=1e-14)   # default: MSE
    three = resource_loss(np.full((2, 3, 2), 0.5), p, "ce")
    np.testing.assert_allclose(three, np.full((2, 3), np.log(2)), rtol=1e-14)


@pytest.mark.parametrize("kwargs,match", [
    (dict(steps=2.0), r"^steps must be a positive integer, got 2.0$"),
    (dict(steps=-1), r"^steps must be a positive integer, got -1$"),
    (dict(n0=-1e-9), r"^n0 must be finite and >= 0, got -1e-09$"),
    (dict(n0=np.array([0.1, -0.2])), r"^n0 must be finite and >= 0, got -0.2 at index 1$"),
    (dict(loss="hinge"), r"^loss='hinge' is not allowed"),
])
def test_bad_arguments_are_named(kwargs, match):
    args = dict(eta_eff=0.1, n0=0.0, steps=3) | kwargs
    with pytest.raises(ValueError, match=match):
        resource_model([1.0], **args)


def test_dependency_rules_tolerate_blank_parts_and_check_the_task_range():
    deps = Dependencies("T2 = T1;\n  \n; T4 = T2 & T3;", n_tasks=4, exponent=1e-3)
    assert deps.rules == {1: ("and", [0]), 3: ("and", [1, 2])}
    assert Dependencies("T4 = T1 | T3", 4, 1.0).rules == {3: ("or", [0, 2])}    # T4 is the last allowed task
    with pytest.raises(ValueError, match=r"^rule 'T5 = T1' names a task outside T1..T4$"):
        Dependencies("T5 = T1", 4, 1.0)
    with pytest.raises(ValueError, match=r"^exponent must be > 0, got 0$"):
        Dependencies("T2 = T1", 2, 0)
    with pytest.raises(ValueError, match=r"^cannot parse dependency rule 'T2 : T1'"):
        Dependencies("T2 : T1", 2, 1.0)
    with pytest.raises(ValueError, match=r"^rule 'T3 = T1 & T2 \| T4' mixes & and \|"):
        Dependencies("T3 = T1 & T2 | T4", 4, 1.0)


def test_gates_are_soft_indicators_of_the_prerequisites():
    # exponent 1: h(l) = 1 - l, AND multiplies, OR takes the maximum; residuals below 0 count as learned
    deps = Dependencies("T3 = T1 & T2; T4 = T1 | T2", n_tasks=4, exponent=1.0)
    gate = deps(np.array([0.25, 0.5, 1.0, 1.0]))
    np.testing.assert_allclose(gate, [1.0, 1.0, 0.75 * 0.5, 0.75])
    np.testing.assert_allclose(deps(np.array([-0.5, 0.5, 1.0, 1.0]))[2:], [0.5, 1.0])
    batch = deps(np.array([[0.25, 0.5, 1.0, 1.0], [1.0, 0.0, 1.0, 1.0]]))           # (runs, K)
    np.testing.assert_allclose(batch, [[1, 1, 0.375, 0.75], [1, 1, 0.0, 1.0]])
    np.testing.assert_allclose(Dependencies("T2 = T1", 2, 2.0)(np.array([0.5, 1.0])), [1.0, 0.75])


def test_per_run_rates_and_frequencies_with_a_shared_overlap_equal_runs_alone():
    P = np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])                    # (runs, K)
    C = np.array([[1.0, 0.2, 0.0], [0.0, 1.0, -0.3], [0.1, 0.0, 1.0]])   # shared by both runs
    eta = np.array([0.01, 0.03])
    def skills(p, eta_eff, overlap=None):
        return resource_model(p, eta_eff=eta_eff, n0=0.01, steps=80, overlap=overlap).skills
    both = skills(P, eta, C)
    frequencies = skills(P, 0.02, C)     # only the frequencies per run
    rates = skills(P[0], eta)            # only the rates per run
    for r in range(2):
        np.testing.assert_array_equal(both[:, r], skills(P[r], eta[r], C))
        np.testing.assert_array_equal(frequencies[:, r], skills(P[r], 0.02, C))
        np.testing.assert_array_equal(rates[:, r], skills(P[0], eta[r]))


def test_resource_loss_is_float64_for_float32_inputs():
    s, p = np.array([0.5, 0.9], dtype=np.float32), np.array([0.7, 0.3], dtype=np.float32)
    for loss in ("mse", "ce"):
        got = resource_loss(s, p, loss)
        assert got.dtype == np.float64
        assert got == pytest.approx(resource_loss(s.astype(float), p.astype(float), loss), rel=1e-6)


def test_the_frequency_rule_sees_float64_frequencies():
    seen = []

    def rule(residual, p):
        seen.append(p.dtype)
        return p

    for frequencies in ([1, 2], np.array([0.5, 0.5], dtype=np.float32)):
        resource_model(frequencies, eta_eff=0.1, n0=0.0, steps=2, frequency_rule=rule)
    assert seen == [np.float64] * 4


def test_nothing_moves_once_every_task_is_learned_without_waste():
    # N0 = 0: two equal tasks share eta = 0.5 and lose 0.25 of residual each per step until both reach 0; then the
    # total competitiveness is 0 and the step moves nothing (no clipping needed)
    s = resource_model([0.5, 0.5], eta_eff=0.5, n0=0.0, steps=8, clip=False).skills
    np.testing.assert_array_equal(s, np.repeat([[0.0], [0.25], [0.5], [0.75], [1], [1], [1], [1], [1]], 2, axis=1))
    # tasks that are never seen (p = 0) stay unlearned in every run
    assert np.all(resource_model(np.zeros((50, 3)), eta_eff=0.5, n0=0.0, steps=3).skills == 0)
