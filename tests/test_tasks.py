import numpy as np
import pytest
import torch

from skill_physics import power_law_frequencies, task_vectors


def test_power_law_frequencies_match_spec():
    p = power_law_frequencies(10, 2)
    np.testing.assert_allclose(p[:3], [0.6453, 0.1613, 0.0717], atol=1e-4)
    assert p.sum() == pytest.approx(1)
    np.testing.assert_allclose(power_law_frequencies(4, 0), 0.25)


def test_task_vector_kinds():
    o = task_vectors("orthogonal", 5, 8, seed=1)
    torch.testing.assert_close(o @ o.T, torch.eye(5), atol=1e-5, rtol=0)
    u = task_vectors("random_unit", 20, 8, seed=1)
    torch.testing.assert_close(u.norm(dim=1), torch.ones(20))
    b = task_vectors("basis_zero", 6, 4)
    assert torch.equal(b[:4], torch.eye(4)) and torch.all(b[4:] == 0)
    s = task_vectors("random_scaled", 2000, 10, seed=0)
    assert s.norm(dim=1).mean().item() == pytest.approx(1, abs=0.05)
    assert torch.equal(task_vectors("random_unit", 3, 4, seed=7), task_vectors("random_unit", 3, 4, seed=7))


@pytest.mark.parametrize("call,match", [
    (lambda: power_law_frequencies(5, -1), "alpha"),
    (lambda: task_vectors("orthogonal", 11, 10), "n_tasks <= n_dim"),
    (lambda: task_vectors("spherical", 2, 3), "kind='spherical'.*orthogonal"),
])
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()
