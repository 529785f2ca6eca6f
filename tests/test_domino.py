import numpy as np
import pytest

from skill_physics import domino_skills, parallel_skills
from skill_physics.scaling import domino_alpha, quanta_alpha_N, quanta_alpha_S


def test_domino_closed_form():
    t0 = 52.705
    s = domino_skills(np.arange(1000), 10, t0)
    for i in range(10):
        done = np.flatnonzero(s[:, i] >= 1)[0]
        assert done == int(np.ceil((i + 1) * t0))                 # task i+1 completes at (i+1) t0
        assert np.all(s[: int(i * t0) + 1, i] == 0)               # and has not started before i t0
    np.testing.assert_allclose(np.diff(s[60:100, 1]), 1 / t0)     # linear ramp of slope 1/t0


def test_parallel_model_and_bad_input():
    s = parallel_skills(np.array([0, 30, 60]), [30, 60])
    np.testing.assert_allclose(s[1], [1 - np.exp(-1), 1 - np.exp(-0.5)])
    with pytest.raises(ValueError, match="t0"):
        domino_skills(np.arange(3), 2, 0)
    with pytest.raises(ValueError, match="timescales"):
        parallel_skills(np.arange(3), [1, -1])


def test_scaling_exponents_of_the_two_models():
    alpha = np.array([1.0, 1.5, 2.0, 4.0])
    for n in (domino_alpha(alpha), quanta_alpha_N(alpha)):
        np.testing.assert_array_equal(n, [0.0, 0.5, 1.0, 3.0])       # alpha_N = alpha - 1 in both
    np.testing.assert_allclose(quanta_alpha_S(alpha), [0.0, 1 / 3, 0.5, 0.75], rtol=1e-15)
    assert quanta_alpha_S(3.0) == 2 / 3                                # scalars in, scalars out


def test_scaling_exponents_are_float64_for_integer_and_float32_alphas():
    # alpha = 2: alpha_N = 1 and alpha_S = 1/2, in float64 whatever the type of alpha
    for alpha in (2, np.int64(2), np.float32(2), np.array([2, 2])):
        for got, want in ((domino_alpha(alpha), 1.0), (quanta_alpha_N(alpha), 1.0), (quanta_alpha_S(alpha), 0.5)):
            assert np.asarray(got).dtype == np.float64
            np.testing.assert_array_equal(got, np.full(np.shape(alpha), want))
    third = quanta_alpha_S(np.float32(1.5))                          # 1/3 to float64 precision, not float32's
    assert third == 1 / 3
