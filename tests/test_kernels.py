"""The pinned CPU kernels: in force in the tests and in every figure script, recorded in each JSON, and an opt-out that
writes elsewhere."""
import json
import subprocess
import sys

import pytest

from skill_physics.paper import figure, kernels, paths


def test_this_test_process_computes_with_the_pinned_kernels():
    """tests/conftest.py pins the kernels before NumPy and torch load; the tests compare with committed numbers."""
    used = kernels.in_use()
    assert kernels.pinned(), used
    assert not kernels.avx512(used)
    assert set(used) == {"machine", "numpy", "torch", "blas"}


def run_fig9(out, **env):
    return subprocess.run([sys.executable, str(paths.SCRIPTS / "Fig9_domino.py"), "--quick", "--no-progress",
                           "--out", str(out)], capture_output=True, text=True, cwd=paths.ROOT,
                          env=kernels.unpinned_environment(**env))


def test_a_figure_script_started_without_the_pin_computes_with_it(tmp_path):
    """Run directly, with none of the pin's variables set, a script still computes (and records) pinned kernels: on a
    CPU with AVX-512 it re-runs itself with them."""
    proc = run_fig9(tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    used = json.loads((tmp_path / "Fig9_domino.json").read_text())["kernels"]
    assert not kernels.avx512(used), used
    assert used == kernels.in_use()          # the same kernels as this (pinned) process
    assert proc.stdout.count("Fig9_domino (quick)") == 1     # the re-run starts from scratch: one summary


def test_every_committed_json_records_the_kernels_that_made_it():
    for path in paths.FIGURES.glob("Fig*_*.json"):
        used = json.loads(path.read_text()).get("kernels")
        assert used and set(used) == {"machine", "numpy", "torch", "blas"}, path.name
        assert not kernels.avx512(used), path.name


def test_ensure_pinned_reruns_the_process_with_the_pin(monkeypatch):
    calls = []
    monkeypatch.setattr(kernels, "pinned", lambda: False)
    monkeypatch.setattr(kernels, "x86", lambda: True)
    monkeypatch.setattr(kernels.os, "execve", lambda *a: calls.append(a))
    monkeypatch.setattr(kernels.os, "environ", kernels.unpinned_environment())
    monkeypatch.setattr(kernels.sys, "orig_argv", ["python", "-X", "utf8", "scripts/Fig9_domino.py", "--quick"])
    kernels.ensure_pinned()
    assert len(calls) == 1
    exe, argv, env = calls[0]
    assert exe == sys.executable and argv == [sys.executable, "-X", "utf8", "scripts/Fig9_domino.py", "--quick"]
    assert all(env[k] == v for k, v in kernels.PIN.items())


@pytest.mark.parametrize("case", ["native", "pinned", "pin_set_without_effect"])
def test_ensure_pinned_runs_on_when_it_cannot_or_need_not_pin(monkeypatch, capsys, case):
    calls = []
    monkeypatch.setattr(kernels, "pinned", lambda: case == "pinned")
    monkeypatch.setattr(kernels, "x86", lambda: True)
    monkeypatch.setattr(kernels.os, "execve", lambda *a: calls.append(a))
    env = {"native": {kernels.NATIVE: "1"}, "pinned": {}, "pin_set_without_effect": kernels.PIN}[case]
    monkeypatch.setattr(kernels.os, "environ", kernels.unpinned_environment(**env))
    kernels.ensure_pinned()
    assert calls == []
    assert ("could not be pinned" in capsys.readouterr().err) == (case == "pin_set_without_effect")


def test_the_pin_applies_to_x86_only_and_the_opt_out_is_kept(monkeypatch):
    monkeypatch.setattr(kernels, "x86", lambda: False)
    assert kernels.pinned_environment({"A": "1"}) == {"A": "1"}
    monkeypatch.setattr(kernels, "x86", lambda: True)
    assert kernels.pinned_environment({"A": "1"}) == {"A": "1", **kernels.PIN}
    assert kernels.pinned_environment({kernels.NATIVE: "1"}) == {kernels.NATIVE: "1"}
    assert kernels.pinned_environment({kernels.NATIVE: "0"}) == {kernels.NATIVE: "0", **kernels.PIN}


def test_native_kernels_write_their_own_folder_and_cache(monkeypatch):
    fig = figure.FigureScript(9, "x", {}, None, None, None)
    ctx = figure.Context()
    pinned_cache = figure.cache_path(fig, "paper", {"a": 1}, ctx)
    assert figure.output_folder() == paths.FIGURES
    monkeypatch.setenv(kernels.NATIVE, "1")
    assert figure.output_folder() == paths.FIGURES / "native-kernels"
    assert figure.output_folder(quick=True, seed=2) == paths.FIGURES / "quick-seed2-native-kernels"
    assert figure.cache_path(fig, "paper", {"a": 1}, ctx) != pinned_cache


def test_an_opted_out_script_writes_beside_the_paper_figures(tmp_path):
    proc = run_fig9(tmp_path, **{kernels.NATIVE: "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads((tmp_path / "Fig9_domino.json").read_text())["kernels"]["machine"] == kernels.in_use()["machine"]


def test_the_module_runs_a_command_with_the_pin():
    """``python -m skill_physics.paper.kernels CMD`` (make notebooks) hands the pin to a process that is not ours."""
    proc = subprocess.run([sys.executable, "-m", "skill_physics.paper.kernels", sys.executable, "-c",
                           "import os; print(os.environ.get('ATEN_CPU_CAPABILITY'))"],
                          capture_output=True, text=True, env=kernels.unpinned_environment(), cwd=paths.ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ("avx2" if kernels.x86() else "None")


def test_check_with_native_kernels_compares_with_the_committed_figures():
    """An opted-out reader's ``--check`` compares with figures/ (the same settings, pinned), not with its own folder."""
    assert figure.output_folder(native=False) == paths.FIGURES
    proc = subprocess.run([sys.executable, str(paths.SCRIPTS / "reproduce.py"), "--check", "--only", "9", "--jobs",
                           "1"], capture_output=True, text=True, cwd=paths.ROOT,
                          env=kernels.unpinned_environment(**{kernels.NATIVE: "1"}))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert f"== check against {paths.FIGURES} (this run: " in proc.stdout
    assert "Fig9_domino: identical" in proc.stdout


def test_an_unpinned_environment_drops_the_pin_and_the_opt_out_and_keeps_the_rest(monkeypatch):
    for name, value in {**kernels.PIN, kernels.NATIVE: "1", "KEPT": "yes"}.items():
        monkeypatch.setenv(name, value)
    env = kernels.unpinned_environment(EXTRA="2")
    assert not set(kernels.PIN) & set(env) and kernels.NATIVE not in env
    assert env["KEPT"] == "yes" and env["EXTRA"] == "2"
