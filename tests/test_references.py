"""Every reference in the repository leads somewhere a reader can follow.

A tracked file may name files of this repository (they must exist) and cite the paper (https://arxiv.org/abs/2501.12391:
its sections, equations and figures) or public addresses; it never names notes that live outside the repository.
"""
import io
import json
import re
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
    return (token in tracked or (Path(name).parent / token).as_posix() in tracked
            or ("/" not in token and token in basenames))


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
