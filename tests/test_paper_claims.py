"""Paper-scale checks (make test-slow): the cheaper figures at paper settings hold every claim of the paper we check."""
import json

import pytest

# figures whose paper preset takes seconds and whose claims all hold (the others are documented in README)
CHEAP_FIGURES = ["Fig6_resource_N0", "Fig8_underparametrized", "Fig9_domino", "Fig12_quadratic_loss",
                 "Fig17_task_dependence"]


@pytest.mark.slow
@pytest.mark.parametrize("name", CHEAP_FIGURES)
def test_paper_preset_holds_every_claim(run_script, name):
    proc, out = run_script(f"{name}.py")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / f"{name}.json").read_text())
    assert report["preset"] == "paper"
    failing = [c["name"] for c in report["claims"] if not c["holds"]]
    assert failing == []
