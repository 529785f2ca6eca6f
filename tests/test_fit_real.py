"""``skill-physics-fit`` on the curves real logs hold: unfinished rare skills, unknown frequencies, runs too short to
decide, a W&B export, the shipped Pythia extract; and its command-line conventions."""
import json
from pathlib import Path

import numpy as np
import pytest

from skill_physics import power_law_frequencies, resource_model
from skill_physics.cli.fit import main, read_skills

ROOT = Path(__file__).resolve().parents[1]
PYTHIA = ROOT / "data" / "pythia_1.4b_zero_shot"
PYTHIA_CHANCE = ["0.25,piqa=0.5,winogrande=0.5,lambada*=0"]
P = power_law_frequencies(5, 1.0)
VERDICT = "These curves do not tell serial from parallel learning"


def wide(path, steps, skills, names=None):
    names = names or [f"task{k + 1}" for k in range(skills.shape[1])]
    rows = [",".join(["step", *names])]
    rows += [",".join([f"{t:g}", *(f"{v:.6f}" for v in r)]) for t, r in zip(steps, skills)]
    path.write_text("\n".join(rows) + "\n")
    return path


def fit(tmp_path, capsys, *args):
    code = main([*map(str, args), "--out", str(tmp_path / "out"), "--no-figure"])      # figures: test_fit_cli
    out = capsys.readouterr()
    assert code == 0 and "Traceback" not in out.err, out.err
    report = json.loads(next((tmp_path / "out").glob("*_fit.json")).read_text())
    return out.out, report


def test_parallel_curves_with_unfinished_rare_skills_fit_a_large_n0(tmp_path, capsys):
    steps = np.arange(200) * 50.0
    skills = 1 - np.exp(-0.001 * np.outer(steps, P))          # independent learning; the rarest ends near 0.58
    assert skills[-1, -1] < 0.6 and (skills[-1] < 0.9).sum() == 4
    text, report = fit(tmp_path, capsys, wide(tmp_path / "par.csv", steps, skills),
                       "--frequencies", ",".join(f"{p:.6f}" for p in P))
    assert report["n0"] >= 10 and report["n0_range"][0] >= 1 and report["verdict"] is None
    assert report["not_learned"] == ["task2", "task3", "task4", "task5"] and report["completion"][1] is None
    assert "not learned by step 9950 (fitted from what they show): task2, task3, task4, task5" in text


def test_domino_curves_without_frequencies_give_their_order_alpha_and_n0(tmp_path, capsys):
    skills = resource_model(P, eta_eff=0.02, n0=1e-3, steps=1000).skills[:-1][::5]
    names = ["zeta", "beta", "alpha", "gamma", "delta"]             # alphabetical order is not frequency order
    text, report = fit(tmp_path, capsys, wide(tmp_path / "dom.csv", np.arange(0, 1000, 5), skills, names))
    assert report["skills"] == names and report["frequencies_from"]["alpha"] == 1.0
    assert abs(np.log10(report["n0"] / 1e-3)) <= 0.1 + 1e-9 and report["verdict"] is None and VERDICT not in text


def test_a_short_noisy_run_is_said_not_to_decide(tmp_path, capsys):
    steps = np.arange(0, 600, 100)
    clean = resource_model(P, eta_eff=0.02, n0=1e-3, steps=600).skills[:-1][steps]
    noisy = np.clip(clean + np.random.default_rng(0).normal(0, 0.1, clean.shape), 0, 1)
    text, report = fit(tmp_path, capsys, wide(tmp_path / "short.csv", steps, noisy))
    assert report["verdict"].startswith(VERDICT) and "too few points" in report["verdict"]
    assert report["verdict"] in text


def test_a_wandb_export_without_frequencies(tmp_path, capsys):
    steps = np.arange(0, 2000, 20)
    skills = resource_model(P[:3] / P[:3].sum(), eta_eff=0.02, n0=0.1, steps=2000).skills[:-1][steps]
    header = ["Step"] + [f"run - task{k}{end}" for k in range(3) for end in ("", "__MIN", "__MAX")]
    rows = [",".join([f"{t}"] + [f"{v:.5f}" for v in s for _ in range(3)]) for t, s in zip(steps, skills)]
    (tmp_path / "wandb.csv").write_text("\n".join([",".join(header), *rows]) + "\n")
    _, report = fit(tmp_path, capsys, tmp_path / "wandb.csv")
    assert report["skills"] == ["run - task0", "run - task1", "run - task2"] and report["reader"]["format"] == "wandb"
    assert 0.05 <= report["n0"] <= 0.2


def test_the_shipped_pythia_extract_and_what_the_docs_say_of_it(tmp_path, capsys):
    text, report = fit(tmp_path, capsys, PYTHIA, "--metric", "acc", "--chance", *PYTHIA_CHANCE)
    assert len(report["steps"]) == 27 and sorted(report["skills"]) == ["arc_easy", "lambada_openai", "piqa", "sciq",
                                                                       "winogrande"]
    assert report["reader"]["format"] == "lm-eval" and report["options"]["chance"] == PYTHIA_CHANCE
    assert report["verdict"].startswith(VERDICT) and report["verdict"] in text
    docs = (ROOT / "docs" / "measure_your_runs.md").read_text()
    assert text.splitlines()[0] in docs and report["verdict"] in docs.replace("\n", " ")


def test_read_skills_is_what_the_command_line_fits(tmp_path, capsys):
    steps, skills, names = read_skills(PYTHIA, chance={"piqa": 0.5, "winogrande": 0.5, "lambada*": 0, "*": 0.25})
    assert names == ["arc_easy", "lambada_openai", "piqa", "sciq", "winogrande"] and skills.shape == (27, 5)
    assert skills[-1, 3] == pytest.approx((0.865 - 0.25) / 0.75) and skills.min() == 0 and steps[-1] == 143000
    _, report = fit(tmp_path, capsys, PYTHIA, "--chance", *PYTHIA_CHANCE)
    np.testing.assert_allclose(np.array(report["data"]), skills[:, [names.index(n) for n in report["skills"]]])


def test_help_has_defaults_and_plain_text(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "(default: 0.9)" in text and "``" not in text and "exit codes: 0" in text


def test_a_closed_pipe_ends_quietly(tmp_path, monkeypatch):
    class Closed:        # stdout after `| head -1` has gone: every write fails
        def write(self, text):
            raise BrokenPipeError

        flush = write

        def fileno(self):
            return target.fileno()

    steps = np.arange(50) * 1.0
    path = wide(tmp_path / "run.csv", steps, 1 - np.exp(-0.05 * np.outer(steps, P[:2])))
    with open(tmp_path / "sink", "w") as target:
        monkeypatch.setattr("sys.stdout", Closed())
        assert main([str(path), "--alpha", "1", "--out", str(tmp_path), "--no-figure"]) == 0
    assert json.loads((tmp_path / "run_fit.json").read_text())["skills"] == ["task1", "task2"]   # written first


def test_a_wide_n0_range_is_printed_from_its_low_to_its_high_end(tmp_path, capsys):
    steps = np.arange(0, 600, 100)
    clean = resource_model(P, eta_eff=0.02, n0=1e-3, steps=600).skills[:-1][steps]
    noisy = np.clip(clean + np.random.default_rng(0).normal(0, 0.1, clean.shape), 0, 1)
    text, report = fit(tmp_path, capsys, wide(tmp_path / "short.csv", steps, noisy), "--frequencies",
                       ",".join(map(str, P)))
    low, high = report["n0_range"]
    assert high > 10 * low
    assert f"  N0 within 1.25x the best error: {low:.3g} .. {high:.3g}" in text.splitlines()
    first, last = report["competition_range"]
    assert f"{first:.3f} .. {last:.3f} within 1.25x the best error)" in text and last > first + 0.1


def test_without_frequencies_the_form_and_levels_still_reach_the_fit(tmp_path, capsys):
    """The alpha scan fits in the form and with the onset and completion levels asked for."""
    steps = np.arange(0, 1000, 10)
    skills = resource_model(P[:3] / P[:3].sum(), eta_eff=0.02, n0=1e-3, steps=1000, loss="ce").skills[:-1][steps]
    _, report = fit(tmp_path, capsys, wide(tmp_path / "ce.csv", steps, skills), "--form", "ce", "--onset", "0.3",
                    "--completion", "0.7", "--order", "columns")
    assert report["form"] == "ce" and "alpha_range" in report["frequencies_from"]
    for k in range(3):                   # CE skills start at 1/2: the levels are 0.5 + share * 0.5
        column = np.array(report["data"])[:, k]
        assert report["onset"][k] == steps[np.argmax(column >= 0.5 + 0.3 * 0.5)]
        assert report["completion"][k] == steps[np.argmax(column >= 0.5 + 0.7 * 0.5)]
