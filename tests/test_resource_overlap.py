"""The Resource model with an overlap matrix C != I and its CE form away from z = 0, against the model written out
plainly (arXiv 2501.12391, Sec. 4: each step shares a fixed resource eta among the tasks in proportion to their
competitiveness p_k l_k, plus the wasted share N0)."""
import math

import numpy as np
import pytest

from skill_physics import resource_loss, resource_model

# three tasks whose overlaps help (> 0) and hurt (< 0); no row sums to 1, so sum_k (C c)_k != sum_k c_k, and C is
# not symmetric, so C c and C^T c differ
OVERLAP = [[1.0, 0.3, -0.2],
           [0.1, 1.0, 0.5],
           [-0.4, 0.2, 1.0]]
P = [0.6, 0.3, 0.1]


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


def plain_resource_model(p, C, eta, n0, steps, loss="mse", clip=True, rule=None):
    """One scalar loop per step: competitiveness c_k = p_k r_k of the residual r_k (l_k for MSE, 1 - sigmoid(z_k)
    for CE), total = sum_k c_k + N0 (the overlaps do not enter it), every task moves by eta (C c)_k / total.
    ``rule(r, p)`` gives the frequencies of the step instead of p."""
    K = len(p)
    state = [1.0] * K if loss == "mse" else [0.0] * K
    skills = [[1 - v for v in state] if loss == "mse" else [sigmoid(z) for z in state]]
    for _ in range(steps):   # record t: after t updates
        residual = state if loss == "mse" else [1 - sigmoid(z) for z in state]
        freq = p if rule is None else rule(residual, p)
        c = [freq[k] * residual[k] for k in range(K)]
        total = sum(c) + n0
        # N0 = 0 with every task learned: nothing competes, nothing moves
        move = [eta * sum(C[k][j] * c[j] for j in range(K)) / total if total > 0 else 0.0 for k in range(K)]
        if loss == "mse":
            state = [state[k] - move[k] for k in range(K)]
            if clip:
                state = [max(v, 0.0) for v in state]
            skills.append([1 - v for v in state])
        else:
            state = [state[k] + move[k] for k in range(K)]
            skills.append([sigmoid(z) for z in state])
    return np.array(skills)


@pytest.mark.parametrize("loss,clip,n0", [("mse", True, 0.01), ("mse", False, 0.01), ("mse", True, 0.0),
                                          ("ce", False, 0.05)])
def test_overlap_matrix_equals_the_model_written_out(loss, clip, n0):
    steps, eta = 300, 0.02
    got = resource_model(P, eta_eff=eta, n0=n0, steps=steps, overlap=OVERLAP, loss=loss, clip=clip).skills
    want = plain_resource_model(P, OVERLAP, eta, n0, steps, loss=loss, clip=clip)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert np.ptp(got, axis=-1).max() > 0.05   # the tasks really differ, so a swapped index would show


def test_frequencies_re_evaluated_each_step():
    # a switch: task 2 is seen only once task 1 is half learned (the residuals and the base frequencies both enter)
    def switch(residual, p):
        on = float(np.asarray(residual)[0] < 0.5)
        return np.array([p[0], p[1] * on, p[2] * (1 - on)])
    I3 = np.eye(3).tolist()
    got = resource_model(P, eta_eff=0.02, n0=0.01, steps=200, frequency_rule=switch).skills
    want = plain_resource_model(P, I3, 0.02, 0.01, 200, rule=switch)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert got[:, 1].max() > 0.1 and got[0, 1] == 0      # task 2 waits, then learns


def test_per_run_overlap_matrices_equal_runs_alone():
    C = np.stack([np.eye(3), np.array(OVERLAP)])      # (2, K, K): run 0 without overlaps, run 1 with
    both = resource_model(P, eta_eff=0.02, n0=0.01, steps=100, overlap=C).skills
    for r in range(2):
        alone = resource_model(P, eta_eff=0.02, n0=0.01, steps=100, overlap=C[r]).skills
        np.testing.assert_array_equal(both[:, r], alone)


def test_second_ce_step_by_hand():
    # step 1 from z = 0: c = p / 2, so z1 = eta (p / 2) / (1/2 + N0); step 2 uses c = p sigmoid(-z1) with z1 != 0,
    # where sigmoid(z) and sigmoid(-z) differ
    p, eta, n0 = np.array([0.8, 0.2]), 0.5, 0.1
    z1 = eta * (p / 2) / (0.5 + n0)
    c2 = p / (1 + np.exp(z1))
    z2 = z1 + eta * c2 / (c2.sum() + n0)
    s = resource_model(p, eta_eff=eta, n0=n0, steps=2, loss="ce").skills
    np.testing.assert_allclose(s[1], 1 / (1 + np.exp(-z1)), rtol=1e-14)
    np.testing.assert_allclose(s[2], 1 / (1 + np.exp(-z2)), rtol=1e-14)
    assert s[2, 0] - s[1, 0] < s[1, 0] - 0.5    # the frequent task slows down as its residual shrinks


def test_resource_loss_forms():
    s = np.array([[0.5, 0.9], [0.2, 1.0]])
    p = np.array([0.7, 0.3])
    np.testing.assert_allclose(resource_loss(s, p, "mse"), [0.7 * 0.25 + 0.3 * 0.01, 0.7 * 0.64])
    np.testing.assert_allclose(resource_loss(s, p, "ce"), [-0.7 * np.log(0.5) - 0.3 * np.log(0.9),
                                                           -0.7 * np.log(0.2)])
