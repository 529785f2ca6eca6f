"""Every reference in the repository leads somewhere a reader can follow.

A tracked file may name files of this repository (they must exist) and cite the paper (https://arxiv.org/abs/2501.12391:
its sections, equations and figures) or public addresses; it never names notes that live outside the repository.
Every shell command shown in a code block of README.md or docs/ names a make target, script, option or file that
exists (tests/test_quickstart.py runs the quick start's commands).
"""
import io
import json
import os
import re
import shlex
import subprocess
import tokenize
from pathlib import Path

import pytest

from skill_physics.paper import paths

TEXT_SUFFIXES = (".py", ".md", ".ipynb", ".toml", ".txt", ".sh", ".yml", ".yaml", ".json", ".cfg")
TEXT_NAMES = ("Makefile", ".gitignore")
# a file name with one of these extensions, optionally with folders; not inside a URL, a placeholder or a glob
PATH = re.compile(r"(?<![\w$<>{}*/.:-])((?:[\w.-]+/)*[\w-]+\.(?:md|py|ipynb|json|toml|txt|sh|ya?ml|npz|pdf|png))"
                  r"(?![\w/-])")
URL = re.compile(r"\w+://\S+")
# the team's notes that never ship: their folder, their files, and citing them by name
NOTES = re.compile(r"\bspec\b|spec(?=/)|\bDESIGN\.md\b|\bmodels\.md\b|\bfig\d\d_(?:fig|to)\w*", re.IGNORECASE)


def tracked_files():
    listed = subprocess.run(["git", "ls-files"], cwd=paths.ROOT, capture_output=True, text=True, check=True)
    return listed.stdout.split()


def prose_of_python(source):
    """The comments and docstrings (triple-quoted strings) of Python source: where it names files for a reader.
    String literals of code are left out: they name files the code creates (temporary files, outputs)."""
    parts = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT or (tok.type == tokenize.STRING and tok.string.lstrip("rbuRBU")[:3] in
                                            ('"""', "'''")):
            parts.append(tok.string)
    return "\n".join(parts)


def readable_text(name):
    """The text of a tracked file a reader follows: prose of Python files, every cell of notebooks, JSON outputs
    without their 'cache' field (a file in the git-ignored results folder), other text files whole."""
    text = (paths.ROOT / name).read_text(errors="replace")
    if name.endswith(".py"):
        return prose_of_python(text)
    if name.endswith(".json"):
        data = json.loads(text)
        if isinstance(data, dict):
            data.pop("cache", None)
        return json.dumps(data, ensure_ascii=False)
    return text


def text_files():
    return [f for f in tracked_files() if f.endswith(TEXT_SUFFIXES) or Path(f).name in TEXT_NAMES]


def named_paths(name, text):
    """(line, path) of every file name in ``text`` of tracked file ``name``."""
    text = URL.sub("", text)
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in PATH.finditer(text)]


def exists(token, name, tracked, basenames):
    """A named file exists: from the repository root, from the naming file's folder, or (a bare name) anywhere."""
    beside = os.path.normpath((Path(name).parent / token).as_posix())
    return token in tracked or beside in tracked or ("/" not in token and token in basenames)


def generated(token):
    """A path in a git-ignored folder (results/, build/, figures/quick/): an output the code writes, not a file
    the repository should hold."""
    return "/" in token and subprocess.run(["git", "check-ignore", "-q", "--no-index", token],
                                           cwd=paths.ROOT).returncode == 0


def test_the_scanner_finds_missing_files_and_skips_urls_and_code_strings():
    source = '"""See absent.md and README.md."""\nx = "tmp.npz"  # and notes/x.md\nurl = "https://a.b/c.md"\n'
    found = [t for _, t in named_paths("scripts/a.py", prose_of_python(source))]
    assert found == ["absent.md", "README.md", "notes/x.md"]
    assert not exists("absent.md", "scripts/a.py", {"README.md"}, {"README.md"})
    assert exists("README.md", "scripts/a.py", {"README.md"}, {"README.md"})
    assert exists("reproduce.py", "README.md", {"scripts/reproduce.py"}, {"reproduce.py"})
    assert exists("../figures/README.md", "docs/sweep.md", {"figures/README.md"}, {"README.md"})
    assert generated("results/Fig9_domino/paper-0.npz") and not generated("notes/x.md")


@pytest.mark.parametrize("name", text_files())
def test_tracked_file_names_only_files_of_the_repository(name):
    tracked = set(tracked_files())
    basenames = {Path(f).name for f in tracked}
    missing = [f"{name}:{line}: {token}" for line, token in named_paths(name, readable_text(name))
               if not exists(token, name, tracked, basenames) and not generated(token)]
    assert not missing, "names files that are not in the repository:\n" + "\n".join(missing)


@pytest.mark.parametrize("name", [f for f in text_files() if f != "tests/test_references.py"])
def test_tracked_file_cites_the_paper_not_the_team_notes(name):
    text = (paths.ROOT / name).read_text(errors="replace")
    hits = [f"{name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)!r}" for m in NOTES.finditer(text)]
    assert not hits, "cites notes outside the repository (cite the paper instead):\n" + "\n".join(hits)


# --------------------------------------------------------------------------------- the commands shown to readers

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
SHELL = ("bash", "sh", "shell", "console")
PYTHON = ".venv/bin/python"
GIT_COMMANDS = ("status", "checkout", "diff")    # the git commands the documentation may show


def documentation():
    """README.md and every tracked page of docs/."""
    return ["README.md"] + sorted(f for f in tracked_files() if f.startswith("docs/") and f.endswith(".md"))


def fenced_blocks(text):
    """(language, body) of every fenced code block of a Markdown text."""
    return [(m.group(1).lower(), m.group(2)) for m in FENCE.finditer(text)]


def shell_commands(text):
    """The commands of the shell blocks of a Markdown text, one list of words each: comments dropped, continued
    lines joined."""
    commands = []
    for language, body in fenced_blocks(text):
        if language in SHELL:
            for line in body.replace("\\\n", " ").splitlines():
                words = shlex.split(line, comments=True)
                if words:
                    commands.append(words)
    return commands


def make_targets():
    makefile = (paths.ROOT / "Makefile").read_text()
    return set(re.findall(r"^([\w-]+)\s*:(?!=)", makefile, re.MULTILINE))


def defines_option(script, option):
    """Whether ``option`` (e.g. '--quick') is defined for ``script``: the script's own text or the package's
    (the figure toolkit and the sweep's command line define the options of the scripts that use them)."""
    sources = [paths.ROOT / script] + sorted((paths.ROOT / "skill_physics").rglob("*.py"))
    return any(f'"{option}"' in source.read_text() for source in sources)


def named_path_exists(word):
    """A path argument exists; a placeholder such as data/<file> names its folder."""
    path = word.split("<", 1)[0] if "<" in word else word
    return (paths.ROOT / path).exists()


def command_problems(words):
    """What is wrong with one documented command (an empty list if nothing): it must be a known kind of command,
    and name make targets, scripts, options and files that exist."""
    while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):      # VAR=value prefixes
        words = words[1:]
    head, args = words[0], words[1:]
    if head == "make":
        return [f"no make target {t!r}" for t in args if "=" not in t and t not in make_targets()]
    if head == "git":
        if not args or args[0] not in GIT_COMMANDS:
            return [f"git command not among {GIT_COMMANDS}"]
        return [f"no such path {w!r}" for w in args[1:] if not w.startswith("-") and not named_path_exists(w)]
    if head.endswith("skill-physics-fit"):    # the console script: its options exist; the curves are the reader's
        source = (paths.PACKAGE_DIR / "cli" / "fit.py").read_text()
        return [f"skill-physics-fit has no option {w!r}" for w in args if w.startswith("--")
                and f'"{w.split("=", 1)[0]}"' not in source]
    if head == "sbatch":
        return [] if args and (paths.ROOT / args[-1]).is_file() else ["sbatch of a missing script"]
    if head != PYTHON:
        return [f"unknown command {head!r}: run it in a test or teach command_problems to check it"]
    if args[:2] == ["-m", "pytest"]:
        return [f"no such test path {w!r}" for w in args[2:] if not w.startswith("-") and not named_path_exists(w)]
    if args[:3] == ["-m", "jupyter", "nbconvert"]:
        return [f"no such notebook {w!r}" for w in args[3:] if w.endswith(".ipynb") and not named_path_exists(w)]
    if not args or not args[0].startswith("scripts/") or not (paths.ROOT / args[0]).is_file():
        return [f"{PYTHON} must run an existing script of scripts/ (or -m pytest, -m jupyter nbconvert)"]
    return [f"{args[0]} has no option {w!r}" for w in args[1:] if w.startswith("--")
            and not defines_option(args[0], w.split("=", 1)[0])]


def test_the_command_parser_reads_fenced_shell_blocks():
    text = ("x\n```bash\nmake test      # the suite\n.venv/bin/python scripts/a.py \\\n    --quick\n```\n"
            "```python\nprint(1)\n```\n")
    assert shell_commands(text) == [["make", "test"], [".venv/bin/python", "scripts/a.py", "--quick"]]
    assert command_problems(["make", "no-such-target"]) == ["no make target 'no-such-target'"]
    assert command_problems(["make", "setup"]) == []
    assert command_problems(["python3", "x.py"])[0].startswith("unknown command")
    assert command_problems([PYTHON, "scripts/Fig9_domino.py", "--no-such-option"]) == [
        "scripts/Fig9_domino.py has no option '--no-such-option'"]
    assert command_problems([PYTHON, "scripts/Fig9_domino.py", "--quick", "--out", "somewhere"]) == []
    assert command_problems(["git", "checkout", "data/<file>"]) == []
    assert command_problems(["git", "push"]) != []
    assert command_problems([".venv/bin/skill-physics-fit", "a.csv", "--alpha", "1"]) == []
    assert command_problems([".venv/bin/skill-physics-fit", "a.csv", "--beta", "1"]) != []


def test_make_alone_sets_up():
    assert re.search(r"^\.DEFAULT_GOAL\s*:=\s*setup\s*$", (paths.ROOT / "Makefile").read_text(), re.MULTILINE)


@pytest.mark.parametrize("name", documentation())
def test_every_documented_command_names_what_exists(name):
    commands = shell_commands((paths.ROOT / name).read_text())
    problems = [f"{name}: {' '.join(words)}: {p}" for words in commands for p in command_problems(words)]
    assert not problems, "documented commands that would fail:\n" + "\n".join(problems)


def test_the_documentation_shows_commands():
    assert all(shell_commands((paths.ROOT / name).read_text()) for name in ["README.md", "docs/development.md",
                                                                          "docs/sweep.md", "docs/troubleshooting.md"])
