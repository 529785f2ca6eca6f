"""``skill-physics-fit``: the console script on a CSV and an NPZ it is given, and one clear line for a bad file."""
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from skill_physics import power_law_frequencies, resource_model
from skill_physics.cli.fit import main

P = power_law_frequencies(5, 1.0)
N0 = 0.1


def write_csv(path, skills, steps, names=None, step_column="step"):
    names = names or [f"task{k + 1}" for k in range(skills.shape[1])]
    rows = [",".join([step_column, *names])] + [",".join([f"{t:g}", *(f"{v:.6f}" for v in row)])
                                               for t, row in zip(steps, skills)]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def curves(tmp_path):
    skills = resource_model(P, eta_eff=0.02, n0=N0, steps=2000).skills[:-1]
    return write_csv(tmp_path / "run.csv", skills, np.arange(2000) * 10), skills


def test_the_console_script_prints_the_known_n0_and_writes_figure_and_json(curves, tmp_path):
    path, _ = curves
    script = Path(sys.executable).with_name("skill-physics-fit")      # what `make` installs
    assert script.is_file(), "the console script is not installed: run `make` (pip install -e .)"
    proc = subprocess.run([str(script), str(path), "--alpha", "1.0", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("Resource-model fit (mse form): N0 = ")
    assert abs(np.log10(float(first.split("N0 = ")[1].split(",")[0]) / N0)) <= 0.1 + 1e-9
    report = json.loads((tmp_path / "out" / "run_fit.json").read_text())
    assert report["n0"] == pytest.approx(N0, rel=0.26) and report["skills"][0] == "task1"
    assert 0 < report["competition"] < 1 and len(report["errors"]) == len(report["n0_grid"])
    assert (tmp_path / "out" / "run_fit.png").stat().st_size > 10_000
    assert not list((tmp_path / "out").glob(".*"))                     # no temporary file left


def test_losses_in_an_npz_with_their_rule(tmp_path, capsys):
    skills = resource_model(P, eta_eff=0.05, n0=N0, steps=2000, loss="ce").skills[:-1]   # CE: slower to 0.95
    np.savez(tmp_path / "run.npz", steps=np.arange(2000), losses=-np.log(skills))
    assert main([str(tmp_path / "run.npz"), "--frequencies", *map(str, P), "--loss", "exp", "--form", "ce"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("Resource-model fit (ce form): N0 = ")
    assert abs(np.log10(float(first.split("N0 = ")[1].split(",")[0]) / N0)) <= 0.1 + 1e-9


@pytest.mark.parametrize("edit,args,message", [
    (lambda t: t.replace("step,", "time,"), [], "no step column (looked for step, Step"),
    (lambda t: t, ["--step-column", "time"], "no column named 'time'"),
    (lambda t: t.replace("\n10,", "\n0,", 1), [], "steps must increase (data row 2: 0 after 0)"),
    (lambda t: re.sub(r"\n20,[^,]*,", "\n20,nan,", t, count=1), [], "is missing or NaN (data row 3)"),
    (lambda t: t.replace("\n30,", "\n30,x", 1), [], "column 'task1', data row 4: 'x0."),
    (lambda t: t, ["--onset", "0.95"], "--onset 0.95 and --completion 0.9: 0 <= onset < completion <= 1"),
    (lambda t: t, ["--frequencies", "0.5", "0.5"], "--frequencies gives 2 values for 5 skills"),
    (lambda t: re.sub(r"\n20,[^,]*,", "\n20,inf,", t, count=1), [], "is missing or NaN (data row 3)"),
    (lambda t: t.replace("\n0,", "\n-10,", 1), [], "so they are >= 0 (data row 1: -10)"),
])
def test_a_bad_file_gets_one_clear_line(curves, tmp_path, capsys, edit, args, message):
    path, _ = curves
    path.write_text(edit(path.read_text()))
    freq = [] if "--frequencies" in args else ["--alpha", "1"]
    assert main([str(path), *freq, *args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("skill-physics-fit: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "out" / "run_fit.json").exists()


def test_values_outside_zero_one_ask_for_a_loss_rule(tmp_path, capsys):
    path = write_csv(tmp_path / "loss.csv", np.linspace([2.0, 3.0], [0.1, 0.2], 50), np.arange(50))
    assert main([str(path), "--alpha", "1"]) == 2
    assert "--loss exp, sqrt or linear" in capsys.readouterr().err
    assert main([str(path), "--alpha", "1", "--loss", "linear"]) == 0


def test_an_out_that_is_a_file_is_refused_before_fitting(curves, tmp_path, capsys):
    path, _ = curves
    (tmp_path / "taken").write_text("")
    assert main([str(path), "--alpha", "1", "--out", str(tmp_path / "taken")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("skill-physics-fit: error: --out ") and "is an existing file" in err
