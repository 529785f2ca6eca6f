"""README's quick start runs as written, and every command shown in README.md and docs/ names something that exists:
a Makefile target, a script with the options it accepts, the console script or a notebook."""
import re
import shlex
import subprocess
import sys

import pytest

from skill_physics.paper import paths

DOCS = ["README.md", *sorted(p.relative_to(paths.ROOT).as_posix() for p in (paths.ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)


def blocks(name, language):
    return [body for lang, body in FENCE.findall((paths.ROOT / name).read_text()) if lang == language]


def commands(name):
    """Each shell command of a document's bash blocks (comments dropped, continuation lines joined)."""
    text = "\n".join(blocks(name, "bash")).replace("\\\n", " ")
    return [line.split("  #")[0].strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_the_quick_start_is_in_the_first_40_lines_and_under_12_kb():
    text = (paths.ROOT / "README.md").read_text()
    assert len(text.encode()) < 12 * 1024
    head = "\n".join(text.splitlines()[:40])
    assert "scripts/Fig9_domino.py" in head and "nbconvert" in head and "resource_model(" in head


def test_the_quick_start_runs_as_written(tmp_path):
    figure, notebook = [c for c in commands("README.md")[:3] if c != "make"]
    python = shlex.split(figure.replace(".venv/bin/python", sys.executable)) + ["--out", str(tmp_path)]
    proc = subprocess.run(python, capture_output=True, text=True, cwd=paths.ROOT)
    assert proc.returncode == 0 and "3/3 claims hold" in proc.stdout, proc.stderr
    jupyter = shlex.split(notebook.replace(".venv/bin/jupyter", f"{sys.executable} -m jupyter"))
    jupyter[jupyter.index("--output-dir") + 1] = str(tmp_path)
    proc = subprocess.run(jupyter, capture_output=True, text=True, cwd=paths.ROOT)
    assert proc.returncode == 0 and (tmp_path / "resource_model.ipynb").is_file(), proc.stderr[-2000:]
    printed = subprocess.run([sys.executable, "-c", blocks("README.md", "python")[0]], capture_output=True, text=True)
    assert printed.stdout.startswith("[197. 400. 565.")


def targets():
    return set(re.findall(r"^([\w-]+):", (paths.ROOT / "Makefile").read_text(), re.M))


@pytest.mark.parametrize("name", DOCS)
def test_every_documented_command_names_what_exists(name):
    for command in commands(name):
        words = shlex.split(command)
        words = [w for w in words if "=" not in w or w.startswith("-")]          # VAR=value prefixes
        program = words[0]
        if program == "make":
            assert set(words[1:]) <= targets(), command
        elif program in ("python", ".venv/bin/python"):
            script = paths.ROOT / words[1]
            assert script.is_file(), command
            options = [w.split("=")[0] for w in words[2:] if w.startswith("--")]
            help_text = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True,
                                       cwd=paths.ROOT).stdout
            assert all(option in help_text for option in options), command
        elif program.endswith("skill-physics-fit"):
            help_text = subprocess.run([sys.executable, "-m", "skill_physics.cli.fit", "--help"],
                                       capture_output=True, text=True).stdout
            assert all(w in help_text for w in words[1:] if w.startswith("--")), command
        elif program.endswith("jupyter"):
            assert (paths.ROOT / words[-1]).is_file(), command
        else:
            assert program in ("sbatch", "git", "source", "SKILL_PHYSICS_RESULTS"), command
