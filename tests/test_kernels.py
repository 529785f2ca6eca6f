"""The pinned CPU kernels: in force in the tests and in every figure script, recorded in each JSON, and an opt-out that
writes elsewhere."""
import json
import os
import subprocess
import sys
from pathlib import Path

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


# ------------------------------------------------------------------------------------- the checks, one by one

class FakeCpuinfo:
    """Stands in for ``Path`` in kernels.x86: /proc/cpuinfo reads as ``text``, or fails like a system without it."""

    def __init__(self, text):
        self.text = text

    def __call__(self, path):
        assert str(path) == "/proc/cpuinfo"
        return self

    def read_text(self):
        if self.text is None:
            raise FileNotFoundError("/proc/cpuinfo")
        return self.text


@pytest.mark.parametrize("machine,cpuinfo,expected", [
    ("x86_64", "flags : fpu sse avx avx2 fma", True),
    ("AMD64", "flags : fpu sse avx avx2 fma", True),       # Windows' name, any case
    ("x86_64", "flags : fpu sse avx fma", False),           # an x86-64 CPU older than AVX2
    ("x86_64", None, True),                                 # no /proc/cpuinfo (not Linux): AVX2 assumed
    ("aarch64", "flags : avx2", False),
    ("arm64", None, False),
])
def test_x86_means_an_x86_64_cpu_with_avx2(monkeypatch, machine, cpuinfo, expected):
    monkeypatch.setattr(kernels.platform, "machine", lambda: machine)
    monkeypatch.setattr(kernels, "Path", FakeCpuinfo(cpuinfo))
    assert kernels.x86() is expected


def test_native_is_any_opt_out_value_but_empty_or_zero(monkeypatch):
    assert not kernels.native({}) and not kernels.native({kernels.NATIVE: ""})
    assert not kernels.native({kernels.NATIVE: "0"})
    assert kernels.native({kernels.NATIVE: "1"}) and kernels.native({kernels.NATIVE: "yes"})
    monkeypatch.setenv(kernels.NATIVE, "1")                 # default: this process's environment
    assert kernels.native()
    monkeypatch.setenv(kernels.NATIVE, "0")
    assert not kernels.native()


def test_pinned_environment_copies_and_defaults_to_this_process(monkeypatch):
    monkeypatch.setattr(kernels, "x86", lambda: True)
    given = {"A": "1"}
    assert kernels.pinned_environment(given) is not given and given == {"A": "1"}
    monkeypatch.setenv("SKILL_PHYSICS_PROBE", "x")
    monkeypatch.delenv(kernels.NATIVE, raising=False)
    env = kernels.pinned_environment()
    assert env["SKILL_PHYSICS_PROBE"] == "x" and all(env[k] == v for k, v in kernels.PIN.items())


@pytest.mark.parametrize("kernels_,expected", [
    ({"torch": "AVX2", "numpy": "SSE42 AVX2 FMA3 X86_V3", "blas": "Haswell"}, False),
    ({"torch": "AVX512", "numpy": "X86_V3", "blas": "Haswell"}, True),
    ({"torch": "avx512_vnni", "numpy": "X86_V3", "blas": "Haswell"}, True),
    ({"torch": "AVX2", "numpy": "X86_V3 X86_V4", "blas": "Haswell"}, True),
    ({"torch": "AVX2", "numpy": "AVX512_SPR", "blas": "Haswell"}, True),
    ({"torch": "AVX2", "numpy": "X86_V3", "blas": "SkylakeX"}, True),
    ({"torch": "AVX2", "numpy": "X86_V3", "blas": "SapphireRapids"}, True),
    ({"torch": "AVX2", "numpy": "X86_V3"}, False),                     # no BLAS recorded
])
def test_avx512_is_any_of_torch_numpy_or_blas(kernels_, expected):
    assert kernels.avx512(kernels_) is expected


def test_pinned_is_always_true_off_x86_and_else_means_no_avx512(monkeypatch):
    monkeypatch.setattr(kernels, "in_use", lambda: {"torch": "AVX512", "numpy": "X86_V4", "blas": "SkylakeX"})
    monkeypatch.setattr(kernels, "x86", lambda: False)
    assert kernels.pinned()
    monkeypatch.setattr(kernels, "x86", lambda: True)
    assert not kernels.pinned()
    monkeypatch.setattr(kernels, "in_use", lambda: {"torch": "AVX2", "numpy": "X86_V3", "blas": "Haswell"})
    assert kernels.pinned()


def test_in_use_lists_the_dispatch_targets_in_force_else_the_baseline(monkeypatch):
    import numpy as np
    import torch

    umath = np._core._multiarray_umath
    monkeypatch.setattr(kernels.platform, "machine", lambda: "X86_64")
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "CAP")
    monkeypatch.setattr(kernels, "blas_core", lambda: "Core")
    monkeypatch.setattr(umath, "__cpu_dispatch__", ["A", "B", "C"])
    monkeypatch.setattr(umath, "__cpu_features__", {"A": True, "B": False, "C": True})
    monkeypatch.setattr(umath, "__cpu_baseline__", ["BASE1", "BASE2"])
    assert kernels.in_use() == {"machine": "x86_64", "numpy": "A C", "torch": "CAP", "blas": "Core"}
    monkeypatch.setattr(umath, "__cpu_features__", {"A": False})
    assert kernels.in_use()["numpy"] == "BASE1 BASE2"
    monkeypatch.delattr(umath, "__cpu_features__")
    assert kernels.in_use()["numpy"] == "BASE1 BASE2"
    monkeypatch.setattr(umath, "__cpu_baseline__", [])
    assert kernels.in_use()["numpy"] == "unknown"


def test_blas_core_is_unknown_without_numpy_s_openblas(monkeypatch, tmp_path):
    import numpy as np

    (tmp_path / "numpy").mkdir()
    (tmp_path / "numpy.libs").mkdir()
    (tmp_path / "numpy.libs" / "libgfortran.so").write_bytes(b"")
    monkeypatch.setattr(np, "__file__", str(tmp_path / "numpy" / "__init__.py"))
    assert kernels.blas_core() == "unknown"


def test_blas_core_names_the_core_of_the_bundled_openblas():
    import numpy as np

    libs = sorted((Path(np.__file__).parent.parent / "numpy.libs").glob("*openblas*"))
    if not libs:
        pytest.skip("this NumPy has no bundled OpenBLAS")
    core = kernels.blas_core()
    assert core != "unknown" and core.isalnum()
    if os.environ.get("OPENBLAS_CORETYPE"):
        assert core.lower() == os.environ["OPENBLAS_CORETYPE"].lower()


def test_a_pin_without_effect_is_noted_naming_each_setting_and_the_opt_out(monkeypatch, capsys):
    monkeypatch.setattr(kernels, "pinned", lambda: False)
    monkeypatch.setattr(kernels.os, "execve", lambda *a: pytest.fail("must not re-run"))
    monkeypatch.setattr(kernels.os, "environ", kernels.unpinned_environment(**kernels.PIN))
    kernels.ensure_pinned()
    settings = ", ".join(f"{k}={v}" for k, v in kernels.PIN.items())
    assert capsys.readouterr().err == (
        f"note: the CPU kernels could not be pinned to AVX2 ({settings} had no effect); the numbers may differ in the "
        f"last digits from the committed ones. Set {kernels.NATIVE}=1 to silence this note\n")


@pytest.mark.parametrize("symbol", ["scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
                                    "openblas_get_corename"])
def test_blas_core_asks_whichever_name_the_openblas_build_exports(monkeypatch, tmp_path, symbol):
    import numpy as np

    (tmp_path / "numpy").mkdir()
    (tmp_path / "numpy.libs").mkdir()
    (tmp_path / "numpy.libs" / "libscipy_openblas64_-x.so").write_bytes(b"")
    monkeypatch.setattr(np, "__file__", str(tmp_path / "numpy" / "__init__.py"))

    def corename():
        return b"Zen"
    library = type("Library", (), {symbol: staticmethod(corename)})      # exports only ``symbol``
    monkeypatch.setattr(kernels.ctypes, "CDLL", lambda path: library())
    assert kernels.blas_core() == "Zen"


def test_in_use_falls_back_to_the_baseline_without_dispatch_tables(monkeypatch):
    import numpy as np

    umath = np._core._multiarray_umath
    monkeypatch.delattr(umath, "__cpu_dispatch__", raising=False)
    monkeypatch.setattr(umath, "__cpu_baseline__", ["BASE"])
    assert kernels.in_use()["numpy"] == "BASE"
    monkeypatch.delattr(umath, "__cpu_baseline__")
    assert kernels.in_use()["numpy"] == "unknown"
