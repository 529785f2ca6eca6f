"""``read_curves`` on small logs of every format the tests write: the same steps, names and values come back."""
import json

import numpy as np
import pytest

from skill_physics.cli.readers import InputError, detect, read_curves

STEPS = np.array([0.0, 10.0, 20.0, 30.0])
VALUES = np.array([[0.0, 0.0], [0.3, 0.1], [0.8, 0.2], [0.9, 0.5]])
NAMES = ["acc_a", "acc_b"]


def assert_read(result, names=NAMES, fmt=None):
    steps, got_names, values, info = result
    np.testing.assert_array_equal(steps, STEPS)
    assert got_names == names
    np.testing.assert_allclose(values, VALUES[:, [NAMES.index(n) for n in names]], rtol=1e-6)
    assert fmt is None or info["format"] == fmt


def lines(path, rows):
    path.write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return path


def test_wide_csv_finds_its_step_column(tmp_path):
    path = lines(tmp_path / "w.csv", [["global_step", *NAMES], *[[t, *v] for t, v in zip(STEPS, VALUES)]])
    assert detect([path]) == "wide"
    assert_read(read_curves(path), fmt="wide")
    assert_read(read_curves(path, skills=["*_b"]), names=["acc_b"])


def test_long_csv_in_any_row_order(tmp_path):
    rows = [[t, n, v[k]] for k, n in enumerate(NAMES) for t, v in zip(STEPS, VALUES)]
    path = lines(tmp_path / "l.csv", [["step", "skill", "value"], *rows[::-1]])
    assert detect([path]) == "long"
    assert_read(read_curves(path), names=["acc_b", "acc_a"], fmt="long")      # in order of first appearance


def test_a_long_csv_read_as_wide_names_the_column_and_the_format(tmp_path):
    path = lines(tmp_path / "l.csv", [["step", "skill", "value"], [0, "acc_a", 0.1]] * 2)
    with pytest.raises(InputError, match=r"column 'skill', data row 1: 'acc_a' is not a number .*--format long"):
        read_curves(path, "wide")


def test_wandb_export_drops_min_max_and_step_columns(tmp_path):
    header = ["Step", "run - acc_a", "run - acc_a__MIN", "run - acc_a__MAX", "run - _step", "run - acc_b"]
    rows = [[t, v[0], v[0] - 0.1, v[0] + 0.1, t, v[1]] for t, v in zip(STEPS, VALUES)]
    path = lines(tmp_path / "wandb.csv", [header, *rows, [40, "", "", "", 40, 0.6]])   # a half-logged last row
    assert detect([path]) == "wandb"
    steps, names, values, info = read_curves(path)
    assert names == ["run - acc_a", "run - acc_b"] and info["format"] == "wandb"
    np.testing.assert_array_equal(steps, STEPS)
    np.testing.assert_allclose(values, VALUES)


def write_tb_csv(folder):
    folder.mkdir()
    for k, name in enumerate(NAMES):
        lines(folder / f"run-train-tag-{name}.csv",
              [["Wall time", "Step", "Value"], *[[1.7e9 + t, int(t), v[k]] for t, v in zip(STEPS, VALUES)]])
    return folder


def test_tensorboard_csv_exports_as_files_or_a_folder(tmp_path):
    folder = write_tb_csv(tmp_path / "tb")
    files = sorted(folder.glob("*.csv"))
    assert detect(files) == detect([folder]) == "tensorboard"
    assert_read(read_curves(files), fmt="tensorboard")
    assert_read(read_curves(folder), fmt="tensorboard")


def write_events(folder, steps, values=None, names=NAMES):
    """A TensorBoard event file in ``folder`` written by the tensorboard package (the test is skipped without it):
    values (T, K) of ``names`` at ``steps``, 0.5 everywhere by default. Returns ``folder``."""
    pytest.importorskip("tensorboard")
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    values = np.full((len(steps), len(names)), 0.5) if values is None else values
    writer = EventFileWriter(str(folder))
    for t, v in zip(steps, values):
        for name, x in zip(names, v):
            value = summary_pb2.Summary.Value(tag=name, simple_value=x)
            writer.add_event(event_pb2.Event(step=int(t), wall_time=1.7e9, summary=summary_pb2.Summary(value=[value])))
    writer.close()
    return folder


def test_tensorboard_event_files_through_the_tensorboard_package(tmp_path):
    write_events(tmp_path / "logs", STEPS, VALUES)
    assert detect([tmp_path / "logs"]) == "tensorboard"
    assert_read(read_curves(tmp_path / "logs"), fmt="tensorboard")


def write_lm_eval(folder, names):
    folder.mkdir()
    for name, v in zip(names, VALUES):
        results = {"acc_a": {"acc": v[0], "acc_stderr": 0.01}, "acc_b": {"acc,none": v[1]}, "other": {"f1": 0.5}}
        (folder / name).write_text(json.dumps({"results": results, "config": {}}))
    return folder


def test_lm_eval_folder_takes_the_step_from_the_file_name_not_the_date(tmp_path):
    names = ["m_step0.json", "m-step10.json", "global_step20_eval_results_01-21-2023-20-16-29.json",
             "model_step30_eval_results_2024-05-01.json"]
    folder = write_lm_eval(tmp_path / "evals", names)
    assert detect([folder]) == "lm-eval"
    assert_read(read_curves(folder, metric="acc"), fmt="lm-eval")


def test_lm_eval_step_pattern_and_a_name_without_a_step(tmp_path):
    folder = write_lm_eval(tmp_path / "evals", ["ckpt-0.json", "ckpt-10.json", "ckpt-20.json", "ckpt-30.json"])
    with pytest.raises(InputError, match="no step in the file name .*--step-pattern"):
        read_curves(folder)
    assert_read(read_curves(folder, step_pattern=r"ckpt-(\d+)"))
    with pytest.raises(InputError, match="no result JSON with the metric 'bleu'"):
        read_curves(folder, metric="bleu", step_pattern=r"ckpt-(\d+)")


def test_what_cannot_be_read_says_what_to_give(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="give --format"):
        read_curves(tmp_path / "empty")
    with pytest.raises(InputError, match="no such file or folder"):
        read_curves(tmp_path / "missing.csv")
    path = lines(tmp_path / "w.csv", [["step", *NAMES], *[[t, *v] for t, v in zip(STEPS, VALUES)]])
    with pytest.raises(InputError, match=r"--skills x\* matches none of: acc_a, acc_b"):
        read_curves(path, skills=["x*"])


def wide_rows(step="step"):
    return [[step, *NAMES], *[[t, *v] for t, v in zip(STEPS, VALUES)]]


def test_blank_lines_are_skipped_and_a_header_alone_is_refused(tmp_path):
    path = tmp_path / "w.csv"
    rows = ["step,acc_a,acc_b", "", *[",".join(map(str, [t, *v])) for t, v in zip(STEPS, VALUES)], " , ", ""]
    path.write_text("\n".join(rows) + "\n")
    assert_read(read_curves(path))
    path.write_text("step,acc_a\n\n , \n")
    with pytest.raises(InputError, match=r"w\.csv: needs a header row and rows of values$"):
        read_curves(path, "wide")


def test_an_empty_cell_is_a_missing_value(tmp_path):
    path = lines(tmp_path / "w.csv", [["step", "a"], [0, 0.5], [1, ""], [2, " "]])
    steps, _, values, _ = read_curves(path)
    assert steps.tolist() == [0, 1, 2] and values[0, 0] == 0.5 and np.isnan(values[1:, 0]).all()


def test_a_row_with_too_few_or_many_values_is_named(tmp_path):
    """In every format that reads a table: wide, long, and one detected from a file of three columns."""
    path = lines(tmp_path / "w.csv", [["step", "a", "b"], [0, 0.1, 0.2], [1, 0.1, 0.2], [2, 0.1], [3, 0.1, 0.2, 9]])
    for fmt in ("wide", "long", None):
        with pytest.raises(InputError, match=r"w\.csv: data row 3 has 2 values, the header 3 columns$"):
            read_curves(path, fmt)
    path = lines(tmp_path / "l.csv", [["step", "name", "value"], [0, "a", 0.1], [1, "a"], [2, "a", 0.3]])
    with pytest.raises(InputError, match=r"l\.csv: data row 2 has 2 values, the header 3 columns$"):
        read_curves(path)


def test_the_step_column_is_the_first_step_name_in_the_known_order(tmp_path):
    """'step' before 'iteration' whatever the columns' order; --step-column picks any column."""
    path = lines(tmp_path / "w.csv", [["iteration", "acc_a", "step", "acc_b"],
                                      *[[100 + t, v[0], t, v[1]] for t, v in zip(STEPS, VALUES)]])
    steps, names, _, info = read_curves(path)
    assert steps.tolist() == STEPS.tolist() and names == ["iteration", "acc_a", "acc_b"]
    assert info == {"format": "wide", "step_column": "step"}
    steps, names, _, info = read_curves(path, step_column="iteration")
    assert steps.tolist() == (100 + STEPS).tolist() and info["step_column"] == "iteration"
    with pytest.raises(InputError, match=r"no column named 'time' \(columns: iteration, acc_a, step, acc_b\)$"):
        read_curves(path, step_column="time")


def test_a_csv_without_a_step_column_says_which_names_were_looked_for(tmp_path):
    path = lines(tmp_path / "w.csv", [["time", "a"], [0, 0.1], [1, 0.2]])
    with pytest.raises(InputError, match=r"w\.csv: no step column \(looked for step, Step, _step, global_step, steps, "
                                         r"iteration, iter\); name it with --step-column$"):
        read_curves(path)


def test_a_wide_csv_needs_a_skill_column(tmp_path):
    path = lines(tmp_path / "w.csv", [["step"], [0], [1]])
    with pytest.raises(InputError, match=r"w\.csv: needs a step column and at least one skill column$"):
        read_curves(path, "wide")


def test_skills_globs_keep_every_column_any_of_them_matches_in_file_order(tmp_path):
    path = lines(tmp_path / "w.csv", [["step", "b", "a", "c"], [0, 1, 2, 3], [1, 4, 5, 6], [2, 7, 8, 9]])
    _, names, values, _ = read_curves(path, skills=["c", "b"])
    assert names == ["b", "c"] and values.tolist() == [[1, 3], [4, 6], [7, 9]]
    with pytest.raises(InputError, match=r"^--skills x,y\* matches none of: b, a, c$"):
        read_curves(path, skills=["x", "y*"])


def test_long_csv_with_the_name_column_first_and_repeated_steps(tmp_path):
    """Columns in any order; a step logged twice keeps its last value; only steps every skill has are kept."""
    rows = [["task", "value", "iter"], ["x", 0.1, 0], ["y", 0.5, 0], ["x", 0.2, 1], ["x", 0.3, 1], ["y", 0.6, 1],
            ["x", 0.4, 2], ["y", 0.7, 2], ["y", 0.8, 3]]
    path = lines(tmp_path / "l.csv", rows)
    assert detect([path]) == "long"
    steps, names, values, info = read_curves(path)
    assert steps.tolist() == [0, 1, 2] and names == ["x", "y"]
    np.testing.assert_allclose(values, [[0.1, 0.5], [0.3, 0.6], [0.4, 0.7]])
    assert info == {"format": "long", "step_column": "iter", "name_column": "task", "value_column": "value"}


def test_long_csv_needs_three_columns_one_of_names(tmp_path):
    path = lines(tmp_path / "l.csv", [["step", "name", "value", "extra"], [0, "a", 0.1, 1]])
    with pytest.raises(InputError, match=r"l\.csv: a long CSV has three columns \(step, name, value\), this one 4$"):
        read_curves(path, "long")
    path = lines(tmp_path / "l.csv", [["step", "a", "b"], [0, 0.1, 0.2], [1, 0.1, 0.2]])
    with pytest.raises(InputError, match=r"l\.csv: a long CSV has one column of names and one of values besides "
                                         r"'step'$"):
        read_curves(path, "long")


def test_skills_logged_at_fewer_than_three_common_steps_are_refused(tmp_path):
    rows = [["step", "name", "value"], [0, "x", 0.1], [1, "x", 0.2], [2, "x", 0.3], [1, "y", 0.1], [2, "y", 0.2],
            [3, "y", 0.3]]
    path = lines(tmp_path / "l.csv", rows)
    with pytest.raises(InputError, match=r"l\.csv: the skills share 2 logged steps; the fit needs at least 3$"):
        read_curves(path)
    path = lines(tmp_path / "l.csv", rows + [[0, "y", 0.0]])
    assert read_curves(path)[0].tolist() == [0, 1, 2]


def test_a_tensorboard_tag_is_what_follows_tag_in_the_file_name(tmp_path):
    folder = tmp_path / "tb"
    folder.mkdir()
    for name, k in (("run-a-tag-acc-tag-x.csv", 0), ("plain.csv", 1)):
        lines(folder / name, [["Wall time", "Step", "Value"], *[[1.7e9, int(t), v[k]] for t, v in zip(STEPS, VALUES)]])
    steps, names, values, info = read_curves(folder)          # the files in name order
    assert names == ["plain", "acc-tag-x"] and steps.tolist() == STEPS.tolist()
    np.testing.assert_allclose(values, VALUES[:, ::-1])
    files = [str(folder / n) for n in ("plain.csv", "run-a-tag-acc-tag-x.csv")]
    assert info == {"format": "tensorboard", "files": files}


def test_a_tensorboard_csv_with_other_columns_is_refused(tmp_path):
    folder = write_tb_csv(tmp_path / "tb")
    files = sorted(folder.glob("*.csv"))
    lines(files[1], [["Wall time", "step", "Value"], [0, 0, 0.1], [0, 1, 0.2]])
    with pytest.raises(InputError, match=r"acc_b\.csv: a TensorBoard CSV export has the columns Wall time,Step,Value$"):
        read_curves(files, "tensorboard")


def test_tensorboard_event_files_by_file_with_a_skills_glob(tmp_path):
    write_events(tmp_path / "logs", STEPS, VALUES)
    event_file = next((tmp_path / "logs").glob("events.out.tfevents.*"))
    assert detect([event_file]) == "tensorboard"
    steps, names, values, info = read_curves(str(event_file), skills=["*_b"])
    assert names == ["acc_b"] and steps.tolist() == STEPS.tolist() and info == {"format": "tensorboard",
                                                                               "event_files": True}
    np.testing.assert_allclose(values, VALUES[:, 1:], rtol=1e-6)
    with pytest.raises(InputError, match="matches none of: acc_a, acc_b"):
        read_curves(event_file, skills=["x"])


def test_lm_eval_reads_the_step_case_blind_and_counts_its_files(tmp_path):
    folder = write_lm_eval(tmp_path / "evals", ["Step0.json", "STEP10.json", "step_20.json", "step-30.json"])
    steps, names, values, info = read_curves(folder)
    assert steps.tolist() == STEPS.tolist() and names == NAMES
    assert info["files"] == 4 and info["metric"] == "acc" and info["format"] == "lm-eval"


def test_lm_eval_metric_is_matched_whole_not_as_a_prefix(tmp_path):
    """'acc' reads 'acc' or 'acc,none', never 'acc_norm'; a task without the metric is left out."""
    folder = tmp_path / "evals"
    folder.mkdir()
    for i, step in enumerate((0, 10, 20)):
        results = {"a": {"acc_norm": 0.9, "acc": 0.1 * i}, "b": {"acc_norm,none": 0.9}, "c": "not a dict"}
        (folder / f"step{step}.json").write_text(json.dumps({"results": results}))
    (folder / "step30.json").write_text(json.dumps({"config": {}}))          # no results: no task at step 30
    steps, names, values, _ = read_curves(folder)
    assert names == ["a"] and steps.tolist() == [0, 10, 20]
    np.testing.assert_allclose(values[:, 0], [0, 0.1, 0.2])


def test_lm_eval_files_of_one_step_are_refused(tmp_path):
    folder = write_lm_eval(tmp_path / "evals", ["a_step0.json", "b_step0.json", "step10.json", "step20.json"])
    with pytest.raises(InputError, match=r"evals: two files give the same step; give --step-pattern$"):
        read_curves(folder)


def test_npz_skills_or_losses_one_or_many_columns(tmp_path):
    np.savez(tmp_path / "one.npz", steps=STEPS, losses=VALUES[:, 0])
    steps, names, values, info = read_curves(tmp_path / "one.npz")
    assert names == ["skill 1"] and values.shape == (4, 1) and info == {"format": "npz", "kind": "losses"}
    np.testing.assert_array_equal(values[:, 0], VALUES[:, 0])
    np.savez(tmp_path / "two.npz", steps=STEPS.astype(int), skills=VALUES, losses=1 - VALUES)
    steps, names, values, info = read_curves(tmp_path / "two.npz")
    assert names == ["skill 1", "skill 2"] and info["kind"] == "skills" and steps.dtype == float
    np.testing.assert_array_equal(values, VALUES)
    np.savez(tmp_path / "ints.npz", steps=STEPS.astype(int), skills=np.array([[0], [1], [1], [1]]))
    steps, _, values, _ = read_curves(tmp_path / "ints.npz")
    assert steps.tolist() == STEPS.tolist() and values.dtype == np.float64 and values[:, 0].tolist() == [0, 1, 1, 1]
    np.savez(tmp_path / "none.npz", steps=STEPS, accuracy=VALUES)
    with pytest.raises(InputError, match=r"none\.npz: needs arrays 'steps' and 'skills' or 'losses' \(found steps, "
                                         r"accuracy\)$"):
        read_curves(tmp_path / "none.npz")
    np.savez(tmp_path / "bad.npz", step=STEPS, skills=VALUES)
    with pytest.raises(InputError, match=r"bad\.npz: needs arrays 'steps' and 'skills' or 'losses' \(found step, "
                                         r"skills\)$"):
        read_curves(tmp_path / "bad.npz")


def test_detect_tells_the_formats_apart(tmp_path):
    tb = lines(tmp_path / "tb.csv", [["Wall time", "Step", "Value"], [0, 0, 0.1]])
    wandb = lines(tmp_path / "wb.csv", [["Step", "x", "x__MAX"], [0, 0.1, 0.2]])
    long = lines(tmp_path / "l.csv", [["step", "name", "value"], [0, "a", 0.1]])
    three = lines(tmp_path / "w3.csv", [["step", "a", "b"], [0, 0.1, 0.2]])
    (tmp_path / "x.npz").write_bytes(b"")
    assert [detect([p]) for p in (tb, wandb, long, three, tmp_path / "x.npz")] == ["tensorboard", "wandb", "long",
                                                                                   "wide", "npz"]
    (tmp_path / "mixed").mkdir()
    lines(tmp_path / "mixed" / "a.csv", [["Wall time", "Step", "Value"], [0, 0, 0.1]])
    lines(tmp_path / "mixed" / "b.csv", [["step", "a"], [0, 0.1]])
    with pytest.raises(InputError, match=r"mixed: a folder of lm-evaluation-harness JSONs, TensorBoard event files or "
                                         r"TensorBoard CSV exports was expected; give --format$"):
        detect([tmp_path / "mixed"])


def test_read_curves_refuses_an_unknown_format_and_several_files_of_one(tmp_path):
    path = lines(tmp_path / "w.csv", wide_rows())
    with pytest.raises(InputError, match=r"^--format 'xlsx': one of wide, long, wandb, tensorboard, lm-eval, npz$"):
        read_curves(path, "xlsx")
    with pytest.raises(InputError, match=r"^several files are read together only as TensorBoard CSV exports, not "
                                         r"wide$"):
        read_curves((path, path))
    with pytest.raises(InputError, match=r"missing\.csv: no such file or folder$"):
        read_curves([path, tmp_path / "missing.csv"], "tensorboard")


def test_a_quoted_name_keeps_its_line_break_as_written(tmp_path):
    """A quoted cell's CR LF is read as written: the file is opened without newline translation, as csv asks."""
    path = tmp_path / "w.csv"
    path.write_bytes(b'step,"acc\r\nfinal"\r\n0,0.1\r\n1,0.2\r\n')
    _, names, values, _ = read_curves(path)
    assert names == ["acc\r\nfinal"] and values[:, 0].tolist() == [0.1, 0.2]


def test_text_in_a_number_column_says_how_a_long_csv_is_read(tmp_path):
    path = lines(tmp_path / "w.csv", [["step", "a", "b", "c"], [0, 0.1, 0.2, 0.3], [1, "high", 0.3, 0.4]])
    with pytest.raises(InputError, match=r"^\S*w\.csv: column 'a', data row 2: 'high' is not a number \(a long CSV, "
                                         r"step,name,value, is read with --format long\)$"):
        read_curves(path)


def test_a_long_csv_names_its_file_column_and_row_in_each_error(tmp_path):
    header = ["t", "name", "value"]
    path = lines(tmp_path / "l.csv", [header, [0, "a", 0.1], [1, "a", 0.2], [2, "a", "x"]])
    with pytest.raises(InputError, match=r"l\.csv: no step column \(looked for step"):
        read_curves(path, "long")
    with pytest.raises(InputError, match=r"^\S*l\.csv: a long CSV has one column of names and one of values "
                                         r"besides 't'$"):
        read_curves(path, "long", step_column="t")              # text among the values: two columns of text
    path = lines(tmp_path / "l.csv", [header, [0, "a", 0.1], ["one", "a", 0.2], [2, "a", 0.3]])
    with pytest.raises(InputError, match=r"^\S*l\.csv: column 't', data row 2: 'one' is not a number"):
        read_curves(path, "long", step_column="t")
    path = lines(tmp_path / "l.csv", [header, [0, "a", 0.1], [1, "a", 0.2], [2, "a", 0.3]])
    steps, names, _, info = read_curves(path, "long", step_column="t")
    assert steps.tolist() == [0, 1, 2] and names == ["a"] and info["step_column"] == "t"


def test_a_record_without_a_step_is_refused_not_a_crash(tmp_path):
    """A blank step in a long CSV or a TensorBoard CSV export, for one skill or several."""
    long = [["step", "name", "value"], [0, "a", 0.1], [1, "a", 0.2], ["", "a", 0.3], [2, "a", 0.4]]
    for rows in (long, long + [[t, "b", 0.5] for t in (0, 1, 2)]):
        path = lines(tmp_path / "l.csv", rows)
        with pytest.raises(InputError, match=r"^\S*l\.csv: a record has an empty step; fill or drop it$"):
            read_curves(path, "long")
    folder = write_tb_csv(tmp_path / "tb")
    lines(folder / "run-train-tag-acc_b.csv", [["Wall time", "Step", "Value"], [0, 0, 0.1], [0, "", 0.2]])
    with pytest.raises(InputError, match=r"^\S*tb: a record has an empty step; fill or drop it$"):
        read_curves(folder)


def test_a_wandb_export_names_its_file_and_step_column(tmp_path):
    path = lines(tmp_path / "wb.csv", [["time", "x", "x__MIN"], [0, 0.1, 0.0], [1, 0.2, 0.1]])
    with pytest.raises(InputError, match=r"^\S*wb\.csv: no step column"):
        read_curves(path)
    steps, names, _, info = read_curves(path, step_column="time")
    assert steps.tolist() == [0, 1] and names == ["x"] and info == {"format": "wandb", "step_column": "time"}
    path = lines(tmp_path / "wb.csv", [["Step", "x", "x__MAX"], [0, 0.1, 0.0], [1, "?", 0.1]])
    with pytest.raises(InputError, match=r"^\S*wb\.csv: column 'x', data row 2: '\?' is not a number"):
        read_curves(path)


def test_one_tensorboard_csv_export_alone_and_errors_naming_file_and_folder(tmp_path):
    folder = write_tb_csv(tmp_path / "tb")
    one = folder / "run-train-tag-acc_a.csv"
    steps, names, values, _ = read_curves([one])
    assert names == ["acc_a"] and steps.tolist() == STEPS.tolist() and values[:, 0].tolist() == VALUES[:, 0].tolist()
    lines(folder / "run-train-tag-acc_b.csv", [["Wall time", "Step", "Value"], [0, 0, 0.1], [0, 10, "?"]])
    with pytest.raises(InputError, match=r"^\S*acc_b\.csv: column 'Value', data row 2: '\?' is not a number"):
        read_curves(folder)
    lines(folder / "run-train-tag-acc_b.csv", [["Wall time", "Step", "Value"], [0, 0, 0.1], [0, 10, 0.2]])
    with pytest.raises(InputError, match=rf"^{tmp_path}/tb: the skills share 2 logged steps; the fit needs at least "
                                         "3$"):
        read_curves(folder)


def test_event_files_give_float_steps_and_name_what_is_missing(tmp_path):
    steps, _, _, _ = read_curves(write_events(tmp_path / "logs", [0, 10, 20]))
    assert steps.dtype == np.float64 and steps.tolist() == [0, 10, 20]
    with pytest.raises(InputError, match=rf"^{tmp_path}/two: the skills share 2 logged steps; the fit needs at least "
                                         "3$"):
        read_curves(write_events(tmp_path / "two", [0, 10]))
    empty = write_events(tmp_path / "empty", [])
    for skills in (None, ["acc_*"]):
        with pytest.raises(InputError, match=rf"^{empty}: no scalar in the event files$"):
            read_curves(empty, "tensorboard", skills=skills)


def test_event_files_keep_every_record_of_a_long_run(tmp_path):
    """More records than TensorBoard keeps by default (10 000 scalars per tag): all of them are read."""
    steps, _, _, _ = read_curves(write_events(tmp_path / "logs", range(10_050), names=["acc"]))
    assert len(steps) == 10_050


def test_event_files_without_the_tensorboard_package_say_what_to_install(tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "tensorboard.backend.event_processing.event_accumulator", None)
    from skill_physics.cli.readers import read_tensorboard_events
    with pytest.raises(InputError, match=r"^reading TensorBoard event files needs the tensorboard package: pip install "
                                         r"'skill_physics\[logs\]' \(or export the scalars as CSV\)$"):
        read_tensorboard_events(tmp_path)


def test_lm_eval_defaults_messages_and_what_it_reports(tmp_path):
    from skill_physics.cli.readers import read_lm_eval
    folder = write_lm_eval(tmp_path / "evals", ["step0.json", "step10.json", "step20.json", "step30.json"])
    steps, names, _, info = read_lm_eval(folder)                 # the metric 'acc' by default
    assert names == NAMES and steps.tolist() == STEPS.tolist()
    assert info == {"format": "lm-eval", "metric": "acc", "step_pattern": r"(?:^|[^a-z])(?:global_)?step[_-]?(\d+)",
                    "files": 4}
    (folder / "notes.json").write_text("{}")
    with pytest.raises(InputError, match=r"^\S*notes\.json: no step in the file name \(pattern '.*'\); give one with "
                                         r"--step-pattern REGEX, its first group the step$"):
        read_lm_eval(folder)
    two = write_lm_eval(tmp_path / "two", ["step0.json", "step10.json"])
    with pytest.raises(InputError, match=rf"^{two}: the skills share 2 logged steps; the fit needs at least 3$"):
        read_lm_eval(two)


def test_an_npz_holding_objects_is_not_unpickled(tmp_path):
    np.savez(tmp_path / "run.npz", steps=STEPS, skills=np.array([[0.1], [0.2], [0.3], [0.4]], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle=False"):
        read_curves(tmp_path / "run.npz")
