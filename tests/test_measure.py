"""measure: crossing times (up and down, strict or not, on record indices) and log-log slopes on exact power laws."""
import numpy as np
import pytest

from skill_physics.measure import crossing_times, loglog_slope, nearest_index, two_point_slope

# a curve that touches the threshold 0.9 at index 2 and passes it at index 4
RISING = np.array([0.0, 0.5, 0.9, 0.9, 1.0])
FALLING = 1 - RISING          # touches 0.1 at index 2, passes below it at index 4


@pytest.mark.parametrize("curve,above", [(RISING, True), (FALLING, False)])
def test_strict_passes_and_non_strict_touches(curve, above):
    threshold = float(curve[2])    # the touching value exactly (1 - 0.9 is not 0.1 in floating point)
    assert crossing_times(curve, threshold, above=above, strict=True) == 4
    assert crossing_times(curve, threshold, above=above, strict=False) == 2


def test_direction_matters():
    # a falling curve starts above 0.5, so it "passes upward" at once; downward below 0.4 it needs two records
    assert crossing_times(FALLING, 0.5, above=True) == 0
    assert crossing_times(FALLING, 0.4, above=False) == 2
    assert crossing_times(RISING, 0.6, above=False) == 0


def test_steps_map_positions_to_record_indices():
    steps = np.array([0, 10, 20, 50, 100])
    assert crossing_times(RISING, 0.9, steps=steps) == 100
    assert crossing_times(RISING, 0.9, strict=False, steps=steps) == 20
    assert crossing_times(FALLING, 0.4, above=False, steps=steps) == 20


def test_a_single_curve_gives_a_float():
    t = crossing_times(RISING, 0.9)
    assert type(t) is float and t == 4.0
    assert type(crossing_times(RISING, 2.0)) is float


def test_never_crossing_is_nan_and_crossing_at_zero_is_zero():
    assert np.isnan(crossing_times(RISING, 2.0))
    assert np.isnan(crossing_times(FALLING, -1.0, above=False, strict=False))
    assert crossing_times(RISING, -1.0) == 0      # argmax of an all-True column is 0: not confused with "never"


def test_many_curves_keep_their_shape_and_nan_survives_the_steps_mapping():
    curves = np.stack([RISING, RISING / 2, np.full(5, 0.95)], axis=1)[:, None, :]   # (T, 1, 3)
    steps = np.array([3, 6, 9, 12, 15])
    t = crossing_times(curves, 0.9, steps=steps)
    assert t.shape == (1, 3)
    np.testing.assert_array_equal(t, [[15, np.nan, 3]])


@pytest.mark.parametrize("exponent,scale", [(0.7, 3.0), (1.3, 1e-4), (0.25, 50.0)])
def test_slopes_of_an_exact_power_law(exponent, scale):
    x = np.array([20, 40, 60, 100, 220, 400])
    y = scale * x ** -exponent
    assert two_point_slope(x, y, 40, 220) == pytest.approx(exponent, rel=1e-12)
    assert loglog_slope(x, y) == pytest.approx(-exponent, rel=1e-12)


def test_two_point_slope_reads_the_named_grid_points():
    # the curve is a power law only at x = 40 and x = 220; the other points would give other slopes
    x = np.array([20, 40, 60, 100, 220, 400])
    y = np.array([9.0, 40.0 ** -0.5, 1.0, 5.0, 220.0 ** -0.5, 1e-9])
    assert two_point_slope(x, y, 40, 220) == pytest.approx(0.5, rel=1e-12)
    assert two_point_slope(x, y, 220, 40) == pytest.approx(0.5, rel=1e-12)   # symmetric in the two points


def test_nearest_index_skips_nan():
    assert nearest_index([np.nan, 0.2, 0.45, 0.9], 0.5) == 2
    assert nearest_index([0.1, np.nan, 0.6], 0.5) == 2


def test_a_table_of_curves_gives_one_time_per_column():
    # curves (T, K): one crossing time per curve, an array of shape (K,) even for two-dimensional input
    curves = np.stack([RISING, np.full(5, 0.95), RISING / 2], axis=1)
    t = crossing_times(curves, 0.9, strict=False)
    assert t.shape == (3,)
    np.testing.assert_array_equal(t, [2, 0, np.nan])


def test_loglog_slope_of_counts_beyond_the_integer_range():
    # compute budgets in FLOPs as Python ints (above 2**64): read as floats, y ∝ x^-0.5
    x = [10 ** 20, 10 ** 21, 10 ** 22]
    y = [10 ** 30, 10 ** 29 * 10 ** 0.5, 10 ** 29]
    assert loglog_slope(x, y) == pytest.approx(-0.5, rel=1e-12)
    assert loglog_slope(x, [1.0, 10 ** -0.5, 0.1]) == pytest.approx(-0.5, rel=1e-12)
    assert loglog_slope([1.0, 10.0, 100.0], y) == pytest.approx(-0.5, rel=1e-12)


def test_nearest_index_of_unsigned_integer_values():
    # uint values (e.g. step counters): |3 - 5| is 2, not a wrapped-around 254
    assert nearest_index(np.array([3, 10], dtype=np.uint8), 5) == 0
