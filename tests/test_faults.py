"""Issue 21: under faults and bad input, one line naming the file, argument or value with a remedy that works;
nothing computed thrown away; no process left behind; whole files with the umask's mode."""
import errno
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from skill_physics.paper import figure, paths, store
from skill_physics.paper.figure import FigureScript, claim
from skill_physics.paper.store import CacheError, WriteError, atomic_write, cached, load_arrays, save_arrays
from skill_physics.paper.sweep import cells
from skill_physics.paper.sweep.cells import cell_path, done_cells, export_summary, gather, is_cached, load_summary
from skill_physics.paper.sweep.cli import sweep_cli
from skill_physics.paper.sweep.jobs import run_sweep
from skill_physics.paper.sweep.settings import sweep_config

SMALL = sweep_config(alphas=(1.0, 2.0), n_tasks=50, batch_size=64, steps=120, dense_until=120, n_log=5,
                     dims=(10, 20), seeds=(0, 1), trace_dim=10, trace_until=120, rng="counter", variants=("modular",))


def flipped(good, offset):
    """``good`` with 8 bytes from ``offset`` XORed with 0xA5 (the issue's damage)."""
    b = bytearray(good)
    for j in range(offset, min(offset + 8, len(b))):
        b[j] ^= 0xA5
    return bytes(b)


# ------------------------------------------------------------------------------------------------ 1: every damage

def test_every_byte_flip_of_a_cache_is_read_back_whole_or_called_damaged(tmp_path):
    data = {"a": {"loss": np.random.default_rng(0).random((7, 300))}, "skills": np.arange(700, dtype=np.float32)}
    path = tmp_path / "cache.npz"
    save_arrays(path, data)
    good = path.read_bytes()
    for offset in random.Random(1).sample(range(len(good) - 8), 300):
        path.write_bytes(flipped(good, offset))
        try:
            back = load_arrays(path)
        except CacheError as err:       # zlib.error, TokenError, NotImplementedError... all end here
            assert f"cache file {path} is damaged" in str(err) and "\n" not in str(err)
            continue
        np.testing.assert_array_equal(back["a"]["loss"], data["a"]["loss"])    # else it is whole (CRC-checked)


@pytest.fixture
def small_sweep(tmp_path, monkeypatch):
    """SMALL computed into a fresh results folder, its summary exported into a fresh data folder."""
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(paths, "DATA", tmp_path / "data")
    run_sweep(SMALL, progress=False)
    export_summary(SMALL)
    return cell_path(SMALL, "modular", 1, 20)


def test_the_sweep_sets_aside_a_cell_of_any_damage(small_sweep, capsys):
    good = small_sweep.read_bytes()
    for offset in (194,) + tuple(random.Random(2).sample(range(len(good) - 8), 40)):
        small_sweep.write_bytes(flipped(good, offset))
        assert is_cached(SMALL, "modular", 1, 20) in (True, False)       # no traceback, whatever the damage
        if small_sweep.with_name(small_sweep.name + ".damaged").exists():
            assert not small_sweep.exists() and "set aside" in capsys.readouterr().err
            small_sweep.with_name(small_sweep.name + ".damaged").unlink()


def test_a_cell_lacking_an_array_is_damaged(small_sweep):
    data = load_arrays(small_sweep)
    save_arrays(small_sweep, {k: v for k, v in data.items() if k != "final_loss"})
    with pytest.raises(CacheError, match=r"is damaged \(it lacks final_loss\); run scripts/sweep.py"):
        cells.load_cell(SMALL, "modular", 1, 20)


# ------------------------------------------------------------------------------------------ 2: remedies that work

def test_a_damaged_cell_the_summary_holds_blocks_neither_the_figures_nor_the_export(small_sweep, capsys):
    before = gather(SMALL)["modular"]["final_loss"]
    small_sweep.write_bytes(flipped(small_sweep.read_bytes(), 194))
    after = gather(SMALL)                                      # the figures read on, from the summary
    np.testing.assert_array_equal(after["modular"]["final_loss"], before)
    assert "the committed summary holds this cell" in capsys.readouterr().err and not small_sweep.exists()
    export_summary(SMALL)


def test_the_sweep_sets_aside_a_damaged_cell_even_where_the_summary_holds_it(small_sweep):
    small_sweep.write_bytes(b"not a zip file")
    assert (1, 20) in done_cells(SMALL, "modular")             # the summary stands in for it ...
    assert not small_sweep.exists()                            # ... and the damaged file is out of the way
    assert small_sweep.with_name(small_sweep.name + ".damaged").exists()


def test_a_damaged_summary_says_git_checkout(small_sweep):
    path = cells.summary_path(SMALL)
    path.write_bytes(flipped(path.read_bytes(), 60))
    with pytest.raises(CacheError, match=r"^the sweep summary .* is damaged \(.+\); restore the committed one with "
                                         r"`git checkout .*sweep_\w{12}\.npz`$"):
        load_summary(SMALL)


def test_a_summary_of_another_grid_says_so(small_sweep, capsys):
    other = sweep_config(**{**SMALL.__dict__, "dims": (10, 20, 30)})
    assert load_summary(other) is None
    err = capsys.readouterr().err
    assert "holds a sweep of another grid (its dims differ from this code's)" in err and "git checkout" in err


# ------------------------------------------------------------------------------- 3: unwritable targets, full disk

def toy(calls, fail=False):
    """A figure script that records its computes."""
    def compute(cfg, ctx):
        calls.append(1)
        if fail:
            raise ValueError("the toy fails")
        time.sleep(0.02 * len(calls))              # a runtime that differs from one compute to the next
        return {"a": np.arange(3.0)}

    def plot(data, cfg):
        fig = plt.figure()
        plt.plot(data["a"])
        return fig
    return FigureScript(number=99, slug="sample", presets={"paper": {}, "quick": {}}, compute=compute, plot=plot,
                        claims=lambda data, cfg: [claim("a1", 1.0, data["a"][1], "exact", data["a"][1] == 1,
                                                        says="a[1]")],
                        stochastic=False)


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    return tmp_path / "results"


def test_a_results_folder_that_is_a_file_fails_before_computing(tmp_path, monkeypatch, capsys):
    (tmp_path / "taken").write_text("")
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "taken")
    calls = []
    assert figure.main(toy(calls), ["--quick", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert not calls and "the results folder" in err and "SKILL_PHYSICS_RESULTS" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()                     # a failed run leaves no empty folder


def test_an_unwritable_output_folder_fails_before_computing(tmp_path, results, monkeypatch, capsys):
    real = store.tempfile.TemporaryFile

    def refuse(*args, dir=None, **kw):
        if Path(dir) == tmp_path / "out":
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(*args, dir=dir, **kw)
    monkeypatch.setattr(store.tempfile, "TemporaryFile", refuse)
    calls = []
    assert figure.main(toy(calls), ["--quick", "--out", str(tmp_path / "out")]) == 2
    assert not calls and "the output folder" in capsys.readouterr().err


def test_a_full_disk_keeps_the_result_and_says_where(tmp_path, monkeypatch, capsys):
    path = tmp_path / "cache" / "x.npz"
    real = os.fdopen

    def full(fd, *args, **kw):
        f = real(fd, *args, **kw)
        if str(tmp_path) in os.readlink(f"/proc/self/fd/{fd}"):
            f.write = lambda b: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device"))
        return f
    monkeypatch.setattr(store.os, "fdopen", full)
    data, seconds = cached(path, lambda: {"a": np.arange(5)})    # the computed result is returned all the same
    np.testing.assert_array_equal(data["a"], np.arange(5))
    err = capsys.readouterr().err
    assert f"cannot write {path} (No space left on device); the result is kept in" in err
    kept = Path(err.split("kept in ")[1].split(":")[0])
    np.testing.assert_array_equal(load_arrays(kept)["a"], np.arange(5))
    kept.unlink()
    assert not path.exists() and not list(path.parent.glob("*.tmp"))
    with pytest.raises(WriteError, match=r"^cannot write .* \(No space left on device\); the result is kept in"):
        atomic_write(tmp_path / "y.txt", lambda f: f.write(b"y"))


def test_the_sweep_checks_its_results_folder_before_computing(tmp_path, monkeypatch, capsys):
    (tmp_path / "taken").write_text("")
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "taken")
    assert sweep_cli(["--quick", "--jobs", "1", "--no-progress"]) == 2
    assert "the results folder" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------------- 5: the umask

@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_files_follow_the_umask(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        save_arrays(tmp_path / "x.npz", {"a": np.arange(3)})
    finally:
        os.umask(old)
    assert (tmp_path / "x.npz").stat().st_mode & 0o777 == mode


# ------------------------------------------------------------------------------------- 6: runtime_s and git status

def test_a_rerun_leaves_the_json_alone_when_only_its_runtime_changes(tmp_path, results):
    calls, out = [], tmp_path / "out"
    assert figure.main(toy(calls), ["--quick", "--out", str(out)]) == 0
    before = (out / "Fig99_sample.json").read_bytes()
    assert figure.main(toy(calls), ["--quick", "--out", str(out), "--recompute"]) == 0
    assert len(calls) == 2 and (out / "Fig99_sample.json").read_bytes() == before


# ------------------------------------------------------------------------------------------------ 7: command line

@pytest.mark.parametrize("args,message", [
    (["--out", ""], "--out: must name a folder, got ''"),
    (["--seed", str(2 ** 64)], "--seed: must be an integer in 0..1000000000"),
    (["--seed", "-1"], "--seed: must be an integer in 0..1000000000"),
])
def test_figure_arguments_are_refused_in_one_line(args, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        figure.parse_args(toy([]), ["--quick", *args])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_absurd_threads_are_refused_before_computing(tmp_path, results, capsys):
    calls = []
    assert figure.main(toy(calls), ["--quick", "--threads", "100000", "--out", str(tmp_path / "o")]) == 2
    assert not calls and "--threads must be at most" in capsys.readouterr().err


def test_a_failed_run_leaves_no_empty_output_folder(tmp_path, results, capsys):
    out = tmp_path / "figures" / "quick"
    assert figure.main(toy([], fail=True), ["--quick", "--out", str(out)]) == 2
    assert "the toy fails" in capsys.readouterr().err and not (tmp_path / "figures").exists()


@pytest.mark.parametrize("args,message", [
    (["--device", "bogus", "--plan"], "--device='bogus' is not allowed"),
    (["--device", "cuda:x", "--plan"], "--device='cuda:x' is not allowed"),
    (["--threads", "100000", "--plan"], "--threads must be at most"),
    (["--jobs", "100000", "--plan"], "--jobs must be at most"),
])
def test_sweep_arguments_are_refused_in_one_line(args, message, capsys):
    assert sweep_cli(["--quick", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def reproduce(*args, cwd=None):
    return subprocess.run([sys.executable, str(paths.SCRIPTS / "reproduce.py"), *args], capture_output=True,
                          text=True, cwd=cwd)


@pytest.mark.parametrize("args,message", [
    (["--only", "99"], "there is no figure 99; the figures are 2, 4,"),
    (["--only"], "expected at least one argument"),
    (["--skip", "1"], "there is no figure 1;"),
    (["--out", ""], "--out: must name a folder"),
    (["--seed", str(2 ** 64)], "--seed: must be an integer"),
    (["--jobs", "100000"], "--jobs must be at most"),
])
def test_reproduce_arguments_are_refused_in_one_line(args, message):
    proc = reproduce("--plan", *args)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_reproduce_refuses_an_out_that_is_a_file_before_running(tmp_path):
    (tmp_path / "taken").write_text("")
    proc = reproduce("--quick", "--only", "9", "--out", str(tmp_path / "taken"))
    assert proc.returncode == 2 and "is an existing file" in proc.stderr and "==" not in proc.stdout
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args", [["--steps", "0"], ["--dims", "0"], ["--dims", "2000"], ["--steps", "-3"]])
def test_bench_sweep_refuses_absurd_sizes(args):
    proc = subprocess.run([sys.executable, str(paths.SCRIPTS / "bench_sweep.py"), *args], capture_output=True,
                          text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and args[0] in proc.stderr


# ----------------------------------------------------------------------------------------------------- 4: signals

def children_of(pid):
    """The pids of every process below ``pid`` (from /proc)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def alive(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop_after(cmd, ready, env, children=1, timeout=120):
    """Start ``cmd``, wait until its stdout shows ``ready`` and it has ``children`` descendants, SIGTERM it; returns
    (exit code, the descendants it had)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    while ready not in proc.stdout.readline():
        assert proc.poll() is None, proc.stderr.read()
    deadline = time.time() + timeout
    while len(children_of(proc.pid)) < children and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    kids = children_of(proc.pid)
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(60)
    time.sleep(1.0)
    return code, kids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc")
def test_sigterm_stops_the_sweep_and_its_workers_leaving_whole_files(tmp_path):
    env = {**os.environ, "SKILL_PHYSICS_RESULTS": str(tmp_path)}
    code, kids = stop_after([sys.executable, str(paths.SCRIPTS / "sweep.py"), "--quick", "--jobs", "2",
                             "--no-progress"], "jobs to run", env, children=3)
    assert code == 128 + signal.SIGTERM and len(kids) >= 3         # two workers and the queue's manager
    assert not [k for k in kids if alive(k)]
    assert not list(tmp_path.rglob("*.tmp"))
    for path in tmp_path.rglob("*.npz"):
        load_arrays(path)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc")
def test_sigterm_stops_reproduce_and_its_figure_script(tmp_path):
    env = {**os.environ, "SKILL_PHYSICS_RESULTS": str(tmp_path / "results")}
    code, kids = stop_after([sys.executable, str(paths.SCRIPTS / "reproduce.py"), "--quick", "--only", "13",
                             "--jobs", "1", "--out", str(tmp_path / "out")], "== Fig13", env)
    assert code == 128 + signal.SIGTERM and kids and not [k for k in kids if alive(k)]
    assert not list(tmp_path.rglob("*.tmp"))


# ------------------------------------------------------------------------------------------------ docs

def test_the_troubleshooting_notes_name_the_remedies():
    text = (paths.ROOT / "docs" / "troubleshooting.md").read_text()
    for remedy in ("git checkout data/", "--recompute", "SKILL_PHYSICS_RESULTS", "kept in", ".damaged", "SIGTERM"):
        assert remedy in text, remedy
    json.dumps(text)


# -------------------------------------------------------------------------------- 9: a cell and the job it is in

def test_a_cell_depends_on_its_job_only_to_float32_rounding():
    # the documented bound (docs/troubleshooting.md): the BLAS kernel splits the float32 sum z = x V^T over
    # the padded width differently for another width; Adam stays within float noise, sign descent amplifies it
    from skill_physics.paper.sweep.engine import simulate_nonmodular
    cfg = sweep_config(alphas=(0.5, 1.0, 2.0), steps=200, dense_until=200, n_log=5, trace_dim=20, trace_until=200)
    alone = simulate_nonmodular(cfg, [(0, 300), (0, 20)])
    packed = simulate_nonmodular(cfg, [(0, 300), (0, 20), (1, 1000)])
    for v, loss_rel, skills_abs in (("adam", 1e-5, 1e-5), ("signgd", 1e-3, 1e-2)):
        a, b = alone[(v, 0, 300)], packed[(v, 0, 300)]
        assert np.max(np.abs(a["loss"] - b["loss"]) / a["loss"]) <= loss_rel, v
        assert np.max(np.abs(a["final_skills"] - b["final_skills"])) <= skills_abs, v
        np.testing.assert_array_equal(alone[(v, 0, 20)]["loss"], packed[(v, 0, 20)]["loss"])   # small n_dim: exact


# ------------------------------------------------------------------------------------ the store, call by call

def test_nested_arrays_are_stored_under_slash_joined_keys_and_read_back_nested(tmp_path):
    path = tmp_path / "c.npz"
    save_arrays(path, {"a": {"b": {"c": [1, 2]}, "e": 2.5}, "d": 3})
    with np.load(path) as z:
        assert sorted(z.files) == ["a/b/c", "a/e", "d"]
    back = load_arrays(path)
    assert sorted(back) == ["a", "d"] and sorted(back["a"]) == ["b", "e"]
    np.testing.assert_array_equal(back["a"]["b"]["c"], [1, 2])
    assert back["a"]["e"] == 2.5 and back["d"] == 3


def test_a_damaged_cache_names_the_file_the_error_and_the_remedy(tmp_path):
    path = tmp_path / "c.npz"
    path.write_bytes(b"not a zip file")
    with pytest.raises(CacheError) as err:
        load_arrays(path)
    assert re.fullmatch(rf"cache file {re.escape(str(path))} is damaged \(\w+: .+\); delete it or run with "
                        r"--recompute", str(err.value))


def test_atomic_write_writes_beside_the_file_then_renames_it_into_new_folders(tmp_path):
    path = tmp_path / "a" / "b" / "x.bin"
    seen = []

    def write(f):
        seen.append(sorted(p.name for p in path.parent.iterdir()))
        f.write(b"bytes")
    atomic_write(path, write)
    atomic_write(path.with_name("y.bin"), write)                 # the folder exists now: fine too
    assert path.read_bytes() == b"bytes" and sorted(p.name for p in path.parent.iterdir()) == ["x.bin", "y.bin"]
    (tmp,) = seen[0]                                             # while writing: one hidden temporary beside it
    assert tmp.startswith(".x.bin.") and tmp.endswith(".tmp")


def test_atomic_write_lets_other_errors_through_and_leaves_nothing(tmp_path):
    def fail(f):
        f.write(b"half")
        raise KeyError("bug")
    with pytest.raises(KeyError):
        atomic_write(tmp_path / "x.bin", fail)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_inside_another_leaves_the_outer_one_whole(tmp_path):
    def outer(f):
        with pytest.raises(KeyError):
            atomic_write(tmp_path / "inner.bin", lambda g: (_ for _ in ()).throw(KeyError("bug")))
        f.write(b"outer")
    atomic_write(tmp_path / "outer.bin", outer)
    assert [p.name for p in tmp_path.iterdir()] == ["outer.bin"] and (tmp_path / "outer.bin").read_bytes() == b"outer"


def full_disk(f):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_write_kept_nowhere_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "keep_elsewhere", lambda name, write: None)
    path = tmp_path / "x.bin"
    with pytest.raises(WriteError) as err:
        atomic_write(path, full_disk)
    assert str(err.value) == f"cannot write {path} (No space left on device); it could not be kept anywhere else either"
    with pytest.raises(WriteError) as err:
        atomic_write(path, lambda f: (_ for _ in ()).throw(OSError("odd failure")))
    assert str(err.value).startswith(f"cannot write {path} (odd failure); ")


def test_keep_elsewhere_tries_the_temporary_folder_then_home(tmp_path, monkeypatch):
    monkeypatch.setattr(store.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    monkeypatch.setattr(store.Path, "home", lambda: tmp_path / "home")
    (tmp_path / "tmp").mkdir()
    kept = store.keep_elsewhere("x.npz", lambda f: f.write(b"data"))
    assert kept.parent == tmp_path / "tmp" and kept.read_bytes() == b"data"
    assert kept.name.startswith("skill_physics-kept-") and kept.name.endswith("-x.npz")
    kept.unlink()
    (tmp_path / "tmp").rmdir()                                   # no temporary folder: the home folder
    (tmp_path / "home").mkdir()
    kept = store.keep_elsewhere("x.npz", lambda f: f.write(b"data"))
    assert kept.parent == tmp_path / "home" and kept.read_bytes() == b"data"
    (tmp_path / "home" / kept.name).unlink()
    (tmp_path / "home").rmdir()
    assert store.keep_elsewhere("x.npz", lambda f: f.write(b"data")) is None


def test_cached_computes_once_and_reports_the_compute_time_on_rereads(tmp_path):
    path, calls = tmp_path / "c.npz", []

    def compute():
        calls.append(1)
        time.sleep(0.05)
        return {"a": np.arange(3)}
    data, seconds = cached(path, compute)
    assert len(calls) == 1 and 0.05 <= seconds < 60
    again, stored = cached(path, compute)
    assert len(calls) == 1 and type(stored) is float and stored == pytest.approx(seconds)
    assert sorted(again) == ["a"]                                # the stamp is not part of the data
    _, fresh = cached(path, compute, recompute=True)
    assert len(calls) == 2 and fresh >= 0.05


def test_cached_reads_a_cache_without_a_stamp_and_notes_a_failed_write(tmp_path, monkeypatch, capsys):
    save_arrays(tmp_path / "old.npz", {"a": np.arange(2)})
    data, seconds = cached(tmp_path / "old.npz", lambda: {"a": np.arange(5)})
    assert seconds is None and len(data["a"]) == 2

    def refuse(path, data):
        raise WriteError("cannot write here")
    monkeypatch.setattr(store, "save_arrays", refuse)
    data, seconds = cached(tmp_path / "new.npz", lambda: {"a": np.arange(5)})
    assert len(data["a"]) == 5 and capsys.readouterr().err == "note: cannot write here\n"


def test_writable_folder_returns_what_it_made_and_remove_empty_takes_it_back(tmp_path):
    created = store.writable_folder(tmp_path / "a" / "b", "the output folder", "choose another")
    assert created == [tmp_path / "a" / "b", tmp_path / "a"] and (tmp_path / "a" / "b").is_dir()
    assert store.writable_folder(tmp_path / "a" / "b", "the output folder", "choose another") == []
    (tmp_path / "a" / "keep").write_text("")
    store.remove_empty(created)                                  # innermost first; stops at a non-empty one
    assert not (tmp_path / "a" / "b").exists() and (tmp_path / "a").is_dir()


def test_writable_folder_names_what_it_cannot_write_and_the_remedy(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    with pytest.raises(WriteError) as err:
        store.writable_folder(tmp_path / "file", "the output folder", "choose another")
    assert str(err.value) == f"the output folder {tmp_path / 'file'} is an existing file, not a folder; choose another"

    def refuse(*args, **kw):
        raise PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(store.tempfile, "TemporaryFile", refuse)
    with pytest.raises(WriteError) as err:
        store.writable_folder(tmp_path / "d", "the results folder", "set it elsewhere")
    assert str(err.value) == (f"the results folder {tmp_path / 'd'} cannot be written (Permission denied); "
                              "set it elsewhere")


def test_a_result_kept_elsewhere_is_named_after_its_file(tmp_path, monkeypatch):
    names = []
    monkeypatch.setattr(store, "keep_elsewhere", lambda name, write: names.append(name))
    with pytest.raises(WriteError):
        atomic_write(tmp_path / "x.npz", full_disk)
    assert names == ["x.npz"]


def test_a_cache_holding_pickled_objects_is_refused_as_damaged(tmp_path):
    path = tmp_path / "c.npz"
    np.savez(path, a=np.array([{"code": "runs on load"}], dtype=object))
    with pytest.raises(CacheError, match="is damaged"):
        load_arrays(path)


def test_a_damaged_cache_names_the_error_numpy_raised(tmp_path):
    path = tmp_path / "c.npz"
    path.write_bytes(b"PK\x03\x04 a truncated zip")
    try:
        np.load(path, allow_pickle=False)
    except Exception as err:            # what NumPy itself raises for these bytes
        expected = type(err).__name__
    with pytest.raises(CacheError) as err:
        load_arrays(path)
    assert f" is damaged ({expected}: " in str(err.value)


def test_a_signal_during_a_write_removes_its_temporary(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "keep_elsewhere", lambda name, write: None)

    def interrupted(f):
        f.write(b"half")
        store.remove_temporaries()      # what the signal handler does on the way out
    with pytest.raises(WriteError):
        atomic_write(tmp_path / "x.bin", interrupted)
    assert list(tmp_path.iterdir()) == []
