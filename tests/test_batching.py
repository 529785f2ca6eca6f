"""Stacking runs of different sizes: pad_stack's shape and dtype, the default padding of stacked task vectors, and
the two-task frequencies."""
import numpy as np
import pytest
import torch

from skill_physics import task_vectors
from skill_physics.batching import pad_stack, stacked_task_vectors, two_task_frequencies


def test_pad_stack_of_one_array_is_that_array_with_a_leading_axis():
    a = np.arange(6.0).reshape(2, 3)
    out = pad_stack([a])
    assert out.shape == (1, 2, 3)
    np.testing.assert_array_equal(out[0], a)


def test_pad_stack_of_scalars_is_a_vector():
    out = pad_stack([np.float64(1.5), 2.5, np.float64(-1.0)])
    assert out.shape == (3,)
    np.testing.assert_array_equal(out, [1.5, 2.5, -1.0])


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.float32])
def test_pad_stack_keeps_the_dtype_of_the_arrays(dtype):
    out = pad_stack([np.ones(2, dtype=dtype), np.ones(3, dtype=dtype)])
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, np.array([[1, 1, 0], [1, 1, 1]], dtype=dtype))


def test_pad_stack_takes_the_dtype_of_the_first_array():
    # the docstring's rule: the first array's dtype, even when a later one is wider
    out = pad_stack([np.array([1, 2], dtype=np.int32), np.array([0.5, 1.5, 2.5])])
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[1, 2, 0], [0, 1, 2]])   # 0.5, 1.5, 2.5 cast to int32 (truncated)


def test_stacked_task_vectors_pad_to_the_largest_run_by_default():
    V = stacked_task_vectors("random_unit", [3, 1, 2], 5, seed=2)
    assert V.shape == (3, 3, 5)
    gen = torch.Generator().manual_seed(2)
    draws = [task_vectors("random_unit", k, 5, generator=gen) for k in (3, 1, 2)]
    torch.testing.assert_close(V[0], draws[0])
    torch.testing.assert_close(V[1, :1], draws[1])
    torch.testing.assert_close(V[2, :2], draws[2])
    assert not V[1, 1:].any() and not V[2, 2:].any()


def test_stacked_task_vectors_are_float32_whatever_the_default_dtype():
    # the docstring promises float32, also under torch.set_default_dtype(torch.float64)
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        V = stacked_task_vectors("orthogonal", [1, 2], 4, seed=0)
    finally:
        torch.set_default_dtype(before)
    assert V.dtype == torch.float32


def test_two_task_frequencies_of_integer_and_boolean_inputs_are_floats():
    # p1 = 1 or True (all on task 1): the result is the float pair (1.0, 0.0), not an integer array
    for p1 in (1, [0, 1], True):
        p = two_task_frequencies(p1)
        assert p.dtype == np.float64
    np.testing.assert_array_equal(two_task_frequencies([0, 1]), [[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_array_equal(two_task_frequencies(True), [[1.0, 0.0]])
