"""The figure toolkit: Fig 9 end to end, the cache, bad input, where runs write, byte-stable outputs."""
import argparse
import dataclasses
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from skill_physics.paper import paths
from skill_physics.paper.claims import REPLAYED, claim, in_range, printed, seed_claims, within
from skill_physics.paper.figure import CacheError, Context, cache_path, load_arrays, output_folder, save_arrays
from skill_physics.paper.options import MAX_SEED, check_device, check_threads, folder_arg, seed_arg
from skill_physics.paper.paths import find_root


def test_fig9_quick_writes_outputs_and_claims_hold(run_script):
    proc, out = run_script("Fig9_domino.py", "--quick")
    assert proc.returncode == 0, proc.stderr
    for ext in ("pdf", "png", "json"):
        assert (out / f"Fig9_domino.{ext}").stat().st_size > 0
    report = json.loads((out / "Fig9_domino.json").read_text())
    assert report["figure"] == 9 and report["preset"] == "quick"
    assert {c["name"] for c in report["claims"]} == {"serial_last_done", "parallel_slowest_end",
                                                     "parallel_fastest_t09"}
    assert all(c["holds"] for c in report["claims"])
    assert report["claims"][0]["says"] == "serial model: step at which the last task reaches skill 1"
    assert report["claims"][0]["computed"] == "closed form: K t0 = 10 × 100"
    assert "3/3 claims hold" in proc.stdout


def test_every_claim_says_what_it_is_and_the_helpers_extend_the_sentence():
    with pytest.raises(TypeError):
        claim("a", 1.0, 1.0, "exact", True)                               # no sentence, no claim
    row = claim("a", 1.0, 1.0, "exact", True, says="the number")
    assert row["says"] == "the number" and "computed" not in row
    assert claim("a", 1.0, 1.0, "exact", True, says="s", computed="closed form")["computed"] == "closed form"
    first, spread = seed_claims("d", 2.0, [2.0, 1.0, 3.0], "±1", lambda v: abs(v - 2) <= 1, says="delay")
    assert (first["says"], spread["name"]) == ("delay", "d_over_seeds")
    assert spread["says"] == "delay; over all the seeds run" and spread["ours"] == [2.0, 1.0, 3.0]
    assert seed_claims("b", True, [True, False], "exact", bool, says="b")[1]["holds"] is False


def test_printed_claims_hold_to_half_a_unit_of_the_last_printed_digit():
    row = printed("r_exact", 0.964, 0.9644, decimals=3, says="α_N")
    assert row["holds"] and row["says"] == "α_N" + REPLAYED
    assert row["tolerance"] == "±0.0005 (replayed run: the paper's printed digits)"
    assert not printed("r_exact", 0.964, 0.9646, decimals=3, says="α_N")["holds"]
    row = printed("r_original_run", "1.90", 1.9049, says="ratio")
    assert row["holds"] and row["paper"] == 1.9 and row["tolerance"] == "±0.005 (as printed: 1.90)"
    row = printed("m_exact", [3.7e-3, 0.29], [3.74e-3, 0.294], digits=2, says="msd")
    assert row["holds"] and row["tolerance"] == "±half a unit of 2 significant digits (replayed run)"
    assert not printed("m_exact", [3.7e-3, 0.29], [3.76e-3, 0.29], digits=2, says="msd")["holds"]


def test_bad_device_exits_nonzero_with_message(run_script):
    proc, out = run_script("Fig9_domino.py", "--quick", "--device", "tpu")
    assert proc.returncode == 2
    assert "--device='tpu' is not allowed" in proc.stderr
    assert not (out / "Fig9_domino.json").exists()


def test_negative_threads_exit_nonzero_with_message(run_script):
    proc, out = run_script("Fig9_domino.py", "--quick", "--threads", "-1")
    assert proc.returncode == 2 and "--threads must be >= 0 (0: every usable core), got -1" in proc.stderr
    assert not (out / "Fig9_domino.json").exists()


def test_usable_cores_is_the_affinity_where_the_os_reports_one(monkeypatch):
    assert paths.usable_cores() == len(os.sched_getaffinity(0))
    monkeypatch.delattr(os, "sched_getaffinity")                  # macOS, Windows
    assert paths.usable_cores() == os.cpu_count()


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="checks the refusal on a machine without CUDA")
def test_cuda_without_a_gpu_exits_nonzero_with_message(run_script):
    proc, out = run_script("Fig9_domino.py", "--quick", "--device", "cuda")
    assert proc.returncode == 2 and "torch sees no CUDA device" in proc.stderr
    assert not (out / "Fig9_domino.json").exists()


def test_cache_roundtrip_and_damaged_file(tmp_path):
    data = {"a": np.arange(3), "group": {"b": np.ones((2, 2))}}
    save_arrays(tmp_path / "x.npz", data)
    back = load_arrays(tmp_path / "x.npz")
    np.testing.assert_array_equal(back["group"]["b"], data["group"]["b"])
    (tmp_path / "bad.npz").write_bytes(b"not a zip file")
    with pytest.raises(CacheError, match="--recompute"):
        load_arrays(tmp_path / "bad.npz")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []   # no temporary files left


def test_damaged_cache_exits_nonzero_then_recompute_heals(run_script, tmp_path):
    proc, _ = run_script("Fig9_domino.py", "--quick")
    cache = paths.RESULTS / json.loads((tmp_path / "figures" / "Fig9_domino.json").read_text())["cache"]
    cache.write_bytes(b"garbage")
    proc, _ = run_script("Fig9_domino.py", "--quick")
    assert proc.returncode == 2 and "damaged" in proc.stderr
    proc, _ = run_script("Fig9_domino.py", "--quick", "--recompute")
    assert proc.returncode == 0


def test_a_cache_is_named_by_its_settings_and_version_and_reread_whatever_the_code_text(run_script, tmp_path):
    sys.path.insert(0, str(paths.SCRIPTS))
    import Fig9_domino as fig9
    proc, _ = run_script("Fig9_domino.py", "--quick")
    report = json.loads((tmp_path / "figures" / "Fig9_domino.json").read_text())
    cfg, ctx = fig9.FIG.presets["quick"], Context()
    path = cache_path(fig9.FIG, "quick", cfg, ctx)
    assert report["cache"] == path.relative_to(paths.RESULTS).as_posix() and report["version"] == fig9.FIG.version
    assert cache_path(dataclasses.replace(fig9.FIG, version=fig9.FIG.version + 1), "quick", cfg, ctx) != path
    assert cache_path(fig9.FIG, "quick", {**cfg, "another": 1}, ctx) != path
    assert cache_path(fig9.FIG, "quick", cfg, Context(seed=1)) != path
    stamp = path.stat().st_mtime_ns
    proc, _ = run_script("Fig9_domino.py", "--quick")                     # re-plotted from the cache
    assert proc.returncode == 0 and path.stat().st_mtime_ns == stamp


def test_gallery_writes_each_claims_sentence_from_the_json(tmp_path):
    sys.path.insert(0, str(paths.SCRIPTS))
    import gallery
    proc = subprocess.run([sys.executable, str(paths.SCRIPTS / "Fig9_domino.py"), "--quick", "--out", str(tmp_path),
                           "--no-progress"], capture_output=True, text=True)
    assert proc.returncode == 0
    gallery.write_gallery(tmp_path)
    text = (tmp_path / "README.md").read_text()
    assert "![Fig9_domino](Fig9_domino.png)" in text
    assert ("| serial model: step at which the last task reaches skill 1 | `serial_last_done` | 1000 (computed) | "
            "1000 | exact | yes |") in text


def test_root_readme_table_is_rewritten_between_markers(tmp_path):
    sys.path.insert(0, str(paths.SCRIPTS))
    import reproduce
    results = [{"figure": 9, "slug": "domino", "runtime_s": 0.4, "claims": [{"holds": True}, {"holds": False}]}]
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- figure-table:begin -->\nSTALE ROW\n<!-- figure-table:end -->\noutro\n")
    reproduce.update_root_readme(results, readme)
    text = readme.read_text()
    assert "STALE ROW" not in text and text.startswith("intro") and text.endswith("outro\n")
    assert ("| [9](figures/Fig9_domino.png) | `scripts/Fig9_domino.py` | Serial (Domino) vs parallel learning, in "
            "closed form | < 1 s | 1/2 |") in text


# ----------------------------------------------------------------------------- where runs write, and what they write

def fake_checkout(folder, scripts=("Fig9_domino.py",)):
    """A second checkout: the project markers and some scripts, but no package of its own (like a second clone whose
    scripts import the first clone's ``pip install -e`` package)."""
    (folder / "skill_physics").mkdir(parents=True)
    (folder / "skill_physics" / "__init__.py").write_text("")
    (folder / "pyproject.toml").write_text("")
    (folder / "scripts").mkdir()
    for name in scripts:
        (folder / "scripts" / name).write_text((paths.SCRIPTS / name).read_text())
    return folder


def run_in(checkout, name, *args, env=None):
    """Run ``checkout``/scripts/``name`` from inside ``checkout``, with the installed package and no --out."""
    return subprocess.run([sys.executable, str(checkout / "scripts" / name), "--no-progress", *args],
                          capture_output=True, text=True, cwd=checkout, env=env)


def test_output_folder_names_every_non_paper_setting(tmp_path):
    assert output_folder(root=tmp_path) == tmp_path
    assert output_folder(quick=True, root=tmp_path) == tmp_path / "quick"
    assert output_folder(seed=1, root=tmp_path) == tmp_path / "seed1"
    assert output_folder(rng="counter", root=tmp_path) == tmp_path / "rng-counter"
    assert output_folder(True, 2, "original", root=tmp_path) == tmp_path / "quick-seed2-rng-original"
    assert output_folder(quick=True) == paths.QUICK_FIGURES


def test_root_is_the_running_checkout_not_the_installed_package(tmp_path):
    first, second = fake_checkout(tmp_path / "first"), fake_checkout(tmp_path / "second")
    package = first / "skill_physics"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert find_root(second / "scripts" / "Fig9_domino.py", cwd=outside, package_dir=package) == second
    assert find_root(None, cwd=second / "scripts", package_dir=package) == second
    assert find_root(tmp_path / "venv" / "pytest" / "__main__.py", cwd=second, package_dir=package) == second
    assert find_root(None, cwd=outside, package_dir=package) == first
    assert find_root(None, cwd=outside, package_dir=outside / "site-packages" / "skill_physics") == outside


def test_second_checkout_writes_its_own_figures_and_only_paper_settings_write_figures(tmp_path):
    second = fake_checkout(tmp_path / "second")
    for args, folder in ((("--seed", "1"), "figures/seed1"), (("--quick", "--seed", "1"), "figures/quick-seed1"),
                         (("--quick",), "figures/quick"), ((), "figures")):
        proc = run_in(second, "Fig9_domino.py", *args)
        assert proc.returncode == 0, proc.stderr
        report = json.loads((second / folder / "Fig9_domino.json").read_text())
        assert report["seed"] == (1 if "--seed" in args else 0)
        assert "is imported from" in proc.stderr          # it says whose code computed this checkout's figure
    assert sorted(p.name for p in (second / "figures").glob("*.json")) == ["Fig9_domino.json"]


def test_out_pointing_at_a_file_fails_before_computing(tmp_path):
    results = tmp_path / "results"
    (tmp_path / "taken").write_text("")
    proc = subprocess.run([sys.executable, str(paths.SCRIPTS / "Fig9_domino.py"), "--quick", "--no-progress",
                           "--out", str(tmp_path / "taken")], capture_output=True, text=True,
                          env={**os.environ, "SKILL_PHYSICS_RESULTS": str(results)})
    assert proc.returncode == 2 and "is an existing file" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not results.exists()   # nothing was computed (or cached)


def test_rerun_writes_identical_bytes_and_a_relative_cache(run_script, tmp_path):
    first, second, fresh = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, args in ((first, ()), (second, ()), (fresh, ("--recompute",))):
        proc, _ = run_script("Fig9_domino.py", "--quick", *args, out=out)
        assert proc.returncode == 0, proc.stderr
    for name in ("Fig9_domino.pdf", "Fig9_domino.png", "Fig9_domino.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    for name in ("Fig9_domino.pdf", "Fig9_domino.png"):     # recomputed: the same drawing, the same bytes
        assert (first / name).read_bytes() == (fresh / name).read_bytes(), name
    assert b"/CreationDate" not in (first / "Fig9_domino.pdf").read_bytes()
    cache = json.loads((first / "Fig9_domino.json").read_text())["cache"]
    assert not Path(cache).is_absolute() and (paths.RESULTS / cache).is_file()


def test_replot_from_cache_reports_the_compute_time(run_script, tmp_path):
    proc, out = run_script("Fig9_domino.py", "--quick")
    report = json.loads((out / "Fig9_domino.json").read_text())
    cache = paths.RESULTS / report["cache"]
    stored = load_arrays(cache)
    save_arrays(cache, {**stored, "_compute_s": np.asarray(123.4)})   # as if the compute had taken 123.4 s
    # into a fresh folder: an existing JSON whose runtime alone would change is left alone (tests/test_faults.py)
    proc, out = run_script("Fig9_domino.py", "--quick", out=tmp_path / "again")
    assert proc.returncode == 0
    assert json.loads((out / "Fig9_domino.json").read_text())["runtime_s"] == 123.4


# --------------------------------------------------------------------------------- paths and options, in process

def test_main_file_is_the_running_script_or_none(monkeypatch):
    monkeypatch.setitem(sys.modules, "__main__", types.SimpleNamespace(__file__="/x/scripts/Fig9_domino.py"))
    assert paths._main_file() == "/x/scripts/Fig9_domino.py"
    monkeypatch.setitem(sys.modules, "__main__", types.SimpleNamespace())        # an interactive interpreter
    assert paths._main_file() is None


def test_a_checkout_needs_both_markers(tmp_path):
    assert not paths.is_checkout(tmp_path)
    (tmp_path / "pyproject.toml").write_text("")
    assert not paths.is_checkout(tmp_path)
    (tmp_path / "skill_physics").mkdir()
    (tmp_path / "skill_physics" / "__init__.py").write_text("")
    assert paths.is_checkout(tmp_path)
    assert paths.enclosing_checkout(tmp_path / "skill_physics" / "deeper") == tmp_path.resolve()
    assert paths.enclosing_checkout(tmp_path.parent) is None


def test_a_scripts_folder_outside_a_checkout_does_not_make_a_root(tmp_path):
    (tmp_path / "scripts").mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert find_root(tmp_path / "scripts" / "x.py", cwd=outside, package_dir=outside) == outside.resolve()


def test_root_without_a_working_directory_is_the_current_ones_checkout(tmp_path, monkeypatch):
    checkout = fake_checkout(tmp_path / "c")
    monkeypatch.chdir(checkout / "scripts")
    assert find_root(package_dir=tmp_path) == checkout.resolve()


def test_foreign_package_compares_the_package_checkout_with_the_root(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "ROOT", paths.PACKAGE_DIR.parent)
    assert not paths.foreign_package()
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    assert paths.foreign_package()


def test_max_threads_is_four_per_usable_core(monkeypatch):
    monkeypatch.setattr(paths, "usable_cores", lambda: 3)
    assert paths.max_threads() == 12


def test_usable_cores_is_one_when_the_os_cannot_count_them(monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert paths.usable_cores() == 1
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert paths.usable_cores() == 3


def test_folder_arg_refuses_blank_names_and_keeps_others():
    assert folder_arg("a/b") == Path("a/b")
    for blank in ("", "  "):
        with pytest.raises(argparse.ArgumentTypeError, match=r"^must name a folder, got ''$"):
            folder_arg(blank)


def test_seed_arg_accepts_zero_to_max_seed_and_refuses_the_rest():
    assert seed_arg("0") == 0 and seed_arg("7") == 7 and seed_arg(str(MAX_SEED)) == MAX_SEED
    for bad in ("-1", str(MAX_SEED + 1), "abc", "1.5"):
        with pytest.raises(argparse.ArgumentTypeError) as err:
            seed_arg(bad)
        assert str(err.value) == f"must be an integer in 0..{MAX_SEED}, got {bad!r}"


def test_check_threads_bounds_and_messages(monkeypatch):
    monkeypatch.setattr(paths, "usable_cores", lambda: 2)
    check_threads("--threads", 0)                         # 0: every usable core, allowed by default
    check_threads("--threads", 8)                         # 4 per usable core is the most
    check_threads("--jobs", 1, least=1)
    with pytest.raises(ValueError) as err:
        check_threads("--threads", -1)
    assert str(err.value) == "--threads must be >= 0 (0: every usable core), got -1"
    with pytest.raises(ValueError) as err:
        check_threads("--jobs", 0, least=1)
    assert str(err.value) == "--jobs must be >= 1, got 0"
    with pytest.raises(ValueError) as err:
        check_threads("--threads", 9)
    assert str(err.value) == "--threads must be at most 8 (4 per usable core), got 9"


def test_check_device_accepts_cpu_and_the_cuda_devices_torch_sees(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    for device in ("cpu", "cuda", "cuda:0", "cuda:1"):
        check_device(device)
    with pytest.raises(ValueError) as err:
        check_device("cuda:2")
    assert str(err.value) == "--device cuda:2: torch sees 2 CUDA device(s), 0.."
    for bad in ("tpu", "CPU", "cuda:x", "cuda:"):
        with pytest.raises(ValueError) as err:
            check_device(bad)
        assert str(err.value) == f"--device={bad!r} is not allowed; choose 'cpu', 'cuda' or 'cuda:N'"


def test_check_device_refuses_cuda_without_a_gpu_but_not_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    check_device("cpu")
    for device in ("cuda", "cuda:0"):
        with pytest.raises(ValueError) as err:
            check_device(device)
        assert str(err.value) == f"--device {device} was requested but torch sees no CUDA device"


# ------------------------------------------------------------------------------------------- claims, row by row

def test_a_claim_row_holds_plain_json_values_and_holds_only_where_all_of_it_does():
    row = claim("n", np.float32(0.5), np.array([1, 2]), "±1", np.array([True, True]), says="what n is")
    assert row == {"name": "n", "says": "what n is", "paper": 0.5, "ours": [1, 2], "tolerance": "±1", "holds": True}
    assert type(row["holds"]) is bool and type(row["ours"][0]) is int
    assert claim("n", 1, 2, "exact", np.array([True, False]), says="s")["holds"] is False
    assert list(claim("n", 1, 2, "exact", False, says="s", computed="by hand")) == [
        "name", "says", "paper", "ours", "tolerance", "holds", "computed"]


def test_within_bounds_are_inclusive_absolute_or_relative_and_nan_never_holds():
    assert within(1.5, 1.0, abs=0.5) and not within(1.5001, 1.0, abs=0.5) and not within(0.4999, 1.0, abs=0.5)
    assert within(-2.5, -2.0, rel=0.25) and not within(-2.51, -2.0, rel=0.25)
    assert within([1.0, 2.0], [1.0, 2.125], abs=0.125) and not within([1.0, 2.0], [1.25, 2.0], abs=0.125)
    assert not within(np.nan, 1.0, abs=1e9)
    # integers are compared as numbers, never in their own wrapping or overflowing arithmetic
    assert within(np.array([3], np.uint8), 5, abs=2)
    assert within(-128.0, np.array([-128], np.int8), rel=0.1)


def test_in_range_is_inclusive_on_both_ends_and_nan_never_holds():
    assert in_range(1, 1, 2) and in_range(2.0, 1, 2) and in_range([1.0, 1.5, 2.0], 1, 2)
    assert not in_range(0.999, 1, 2) and not in_range(2.001, 1, 2) and not in_range([1.5, 3.0], 1, 2)
    assert not in_range(np.nan, -np.inf, np.inf)


def test_seed_claims_give_the_figure_seed_then_median_min_max():
    def test(v):
        return abs(v - 2) <= 0.5
    first, spread = seed_claims("d", 2.0, [1.8, 3.0, 1.0, 2.4], "±0.5", test, says="delay")
    assert first == claim("d", 2.0, 1.8, "±0.5", True, says="delay")
    # the median of four seeds is the mean of the middle two: 2.1, within 0.5 of 2
    assert spread == claim("d_over_seeds", 2.0, [2.1, 1.0, 3.0], "median, min, max of 4 seeds; median ±0.5", True,
                           says="delay; over all the seeds run")
    first, spread = seed_claims("d", 2.0, [3, 2, 2], "±0.5", test, says="delay")     # integer values
    assert (first["holds"], spread["holds"], spread["ours"]) == (False, True, [2.0, 2.0, 3.0])


def test_seed_claims_of_booleans_give_the_fraction_of_seeds_and_hold_only_if_all_do():
    first, spread = seed_claims("ok", True, [True, True, False, True], "exact", bool, says="it works")
    assert first == claim("ok", True, True, "exact", True, says="it works")
    assert spread == claim("ok_over_seeds", True, 0.75, "fraction of 4 seeds; all hold", False,
                           says="it works; over all the seeds run")
    assert seed_claims("ok", True, [False, True], "exact", bool, says="s")[0]["holds"] is False
    assert seed_claims("ok", True, [True, True], "exact", bool, says="s")[1]["holds"] is True


def test_printed_text_without_decimals_holds_to_half_a_unit():
    row = printed("steps", "1951", 1951.5, says="steps")
    assert row == claim("steps", 1951.0, 1951.5, "±0.5 (as printed: 1951)", True, says="steps" + REPLAYED)
    assert not printed("steps", "1951", 1950.4, says="steps")["holds"]
    assert printed("x", "0.25", 0.2549, says="x")["tolerance"] == "±0.005 (as printed: 0.25)"


def test_printed_significant_digits_give_each_value_its_own_half_unit():
    # 3 significant digits: 123 -> ±0.5, 0.0456 -> ±0.00005
    row = printed("m", [123.0, 0.0456], [123.49, 0.04564], digits=3, says="m")
    assert row["holds"] and row["paper"] == [123.0, 0.0456] and row["ours"] == [123.49, 0.04564]
    assert row["name"] == "m" and row["says"] == "m" + REPLAYED
    assert not printed("m", [123.0, 0.0456], [123.51, 0.0456], digits=3, says="m")["holds"]
    assert not printed("m", [123.0, 0.0456], [123.0, 0.04566], digits=3, says="m")["holds"]
    assert printed("m", [-250.0], [-250.4], digits=2, says="m")["holds"]          # 2 digits of 250: ±5
    assert not printed("m", [-250.0], [-255.1], digits=2, says="m")["holds"]


def test_printed_decimals_hold_to_half_a_unit_of_the_last_decimal():
    row = printed("r", 12.0, 12.4, decimals=0, says="r")
    assert row["holds"] and row["tolerance"] == "±0.5 (replayed run: the paper's printed digits)"
    assert not printed("r", 12.0, 12.6, decimals=0, says="r")["holds"]
    assert printed("r", 0.12, 0.1249, decimals=2, says="r")["holds"]
    assert not printed("r", 0.12, 0.1251, decimals=2, says="r")["holds"]


def test_printed_significant_digits_store_integer_references_as_floats():
    row = printed("m", [120, 45], [121, 45.2], digits=2, says="m")
    assert row["holds"] and row["paper"] == [120.0, 45.0] and all(type(v) is float for v in row["paper"])


def test_usable_cores_prefers_the_affinity_to_the_cpu_count(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3}, raising=False)    # 2 of 8 cores allowed
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert paths.usable_cores() == 2
