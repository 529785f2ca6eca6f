"""Stamps follow numbers, not text: an edit that keeps the numbers (here a comment in the core) leaves every cache
and the committed sweep summary valid, so the figures re-plot from them without computing anything."""
import json
import os
import shutil
import subprocess
import sys

from skill_physics.paper import paths

SCRIPTS = ("Fig6_resource_N0.py", "Fig10_scaling_laws.py")


def run_all(checkout, results, out):
    env = {**os.environ, "SKILL_PHYSICS_RESULTS": str(results), "PYTHONPATH": str(checkout)}
    for name in SCRIPTS:
        proc = subprocess.run([sys.executable, str(checkout / "scripts" / name), "--out", str(out), "--no-progress"],
                              capture_output=True, text=True, cwd=checkout, env=env)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return {p.relative_to(results): p.stat().st_mtime_ns for p in results.rglob("*") if p.is_file()}


def reports(out):
    return {p.name: json.loads(p.read_text()) for p in out.glob("*.json")}


def test_a_comment_in_the_core_recomputes_nothing(tmp_path):
    checkout, results = tmp_path / "clone", tmp_path / "results"
    checkout.mkdir()
    for part in ("skill_physics", "scripts", "data", "pyproject.toml"):
        source = paths.ROOT / part
        copy = shutil.copytree if source.is_dir() else shutil.copy2
        copy(source, checkout / part, **({"ignore": shutil.ignore_patterns("__pycache__")} if source.is_dir() else {}))
    first = run_all(checkout, results, tmp_path / "first")
    assert any(p.parts[0] == "Fig6_resource_N0" for p in first)              # Fig 6 computed its cache once
    assert not any(p.parts[0] == "sweep" for p in first)                      # Fig 10 read the committed summary
    with open(checkout / "skill_physics" / "geometry.py", "a") as f:
        f.write("# a comment changes no number\n")
    again = run_all(checkout, results, tmp_path / "again")
    assert again == first                                                     # nothing recomputed, nothing rewritten
    assert reports(tmp_path / "again") == reports(tmp_path / "first")      # the same JSONs: claims, runtimes
