"""What the figure cache hands back: exactly the arrays computed, whether computed now or read from the file; the
compute time it stores beside them comes back apart, never as one of the arrays."""
import numpy as np

from skill_physics.paper.store import cached, load_arrays, save_arrays


def computed():
    return {"skills": np.arange(6, dtype=np.float32).reshape(2, 3) / 7, "steps": np.array([0, 5, 9], dtype=np.int64),
            "fit": {"n0": np.float64(0.125), "flags": np.array([True, False])}}


def assert_same(got, want):
    """Same keys at every level, same dtypes, same shapes, same values (bit for bit)."""
    assert sorted(got) == sorted(want)
    for key, value in want.items():
        if isinstance(value, dict):
            assert_same(got[key], value)
        else:
            assert np.asarray(got[key]).dtype == np.asarray(value).dtype, key
            np.testing.assert_array_equal(got[key], value, strict=True)


def test_cached_hands_back_the_computed_arrays_and_no_stamp(tmp_path):
    """First call computes, second reads the file: both give computed()'s keys, dtypes and values, and the seconds
    apart (a float), never the stored '_compute_s' stamp among the arrays."""
    calls = []
    first, seconds = cached(tmp_path / "c.npz", lambda: calls.append(1) or computed())
    again, seconds_again = cached(tmp_path / "c.npz", lambda: calls.append(1) or computed())
    assert calls == [1]                                     # the second call read the file
    assert_same(first, computed())
    assert_same(again, computed())
    assert isinstance(seconds, float) and seconds_again == seconds


def test_save_then_load_is_the_identity_on_nested_arrays(tmp_path):
    """load_arrays(save_arrays(d)) == d: nesting, dtypes (float32, int64, bool) and values kept, nothing added."""
    save_arrays(tmp_path / "d.npz", computed())
    assert_same(load_arrays(tmp_path / "d.npz"), computed())
