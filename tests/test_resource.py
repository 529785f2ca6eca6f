"""The Resource model against its limits and the original code's deterministic reference values."""
import numpy as np
import pytest
import torch

from skill_physics import (
    Dependencies,
    crossing_times,
    effective_rate,
    power_law_frequencies,
    resource_loss,
    resource_model,
    train_geometry,
)


def test_single_task_without_waste_ramps_linearly():
    eta = 0.01
    s = resource_model([1.0], eta_eff=eta, n0=0.0, steps=150).skills[:, 0]
    np.testing.assert_allclose(s[:100], eta * np.arange(100))
    assert crossing_times(s, 1 - 1e-9) == pytest.approx(1 / eta, abs=1)   # done after 1/eta updates
    assert np.all(s[101:] == 1)


def test_large_waste_decouples_tasks():
    # N0 >> sum_k p_k l_k: l_k <- l_k (1 - eta p_k / N0), independent exponential learning
    p, eta, n0, T = np.array([0.7, 0.2, 0.1]), 0.01, 1e6, 500
    s = resource_model(p, eta_eff=eta * 1e4, n0=n0, steps=T).skills
    t = np.arange(T + 1)[:, None]
    np.testing.assert_allclose(1 - s, (1 - eta * 1e4 * p / n0) ** t, rtol=1e-4)
    other = resource_model(np.array([0.7, 0.05, 0.1]), eta_eff=eta * 1e4, n0=n0, steps=T).skills
    np.testing.assert_allclose(s[:, [0, 2]], other[:, [0, 2]], rtol=1e-5)   # task 2 does not affect the others


def test_demo_reference_values():
    # the updates after which each skill first passes 0.9; the paper's Fig 6 counts from its first update (572)
    run = resource_model(power_law_frequencies(10, 2), eta_eff=effective_rate(3e-4, 1000), n0=0.003, steps=1000)
    np.testing.assert_array_equal(crossing_times(run.skills, 0.9), [105, 214, 303, 375, 431, 474, 508, 534, 555, 573])


def test_vectorised_over_settings_equals_one_by_one():
    p = power_law_frequencies(10, 2)
    n0 = np.array([1e-4, 1e-3, 1e-2, 0.1])
    grid = resource_model(p, eta_eff=0.02, n0=n0[:, None][:, 0], steps=300)
    for i, v in enumerate(n0):
        alone = resource_model(p, eta_eff=0.02, n0=v, steps=300)
        np.testing.assert_array_equal(grid.skills[:, i], alone.skills)
        np.testing.assert_array_equal(grid.loss[:, i], alone.loss)


def test_overlap_matrix_lets_tasks_unlearn_without_clipping():
    C = np.array([[1.0, -0.5], [-0.5, 1.0]])
    s = resource_model([0.9, 0.1], eta_eff=0.01, n0=0.01, steps=50, overlap=C, clip=False).skills
    assert s[:, 1].min() < 0   # learning task 1 pushes task 2 below 0


def test_ce_form_starts_at_one_half():
    s = resource_model([0.5, 0.5], eta_eff=0.1, n0=0.0, steps=10, loss="ce").skills
    assert np.all(s[0] == 0.5) and np.all(s[1:] > 0.5) and s[1, 0] == pytest.approx(1 / (1 + np.exp(-0.05)))


def test_dependency_gates_new_graph():
    # a new graph: T3 needs T1 or T2, T4 needs both T1 and T3
    deps = Dependencies("T3 = T1 | T2\nT4 = T1 & T3", n_tasks=4, exponent=1e-3)
    gate = deps(np.array([0.0, 1.0, 0.0, 1.0]))
    np.testing.assert_allclose(gate, [1, 1, 1, 1])            # T1 learned: OR open; T1 and T3 learned: AND open
    gate = deps(np.array([1.0, 0.0, 0.5, 1.0]))
    np.testing.assert_allclose(gate[:3], [1, 1, 1])           # OR open through T2 alone
    assert gate[3] == 0                                       # AND closed while T1 is unlearned
    s = resource_model([1, 1, 1, 1], eta_eff=1e-2, n0=1e-3, steps=600, gates=deps).skills
    t = crossing_times(s, 0.99, strict=False)
    assert t[3] > max(t[0], t[2])                             # T4 finishes after both prerequisites


def test_chain_reference_values_of_the_original_code():
    run = resource_model([0.3, 1, 3], eta_eff=1e-3, n0=1e-3, steps=5000,
                         gates=Dependencies("T2 = T1; T3 = T2", 3, 1e-4))
    # the original code logs after each update: its record t is our t + 1
    np.testing.assert_array_equal(crossing_times(run.skills, 0.99, strict=False), [1009, 2754, 4421])


@pytest.mark.parametrize("rules,match", [("T2 <- T1", "cannot parse"), ("T3 = T1 & T2 | T4", "mixes"),
                                         ("T9 = T1", "outside")])
def test_bad_rules_raise(rules, match):
    with pytest.raises(ValueError, match=match):
        Dependencies(rules, 4, 1e-3)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="loss='l1'"):
        resource_model([1.0], eta_eff=0.1, n0=0.0, steps=3, loss="l1")
    with pytest.raises(ValueError, match="steps"):
        resource_model([1.0], eta_eff=0.1, n0=0.0, steps=0)


@pytest.mark.parametrize("loss,initial", [("mse", 0.0), ("ce", 0.5)])
def test_record_t_is_the_state_after_t_updates(loss, initial):
    p = power_law_frequencies(4, 1.0)
    run = resource_model(p, eta_eff=0.1, n0=0.5, steps=6, loss=loss)
    assert run.skills.shape == (7, 4) and run.loss.shape == (7,)
    np.testing.assert_array_equal(run.steps, np.arange(7))
    np.testing.assert_array_equal(run.skills[0], np.full(4, initial))
    longer = resource_model(p, eta_eff=0.1, n0=0.5, steps=9, loss=loss)
    np.testing.assert_array_equal(longer.skills[:7], run.skills)      # more updates only append records
    np.testing.assert_array_equal(run.loss, resource_loss(run.skills, p, loss))
    assert run.loss[0] == pytest.approx(1.0 if loss == "mse" else np.log(2))


def test_both_engines_record_the_state_after_t_updates_at_index_t():
    # one orthonormal task under SGD on the full expectation (MSE): s <- s + 2 lr (1 - s); row t is after t updates
    rec = train_geometry(np.eye(1, 3), [1.0], steps=3, lr=0.1, optimizer="sgd", gradient="expected",
                         record=[0, 1, 2, 3], dtype=torch.float64)
    np.testing.assert_allclose(rec.skills[:, 0, 0], 1 - 0.8 ** np.arange(4), rtol=1e-12)
    rm = resource_model([1.0], eta_eff=0.2, n0=0.0, steps=3)   # l <- l - 0.2 l / l: linear, clipped
    np.testing.assert_allclose(rm.skills[:, 0], [0.0, 0.2, 0.4, 0.6], rtol=1e-12)
