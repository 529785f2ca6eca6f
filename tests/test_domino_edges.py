"""The Domino and parallel models at the edges: values held in [0, 1], short times per task, argument checks."""
import numpy as np
import pytest

from skill_physics import domino_skills, parallel_skills


def test_domino_skills_stay_in_0_1_and_end_at_exactly_1():
    s = domino_skills(np.arange(0, 40, 0.5), 4, 3.0)
    assert s.min() == 0.0 and s.max() == 1.0
    np.testing.assert_array_equal(s[-1], [1, 1, 1, 1])
    np.testing.assert_array_equal(s[0], [0, 0, 0, 0])


def test_a_time_per_task_below_one_is_allowed():
    # t0 = 0.5: task i ramps over [i t0, (i + 1) t0]
    s = domino_skills(np.array([0.0, 0.25, 0.5, 0.75, 1.0]), 2, 0.5)
    np.testing.assert_allclose(s, [[0, 0], [0.5, 0], [1, 0], [1, 0.5], [1, 1]])


def test_parallel_model_with_short_timescales():
    s = parallel_skills(np.array([0.0, 0.5]), [0.5, 0.25])
    np.testing.assert_allclose(s, [[0, 0], [1 - np.exp(-1), 1 - np.exp(-2)]])


@pytest.mark.parametrize("call,match", [
    (lambda: domino_skills(np.arange(3), 2, -1.0), r"^t0 must be > 0, got -1.0$"),
    (lambda: parallel_skills(np.arange(3), [1.0, 0.0]), r"^timescales must be > 0, got \[1.0, 0.0\]$"),
])
def test_non_positive_times_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_unsigned_integer_times_are_read_as_numbers():
    # times as uint (e.g. step counters): -t must not wrap around
    t = np.array([0, 1, 2], dtype=np.uint32)
    np.testing.assert_allclose(parallel_skills(t, [1.0]), parallel_skills(t.astype(float), [1.0]))
    np.testing.assert_allclose(domino_skills(t, 2, 1.0), [[0, 0], [1, 0], [1, 1]])


def test_domino_and_parallel_read_decimal_times_as_floats():
    # times and timescales read from a text table as decimal.Decimal: converted to floats like any real number
    from decimal import Decimal
    t = [Decimal("0"), Decimal("1.5"), Decimal("4")]
    np.testing.assert_allclose(domino_skills(t, 2, 2.0), [[0, 0], [0.75, 0], [1, 1]])
    np.testing.assert_allclose(parallel_skills([0.0, 2.0], [Decimal("1"), Decimal("2")]),
                               [[0, 0], [1 - np.exp(-2), 1 - np.exp(-1)]])


def test_domino_and_parallel_skills_are_float64_for_extended_precision_input():
    # the skills are float64 whatever the precision of the times or timescales
    t = np.array([0.0, 1.0, 2.0], dtype=np.longdouble)
    assert domino_skills(t, 2, 1.0).dtype == np.float64
    assert parallel_skills([0.0, 1.0], np.array([1.0, 2.0], dtype=np.longdouble)).dtype == np.float64
