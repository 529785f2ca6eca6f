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


def test_tensorboard_event_files_through_the_tensorboard_package(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    writer = EventFileWriter(str(tmp_path / "logs"))
    for t, v in zip(STEPS, VALUES):
        for name, x in zip(NAMES, v):
            value = summary_pb2.Summary.Value(tag=name, simple_value=x)
            writer.add_event(event_pb2.Event(step=int(t), wall_time=1.7e9, summary=summary_pb2.Summary(value=[value])))
    writer.close()
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
