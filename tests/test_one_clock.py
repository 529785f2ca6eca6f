"""One clock across the trainers: ``steps`` is the number of updates, a run records steps + 1 states, and record t
is the state after t updates, so a run of k updates is the first k + 1 records of a longer one (same seeds)."""
import numpy as np
import pytest

from skill_physics import power_law_frequencies, resource_model, task_vectors, train_geometry
from skill_physics import sparse_parity as sp
from skill_physics.grokking import train_grokking
from skill_physics.modularity import train_two_task
from skill_physics.quadratic import hadamard, train_quadratic

P3 = power_law_frequencies(3, 1.5)
PARITY = sp.stack_data([sp.parity_data(s, sp.TWO_PARITIES, n_samples=64) for s in (3, 5)])


def resource(steps):
    return resource_model(P3, eta_eff=0.05, n0=0.1, steps=steps).skills


def geometry(steps):
    V = task_vectors("random_unit", 3, 8, seed=5)
    return train_geometry(V, P3, steps=steps, lr=1e-2, optimizer="adam", gradient="batch", batch_size=8,
                          seeds=4).skills


def quadratic(steps):
    rotations = np.stack([np.eye(4), hadamard(4) / 2.0])
    return train_quadratic(rotations, [1.0, 0.5, 0.2, 0.1], [1.0, 1.0, 1.0, 1.0], steps=steps, lr=0.05,
                           optimizer="signgd").components


def parity(steps):
    return sp.train_parity_mlps(*PARITY, [3, 5], [[1.0, 0.5], [1.0, 1.0]], steps=steps).correct


def two_task(steps):
    return train_two_task([4], False, steps=steps, widths=(2, 8, 8, 2), n_samples=100, stop_when_learned=False).mse


def grokking(steps):
    return train_grokking(steps=steps, lr=0.01, betas=(0.9, 0.999), weight_decay=0.0, modulus=7, embed_dim=4,
                          width=8).train_loss


@pytest.mark.parametrize("trainer", [resource, geometry, quadratic, parity, two_task, grokking])
def test_record_t_is_the_state_after_t_updates(trainer):
    long = np.asarray(trainer(6))
    assert long.shape[0] == 7                                   # records 0 .. steps
    for k in (1, 3):
        np.testing.assert_array_equal(np.asarray(trainer(k)), long[:k + 1])
    assert not np.array_equal(long[0], long[-1])                # the records do move
