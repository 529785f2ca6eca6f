"""tasks at the edges of its arguments, and the task-vector draws pinned to their generator, seed and dtype."""
import numpy as np
import pytest
import torch

from skill_physics import power_law_frequencies, task_vectors
from skill_physics.util import check_choice, check_positive


def reference_draw(kind, K, N, seed):
    """The documented draw: i.i.d. N(0, 1) in float64 from torch.Generator().manual_seed(seed), then float32."""
    g = torch.randn(K, N, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    g = g / g.norm(dim=1, keepdim=True) if kind == "random_unit" else g / np.sqrt(N)
    return g.to(torch.float32)


@pytest.mark.parametrize("kind", ["random_unit", "random_scaled"])
def test_random_vectors_are_the_documented_float64_draw(kind):
    assert torch.equal(task_vectors(kind, 7, 5, seed=3), reference_draw(kind, 7, 5, 3))
    assert torch.equal(task_vectors(kind, 7, 5), reference_draw(kind, 7, 5, 0))          # default seed 0
    assert not torch.equal(task_vectors(kind, 7, 5, seed=4), reference_draw(kind, 7, 5, 3))


def test_orthogonal_vectors_come_from_a_float64_svd_of_the_seeded_draw():
    u = task_vectors("orthogonal", 200, 200, seed=0)                # K = N is allowed
    assert u.dtype == torch.float32 and u.shape == (200, 200)
    gram = u.double() @ u.double().T
    # float64 SVD rounded to float32: |U U^T - I| ~ 2e-8; a float32 SVD would leave ~5e-7
    assert (gram - torch.eye(200, dtype=torch.float64)).abs().max() < 1e-7
    assert torch.equal(task_vectors("orthogonal", 3, 6, seed=2), task_vectors("orthogonal", 3, 6, seed=2))
    assert not torch.equal(task_vectors("orthogonal", 3, 6, seed=2), task_vectors("orthogonal", 3, 6, seed=5))


def test_a_shared_generator_gives_consecutive_draws():
    gen = torch.Generator().manual_seed(11)
    first, second = (task_vectors("random_unit", 2, 3, generator=gen) for _ in range(2))
    fresh = torch.Generator().manual_seed(11)
    both = torch.randn(4, 3, generator=fresh, dtype=torch.float64)
    expected = (both / both.norm(dim=1, keepdim=True)).to(torch.float32)
    assert torch.equal(first, expected[:2]) and torch.equal(second, expected[2:])
    assert torch.equal(task_vectors("random_unit", 2, 3, seed=99, generator=torch.Generator().manual_seed(11)),
                       expected[:2])                                 # the generator wins over the seed


def test_basis_zero_shape_and_dtype():
    b = task_vectors("basis_zero", 6, 4)
    assert b.shape == (6, 4) and b.dtype == torch.float32
    assert task_vectors("basis_zero", 2, 5).shape == (2, 5)
    default = torch.get_default_dtype()
    try:                           # float32 whatever torch's default dtype is
        torch.set_default_dtype(torch.float64)
        assert task_vectors("basis_zero", 2, 5).dtype == torch.float32
    finally:
        torch.set_default_dtype(default)


def test_smallest_sizes_are_allowed():
    assert task_vectors("random_unit", 1, 1).shape == (1, 1)
    assert task_vectors("orthogonal", 1, 1).abs().item() == pytest.approx(1)
    np.testing.assert_array_equal(power_law_frequencies(1, 2.0), [1.0])


@pytest.mark.parametrize("call,match", [
    (lambda: task_vectors("random_unit", 0, 3), r"^n_tasks must be a whole number >= 1, got 0$"),
    (lambda: task_vectors("random_unit", 3, 0), r"^n_dim must be a whole number >= 1, got 0$"),
    (lambda: power_law_frequencies(0, 1.0), r"^n_tasks must be a whole number >= 1, got 0$"),
    (lambda: power_law_frequencies(3, -0.5), r"^alpha must be finite and >= 0, got -0.5$"),
    (lambda: task_vectors("spherical", 2, 3),
     r"^kind='spherical' is not allowed; choose one of 'orthogonal', 'random_unit', 'random_scaled', 'basis_zero'$"),
    (lambda: task_vectors("orthogonal", 4, 3), r"^kind='orthogonal' needs n_tasks <= n_dim, got n_tasks=4 > n_dim=3$"),
    (lambda: check_positive("lr", 0.0), r"^lr must be positive, got 0.0$"),
    (lambda: check_positive("lr", [0.1, -1.0]), r"^lr must be positive"),
])
def test_messages_name_the_argument_and_the_value(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_checks_accept_what_is_allowed():
    check_choice("loss", "ce", ("mse", "ce"))
    check_positive("lr", [1e-9, 0.5, 3.0])
