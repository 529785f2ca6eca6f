"""The rotated quadratic of Fig 12 against closed forms."""
import numpy as np
import pytest
import torch

from skill_physics.quadratic import hadamard, train_quadratic

C = [1.0, 0.1, 0.01, 0.001]
THETA0 = [1.0, 1.0, 1.0, -1.0]


def test_hadamard_is_orthogonal_symmetric_and_checks_size():
    h = hadamard(4)
    np.testing.assert_allclose(h @ h.T, np.eye(4), atol=1e-15)
    np.testing.assert_array_equal(h, h.T)
    np.testing.assert_array_equal(h @ np.array(THETA0) ** 1, [1, 1, 1, -1])   # every l_i(0) = 1 in both cases
    with pytest.raises(ValueError, match="power of 2"):
        hadamard(3)


def test_sgd_is_the_closed_form_for_any_rotation():
    # u <- (1 - 2 lr c) u, so l_i(t) = (1 - 2 lr c_i)^(2t), whatever the rotation
    rot = np.stack([np.eye(4), hadamard(4)])
    comps = train_quadratic(rot, C, THETA0, steps=500, lr=0.01, optimizer="sgd", dtype=torch.float64).components
    want = (1 - 2 * 0.01 * np.array(C)) ** (2 * np.arange(501)[:, None])
    for r in range(2):
        np.testing.assert_allclose(comps[:, r], want, rtol=1e-10)


def test_signgd_basis_aligned_moves_every_coordinate_by_lr():
    rec = train_quadratic(np.eye(4)[None], C, THETA0, steps=3000, lr=3e-4, optimizer="signgd", dtype=torch.float64)
    # the step is lr |g| / (|g| + 1e-8): short of lr by at most 1e-8 / |g| ~ 1e-5 (g = 2 c_4 u for the smallest c_4)
    t = np.arange(3001)[:, None]
    np.testing.assert_allclose(rec.components[:, 0], np.broadcast_to((1 - 3e-4 * t) ** 2, (3001, 4)), atol=2e-5)
    np.testing.assert_array_equal(rec.steps, np.arange(3001))
    np.testing.assert_array_equal(rec.components[-1, 0], rec.theta[0] ** 2)   # the last record is the final theta


def test_record_t_is_the_state_after_t_updates():
    # one SGD update on l = theta^2 with lr 0.25: theta <- theta - 0.25 * 2 theta = theta / 2
    rec = train_quadratic(np.eye(1)[None], [1.0], [1.0], steps=2, lr=0.25, optimizer="sgd", dtype=torch.float64)
    assert rec.components.shape == (3, 1, 1)
    np.testing.assert_allclose(rec.components[:, 0, 0], [1.0, 0.25, 0.0625], rtol=1e-15)
    with pytest.raises(ValueError, match="steps"):
        train_quadratic(np.eye(1)[None], [1.0], [1.0], steps=0, lr=0.25, optimizer="sgd")


def test_hadamard_of_size_one_is_the_identity_and_others_are_refused_by_name():
    np.testing.assert_array_equal(hadamard(1), [[1.0]])
    h = hadamard(8)
    assert h.shape == (8, 8) and h.dtype == np.float64
    np.testing.assert_allclose(np.abs(h), 1 / np.sqrt(8), rtol=1e-15)         # every entry +-1 / sqrt(n)
    np.testing.assert_allclose(h @ h, np.eye(8), atol=1e-15)                  # symmetric and orthogonal
    for n in (0, 3, 6, 12):
        with pytest.raises(ValueError, match=rf"^n must be a power of 2, got {n}$"):
            hadamard(n)


def test_the_default_dtype_is_float32_with_float64_inputs():
    # float64 rotations, weights and start (NumPy's default) computed in float32 unless asked otherwise
    rot = np.stack([np.eye(2), hadamard(2)])
    rec = train_quadratic(rot, np.array([1.0, 0.5]), np.array([1.0, -1.0]), steps=3, lr=0.1, optimizer="sgd")
    assert rec.components.dtype == np.float32 and rec.theta.dtype == np.float32
    assert rec.components.shape == (4, 2, 2) and rec.theta.shape == (2, 2)
    decay = (1 - 2 * 0.1 * np.array([1.0, 0.5])) ** (2 * np.arange(4)[:, None])   # SGD: l_i(t) = l_i(0) decay_i(t)
    for r in range(2):
        np.testing.assert_allclose(rec.components[:, r], (rot[r] @ [1.0, -1.0]) ** 2 * decay, rtol=1e-6, atol=1e-7)


def test_optimizer_options_reach_the_optimizer():
    # Adam with a huge eps barely moves: the first step is lr g / (|g| + eps) with g = 2 c u = 2
    big_eps = train_quadratic(np.eye(1)[None], [1.0], [1.0], steps=1, lr=0.1, optimizer="adam", dtype=torch.float64,
                              optimizer_options={"eps": 1e3})
    np.testing.assert_allclose(big_eps.theta, [[1 - 0.1 * 2 / (2 + 1e3)]], rtol=1e-12)
    default = train_quadratic(np.eye(1)[None], [1.0], [1.0], steps=1, lr=0.1, optimizer="adam", dtype=torch.float64)
    np.testing.assert_allclose(default.theta, [[1 - 0.1 * 2 / (2 + 1e-8)]], rtol=1e-12)
