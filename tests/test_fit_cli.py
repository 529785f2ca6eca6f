"""``skill-physics-fit``: the console script on a CSV and an NPZ it is given, and one clear line for a bad file."""
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from skill_physics import power_law_frequencies, resource_model
from skill_physics.cli.fit import main

P = power_law_frequencies(5, 1.0)
N0 = 0.1


def write_csv(path, skills, steps, names=None, step_column="step"):
    names = names or [f"task{k + 1}" for k in range(skills.shape[1])]
    rows = [",".join([step_column, *names])] + [",".join([f"{t:g}", *(f"{v:.6f}" for v in row)])
                                               for t, row in zip(steps, skills)]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def curves(tmp_path):
    skills = resource_model(P, eta_eff=0.02, n0=N0, steps=2000).skills[:-1]
    return write_csv(tmp_path / "run.csv", skills, np.arange(2000) * 10), skills


def test_the_console_script_prints_the_known_n0_and_writes_figure_and_json(curves, tmp_path):
    path, _ = curves
    script = Path(sys.executable).with_name("skill-physics-fit")      # what `make` installs
    assert script.is_file(), "the console script is not installed: run `make` (pip install -e .)"
    proc = subprocess.run([str(script), str(path), "--alpha", "1.0", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("Resource-model fit (mse form): N0 = ")
    assert abs(np.log10(float(first.split("N0 = ")[1].split(",")[0]) / N0)) <= 0.1 + 1e-9
    report = json.loads((tmp_path / "out" / "run_fit.json").read_text())
    assert report["n0"] == pytest.approx(N0, rel=0.26) and report["skills"][0] == "task1"
    assert 0 < report["competition"] < 1 and len(report["errors"]) == len(report["n0_grid"])
    assert (tmp_path / "out" / "run_fit.png").stat().st_size > 10_000
    assert not list((tmp_path / "out").glob(".*"))                     # no temporary file left


def test_losses_in_an_npz_with_their_rule(tmp_path, capsys):
    skills = resource_model(P, eta_eff=0.05, n0=N0, steps=2000, loss="ce").skills[:-1]   # CE: slower to 0.95
    np.savez(tmp_path / "run.npz", steps=np.arange(2000), losses=-np.log(skills))
    assert main([str(tmp_path / "run.npz"), "--frequencies", *map(str, P), "--loss", "exp", "--form", "ce"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("Resource-model fit (ce form): N0 = ")
    assert abs(np.log10(float(first.split("N0 = ")[1].split(",")[0]) / N0)) <= 0.1 + 1e-9


@pytest.mark.parametrize("edit,args,message", [
    (lambda t: t.replace("step,", "time,"), [], "no step column (looked for step, Step"),
    (lambda t: t, ["--step-column", "time"], "no column named 'time'"),
    (lambda t: t.replace("\n10,", "\n0,", 1), [], "steps must increase (data row 2: 0 after 0)"),
    (lambda t: re.sub(r"\n20,[^,]*,", "\n20,nan,", t, count=1), [], "is missing or NaN (data row 3)"),
    (lambda t: t.replace("\n30,", "\n30,x", 1), [], "column 'task1', data row 4: 'x0."),
    (lambda t: t, ["--onset", "0.95"], "--onset 0.95 and --completion 0.9: 0 <= onset < completion <= 1"),
    (lambda t: t, ["--frequencies", "0.5", "0.5"], "--frequencies gives 2 values for 5 skills"),
    (lambda t: t, ["--frequencies", "0.5", "x"], "--frequencies: could not convert string to float: 'x'"),
    (lambda t: re.sub(r"\n20,[^,]*,", "\n20,inf,", t, count=1), [], "is missing or NaN (data row 3)"),
    (lambda t: t.replace("\n0,", "\n-10,", 1), [], "so they are >= 0 (data row 1: -10)"),
])
def test_a_bad_file_gets_one_clear_line(curves, tmp_path, capsys, edit, args, message):
    path, _ = curves
    path.write_text(edit(path.read_text()))
    freq = [] if "--frequencies" in args else ["--alpha", "1"]
    assert main([str(path), *freq, *args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("skill-physics-fit: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "out" / "run_fit.json").exists()


def test_values_outside_zero_one_ask_for_a_loss_rule(tmp_path, capsys):
    path = write_csv(tmp_path / "loss.csv", np.linspace([2.0, 3.0], [0.1, 0.2], 50), np.arange(50))
    assert main([str(path), "--alpha", "1"]) == 2
    assert "--loss exp, sqrt or linear" in capsys.readouterr().err
    assert main([str(path), "--alpha", "1", "--loss", "linear"]) == 0


def test_an_out_that_is_a_file_is_refused_before_fitting(curves, tmp_path, capsys):
    path, _ = curves
    (tmp_path / "taken").write_text("")
    assert main([str(path), "--alpha", "1", "--out", str(tmp_path / "taken")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("skill-physics-fit: error: --out ") and "is an existing file" in err


def test_checked_refuses_short_ragged_missing_negative_and_repeated_steps():
    from skill_physics.cli.fit import checked
    from skill_physics.cli.readers import InputError
    good = np.array([[0.1], [0.2], [0.3]])
    checked("p", np.array([0.0, 1, 2]), good)                        # 3 rows from step 0 are enough
    cases = [(np.array([0.0, 1]), good[:2], r"^p: needs at least 3 rows of steps and values$"),
             (np.array([0.0, 1, 2, 3]), good, r"^p: needs at least 3 rows of steps and values$"),
             (np.array([0.0, np.nan, 2]), good,
              r"^p: a value is missing or NaN \(data row 2\); fill or drop that row$"),
             (np.array([0.0, 1, 2]), np.array([[0.1], [0.2], [np.inf]]), r"\(data row 3\)"),
             (np.array([-0.5, 1, 2]), good, r"^p: steps count updates from the start of training, so they are >= 0 "
                                            r"\(data row 1: -0\.5\)$"),
             (np.array([0.0, 2.5, 2.5]), good, r"^p: steps must increase \(data row 3: 2\.5 after 2\.5\)$"),
             (np.array([0.0, 3, 2]), good, r"^p: steps must increase \(data row 3: 2 after 3\)$"),
             (np.array([0.0, 1, 2, 2]), np.ones((4, 1)), r"^p: steps must increase \(data row 4: 2 after 2\)$")]
    for steps, values, message in cases:
        with pytest.raises(InputError, match=message):
            checked("p", steps, values)


def test_list_options_take_commas_spaces_or_both():
    from skill_physics.cli.fit import items, numbers
    from skill_physics.cli.readers import InputError
    assert items(None) is None and numbers("--x", None) is None
    assert items(["0.5,0.3", "0.2", "a,,b", " , "]) == ["0.5", "0.3", "0.2", "a", "b"]
    assert numbers("--frequencies", ["1,0.5", "3"]) == [1.0, 0.5, 3.0]
    with pytest.raises(InputError, match=r"^--frequencies: could not convert string to float: 'x'$"):
        numbers("--frequencies", ["1,x"])


def test_to_skills_accepts_a_small_overshoot_and_clips_it():
    """Values within 0.05 of [0, 1] are skills, clipped into it; beyond, the message says what to give."""
    from skill_physics.cli.fit import to_skills
    from skill_physics.cli.readers import InputError
    values = np.array([[-0.05, 0.0], [0.5, 1.05]])
    np.testing.assert_array_equal(to_skills(values, ["a", "b"]), [[0, 0], [0.5, 1]])
    for bad, found in ((1.06, "-0.05 .. 1.06"), (-0.06, "-0.06 .. 1.05")):
        with pytest.raises(InputError, match=rf"^run\.csv: skills must lie in \[0, 1\] \(found {found}\); for losses "
                                             r"give --loss exp, sqrt or linear, for accuracies --chance$"):
            to_skills(np.where(values == values.max() if bad > 1 else values == values.min(), bad, values),
                      ["a", "b"], where="run.csv")
    with pytest.raises(InputError, match=r"^the curves: skills must lie"):
        to_skills(values + 1, ["a", "b"])


def test_to_skills_applies_chance_then_the_ceiling_and_refuses_chance_with_losses():
    from skill_physics.cli.fit import to_skills
    from skill_physics.cli.readers import InputError
    acc = np.array([[0.2, 0.5], [0.4, 0.7], [0.6, 0.9]])
    np.testing.assert_allclose(to_skills(acc, ["a", "b"], ["0.2", "b=0.5"]), [[0, 0], [0.25, 0.4], [0.5, 0.8]])
    np.testing.assert_allclose(to_skills(acc, ["a", "b"], ["0.2", "b=0.5"], "best"), [[0, 0], [0.5, 0.5], [1, 1]])
    np.testing.assert_allclose(to_skills(np.array([[0.1], [0.3]]), ["a"], ["0.2"]), [[0], [0.125]])   # below: 0
    np.testing.assert_allclose(to_skills(np.array([[4.0], [1.0]]), ["a"], loss="sqrt"), [[0], [0.5]])
    overshoot = np.array([[0.0], [0.5], [1.04], [1.04]])                 # clipped to 1 before the best is taken
    np.testing.assert_allclose(to_skills(overshoot, ["a"], ceiling="best"), [[0], [0.5], [1], [1]])
    with pytest.raises(InputError, match=r"^--loss and --chance exclude each other: losses or accuracies$"):
        to_skills(acc, ["a", "b"], ["0.2"], loss="exp")


def test_read_skills_takes_chance_as_a_number_a_dict_or_items(tmp_path):
    from skill_physics.cli.fit import read_skills
    path = write_csv(tmp_path / "acc.csv", np.array([[0.5, 0.25], [0.75, 0.5], [1.0, 1.0]]), [0, 1, 2], ["a", "b"])
    want = np.array([[0, 0], [0.5, 1 / 3], [1, 1]])
    for chance in ({"a": 0.5, "*": 0.25}, ["0.25,a=0.5"], ("a=0.5", "0.25")):
        steps, skills, names = read_skills(path, chance=chance)
        assert steps.tolist() == [0, 1, 2] and names == ["a", "b"]
        np.testing.assert_allclose(skills, want)
    np.testing.assert_allclose(read_skills(path, chance=0.25)[1], [[1 / 3, 0], [2 / 3, 1 / 3], [1, 1]])
    np.testing.assert_allclose(read_skills([path], skills=["b"], chance=0.25, ceiling="best")[1], [[0], [1 / 3], [1]])


def test_read_skills_passes_the_format_and_the_ceiling_on(tmp_path):
    from skill_physics.cli.fit import read_skills
    path = tmp_path / "wandb.csv"
    path.write_text("Step,x,x__MIN\n0,0.0,0.0\n1,0.2,0.1\n2,0.4,0.3\n3,0.4,0.3\n")
    assert read_skills(path)[2] == ["x"]                                    # detected: a W&B export
    steps, skills, names = read_skills(path, "wide")
    assert names == ["x", "x__MIN"] and steps.tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(read_skills(path, ceiling="best")[1][:, 0], [0, 0.5, 1, 1])


def test_read_skills_asks_how_losses_become_skills(tmp_path):
    from skill_physics.cli.fit import read_skills
    from skill_physics.cli.readers import InputError
    np.savez(tmp_path / "run.npz", steps=np.arange(3), losses=np.array([[2.0], [1.0], [0.5]]))
    with pytest.raises(InputError, match=r"run\.npz: holds losses; say how they become skills with --loss exp, sqrt "
                                         r"or linear$"):
        read_skills(tmp_path / "run.npz")
    _, skills, names = read_skills([tmp_path / "run.npz"], loss="linear")
    np.testing.assert_allclose(skills, [[0], [0.5], [0.75]])
    assert names == ["skill 1"]


@pytest.fixture(scope="module")
def small_fit():
    """A fit of three exponential curves (columns in frequency order) and the curves."""
    from skill_physics.fits import fit_skills
    steps = np.arange(60) * 10.0
    skills = 1 - np.exp(-np.outer(steps, [0.03, 0.01, 0.005]))
    return fit_skills(skills, steps, frequencies=[3, 1, 0.5]), skills


def test_the_figure_draws_data_fit_and_both_limits_of_every_skill(small_fit):
    """Left: per skill, the data (thick, translucent), the fit (thin), the Domino limit (dotted) and the parallel one
    (dashed, both thinner than the fit) in one colour of viridis, with a legend of the four; right: the error over
    N0 (log-log) with both limits' errors and the best N0 marked."""
    import matplotlib
    from matplotlib.colors import to_rgba

    from skill_physics.cli.fit import figure
    from skill_physics.fits import fitted_curves
    fit, skills = small_fit
    fig = figure(fit, ["a", "b", "c"], skills)
    left, right = fig.axes
    assert left.get_position().x1 < right.get_position().x0                # side by side
    curves = [line for line in left.get_lines() if len(line.get_xdata())]
    assert len(curves) == 12
    colors = matplotlib.colormaps["viridis"](np.linspace(0, 1, 3))
    for k, (data, best, domino, parallel) in enumerate(zip(*[iter(curves)] * 4)):
        for line, want in zip((data, best, domino, parallel), (skills[:, k], *(c[:, k] for c in fitted_curves(fit)))):
            np.testing.assert_allclose(line.get_xdata(), fit.steps)
            np.testing.assert_allclose(line.get_ydata(), want)
            assert to_rgba(line.get_color()) == tuple(colors[k])
        assert [line.get_linestyle() for line in (data, best, domino, parallel)] == ["-", "-", ":", "--"]
        assert data.get_linewidth() > best.get_linewidth() > domino.get_linewidth() == parallel.get_linewidth()
        assert data.get_alpha() == 0.5 and best.get_alpha() is None
    legend = left.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["data", f"fit, N0 = {fit.n0[0]:.3g}", "Domino (N0 → 0)",
                                                          "parallel (N0 → ∞)"]
    keys = [line for line in left.get_lines() if not len(line.get_xdata())]
    assert [line.get_linestyle() for line in keys] == ["-", "-", ":", "--"]
    assert [to_rgba(line.get_color()) for line in keys] == [to_rgba("gray")] * 4
    assert keys[0].get_linewidth() == data.get_linewidth() and keys[0].get_alpha() == data.get_alpha()
    assert keys[1].get_linewidth() == best.get_linewidth()
    assert (left.get_xlabel(), left.get_ylabel(), left.get_ylim()) == ("step", "skill", (-0.02, 1.02))
    assert left.get_xscale() == "linear" and right.get_xscale() == right.get_yscale() == "log"
    errors, dom, par, best_n0 = right.get_lines()
    np.testing.assert_allclose(errors.get_xdata(), fit.n0_grid)
    np.testing.assert_allclose(errors.get_ydata(), fit.errors[0])
    assert to_rgba(errors.get_color()) == to_rgba("k")
    assert (dom.get_ydata()[0], dom.get_linestyle()) == (fit.domino_error[0], ":")
    assert (par.get_ydata()[0], par.get_linestyle()) == (fit.parallel_error[0], "--")
    assert to_rgba(dom.get_color()) == to_rgba(par.get_color()) == to_rgba("gray")
    assert legend._loc == legend.codes["lower right"]                      # clear of the rising curves
    assert {t.get_fontsize() for ax in (left, right) for t in ax.get_legend().get_texts()} == {8}
    assert best_n0.get_xdata()[0] == fit.n0[0] and to_rgba(best_n0.get_color()) == to_rgba("C3")
    assert best_n0.get_linewidth() < errors.get_linewidth()                 # a marker, not a curve
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["Domino limit", "parallel limit",
                                                                      f"best N0 = {fit.n0[0]:.3g}"]
    assert (right.get_xlabel(), right.get_ylabel()) == ("N0", "mean squared skill error")
    assert tuple(fig.get_size_inches()) == (11, 4)


def test_the_figure_uses_a_log_step_axis_for_checkpoints_spaced_in_log_steps(small_fit):
    """Steps 0, 1, 2, 4, ... 512 (ratio 2): symlog from the first positive step, spanning the steps."""
    from skill_physics.cli.fit import figure
    from skill_physics.fits import fit_skills
    _, skills = small_fit
    steps = np.concatenate([[0], 2.0 ** np.arange(10)])
    fit = fit_skills(skills[:11], steps, frequencies=[3, 1, 0.5])
    left = figure(fit, ["a", "b", "c"], skills[:11]).axes[0]
    assert left.get_xscale() == "symlog" and left.xaxis.get_transform().linthresh == 1.0
    assert left.get_xlim() == (0, 512)
    ratio = np.concatenate([[0], 1.1 ** np.arange(10)])         # spaced by less than 1.2: linear
    fit = fit_skills(skills[:11], ratio, frequencies=[3, 1, 0.5])
    assert figure(fit, ["a", "b", "c"], skills[:11]).axes[0].get_xscale() == "linear"


@pytest.mark.parametrize("steps,scale", [([0, 1, 10], "linear"),            # two positive steps: no spacing to judge
                                         ([0, 1, 2, 4], "symlog"),           # three, each twice the last
                                         ([0, 25, 30, 36], "linear")])       # each 1.2 times the last: not above
def test_the_step_axis_is_logarithmic_from_three_positive_steps_spaced_more_than_1_2(small_fit, steps, scale):
    from skill_physics.cli.fit import figure
    from skill_physics.fits import fit_skills
    _, skills = small_fit
    skills = skills[[0, 20, 40, 59][:len(steps)]]
    fit = fit_skills(skills, np.array(steps, float), frequencies=[3, 1, 0.5])
    assert figure(fit, ["a", "b", "c"], skills).axes[0].get_xscale() == scale


def test_figure_and_json_are_written_at_150_dpi_without_a_creation_date(small_fit, tmp_path):
    from skill_physics.cli.fit import figure, write
    fit, skills = small_fit
    assert write(tmp_path / "run_fit", figure(fit, ["a", "b", "c"], skills), '{"n0": 1}\n') == 0
    png = (tmp_path / "run_fit.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == 11 * 150 and int.from_bytes(png[20:24], "big") == 4 * 150
    pdf = (tmp_path / "run_fit.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"CreationDate" not in pdf
    assert (tmp_path / "run_fit.json").read_text() == '{"n0": 1}\n'
    assert write(tmp_path / "only", None, "{}") == 0
    assert sorted(p.name for p in tmp_path.glob("only*")) == ["only.json"]


def test_outputs_that_cannot_be_written_give_exit_code_1_and_the_summary(curves, tmp_path, capsys, monkeypatch):
    from skill_physics.paper.store import WriteError

    def full(path, write):
        raise WriteError(f"{path}: no space left; kept nothing")

    monkeypatch.setattr("skill_physics.cli.fit.atomic_write", full)
    path, _ = curves
    assert main([str(path), "--alpha", "1", "--out", str(tmp_path / "out"), "--no-figure"]) == 1
    out = capsys.readouterr()
    assert out.err == f"skill-physics-fit: error: {tmp_path / 'out' / 'run_fit.json'}: no space left; kept nothing\n"
    assert out.out.startswith("Resource-model fit (mse form)") and "wrote" not in out.out


def test_the_command_line_writes_the_figure_unless_told_not_to(curves, tmp_path, capsys):
    path, _ = curves
    assert main([str(path), "--alpha", "1", "--out", str(tmp_path / "out")]) == 0
    stem = tmp_path / "out" / "run_fit"
    assert capsys.readouterr().out.splitlines()[-1] == f"wrote {stem}.png, .pdf, .json"
    assert stem.with_suffix(".png").stat().st_size > 10_000 and stem.with_suffix(".pdf").exists()
    assert stem.with_suffix(".json").read_text().startswith('{\n  "skills": [\n    "task1",')    # indented by 2


def test_a_folder_with_a_dot_names_the_outputs_whole(tmp_path, capsys):
    """An lm-eval folder 'pythia-1.4b' gives pythia-1.4b_fit.json in it, not one named by cutting at the last dot."""
    folder = tmp_path / "pythia-1.4b"
    folder.mkdir()
    for i, step in enumerate([0, 100, 200, 300]):
        (folder / f"step{step}.json").write_text(json.dumps({"results": {"x": {"acc": 0.3 * i}}}))
    assert main([str(folder), "--alpha", "1", "--no-figure"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"wrote {folder / 'pythia-1.4b_fit'}.json"


def test_an_out_that_is_a_file_gets_the_whole_remedy(curves, tmp_path, capsys):
    path, _ = curves
    (tmp_path / "taken").write_text("")
    assert main([str(path), "--alpha", "1", "--out", str(tmp_path / "taken")]) == 2
    assert capsys.readouterr().err == (f"skill-physics-fit: error: --out {tmp_path / 'taken'} is an existing file, "
                                       "not a folder; choose a folder that can be written with --out\n")


def test_a_lucky_record_above_the_best_level_reads_as_learned_not_above():
    from skill_physics.cli.fit import to_skills

    values = np.array([[0.0], [0.2], [0.9], [0.5], [0.5], [0.5]])     # the best 3-record median is 0.5
    np.testing.assert_allclose(to_skills(values, ["a"], ceiling="best")[:, 0], [0, 0.4, 1, 1, 1, 1])


def test_read_skills_names_the_file_in_its_errors_and_keeps_skills_as_they_are_by_default(tmp_path):
    from skill_physics.cli.fit import read_skills
    from skill_physics.cli.readers import InputError

    path = write_csv(tmp_path / "run.csv", np.array([[0.0, 0.1], [0.4, 0.3], [0.8, 0.6]]), [0, 10, 20])
    np.testing.assert_allclose(read_skills([path])[1], [[0.0, 0.1], [0.4, 0.3], [0.8, 0.6]])
    backwards = write_csv(tmp_path / "backwards.csv", np.zeros((3, 1)), [0, 20, 10])
    over = write_csv(tmp_path / "over.csv", np.full((3, 1), 2.0), [0, 10, 20])
    for bad, says in ((backwards, "steps must increase"), (over, "skills must lie in [0, 1]")):
        with pytest.raises(InputError) as err:
            read_skills([bad])
        assert str(err.value).startswith(f"{bad}: {says}")
