"""README.md's quick start, as a reader types it: on the first screen, short, and every command of it works.

The setup line (``make``) is what the test environment already is; the figure command, the API example and the
notebook command are run here, with outputs redirected to a temporary folder. The API example must print what the
README shows under it.
"""
import contextlib
import io
import json
import os
import re
import shlex
import subprocess
import sys

import pytest

from skill_physics.paper import paths

README = paths.ROOT / "README.md"
PYTHON = ".venv/bin/python"
FIRST_SCREEN = 40     # lines


def quick_start():
    """(first line number, bash block, python block) of the README's quick-start section."""
    text = README.read_text()
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert section, "README.md has no '## Quick start' section"
    blocks = dict(re.findall(r"^```(\w+)\n(.*?)^```", section.group(1), re.MULTILINE | re.DOTALL))
    return text.count("\n", 0, section.start()) + 1, blocks["bash"], blocks["python"]


def command(bash, starts):
    """The words of the quick start's command that starts with ``starts``, comment dropped, run with this Python."""
    lines = [shlex.split(line, comments=True) for line in bash.splitlines()]
    words = next(w for w in lines if w and " ".join(w).startswith(starts))
    return [sys.executable if w == PYTHON else w for w in words]


def env(tmp_path):
    return dict(os.environ, SKILL_PHYSICS_RESULTS=str(tmp_path / "results"), MPLBACKEND="Agg",
                PYTHONPATH=os.pathsep.join(filter(None, [str(paths.ROOT), os.environ.get("PYTHONPATH")])))


def test_the_quick_start_is_on_the_first_screen_and_short():
    start, bash, python = quick_start()
    code = [line for line in (bash + python).splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert start <= 12 and len(code) <= 10, (start, code)
    end = start + README.read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0].count("\n")
    assert end <= FIRST_SCREEN
    assert bash.splitlines()[0].split("#")[0].strip() == "make"          # setup first
    assert len([line for line in python.splitlines() if not line.startswith("#")]) <= 5


def test_the_figure_command_draws_fig_9_in_seconds(tmp_path):
    _, bash, _ = quick_start()
    words = command(bash, f"{PYTHON} scripts/")
    proc = subprocess.run(words + ["--out", str(tmp_path / "figures")], cwd=paths.ROOT, env=env(tmp_path),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    name = os.path.splitext(os.path.basename(words[1]))[0]
    assert (tmp_path / "figures" / f"{name}.png").is_file()
    report = json.loads((tmp_path / "figures" / f"{name}.json").read_text())
    assert report["preset"] == "paper" and all(c["holds"] for c in report["claims"])


def test_the_api_example_prints_what_the_readme_shows():
    _, _, python = quick_start()
    shown = [line.lstrip("# ").split("   ")[0] for line in python.splitlines() if line.startswith("# [")]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(python, "README.md quick start", "exec"), {})
    assert out.getvalue().split() and " ".join(out.getvalue().split()) == " ".join(" ".join(shown).split())


def test_the_notebook_command_executes_a_notebook(tmp_path):
    _, bash, _ = quick_start()
    words = command(bash, f"{PYTHON} -m jupyter nbconvert")
    notebook = next(w for w in words if w.endswith(".ipynb"))
    proc = subprocess.run(words + ["--output-dir", str(tmp_path)], cwd=paths.ROOT, env=env(tmp_path),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "--execute" in words
    assert (tmp_path / notebook.replace(".ipynb", ".html")).stat().st_size > 10_000


@pytest.mark.parametrize("target", ["lab"])
def test_the_make_lines_name_targets(target):
    _, bash, _ = quick_start()
    assert f"make {target}" in bash
    assert re.search(rf"^{target}\s*:", (paths.ROOT / "Makefile").read_text(), re.MULTILINE)
