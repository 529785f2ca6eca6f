"""fit_your_curves.ipynb in a fresh kernel, at its defaults and at one other setting: it gives the Resource model's
N0 back, sees the MLP's rare parity learned after the frequent one, and runs the command line on a CSV and on the
shipped Pythia extract."""
import numpy as np
import pytest
import test_notebooks
from test_notebooks import execute, read

NAME = "fit_your_curves.ipynb"
test_notebooks.RESULTS[NAME] = ("true_N0", "noise", "recovered_n0", "geometry_n0", "mlp_delay_ratio",
                                "mlp_parallel_margin", "p2", "csv_exit", "pythia_exit", "drag")
# the 'Drag N0' controls, moved in the kernel: does each move redraw, and does N0 start at the best fit's?
DRAG = """drag = {"starts at best": controls["N0"].value == rm_fit.n0[0], "redraws": []}
for _key, _value in [("data", "sparse-parity MLP"), ("data", "Geometry model"), ("N0", rm_fit.n0_grid[0]),
                     ("N0", rm_fit.n0_grid[-1])]:
    _before = fit_picture.image
    controls[_key].value = _value
    drag["redraws"].append(fit_picture.image.startswith(b"\\x89PNG") and fit_picture.image != _before)
drag["title"] = draw("Geometry model", geo_fit.n0_grid[7]).texts[0].get_text()
drag["title N0"] = f"N0 = {geo_fit.n0_grid[7]:.3g}"
"""
OTHER = "K = 4\nalpha = 1.0\ntrue_N0 = 0.5\nnoise = 0.0\np2 = 0.2\nmlp_samples = 1500\nmlp_steps = 800\nseed = 1"


@pytest.mark.parametrize("overrides", ["", OTHER], ids=["defaults", "other"])
def test_fit_notebook_runs_and_gives_the_known_answers(overrides):
    out, text = execute(NAME, overrides, after=DRAG)
    grid_step = 0.1 if out["noise"] == 0 else np.log10(2)           # exact curves: one grid step; noisy: a factor 2
    assert abs(np.log10(out["recovered_n0"] / out["true_N0"])) <= grid_step + 1e-9
    assert 0 < out["geometry_n0"] <= 100
    assert 1 < out["mlp_delay_ratio"] < 1 / out["p2"]                # later than the frequent one, not 1/p2 later
    assert out["mlp_parallel_margin"] > 2
    assert out["csv_exit"] == 0 and "Resource-model fit (mse form): N0 = " in text
    assert out["pythia_exit"] == 0 and "These curves do not tell serial from parallel learning" in text
    drag = out["drag"]
    assert drag["starts at best"] and drag["redraws"] == [True] * 4 and drag["title N0"] in drag["title"]


def test_fit_notebook_is_committed_with_outputs():
    cells = [c for c in read(NAME).cells if c.cell_type == "code"]
    assert all(c.outputs for c in cells[4:]) and any("image/png" in o.get("data", {}) for c in cells for o in c.outputs)


def test_fit_notebook_layout_cites_the_paper_and_has_no_errors():
    """Imports, then the one parameters cell, then its validation; the arXiv link; no error or warning committed."""
    from test_notebooks import code_cells
    nb = read(NAME)
    code = code_cells(nb)
    assert ["parameters" in c.metadata.get("tags", []) for c in code[:3]] == [False, True, False]
    assert all(line.startswith(("import ", "from ")) or not line.strip() for line in code[0].source.splitlines())
    assert "raise ValueError" in code[2].source
    assert "https://arxiv.org/abs/2501.12391" in "\n".join(c.source for c in nb.cells)
    outputs = [o for c in code for o in c.outputs]
    assert not any(o.output_type == "error" or o.get("name") == "stderr" for o in outputs)


@pytest.mark.parametrize("overrides,sentences", [
    ("true_N0 = 0", ["true_N0 = 0: N0 must be a number > 0."]),
    ("p2 = 1.5\nmlp_steps = 10", ["p2 = 1.5: a frequency lies in (0, 1].",
                                  "mlp_steps = 10: the MLP needs a whole number of steps >= 50."]),
    ("csv_path = 'no/such.csv'", ["csv_path = 'no/such.csv': no such file."]),
])
def test_fit_notebook_names_each_bad_value(overrides, sentences):
    from test_notebooks import run_in_process
    with pytest.raises(ValueError) as error:
        run_in_process(NAME, overrides, upto=1)
    assert str(error.value) == " ".join(sentences)

