"""The two layers: the science core (``skill_physics/*.py``) and the paper layer (``skill_physics/paper/``).

Dependencies point one way, scripts -> paper layer -> core: a core module imports neither the paper layer nor the
command lines, reads no environment variable, opens no file and parses no arguments. The sizes keep the core
readable in one sitting beside the paper.
"""
import ast

import pytest

from skill_physics.paper import paths

PACKAGE = paths.PACKAGE_DIR
CORE = sorted(PACKAGE.glob("*.py"))
PAPER = sorted((PACKAGE / "paper").rglob("*.py"))
FITTING = "fits.py"          # the analysis of your own curves: up to 300 lines beyond the core's limit
OUTER = {"paper", "cli"}     # subpackages outside the core
FILE_IO = {"open", "load", "save", "savez", "savez_compressed", "read_text", "read_bytes", "write_text",
           "write_bytes", "loadtxt", "savetxt", "genfromtxt", "mkdir", "unlink", "replace", "rename"}


def imported_packages(source):
    """The skill_physics subpackages or modules a source imports, at any depth of relative import or in any
    function: 'paper' for ``from .paper import x``, ``from ..paper.figure import x``, ``import skill_physics.paper``
    and ``from skill_physics.paper.sweep import y``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 0 and not module.startswith("skill_physics"):
                continue
            parts = module.removeprefix("skill_physics").lstrip(".").split(".") if module else []
            found |= {parts[0]} if parts and parts[0] else {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("skill_physics.")}
    return found


def side_effects(source):
    """Names of the environment, file and argument-parsing calls in a source."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "argv"):
            found.add(node.attr)
        elif isinstance(node, ast.Name) and node.id in ("open", "argparse"):
            found.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            found |= {n for n in names if n in ("argparse", "os", "sys", "pathlib")}
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in FILE_IO:
            if node.func.attr not in ("replace", "load") or isinstance(node.func.value, ast.Name) and \
                    node.func.value.id in ("np", "numpy", "torch", "os", "json", "pickle"):
                found.add(node.func.attr)
    return found


def code_lines(node):
    """Lines of a function's body, its docstring excluded."""
    body = node.body[1:] if ast.get_docstring(node) else node.body
    return len({line for stmt in body for line in range(stmt.lineno, stmt.end_lineno + 1)})


def test_the_readers_see_every_spelling():
    source = ("from .paper import figure\nfrom ..paper.figure import claim\nimport skill_physics.cli\n"
              "def f():\n    from skill_physics.paper.sweep import plan\nimport numpy\nfrom . import tasks\n")
    assert imported_packages(source) == {"paper", "cli", "tasks"}
    assert side_effects("import os\nx = os.environ['A']\nnp.save(f, a)\nopen('f')\n") == {"os", "environ", "save",
                                                                                          "open"}
    assert side_effects("y = x.replace(a)\nz = torch.as_tensor(x)\n") == set()


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_a_core_module_imports_neither_the_paper_layer_nor_a_command_line(path):
    assert not imported_packages(path.read_text()) & OUTER


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_a_core_module_reads_no_environment_opens_no_file_and_parses_no_arguments(path):
    assert side_effects(path.read_text()) == set()


def test_the_core_is_small_enough_to_read_in_one_sitting():
    lines = {p.name: len(p.read_text().splitlines()) for p in CORE}
    assert sum(lines.values()) - max(lines[FITTING] - 300, 0) < 2000 + 300, lines
    assert sum(n for name, n in lines.items() if name != FITTING) < 2000, lines
    assert max(lines.values()) <= 400, lines


def test_paper_layer_modules_stay_under_450_lines():
    lines = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PAPER}
    assert max(lines.values()) < 450, lines


@pytest.mark.parametrize("path", CORE + PAPER, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_functions_are_short_and_module_docstrings_brief(path):
    tree = ast.parse(path.read_text())
    doc = ast.get_docstring(tree) or ""
    assert len(doc.splitlines()) <= 8, f"the module docstring has {len(doc.splitlines())} lines"
    long = {n.name: code_lines(n) for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and code_lines(n) > 60}
    assert not long, long
