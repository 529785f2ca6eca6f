"""``scripts/sweep.py`` (``cli.sweep_cli``): what each option hands the engine, what it prints, and its exit codes.
The engine itself is replaced by a recorder: these tests are about the command line, not the cells."""
import io
import signal
import sys

import pytest
import torch

from skill_physics.paper import kernels, paths, sweep
from skill_physics.paper.sweep import cells as sweep_cells
from skill_physics.paper.sweep import cli
from skill_physics.paper.sweep.cli import sweep_cli
from skill_physics.paper.sweep.settings import PAPER, QUICK, VARIANTS


@pytest.fixture
def recorded(monkeypatch, tmp_path):
    """Calls of run_sweep and export_summary, which return 5 cells written and (path, 3, 4); an empty cache, so that
    the plan does not depend on the cells earlier tests computed."""
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    calls = []

    def run_sweep(cfg, variants, shard, device, **kwargs):
        calls.append(("run", cfg, variants, shard, device, kwargs))
        return 5

    def export_summary(cfg):
        calls.append(("export", cfg))
        return paths.ROOT / "data" / "summary.npz", 3, 4

    monkeypatch.setattr(cli, "run_sweep", run_sweep)
    monkeypatch.setattr(cli, "export_summary", export_summary)
    return calls


def header(cfg, shard, cells, jobs):
    total = len(sweep.grid_cells(cfg))
    return (f"sweep {sweep_cells.shown(cfg.folder)}: shard {shard} holds {cells} of {total} grid cells; "
            f"{jobs} jobs to run")


def test_defaults_run_the_paper_sweep_on_every_core_with_a_progress_bar(recorded, capsys):
    assert sweep_cli([]) == 0
    cores = paths.usable_cores()
    assert recorded == [("run", PAPER, list(VARIANTS), (0, 1), "cpu",
                         dict(progress=True, workers=cores, threads=1, graph=None))]
    jobs = sweep.plan(PAPER, list(VARIANTS), (0, 1), "cpu")
    out = capsys.readouterr().out.splitlines()
    assert out == [header(PAPER, "0/1", len(sweep.grid_cells(PAPER)), len(jobs)),
                   "sweep: wrote 5 cell files in 0 s"]


def test_options_reach_the_engine(recorded, capsys):
    args = ["--quick", "--shard", "1/3", "--variants", "adam", "modular", "--jobs", "1", "--threads", "2",
            "--no-graph", "--no-progress"]
    assert sweep_cli(args) == 0
    assert recorded == [("run", QUICK, ["adam", "modular"], (1, 3), "cpu",
                         dict(progress=False, workers=1, threads=2, graph=False))]
    cells = len(sweep.grid_cells(QUICK)[1::3])
    jobs = sweep.plan(QUICK, ["adam", "modular"], (1, 3), "cpu")
    assert capsys.readouterr().out.splitlines()[0] == header(QUICK, "1/3", cells, len(jobs))


def test_export_summary_writes_and_runs_nothing(recorded, capsys):
    assert sweep_cli(["--quick", "--export-summary"]) == 0
    assert recorded == [("export", QUICK)]
    assert capsys.readouterr().out.splitlines()[-1] == "sweep: wrote data/summary.npz: 3 of 4 cells computed"


def test_plan_lists_each_job_and_runs_nothing(recorded, capsys):
    assert sweep_cli(["--quick", "--plan", "--variants", "adam", "signgd"]) == 0
    assert recorded == []
    jobs = sweep.plan(QUICK, ["adam", "signgd"], (0, 1), "cpu")
    lines = capsys.readouterr().out.splitlines()[1:]
    assert len(lines) == len(jobs) > 0
    for line, (family, cells, variants) in zip(lines, jobs):
        assert line == f"  {family:10s} {'+'.join(variants):12s} {len(cells):3d} cells: {cells}"


@pytest.mark.parametrize("args,message", [
    (["--jobs", "0"], "--jobs and --threads must be at least 1, got 0 and 1"),
    (["--jobs", "1", "--threads", "0"], "--jobs and --threads must be at least 1, got 1 and 0"),
    (["--variants", "adam", "adamw"], "--variants='adamw' is not allowed"),
    pytest.param(["--device", "cuda"], "--device cuda was requested but torch sees no CUDA device\n",
                 marks=pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")),
])
def test_bad_options_exit_2_with_a_message_and_run_nothing(recorded, capsys, args, message):
    assert sweep_cli(["--quick", *args]) == 2
    assert recorded == []
    assert capsys.readouterr().err.startswith(f"sweep: error: {message}")


class _Pipe(io.StringIO):
    """Stands in for stdout on a pipe: a reader sees only what has been flushed."""

    def __init__(self):
        super().__init__()
        self.seen = ""

    def flush(self):
        self.seen = self.getvalue()


def test_the_header_reaches_a_pipe_before_the_sweep_runs(recorded, monkeypatch):
    # a sweep runs for hours: whoever reads its output through a pipe (a cluster's log) sees the plan at the start
    pipe, seen_at_start = _Pipe(), []
    monkeypatch.setattr(sys, "stdout", pipe)
    monkeypatch.setattr(cli, "run_sweep", lambda *args, **kwargs: seen_at_start.append(pipe.seen) or 0)
    assert sweep_cli(["--quick", "--no-progress"]) == 0
    jobs = sweep.plan(QUICK, list(VARIANTS), (0, 1), "cpu")
    assert seen_at_start == [header(QUICK, "0/1", len(sweep.grid_cells(QUICK)), len(jobs)) + "\n"]


def test_export_summary_is_refused_under_native_kernels(recorded, monkeypatch, capsys):
    monkeypatch.setenv(kernels.NATIVE, "1")
    assert sweep_cli(["--quick", "--export-summary"]) == 2
    assert recorded == []
    assert capsys.readouterr().err == (f"sweep: error: --export-summary writes the committed summary, which the "
                                       f"pinned CPU kernels make; unset {kernels.NATIVE}\n")


def test_export_summary_names_an_unwritable_summary_folder_and_the_remedy(recorded, monkeypatch, tmp_path, capsys):
    taken = tmp_path / "data"
    taken.write_text("")
    monkeypatch.setattr(paths, "DATA", taken)
    assert sweep_cli(["--quick", "--export-summary"]) == 2
    assert recorded == []
    assert capsys.readouterr().err == (f"sweep: error: the summary folder {taken} is an existing file, not a folder; "
                                       "make it writable\n")


def test_an_unwritable_results_folder_is_named_with_the_remedy(recorded, monkeypatch, tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.write_text("")
    monkeypatch.setattr(paths, "RESULTS", taken)
    assert sweep_cli(["--quick", "--no-progress"]) == 2
    assert recorded == []
    err = capsys.readouterr().err
    assert err.startswith(f"sweep: error: the results folder {QUICK.folder} cannot be written (")
    assert err.endswith("); make it writable or set SKILL_PHYSICS_RESULTS to a writable folder\n")


def test_only_the_command_itself_pins_the_cpu_kernels(recorded, monkeypatch):
    # scripts/sweep.py (no argv: the process's own arguments) re-runs itself with the pinned kernels; a caller that
    # hands over its arguments runs in its own process as it is
    pinned = []
    monkeypatch.setattr(kernels, "ensure_pinned", lambda: pinned.append(True))
    monkeypatch.setattr(sys, "argv", ["sweep.py", "--quick", "--plan"])
    assert sweep_cli() == 0 and pinned == [True]
    assert sweep_cli(["--quick", "--plan"]) == 0 and pinned == [True]


def test_usage_errors_name_the_script(recorded, capsys):
    with pytest.raises(SystemExit) as exit_:
        sweep_cli(["--quick", "--bogus"])
    assert exit_.value.code == 2 and recorded == []
    err = capsys.readouterr().err
    assert err.startswith("usage: sweep.py ") and "sweep.py: error: unrecognized arguments: --bogus" in err


def test_ctrl_c_stops_the_sweep_with_one_line_naming_it(recorded, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_run", lambda args: signal.raise_signal(signal.SIGINT))
    with pytest.raises(SystemExit) as exit_:
        sweep_cli(["--quick"])
    assert exit_.value.code == 128 + signal.SIGINT
    assert capsys.readouterr().err == "sweep: stopped by SIGINT\n"
