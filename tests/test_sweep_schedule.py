"""The sweep's record schedule: every cell records exactly the steps that the figures read from it."""
import numpy as np
import pytest

from skill_physics.paper.sweep.settings import FIT_STEPS, record_steps, sweep_config

PAPER = sweep_config()


@pytest.mark.parametrize("cell", [(1, 40), (3, 1000), (PAPER.trace_seed, PAPER.trace_dim)])
def test_every_cell_records_every_step_to_dense_until_and_the_final_step(cell):
    steps = record_steps(PAPER, *cell)
    assert steps[0] == 0 and steps[-1] == PAPER.steps
    np.testing.assert_array_equal(steps[:PAPER.dense_until + 1], np.arange(PAPER.dense_until + 1))
    assert set(FIT_STEPS) <= set(steps.tolist())
    assert np.all(np.diff(steps) > 0)                              # sorted, no repeats


def test_beyond_dense_until_the_records_are_log_spaced():
    steps = record_steps(PAPER, 1, 40)
    late = steps[steps > PAPER.dense_until].astype(float)
    ratio = (PAPER.steps / 1.0) ** (1 / (PAPER.n_log - 1))        # geomspace(1, steps, n_log)
    # consecutive late records are one log step apart (up to rounding to integers), and all of them are there
    np.testing.assert_allclose(late[1:] / late[:-1], ratio, rtol=0.01)
    expected = np.sum(np.geomspace(1, PAPER.steps, PAPER.n_log) > PAPER.dense_until + 0.5)
    assert len(late) == expected
    assert len(steps) < PAPER.dense_until + PAPER.n_log + 2        # a few hundred records, not 99000


def test_only_the_trace_cell_records_every_step_to_trace_until():
    trace = record_steps(PAPER, PAPER.trace_seed, PAPER.trace_dim)
    np.testing.assert_array_equal(trace[:PAPER.trace_until + 1], np.arange(PAPER.trace_until + 1))
    for cell in [(PAPER.trace_seed, 40), (1, PAPER.trace_dim)]:
        other = record_steps(PAPER, *cell)
        assert len(other) < PAPER.dense_until + PAPER.n_log + 2 < PAPER.trace_until < len(trace)


def test_schedule_is_clipped_to_a_short_run():
    cfg = sweep_config(steps=120, dense_until=250, trace_until=20_000, n_log=10)
    for cell in [(1, 40), (cfg.trace_seed, cfg.trace_dim)]:
        np.testing.assert_array_equal(record_steps(cfg, *cell), np.arange(121))
