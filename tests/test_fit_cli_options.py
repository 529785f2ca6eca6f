"""``skill-physics-fit`` as a user reads it: each option changes the part of the JSON it should, to the value worked
out here from the small CSV the test writes, and each row of the printed table is the JSON's entry for that skill.
The columns are written in an order that is a 3-cycle of their frequency order (c, then a, then b)."""
import json

import numpy as np
import pytest

from skill_physics.cli.fit import main

STEPS = np.arange(60) * 10.0
RATES = np.array([0.01, 0.005, 0.03])                 # columns a, b, c: c is the most frequent, b the rarest
SKILLS = 1 - np.exp(-np.outer(STEPS, RATES))


def wide(path, columns, steps=STEPS, step_name="step"):
    """A wide CSV: the step column, then {name: values (T,)} with 6 decimals."""
    names = list(columns)
    rows = [",".join([step_name, *names])]
    rows += [",".join([f"{t:g}", *(f"{columns[n][i]:.6f}" for n in names)]) for i, t in enumerate(steps)]
    path.write_text("\n".join(rows) + "\n")
    return path


def abc(path, values=SKILLS):
    return wide(path, {"a": values[:, 0], "b": values[:, 1], "c": values[:, 2]})


def fit(tmp_path, capsys, *args):
    """Run the command line; its printed lines and its JSON."""
    code = main([*map(str, args), "--out", str(tmp_path / "out"), "--no-figure"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out.splitlines(), json.loads(next((tmp_path / "out").glob("*_fit.json")).read_text())


def columns(report):
    """The JSON's data (T, K) as {skill name: column}."""
    data = np.array(report["data"])
    return {name: data[:, k] for k, name in enumerate(report["skills"])}


def first_step(values, level):
    return STEPS[np.argmax(values >= level)]


def test_frequencies_are_read_in_column_order_and_normalised(tmp_path, capsys):
    """--frequencies 1,0.5 3 (commas, spaces) are a's, b's, c's: the JSON lists c, a, b, p = (3, 1, 0.5) / 4.5."""
    _, report = fit(tmp_path, capsys, abc(tmp_path / "run.csv"), "--frequencies", "1,0.5", "3")
    assert report["skills"] == ["c", "a", "b"] and report["frequencies_from"]["source"] == "given (--frequencies)"
    np.testing.assert_allclose(report["frequencies"], np.array([3, 1, 0.5]) / 4.5, rtol=1e-12)
    np.testing.assert_allclose(report["data"], SKILLS[:, [2, 0, 1]], atol=1e-6)


def test_alpha_sets_a_power_law_in_data_order(tmp_path, capsys):
    """--alpha 2: p_k = k^-2 / sum, the skill ahead on average first (c, a, b): names, data and times agree."""
    _, report = fit(tmp_path, capsys, abc(tmp_path / "run.csv"), "--alpha", "2")
    assert report["skills"] == ["c", "a", "b"] and report["frequencies_from"]["alpha"] == 2.0
    np.testing.assert_allclose(report["frequencies"], np.array([1, 1 / 4, 1 / 9]) / (1 + 1 / 4 + 1 / 9), rtol=1e-12)
    np.testing.assert_allclose(report["data"], SKILLS[:, [2, 0, 1]], atol=1e-6)
    assert report["onset"] == [first_step(SKILLS[:, k], 0.1) for k in (2, 0, 1)]      # fitted in that order too


def test_order_columns_keeps_the_column_order(tmp_path, capsys):
    """--order columns: the first column is the most frequent, whatever the data say."""
    _, report = fit(tmp_path, capsys, abc(tmp_path / "run.csv"), "--alpha", "1", "--order", "columns")
    assert report["skills"] == ["a", "b", "c"]


def test_onset_and_completion_set_their_own_times(tmp_path, capsys):
    """--onset 0.2 --completion 0.6: each skill's onset is its first step at 0.2, its completion its first at 0.6."""
    _, report = fit(tmp_path, capsys, abc(tmp_path / "run.csv"), "--alpha", "1", "--onset", "0.2", "--completion",
                    "0.6")
    for k, name in enumerate(report["skills"]):
        column = SKILLS[:, "abc".index(name)]
        assert report["onset"][k] == first_step(column, 0.2)
        assert report["completion"][k] == first_step(column, 0.6)
        assert report["duration"][k] == first_step(column, 0.6) - first_step(column, 0.2)


def test_chance_turns_accuracies_into_skills_per_skill(tmp_path, capsys):
    """--chance 0.25 a*=0.5: b's and c's skill is (acc - 0.25) / 0.75, a's (acc - 0.5) / 0.5 (a glob, not mirrored)."""
    acc = np.column_stack([0.5 + 0.5 * SKILLS[:, 0], 0.25 + 0.75 * SKILLS[:, 1], 0.25 + 0.75 * SKILLS[:, 2]])
    _, report = fit(tmp_path, capsys, abc(tmp_path / "acc.csv", acc), "--alpha", "1", "--chance", "0.25", "a*=0.5")
    got = columns(report)
    for k, name in enumerate("abc"):
        np.testing.assert_allclose(got[name], SKILLS[:, k], atol=2e-6)


def test_ceiling_best_divides_by_the_best_level(tmp_path, capsys):
    """--ceiling best: a skill that levels off at 0.8 reads as learned (1) there."""
    _, report = fit(tmp_path, capsys, abc(tmp_path / "run.csv", 0.8 * SKILLS), "--alpha", "1", "--ceiling", "best")
    got = columns(report)
    for k, name in enumerate("abc"):
        written = np.round(0.8 * SKILLS[:, k], 6)
        np.testing.assert_allclose(got[name], written / written[-1], atol=1e-12)   # increasing: best is the last


def test_loss_rule_turns_losses_into_skills(tmp_path, capsys):
    """--loss linear: skill = 1 - loss / first loss, per column."""
    losses = 2.0 * np.exp(-np.outer(STEPS, RATES)) + np.array([0.0, 0.5, 1.0]) * np.exp(-STEPS / 100)[:, None]
    _, report = fit(tmp_path, capsys, abc(tmp_path / "loss.csv", losses), "--alpha", "1", "--loss", "linear")
    got = columns(report)
    for k, name in enumerate("abc"):
        written = np.round(losses[:, k], 6)
        np.testing.assert_allclose(got[name], 1 - written / written[0], atol=1e-12)


def test_skills_and_step_column_select_what_is_fitted(tmp_path, capsys):
    """--step-column clock reads the steps from 'clock', not from the decoy 'step' column, and --skills c,a keeps
    those two columns."""
    path = wide(tmp_path / "run.csv", {"step": STEPS / 1000, "a": SKILLS[:, 0], "b": SKILLS[:, 1], "c": SKILLS[:, 2],
                                       "clock": 7 * STEPS + 3}, steps=STEPS, step_name="epoch")
    _, report = fit(tmp_path, capsys, path, "--alpha", "1", "--step-column", "clock", "--skills", "c,a")
    assert report["steps"] == (7 * STEPS + 3).tolist() and report["skills"] == ["c", "a"]
    np.testing.assert_allclose(report["data"], SKILLS[:, [2, 0]], atol=1e-6)


def test_format_overrides_detection(tmp_path, capsys):
    """A W&B export is read without its __MIN/__MAX bands; --format wide reads every column as a skill."""
    header = ["Step"] + [f"run - {n}{end}" for n in "abc" for end in ("", "__MIN", "__MAX")]
    rows = [",".join([f"{t:g}"] + [f"{v:.6f}" for v in s for _ in range(3)]) for t, s in zip(STEPS, SKILLS)]
    (tmp_path / "wandb.csv").write_text("\n".join([",".join(header), *rows]) + "\n")
    _, detected = fit(tmp_path, capsys, tmp_path / "wandb.csv", "--alpha", "1")
    assert sorted(detected["skills"]) == ["run - a", "run - b", "run - c"]
    _, forced = fit(tmp_path, capsys, tmp_path / "wandb.csv", "--alpha", "1", "--format", "wide")
    assert sorted(forced["skills"]) == sorted(header[1:]) and forced["reader"]["format"] == "wide"


def test_metric_and_step_pattern_read_lm_eval_files(tmp_path, capsys):
    """--metric acc_norm reads acc_norm, not acc; --step-pattern 'ckpt-(\\d+)' reads the steps from the names."""
    folder = tmp_path / "evals"
    folder.mkdir()
    steps = [0, 100, 200, 300, 400]
    for i, step in enumerate(steps):
        results = {"x": {"acc": 0.1, "acc_norm": 0.2 * i}, "y": {"acc": 0.9, "acc_norm,none": 0.1 * i}}
        (folder / f"ckpt-{step}.json").write_text(json.dumps({"results": results}))
    _, report = fit(tmp_path, capsys, folder, "--alpha", "1", "--metric", "acc_norm", "--step-pattern",
                    r"ckpt-(\d+)")
    assert report["steps"] == steps and report["reader"]["metric"] == "acc_norm"
    got = columns(report)
    np.testing.assert_allclose(got["x"], 0.2 * np.arange(5), atol=1e-12)
    np.testing.assert_allclose(got["y"], 0.1 * np.arange(5), atol=1e-12)


def test_each_table_row_is_the_json_entry_of_its_skill(tmp_path, capsys):
    """The printed table lists the JSON's skills in its order, each number the JSON's to the printed precision."""
    lines, report = fit(tmp_path, capsys, abc(tmp_path / "run.csv"), "--frequencies", "1", "0.5", "3")
    head = next(i for i, line in enumerate(lines) if line.startswith("skill (by frequency)"))
    rows = [line.split() for line in lines[head + 1:head + 1 + len(report["skills"])]]
    assert [r[0] for r in rows] == report["skills"] == ["c", "a", "b"]
    for k, row in enumerate(rows):
        assert row[1] == f"{report['frequencies'][k]:.4f}"
        assert row[2:4] == [f"{report['onset'][k]:.4g}", f"{report['completion'][k]:.4g}"]
        if k:
            assert row[4:] == [f"{report['after_previous'][k - 1]:.2f}", f"{report['delay_ratio'][k - 1]:.2f}",
                               f"{report['frequency_ratio'][k - 1]:.2f}"]
        else:
            assert len(row) == 4
    assert lines[0].startswith(f"Resource-model fit (mse form): N0 = {report['n0']:.3g}, "
                               f"eta_eff = {report['eta']:.3g} per step, error {report['error']:.3g}")


def refused(tmp_path, capsys, *args):
    """Run the command line on the abc curves, expecting exit code 2; the error line (nothing on stdout)."""
    code = main([str(abc(tmp_path / "run.csv")), *map(str, args), "--out", str(tmp_path / "refused"), "--no-figure"])
    out = capsys.readouterr()
    assert code == 2 and out.out == "" and not (tmp_path / "refused" / "run_fit.json").exists()
    return out.err


def test_onset_and_completion_may_be_zero_and_one_in_that_order(tmp_path, capsys):
    _, report = fit(tmp_path, capsys, abc(tmp_path / "run.csv"), "--alpha", "1", "--onset", "0", "--completion", "1")
    assert report["onset"] == [0, 0, 0] and report["options"]["onset"] == 0 and report["options"]["completion"] == 1
    for onset, completion in (("0.5", "0.5"), ("-0.1", "0.9"), ("0.1", "1.1"), ("0.6", "0.5")):
        err = refused(tmp_path, capsys, "--alpha", "1", "--onset", onset, "--completion", completion)
        assert f"--onset {float(onset):g} and --completion {float(completion):g}: 0 <= onset < completion <= 1" in err


def test_frequencies_must_be_positive(tmp_path, capsys):
    for freq in (("1", "0", "3"), ("1", "-0.5", "3")):
        assert refused(tmp_path, capsys, "--frequencies", *freq).endswith(": --frequencies must all be positive\n")
    assert "--frequencies: could not convert string to float: 'x'" in refused(tmp_path, capsys, "--frequencies",
                                                                               "1,x,3")


def test_the_json_says_where_the_frequencies_came_from(tmp_path, capsys):
    path = abc(tmp_path / "run.csv")
    _, given = fit(tmp_path, capsys, path, "--alpha", "2", "--order", "columns")
    assert given["frequencies_from"] == {"source": "p_k ~ k^-alpha, alpha = 2 given (--alpha), in column order",
                                         "alpha": 2.0}
    lines, fitted = fit(tmp_path, capsys, path, "--order", "columns")
    source = fitted["frequencies_from"]
    low, high = source["alpha_range"]
    assert low <= source["alpha"] <= high and source["alpha"] in np.arange(0, 3.01, 0.25)
    assert source["source"] == (f"unknown: p_k ~ k^-alpha, in column order, alpha fitted = {source['alpha']:g} "
                                f"(within 1.25x the best error: {low:g} .. {high:g})")
    assert f"frequencies: {source['source']}" in lines
    _, ahead = fit(tmp_path, capsys, path, "--alpha", "0.5")
    assert ahead["frequencies_from"]["source"].endswith(", the skill ahead on average taken as the more frequent")


def test_the_summary_lines_are_the_json_numbers(tmp_path, capsys):
    lines, r = fit(tmp_path, capsys, abc(tmp_path / "run.csv"), "--frequencies", "1", "0.5", "3")
    assert lines[1:6] == [
        f"  N0 within 1.25x the best error: {r['n0_range'][0]:.3g} .. {r['n0_range'][1]:.3g}",
        f"  Domino limit (N0 -> 0): error {r['domino_error']:.3g} ({r['domino_factor']:.3g}x the best)",
        f"  parallel limit (N0 -> inf): error {r['parallel_error']:.3g} ({r['parallel_factor']:.3g}x the best)",
        f"competition = sum c / (sum c + N0) at the start: {r['competition']:.3f} (0 parallel, 1 Domino; "
        f"{r['competition_range'][0]:.3f} .. {r['competition_range'][1]:.3f} within 1.25x the best error)",
        "frequencies: given (--frequencies)"]
    assert r["domino_factor"] == pytest.approx(r["domino_error"] / r["error"])
    assert r["parallel_factor"] == pytest.approx(r["parallel_error"] / r["error"])


def test_a_skill_not_learned_by_the_last_step_is_said_so(tmp_path, capsys):
    """b reaches 1 - exp(-2.95) = 0.95 by step 590: with --completion 0.99 it completes 'not by 590'."""
    lines, report = fit(tmp_path, capsys, abc(tmp_path / "run.csv"), "--alpha", "1", "--completion", "0.99")
    assert report["skills"] == ["c", "a", "b"] and report["not_learned"] == ["b"] and report["completion"][2] is None
    row = next(line for line in lines if line.startswith("b "))
    assert row[:22].strip() == "b" and "  not by 590" in row
    assert "not learned by step 590 (fitted from what they show): b" in lines


def test_a_skill_that_falls_back_from_its_best_is_named(tmp_path, capsys):
    """a ends 0.25 below its best, c 0.05 below: only a is named, with its drop."""
    values = SKILLS.copy()
    values[-5:, 0] -= 0.25
    values[-1, 2] -= 0.05
    lines, _ = fit(tmp_path, capsys, abc(tmp_path / "run.csv", values), "--alpha", "1")
    drop = SKILLS[:, 0].max() - values[-1, 0]
    assert f"falls back from its best by more than 0.1: a ({drop:.2f})" in lines


def test_the_json_holds_what_fit_skills_finds_on_the_data_it_lists(tmp_path, capsys):
    """Every number of the JSON is fit_skills' on the JSON's own data, steps and frequencies."""
    from skill_physics.fits import fit_skills, fitted_curves
    _, r = fit(tmp_path, capsys, abc(tmp_path / "run.csv"), "--frequencies", "1", "0.5", "3", "--form", "ce")
    again = fit_skills(np.array(r["data"]), np.array(r["steps"]), frequencies=r["frequencies"], loss="ce")
    assert r["form"] == "ce" and r["factor"] == again.factor
    for key in ("onset", "completion", "duration", "after_previous", "delay_ratio", "n0", "n0_range", "eta", "error",
                "domino_error", "domino_eta", "parallel_error", "parallel_eta", "competition", "competition_range",
                "errors", "eta_eff"):
        np.testing.assert_allclose(np.array(r[key], float), np.asarray(getattr(again, key))[0], rtol=1e-9,
                                   err_msg=key)
    for key in ("frequencies", "frequency_ratio", "n0_grid", "domino_factor", "parallel_factor"):
        np.testing.assert_allclose(np.array(r[key]), np.ravel(getattr(again, key)), rtol=1e-9, err_msg=key)
    for name, curve in zip(("best", "domino", "parallel"), fitted_curves(again)):
        np.testing.assert_allclose(r["fitted_curves"][name], curve, rtol=1e-9, err_msg=name)


def test_the_json_records_the_options_as_given(tmp_path, capsys):
    path = abc(tmp_path / "run.csv")
    _, r = fit(tmp_path, capsys, path, "--alpha", "1", "--skills", "a,c", "--ceiling", "best")
    options = r["options"]
    assert options["curves"] == [str(path)] and options["out"] == str(tmp_path / "out")
    assert options["skills"] == ["a,c"] and options["ceiling"] == "best" and options["no_figure"] is True
    assert options["format"] is None and options["metric"] == "acc" and options["form"] == "mse"
    assert options["order"] == "data" and options["onset"] == 0.1 and options["completion"] == 0.9
    assert r["reader"] == {"format": "wide", "step_column": "step"} and r["verdict"] is None


def test_outputs_go_beside_the_curves_named_after_them(tmp_path, capsys):
    """Without --out: run.v1.csv -> run.v1_fit.json beside it (a dot in the name stays); a folder -> in it."""
    path = abc(tmp_path / "run.v1.csv")
    assert main([str(path), "--alpha", "1", "--no-figure"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"wrote {tmp_path / 'run.v1_fit'}.json"
    assert json.loads((tmp_path / "run.v1_fit.json").read_text())["skills"] == ["c", "a", "b"]
    folder = tmp_path / "evals"
    folder.mkdir()
    for i, step in enumerate([0, 100, 200, 300]):
        (folder / f"step{step}.json").write_text(json.dumps({"results": {"x": {"acc": 0.3 * i}}}))
    assert main([str(folder), "--alpha", "1", "--no-figure"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"wrote {folder / 'evals_fit'}.json"
    assert (folder / "evals_fit.json").exists()


def test_invalid_choices_are_refused_by_the_parser(tmp_path, capsys):
    path = abc(tmp_path / "run.csv")
    for option, value in (("--format", "xlsx"), ("--order", "random"), ("--ceiling", "2"), ("--loss", "log"),
                          ("--form", "hinge")):
        with pytest.raises(SystemExit) as stop:
            main([str(path), option, value])
        assert stop.value.code == 2 and f"argument {option}: invalid choice: '{value}'" in capsys.readouterr().err


def test_help_names_each_option_with_its_argument_and_its_default(capsys):
    """The usage names the program; each option shows what it takes; every default the parser uses is the one the
    help states."""
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert text.startswith("usage: skill-physics-fit [-h] ")
    assert ("How serially do the skills of your own training run learn (arXiv 2501.12391, Sec. 4)?"
            in text)
    assert text.endswith("exit codes: 0 fitted and written; 1 the outputs could not be written; 2 a file or option "
                         "is unusable")
    for shown in ("curves [curves ...]", "--format {wide,long,wandb,tensorboard,lm-eval,npz}", "--step-column NAME",
                  "--skills GLOB [GLOB ...]", "--metric NAME", "--step-pattern REGEX", "--frequencies P [P ...]",
                  "--alpha ALPHA", "--order {data,columns}", "--chance LEVEL [LEVEL ...]", "--ceiling {1,best}",
                  "--loss {exp,sqrt,linear}", "--form {mse,ce}", "--onset SHARE", "--completion SHARE",
                  "--out FOLDER", "--no-figure "):
        assert shown in text, shown
    for default in ("detected", "the first of step, Step, _step, global_step, steps, iteration, iter", "all", "acc",
                    "the number after 'step' or 'global_step'", "unknown, fitted as a power law", "fitted", "data",
                    "none", "1", "they are skills", "mse", "0.1", "0.9", "beside the curves"):
        assert f"(default: {default})" in text, default
    assert text.count("(default: ") == 15
    assert "write the JSON only, not the PNG and PDF figure" in text
    assert "or a folder of lm-evaluation-harness result JSONs" in text          # what the curves may be


def test_table_rows_cut_long_names_and_say_when_a_skill_never_starts(tmp_path, capsys):
    """A name longer than the 22-character column is cut to it; a skill that stays at 0 has neither onset nor
    completion by the last step (590)."""
    long = "a_skill_with_a_long_name"                                      # 24 characters
    path = wide(tmp_path / "run.csv", {long: SKILLS[:, 2], "b": SKILLS[:, 1], "flat": np.zeros(len(STEPS))})
    lines, report = fit(tmp_path, capsys, path, "--frequencies", "3", "1", "0.2")
    head = next(i for i, line in enumerate(lines) if line.startswith("skill (by frequency)"))
    assert lines[head + 1].startswith(long[:22] + " ") and report["skills"][0] == long
    flat = lines[head + 3]
    assert flat.startswith("flat ") and flat.split()[2:6] == ["not", "by", "590", "not"]


def test_the_json_is_strict_json_with_null_for_undefined_numbers(tmp_path, capsys):
    """A skill learned before the first record completes at step 0, so the next one's delay ratio divides by 0;
    a skill that never completes has no completion: both are null, never NaN or Infinity, in the file."""
    values = {"early": np.full(len(STEPS), 0.95), "late": SKILLS[:, 1], "never": 0.5 * SKILLS[:, 0]}
    path = wide(tmp_path / "run.csv", values)
    assert main([str(path), "--frequencies", "3", "2", "1", "--out", str(tmp_path / "out"), "--no-figure"]) == 0
    text = (tmp_path / "out" / "run_fit.json").read_text()

    def refuse(constant):
        raise AssertionError(f"{constant} in the JSON")

    report = json.loads(text, parse_constant=refuse)
    assert report["skills"] == ["early", "late", "never"] and report["completion"][0] == 0
    assert report["delay_ratio"][0] is None and report["completion"][2] is None


def test_each_skill_falling_back_by_more_than_a_tenth_at_the_last_record_is_named(tmp_path, capsys):
    """The drop is from each skill's own best to its last record: a (at half the scale) and b are named, c, which
    falls by exactly 0.1, is not."""
    a, b = 0.5 * SKILLS[:, 0], SKILLS[:, 1].copy()
    a[-1] -= 0.2
    b[-1] -= 0.3
    c = np.minimum(SKILLS[:, 2], 0.2)
    c[-1] = 0.1
    lines, _ = fit(tmp_path, capsys, wide(tmp_path / "run.csv", {"a": a, "b": b, "c": c}), "--frequencies", "2", "1",
                   "3")
    written = {n: np.round(v, 6) for n, v in (("a", a), ("b", b))}
    drops = {n: v.max() - v[-1] for n, v in written.items()}
    assert f"falls back from its best by more than 0.1: a ({drops['a']:.2f}), b ({drops['b']:.2f})" in lines


def test_a_fall_of_exactly_a_tenth_is_not_reported(tmp_path, capsys):
    c = np.minimum(SKILLS[:, 2], 0.2)
    c[-1] = 0.1                                                            # 0.2 - 0.1 is 0.1 exactly
    lines, _ = fit(tmp_path, capsys, wide(tmp_path / "run.csv", {"a": SKILLS[:, 0], "c": c}), "--alpha", "1")
    assert not any(line.startswith("falls back") for line in lines)
