"""How the sweep orders its grid cells and packs them into jobs (``_rank``, ``grid_cells``, ``_fits``), how
``run_sweep`` dispatches the jobs (in this process or on several), and what it tells its progress bar."""
import contextlib
import queue
import signal
import threading
import types
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from skill_physics.paper import paths, sweep
from skill_physics.paper.store import WriteError
from skill_physics.paper.sweep import engine
from skill_physics.paper.sweep import jobs as jobplan
from skill_physics.paper.sweep.cells import cell_path
from skill_physics.paper.sweep.jobs import _fits, plan, run_sweep
from skill_physics.paper.sweep.settings import FIT_STEPS, _rank, grid_cells, sweep_config

PAPER = sweep_config()      # dims 20, 40, ..., 1000; trace cell (seed 0, d = 100); coarse grid 20, 120, 220, ...


@pytest.mark.parametrize("cell,rank", [
    ((0, 100), 0),                         # the trace cell
    ((0, 40), 1), ((3, 220), 1),           # the alpha_N window, every seed
    ((1, 100), 2),                         # the trace dimension, other seeds
    ((2, 1000), 3),                        # the largest n_dim
    ((0, 20), 4), ((1, 120), 4),           # every fifth n_dim
    ((0, 60), 5), ((1, 140), 5), ((3, 980), 5),
])
def test_rank_of_each_kind_of_cell(cell, rank):
    assert _rank(PAPER, cell) == rank


def test_grid_cells_run_by_rank_then_n_dim_then_seed():
    cells = grid_cells(PAPER)
    ranks = [_rank(PAPER, c) for c in cells]
    assert ranks == sorted(ranks)
    for r in set(ranks):
        same = [c for c in cells if _rank(PAPER, c) == r]
        assert same == sorted(same, key=lambda c: (c[1], c[0]))
    assert cells[-1] == (3, 980)           # the last cell of the last rank: largest n_dim, last seed


@pytest.mark.parametrize("cells,cell,limits,fits", [
    # at most max_cells cells: a second cell fits two, not one
    ([(0, 10)], (1, 10), (2, 10 ** 9, None, 0), True),
    ([(0, 10)], (1, 10), (1, 10 ** 9, None, 0), False),
    # padded columns = cells x largest n_dim = 2 x 30 = 60, against max_columns
    ([(0, 10)], (0, 30), (9, 60, None, 0), True),
    ([(0, 10)], (0, 30), (9, 59, None, 0), False),
    # padding: 60 padded columns against padding x (10 + 30) unpadded ones, plus slack x 2 cells
    ([(0, 10)], (0, 30), (9, 10 ** 9, 1.5, 0), True),
    ([(0, 10)], (0, 30), (9, 10 ** 9, 1.49, 0), False),
    ([(0, 10)], (0, 30), (9, 10 ** 9, 1.0, 10), True),
    ([(0, 10)], (0, 30), (9, 10 ** 9, 1.0, 9), False),
    ([], (0, 30), (1, 30, 1.0, 0), True),  # a cell alone is never padded
])
def test_fits_limits_are_inclusive(cells, cell, limits, fits):
    assert _fits(cells, cell, *limits) is fits


class _RecordingBar:
    """Stands in for the tqdm bar: keeps its settings and every update."""

    def __init__(self, total=None, desc=None, enabled=True, **_):
        self.total, self.desc, self.enabled, self.updates = total, desc, enabled, []

    def update(self, n):
        self.updates.append(n)


TINY = sweep_config(alphas=(1.0,), n_tasks=30, batch_size=16, steps=40, dense_until=40, n_log=3, dims=(5, 10),
                    seeds=(0,), trace_dim=5, trace_until=40, rng="counter", variants=("signgd", "modular"))


@pytest.fixture
def bars(monkeypatch):
    """Every progress bar ``run_sweep`` opens, recorded."""
    opened = []

    @contextlib.contextmanager
    def recording(**kwargs):
        opened.append(_RecordingBar(**kwargs))
        yield opened[-1]

    monkeypatch.setattr(jobplan, "progress_bar", recording)
    return opened


@pytest.mark.parametrize("workers,label", [(1, "sweep (3 jobs)"), (2, "sweep (3 jobs on 2 processes)")])
def test_progress_bar_counts_every_step_of_every_job(tmp_path, monkeypatch, bars, workers, label):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    # the trace cell's rank differs from the other cell's, so on a CPU the non-modular family makes two jobs
    assert [len(cells) for _, cells, _ in plan(TINY)] == [1, 2, 1]
    assert run_sweep(TINY, workers=workers) == 4
    (bar,) = bars
    assert bar.desc == label and bar.enabled and bar.total == 2 * 2 * TINY.steps
    assert sum(bar.updates) == bar.total   # the workers' updates all reach the parent's bar
    monkeypatch.setattr(jobplan, "_run_parallel", None)    # nothing left: no job, a disabled bar, no process
    assert run_sweep(TINY, workers=workers) == 0 and bars[-1].total == 0 and not bars[-1].enabled


def test_a_single_step_has_a_bar(tmp_path, monkeypatch, bars):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    one = sweep_config(**{**TINY.__dict__, "steps": 1, "dims": (5,), "variants": ("modular",)})
    assert run_sweep(one) == 1 and bars[0].total == 1 and bars[0].enabled


@pytest.fixture
def dispatched(monkeypatch):
    """What ``run_sweep`` hands ``run_job`` (each returns 1 file) and ``_run_parallel`` (returns 7), recorded."""
    calls = []
    monkeypatch.setattr(jobplan, "run_job", lambda c, job, dev, bar, graph: calls.append(("job", dev, graph)) or 1)
    monkeypatch.setattr(jobplan, "_run_parallel", lambda c, js, dev, bar, w, th: calls.append(("parallel", w, th)) or 7)
    return calls


def test_run_sweep_defaults_and_what_it_hands_on(monkeypatch, bars, dispatched):
    calls = dispatched
    jobs = [("nonmodular", [(0, 5)], ("signgd",)), ("modular", [(0, 5)], ("modular",))]

    def fake_plan(*args):
        calls.append(("plan", *args))
        return jobs
    monkeypatch.setattr(jobplan, "plan", fake_plan)
    assert run_sweep(TINY) == 2                 # one process, the CPU, every variant and cell, summary used
    assert calls == [("plan", TINY, None, (0, 1), "cpu", True), ("job", "cpu", None), ("job", "cpu", None)]
    assert bars[-1].enabled                     # a bar unless asked not to
    calls.clear()
    assert run_sweep(TINY, ["signgd"], (1, 3), "cuda:1", use_summary=False, graph=False) == 2
    assert calls == [("plan", TINY, ["signgd"], (1, 3), "cuda:1", False), ("job", "cuda:1", False),
                     ("job", "cuda:1", False)]
    calls.clear()
    assert run_sweep(TINY, workers=2) == 7 and calls[1:] == [("parallel", 2, 1)]     # one torch thread each


@pytest.mark.parametrize("workers,variants,device,parallel", [
    (2, ["signgd", "modular"], "cpu", True),
    (1, ["signgd", "modular"], "cpu", False),          # one process asked for
    (2, ["modular"], "cpu", False),                   # a single job: nothing to share
    (2, ["signgd", "modular"], "cuda", False),        # a GPU runs its few large jobs in this process
])
def test_run_sweep_uses_processes_only_for_several_cpu_jobs(monkeypatch, tmp_path, dispatched, workers, variants,
                                                            device, parallel):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    cfg = sweep_config(**{**TINY.__dict__, "dims": (5,)})
    jobs = sweep.plan(cfg, variants, device=device, use_summary=False)
    assert len(jobs) == len(variants)
    written = run_sweep(cfg, variants, device=device, progress=False, use_summary=False, workers=workers, threads=3,
                        graph=False)
    if parallel:
        assert dispatched == [("parallel", 2, 3)] and written == 7
    else:
        assert dispatched == [("job", device, False)] * len(jobs) and written == len(jobs)


def test_run_job_defaults_to_the_cpu_and_stores_float_cells(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    cfg = sweep_config(**{**TINY.__dict__, "alphas": (1, 2)})          # integer alphas are stored as floats
    assert jobplan.run_job(cfg, ("modular", [(0, 5)], ("modular",))) == 1
    cell = sweep.load_cell(cfg, "modular", 0, 5)
    assert cell["alphas"].dtype == np.float64 and cell["alphas"].tolist() == [1.0, 2.0]
    assert cell["loss"].dtype == np.float32 and cell["final_loss"].dtype == np.float64   # records: half the bytes


def test_an_empty_cache_gives_blank_tables_of_the_right_shapes(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    cfg = sweep_config(**{**TINY.__dict__, "alphas": (1, 2), "seeds": (0, 1, 2), "trace_until": 30,
                          "dense_until": 20})
    data = sweep.gather(cfg, use_summary=False)
    assert data["alphas"].dtype == np.float64 and data["alphas"].tolist() == [1.0, 2.0]
    for v in cfg.variants:
        t = data[v]
        assert t["trace"].shape == (2, 31) and t["early"].shape == (2, 3, 21)
        assert t["final_loss"].shape == (2, 2, 3) and t["fit_loss"].shape == (2, 2, 3, 2)
        assert t["done"].dtype == bool and not t["done"].any() and np.isnan(t["trace"]).all()
    assert int(data["from_summary"]) == 0


def test_a_sweep_that_ends_at_the_last_fit_step_reads_it(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    cfg = sweep_config(**{**TINY.__dict__, "steps": max(FIT_STEPS), "dense_until": max(FIT_STEPS),
                          "trace_until": max(FIT_STEPS), "dims": (5,), "variants": ("modular",)})
    run_sweep(cfg, progress=False, use_summary=False)
    fit = sweep.gather(cfg, use_summary=False)["modular"]["fit_loss"][:, 0, 0]
    np.testing.assert_array_equal(fit, sweep.at_steps(sweep.load_cell(cfg, "modular", 0, 5), FIT_STEPS))
    assert np.isfinite(fit).all()


def test_a_worker_job_writes_into_the_parents_folder_and_reports_through_the_queue(tmp_path, monkeypatch):
    # what each spawned process runs, called here in-process (a child's work is invisible to coverage tools)
    import queue
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "the worker's own default")
    updates, threads = queue.Queue(), torch.get_num_threads()
    torch.set_num_threads(2)
    parent = tmp_path / "the parent's folder"
    try:
        assert jobplan._worker_job(TINY, ("modular", [(0, 5), (0, 10)], ("modular",)), "cpu", updates, 1, parent) == 2
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
    assert paths.RESULTS == tmp_path / "the worker's own default"                  # no global was rewritten
    assert (parent / "modular" / "seed0_d0010.npz").is_file() and not TINY.folder.exists()
    received = [updates.get_nowait() for _ in range(updates.qsize())]
    assert received and sum(received) == 2 * TINY.steps


@pytest.mark.parametrize("graph,program", [(None, False), (False, False), (True, True)])
def test_on_a_cpu_the_step_program_runs_only_when_asked(monkeypatch, graph, program):
    # under the counter stream only the program (graph mode) reads its uniforms in blocks
    blocks = []
    original = engine.BatchCounts.block_uniforms
    monkeypatch.setattr(engine.BatchCounts, "block_uniforms", lambda self, first: blocks.append(first) or
                        original(self, first))
    engine.simulate_modular(TINY, [(0, 5)], graph=graph)
    assert blocks == ([0] if program else [])


def test_a_long_job_reports_each_thousand_steps_and_the_rest():
    bar = _RecordingBar()
    cfg = sweep_config(**{**TINY.__dict__, "steps": 2300, "dense_until": 10, "trace_until": 10})
    engine.simulate_modular(cfg, [(0, 5), (0, 10)], bar=bar)
    assert bar.updates == [2 * 1000, 2 * 1000, 2 * 300]        # steps x cells


def test_a_worker_ignores_ctrl_c_and_leaves_on_sigterm():
    # Ctrl-C reaches every process of the terminal; the parent alone decides, and stops the workers by SIGTERM
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        jobplan._worker_init()
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is jobplan._stop_worker
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def test_a_stopped_worker_removes_its_temporary_file_and_exits_with_the_signals_code(monkeypatch):
    events = []
    monkeypatch.setattr(jobplan, "remove_temporaries", lambda: events.append("removed"))
    monkeypatch.setattr(jobplan.os, "_exit", lambda code: events.append(("exit", code)))
    jobplan._stop_worker(signal.SIGTERM, None)
    assert events == ["removed", ("exit", 128 + signal.SIGTERM)]


class _Child:
    """Stands in for a worker process: logs what it is told; ``stubborn`` ones ignore SIGTERM."""

    def __init__(self, name, stubborn, log):
        self.name, self.stubborn, self.log = name, stubborn, log

    def terminate(self):
        self.log.append((self.name, "terminate"))

    def join(self, timeout=None):
        self.log.append((self.name, "join", timeout))

    def is_alive(self):
        return self.stubborn

    def kill(self):
        self.log.append((self.name, "kill"))


def test_stop_children_terminates_all_then_kills_those_still_alive_after_10_s(monkeypatch):
    # every child gets SIGTERM first, so that they stop side by side; one that ignores it is killed after 10 s
    log = []
    children = [_Child("a", False, log), _Child("b", True, log)]
    monkeypatch.setattr(jobplan.multiprocessing, "active_children", lambda: children)
    jobplan.stop_children()
    assert log == [("a", "terminate"), ("b", "terminate"), ("a", "join", 10), ("b", "join", 10), ("b", "kill")]


class _SpawnContext:
    """Stands in for a multiprocessing context: its manager's queue is an in-process queue."""

    def __init__(self, method):
        self.method = method

    @contextlib.contextmanager
    def Manager(self):
        yield types.SimpleNamespace(Queue=queue.Queue)


def test_parallel_jobs_ask_for_spawned_workers_that_ignore_ctrl_c(tmp_path, monkeypatch):
    # the process pool is replaced by a thread that runs each job as a spawned worker would, with a results folder of
    # its own: what is checked is what the pool is asked for, and that every job's cells and progress come back
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    contexts, pools, submitted, all_submitted, jobs = [], [], [], threading.Event(), plan(TINY)

    class Pool(ThreadPoolExecutor):
        def __init__(self, workers, mp_context=None, initializer=None):
            super().__init__(1)
            pools.append((workers, mp_context, initializer))

        def submit(self, fn, *args):
            submitted.append(args)
            if len(submitted) == len(jobs):
                all_submitted.set()

            def in_a_worker():      # a spawned worker has the results folder of its own environment
                all_submitted.wait(10)
                with monkeypatch.context() as worker:
                    worker.setattr(paths, "RESULTS", tmp_path / "a worker's own default")
                    return fn(*args)
            return super().submit(in_a_worker)

    monkeypatch.setattr(jobplan.multiprocessing, "get_context", lambda method: contexts.append(_SpawnContext(method))
                        or contexts[-1])
    monkeypatch.setattr(jobplan, "ProcessPoolExecutor", Pool)
    bar, threads = _RecordingBar(), torch.get_num_threads()
    try:
        assert jobplan._run_parallel(TINY, jobs, "cpu", bar, 3, 1) == 4
    finally:
        torch.set_num_threads(threads)
    assert [c.method for c in contexts] == ["spawn"] and pools == [(3, contexts[0], jobplan._worker_init)]
    assert sum(bar.updates) == 4 * TINY.steps
    assert len(list(TINY.folder.rglob("*.npz"))) == 4           # in the parent's folder


def test_progress_reaches_the_bar_while_a_job_still_runs(monkeypatch):
    # a job of a real sweep runs for hours: its workers' progress must reach the bar before the job ends
    forwarded = threading.Event()

    def worker_job(cfg, job, device, updates, threads, folder):
        updates.put(7)
        if not forwarded.wait(5):
            raise RuntimeError("the progress of a running job did not reach the bar")
        return 2

    class Bar(_RecordingBar):
        def update(self, n):
            super().update(n)
            forwarded.set()

    monkeypatch.setattr(jobplan, "_worker_job", worker_job)
    bar = Bar()
    with ThreadPoolExecutor(1) as pool:
        assert jobplan._collect(pool, queue.Queue(), TINY, [("modular", [(0, 5)], ("modular",))], "cpu", bar, 1) == 2
    assert bar.updates == [7]


def test_the_engine_shows_no_bar_of_its_own(capsys):
    # called without a bar, a job prints nothing: the caller owns the terminal (run_sweep hands over its own bar)
    engine.simulate_modular(TINY, [(0, 5)])
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("graph,program", [(None, False), (False, False), (True, True)])
def test_on_a_cpu_the_nonmodular_step_program_runs_only_when_asked(monkeypatch, graph, program):
    # under the counter stream only the program (graph mode) reads its uniforms in blocks
    blocks = []
    original = engine.BatchCounts.block_uniforms
    monkeypatch.setattr(engine.BatchCounts, "block_uniforms", lambda self, first: blocks.append(first) or
                        original(self, first))
    engine.simulate_nonmodular(TINY, [(0, 5)], ("signgd",), graph=graph)
    assert blocks == ([0] if program else [])


@pytest.mark.parametrize("parents", [True, False])
def test_cells_that_cannot_be_written_are_said_and_the_others_are_written(tmp_path, monkeypatch, capsys, parents):
    # into the folder handed over (a worker writes into its parent's), else into the settings' own
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    given = tmp_path / "the parent's folder" if parents else None
    folder = given or TINY.folder
    lost = folder / "modular" / "seed0_d0005.npz"
    real = jobplan.save_arrays

    def save(path, data):
        if path == lost:
            raise WriteError(f"cannot write {path} (No space left on device); the result is kept in /elsewhere")
        real(path, data)

    monkeypatch.setattr(jobplan, "save_arrays", save)
    with pytest.raises(WriteError) as raised:
        jobplan.run_job(TINY, ("modular", [(0, 5), (0, 10)], ("modular",)), folder=given)
    assert str(raised.value) == (f"1 of the job's 2 cell files could not be written to {folder}; each is kept where "
                                 "said above")
    assert capsys.readouterr() == ("", f"sweep: cannot write {lost} (No space left on device); the result is kept "
                                       "in /elsewhere\n")
    assert (folder / "modular" / "seed0_d0010.npz").is_file() and not lost.exists()


def test_a_shards_plan_reads_only_its_own_cells(tmp_path, monkeypatch):
    # shards run side by side on a cluster's shared cache: a shard leaves the files of the others alone
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    mine, (other,) = grid_cells(TINY)[0::2], grid_cells(TINY)[1::2]
    path = cell_path(TINY, "modular", *other)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a cell file")
    assert plan(TINY, ["modular"], (0, 2), use_summary=False) == [("modular", mine, ("modular",))]
    assert path.read_bytes() == b"not a cell file"


def test_grid_cells_order_the_seeds_of_a_dimension_whatever_order_they_are_given_in():
    cfg = sweep_config(dims=(20, 60), seeds=(2, 0, 1), trace_dim=20, trace_seed=1)
    assert grid_cells(cfg) == [(1, 20), (0, 20), (2, 20), (0, 60), (1, 60), (2, 60)]


@pytest.mark.parametrize("job", [("modular", [(0, 5)], ("modular",)), ("nonmodular", [(0, 5)], ("signgd",))])
def test_a_job_hands_its_graph_choice_to_the_engine(tmp_path, monkeypatch, job):
    # under the counter stream only the step program (graph mode) reads its uniforms in blocks
    blocks = []
    original = engine.BatchCounts.block_uniforms
    monkeypatch.setattr(engine.BatchCounts, "block_uniforms", lambda self, first: blocks.append(first) or
                        original(self, first))
    assert jobplan.run_job(TINY, job, graph=True, folder=tmp_path) == 1
    assert blocks == [0]
