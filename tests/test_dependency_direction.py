"""One direction of dependency: models and experiments return arrays, and only the figure toolkit knows figures.

The package's modules take cache I/O and progress bars from ``skill_physics.store``; none but the plotting helpers
(``panels``) imports ``skill_physics.figure``, whose claims are judged in the figure scripts.
"""
import ast

import pytest

from skill_physics import paths

PACKAGE = paths.PACKAGE_DIR
PLOTTING = {"figure", "panels"}   # the toolkit and its plotting helpers may use the toolkit
# known to import the toolkit today; the strict mark turns into a failure once the import is gone, so that the mark
# is removed then
PENDING = {}   # module -> why it still imports the toolkit (strict xfail); none left


def imported_modules(source):
    """The package modules a module's source imports ('figure' for ``from .figure import x``, ``from . import
    figure``, ``from skill_physics.figure import x``, ``import skill_physics.figure``), function bodies included."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            base = (node.module or "").removeprefix("skill_physics").lstrip(".")
            if node.level == 0 and not (node.module or "").startswith("skill_physics"):
                continue
            found |= {base.split(".")[0]} if base else {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("skill_physics.")}
    return found


def test_imported_modules_reads_every_spelling():
    source = ("from .figure import claim\nfrom . import store, figure\nimport skill_physics.sweep\n"
              "def f():\n    from skill_physics.paths import ROOT\nimport numpy\nfrom numpy import figure\n")
    assert imported_modules(source) == {"figure", "store", "sweep", "paths"}


@pytest.mark.parametrize("name", sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in PLOTTING))
def test_module_does_not_import_the_figure_toolkit(name, request):
    if name in PENDING:
        request.applymarker(pytest.mark.xfail(reason=PENDING[name], strict=True))
    assert "figure" not in imported_modules((PACKAGE / f"{name}.py").read_text())
