"""The shared argument checks and progress bars of ``skill_physics.util``: what each lets through, and the one-sentence
message each gives for what it refuses."""
import numpy as np
import pytest

from skill_physics.util import (
    check_choice,
    check_counts,
    check_finite,
    check_frequencies,
    check_positive,
    check_steps,
    progress,
    record_indices,
)


def message(call, *args, **kw):
    """The message of the ValueError that ``call(*args, **kw)`` raises."""
    with pytest.raises(ValueError) as err:
        call(*args, **kw)
    return str(err.value)


def test_check_choice_lists_every_allowed_value_in_order():
    assert message(check_choice, "loss", "l1", ("mse", "ce")) == "loss='l1' is not allowed; choose one of 'mse', 'ce'"
    check_choice("loss", "mse", ("mse", "ce"))


def test_check_finite_names_a_scalar_by_its_value():
    assert message(check_finite, "lr", np.nan) == "lr must be finite, got nan"
    assert message(check_finite, "lr", -1.0, low=0) == "lr must be finite and >= 0, got -1.0"
    assert message(check_finite, "lr", 2, low=2.5) == "lr must be finite and >= 2.5, got 2.0"


def test_check_finite_names_the_first_bad_entry_by_its_index():
    assert message(check_finite, "x", [1.0, np.inf, np.nan]) == "x must be finite, got inf at index 1"
    assert message(check_finite, "x", [[0.0, 1.0], [-2.0, -3.0]], low=0) == \
        "x must be finite and >= 0, got -2.0 at index (1, 0)"
    assert message(check_finite, "x", [[np.nan, 1.0]]) == "x must be finite, got nan at index (0, 0)"


def test_check_finite_accepts_the_bound_itself_and_integers():
    check_finite("x", [0, 1, 2], low=0)
    check_finite("x", 0.0, low=0)
    check_finite("x", -5.0)                     # no bound unless given


def test_check_finite_refuses_what_is_not_a_number():
    assert message(check_finite, "x", "abc") == "x must be a number or an array of numbers, got 'abc'"
    assert message(check_finite, "x", [1, "a"]).startswith("x must be a number or an array of numbers, got ")


def test_check_positive_refuses_zero_and_accepts_small_values():
    assert message(check_positive, "lr", 0) == "lr must be positive, got 0"
    assert message(check_positive, "lr", [0.5, -1.0]) == "lr must be positive, got [0.5, -1.0]"
    assert message(check_positive, "lr", np.inf) == "lr must be finite, got inf"
    check_positive("lr", 0.5)
    check_positive("lr", [1e-12, 2])


@pytest.mark.parametrize("value", [1, 3, 2.0, np.int64(7), [1, 2, 5], np.array([[1.0, 4.0]])])
def test_check_counts_accepts_whole_numbers_from_one(value):
    check_counts("n", value)


@pytest.mark.parametrize("value", [0, 2.5, -1, np.inf, np.nan, [1, 0], [], "3", 3 + 0j, np.array([2 + 0j]), True + 0j])
def test_check_counts_refuses_what_is_no_count(value):
    assert message(check_counts, "n", value) == f"n must be a whole number >= 1, got {value!r}"


def test_check_frequencies_need_not_sum_to_one_unless_asked():
    check_frequencies("p", [0.5, 0.7])
    check_frequencies("p", [[0.0, 0.0], [1.0, 3.0]])
    check_frequencies("p", [0.25, 0.75], normalized=True)
    check_frequencies("p", [[0.25, 0.75], [1.0, 0.0]], normalized=True)     # each row on its own
    check_frequencies("p", [0.5, 0.5 + 5e-7], normalized=True)               # within 1e-6


def test_check_frequencies_refuse_negative_entries():
    assert message(check_frequencies, "p", [0.5, -0.1]) == "p must be finite and >= 0, got -0.1 at index 1"
    assert message(check_frequencies, "p", [0.5, 0.0, -0.0001]) == "p must be finite and >= 0, got -0.0001 at index 2"


@pytest.mark.parametrize("p,got", [
    ([0.5, 0.6], "1.1"),
    ([0.5, 0.5 + 5e-6], "1.000005"),                  # off by more than 1e-6, though within a relative 1e-5
    ([2.0, 0.5, 0.5, 0.0], "3.0"),
    ([0.5, 0.0], "0.5"),
    ([[0.5, 0.5], [1.5, 0.5], [0.25, 0.25]], "2.0 at index 1"),
    ([[1.0, 0.5], [0.5, 2.5]], "1.5 at index 0"),
    ([[0.5, 0.5 + 5e-6], [1.0, 1.0]], "1.000005 at index 0"),
    ([[0.5, 0.5 + 5e-7], [1.0, 1.0]], "2.0 at index 1"),                # a row within 1e-6 of 1 is fine
])
def test_check_frequencies_name_the_first_row_that_does_not_sum_to_one(p, got):
    assert message(check_frequencies, "p", p, normalized=True) == \
        f"p must sum to 1 over the tasks (the last axis), got the sum {got}"


def test_check_steps_accepts_positive_integers_only():
    check_steps(1)
    check_steps(np.int64(5))
    assert message(check_steps, 0) == "steps must be a positive integer, got 0"
    assert message(check_steps, True) == "steps must be a positive integer, got True"
    assert message(check_steps, 2.0) == "steps must be a positive integer, got 2.0"
    assert message(check_steps, -3, name="n_steps") == "n_steps must be a positive integer, got -3"


def test_record_indices_are_sorted_unique_integers():
    out = record_indices([3, 0, 3.0, 1], steps=3, default=None)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, [0, 1, 3])
    np.testing.assert_array_equal(record_indices([2], steps=5, default=None), [2])       # a single index
    np.testing.assert_array_equal(record_indices(0, steps=1, default=None), [0])
    default = np.arange(4)
    assert record_indices(None, steps=3, default=default) is default


@pytest.mark.parametrize("record", [[], [-1, 2], [0, 1, 5], [4], [-1], [0, 4, 1]])
def test_record_indices_outside_zero_to_steps_are_refused(record):
    assert message(record_indices, record, steps=3, default=None) == "record indices must lie in [0, steps=3]"


def test_progress_is_silent_unless_enabled_and_then_leaves_no_bar():
    quiet = progress(range(3), enabled=False)
    assert quiet.disable and list(quiet) == [0, 1, 2]
    default = progress(range(2))
    try:
        assert not default.disable and default.leave is False and default.total == 2
        assert list(default) == [0, 1]
    finally:
        default.close()


def test_progress_labels_come_from_desc_or_a_string_enabled():
    for bar, label, total in [(progress(range(2), desc="fit"), "fit", 2),
                              (progress(total=5, enabled="sweep"), "sweep", 5),
                              (progress(total=5, desc="fit", enabled="sweep"), "sweep", 5),
                              (progress(total=4, enabled=True), "", 4)]:
        try:
            assert bar.desc == label and bar.total == total and not bar.disable
            bar.update(1)
        finally:
            bar.close()


def test_check_frequencies_report_the_float64_sum_of_the_given_entries():
    p = np.array([0.1, 0.2], dtype=np.float32)
    exact = float(p[0]) + float(p[1])                  # 0.30000000447..., where float32 arithmetic gives 0.30000001...
    assert message(check_frequencies, "p", p, normalized=True) == \
        f"p must sum to 1 over the tasks (the last axis), got the sum {exact!r}"


def test_check_positive_reads_a_number_written_as_text_as_check_finite_does():
    check_finite("lr", "0.5")
    check_positive("lr", "0.5")
    with pytest.raises(ValueError, match="lr must be positive"):
        check_positive("lr", ["0.5", "-1"])
