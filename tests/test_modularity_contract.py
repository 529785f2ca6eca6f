"""What ``train_two_task`` (arXiv 2501.12391, Fig. 19) promises beyond the dynamics: its defaults, the rare samples
it reports, when a run leaves the stack and what it then records, the optimizer settings kept by the runs that stay,
its progress bar and errors; ``learned_at`` of a single curve."""
import numpy as np
import pytest

from skill_physics import modularity
from skill_physics.modularity import learned_at, train_two_task

TINY = dict(widths=(2, 4, 4, 2), n_samples=50, steps=5)


def record_bars(monkeypatch):
    """Replace the progress bar by one that records its settings and updates; returns the list of bars made."""
    bars = []

    class Bar:
        def __init__(self, total=None, desc=None, enabled=True):
            self.total, self.desc, self.enabled, self.n = total, desc, enabled, 0
            bars.append(self)

        def update(self, n=1):
            self.n += n

        def close(self):
            pass

    monkeypatch.setattr(modularity, "progress_bar", Bar)
    return bars


def test_by_default_a_run_trains_1000_updates_and_learns_below_1e_3():
    run = train_two_task([0], False, widths=(2, 4, 4, 2), n_samples=20, stop_when_learned=False)
    assert run.mse.shape == (1001, 1, 2)
    assert not np.isnan(train_two_task([0], False, **TINY).mse).any()   # MSEs above 1e-3 keep the run in the stack
    assert learned_at(np.array([[1.0], [0.5e-3]]))[0] == 1


def test_by_default_25_runs_train_as_one_program(monkeypatch):
    bars = record_bars(monkeypatch)
    train_two_task(range(26), False, **TINY)
    assert bars[0].total == 2 * TINY["steps"]                  # 26 runs: two programs


def test_each_run_reports_its_rare_samples_in_every_chunk():
    run = train_two_task([0, 1, 2], False, frequent_fraction=0.9, chunk_size=2, **TINY)
    np.testing.assert_array_equal(run.n_rare, [5, 5, 5])


def test_a_run_leaves_the_stack_once_both_tasks_are_learned_and_records_nan_after():
    kw = dict(widths=(2, 16, 16, 2), steps=400, lr=1e-2, threshold=1e-2, betas=(0.5, 0.9))
    seeds, modular = [0, 1], [False, True]
    full = train_two_task(seeds, modular, stop_when_learned=False, **kw)
    early = train_two_task(seeds, modular, **kw)
    assert not np.isnan(full.mse).any()
    times = learned_at(full.mse, 1e-2).max(axis=1)           # (R,) both tasks learned
    first = int(np.argmin(times))
    assert times[first] < times[1 - first] <= 400              # one run leaves while the other trains on
    assert np.isnan(early.mse[int(times[first]) + 1:, first]).all()
    seen = ~np.isnan(early.mse)
    np.testing.assert_allclose(early.mse[seen], full.mse[seen], rtol=1e-5)   # with the betas it was given
    np.testing.assert_array_equal(early.n_rare, full.n_rare)
    plain = train_two_task(seeds, modular, stop_when_learned=False, **(kw | dict(betas=(0.9, 0.999))))
    assert not np.allclose(plain.mse, full.mse)


def test_a_task_whose_mse_equals_the_threshold_is_not_yet_learned():
    start = train_two_task([0], False, **TINY).mse[0, 0]
    run = train_two_task([0], False, **(TINY | dict(threshold=float(start.max()))))
    assert not np.isnan(run.mse[1]).any()                      # the larger MSE is not below: the run stays


def test_the_bar_counts_each_update_of_each_chunk_once(monkeypatch):
    bars = record_bars(monkeypatch)
    train_two_task([0, 1, 2], False, chunk_size=2, stop_when_learned=False, **TINY)
    train_two_task([0, 1, 2], False, chunk_size=2, stop_when_learned=False, progress=True, **TINY)
    assert [(b.total, b.desc, b.enabled, b.n) for b in bars] == [(10, "two-task MLPs", False, 10),
                                                                 (10, "two-task MLPs", True, 10)]


def test_a_bad_chunk_size_is_named():
    with pytest.raises(ValueError, match="^chunk_size must be a positive integer"):
        train_two_task([0], False, chunk_size=0, **TINY)


def test_learned_at_of_one_curve_is_a_number():
    t = learned_at(np.array([1.0, 0.1, 1e-4]))
    assert np.shape(t) == () and t == 2
