"""The three top-level notebooks run top to bottom in a fresh kernel and reproduce models.md §4.

Each notebook ends with a cell printing ``RESULTS_JSON {...}``: its key numbers, read back here. The kernel is started
with PYTHONPATH pointing at this checkout, so its final cross-check cell imports this checkout's ``skill_physics``.
"""
import json
import os

import nbformat
import pytest
from nbclient import NotebookClient

from skill_physics import paths

NOTEBOOKS = ("geometry_model.ipynb", "resource_model.ipynb", "domino_model.ipynb")
PREFIX = "RESULTS_JSON "


def read(name):
    return nbformat.read(paths.ROOT / name, as_version=4)


@pytest.fixture(scope="module")
def results():
    """Execute each notebook once (lazily) and return its RESULTS_JSON dict."""
    cache = {}

    def run(name):
        if name not in cache:
            nb = read(name)
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(paths.ROOT),
                                                                               os.environ.get("PYTHONPATH")])),
                       OMP_NUM_THREADS="1", MPLBACKEND="module://matplotlib_inline.backend_inline")
            # a loaded machine can deliver a cell's output seconds after the cell's reply: nbclient's default is to
            # wait 4 s and then drop that output silently; wait longer, and fail loudly instead of dropping it
            NotebookClient(nb, timeout=120, kernel_name="python3", iopub_timeout=60, raise_on_iopub_timeout=True,
                           resources={"metadata": {"path": str(paths.ROOT)}}).execute(env=env)
            lines = [line[len(PREFIX):] for cell in nb.cells if cell.cell_type == "code"
                     for out in cell.outputs if out.output_type == "stream"
                     for line in out.text.splitlines() if line.startswith(PREFIX)]
            assert len(lines) == 1, f"{name} must print exactly one {PREFIX!r} line, found {len(lines)}"
            cache[name] = json.loads(lines[0])
        return cache[name]
    return run


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_parameters_cell_first_and_tagged(name):
    code = [cell for cell in read(name).cells if cell.cell_type == "code"]
    tagged = [cell for cell in code if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0] is code[0], "exactly one parameters cell, the first code cell"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_with_outputs_and_self_contained(name):
    code = [cell for cell in read(name).cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code), "commit the notebook executed (make notebooks)"
    assert not any(out.output_type == "error" for cell in code for out in cell.outputs)
    # the model is implemented in the notebook; the package appears only in the closing cross-check
    uses_package = [i for i, cell in enumerate(code) if "skill_physics" in cell.source]
    assert uses_package == [len(code) - 2], uses_package


def test_geometry_model(results):
    r = results("geometry_model.ipynb")
    assert abs(r["t09"][0] - 142) <= 0.05 * 142
    assert abs(r["t09"][9] - 565) <= 0.05 * 565
    assert r["final_loss"] < 1e-5
    assert r["loss_0"] == pytest.approx(0.1)   # the demo's loss is the mean over tasks (models.md §4.4)
    assert r["engine_max_abs_diff"] < 1e-5     # the package engine (full expectation) gives the same skills


def test_resource_model(results):
    r = results("resource_model.ipynb")
    assert r["eta_eff"] == pytest.approx(0.0189737, abs=1e-7)
    for ours, spec in zip(r["t09"], [104, 213, 302, 374, 430, 473, 507, 533, 554, 572], strict=True):
        assert abs(ours - spec) <= 2, r["t09"]
    for ours, spec in zip(r["t099"], [151, 288, 388, 459, 508, 543, 570, 593, 615, 637], strict=True):
        assert abs(ours - spec) <= 2, r["t099"]
    assert r["loss_0"] == pytest.approx(0.983, abs=5e-4)
    assert r["final_loss"] == pytest.approx(5.4e-20, abs=0.05e-20)   # spec quotes 2 digits
    assert r["engine_max_abs_diff"] < 1e-12


def test_domino_model(results):
    r = results("domino_model.ipynb")
    assert r["t0"] == pytest.approx(52.705, abs=1e-3)
    assert r["completion"][-1] == pytest.approx(527.05, abs=0.01)
    assert r["first_grid_step_done"][-1] == 528
    assert r["engine_max_abs_diff"] < 1e-12
