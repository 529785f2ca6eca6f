"""Readers of the logs researchers have, each giving (steps (T,), names (K,), values (T, K), reader info).

Wide CSV (a step column, one column per skill), long CSV (step, name, value), W&B CSV exports, TensorBoard CSV
exports (one file per tag) and event files, a folder of lm-evaluation-harness result JSONs (one per checkpoint), NPZ.
The core (``skill_physics.fits``) knows no files; this is where files become arrays.
"""
import csv
import json
import re
from fnmatch import fnmatch
from pathlib import Path

import numpy as np

FORMATS = ("wide", "long", "wandb", "tensorboard", "lm-eval", "npz")
STEP_NAMES = ("step", "Step", "_step", "global_step", "steps", "iteration", "iter")
WANDB_EXTRA = ("__MIN", "__MAX")        # a W&B export's band around each metric: not a skill
TB_HEADER = ["Wall time", "Step", "Value"]
# the step in '…step1000' or '…global_step1500_eval_results_<date>' (a date is no step)
STEP_IN_NAME = r"(?:^|[^a-z])(?:global_)?step[_-]?(\d+)"


class InputError(ValueError):
    """A file or option the fit cannot use; its message is the one line the user sees."""


def _rows(path):
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f) if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise InputError(f"{path}: needs a header row and rows of values")
    return rows[0], rows[1:]


def _number(cell, path, column, row):
    try:
        return float(cell) if cell.strip() else np.nan
    except ValueError:
        raise InputError(f"{path}: column {column!r}, data row {row}: {cell!r} is not a number "
                         "(a long CSV, step,name,value, is read with --format long)") from None


def _rectangular(path, header, body):
    """InputError naming the first data row whose number of values is not the header's."""
    if any(len(r) != len(header) for r in body):
        row = next(i for i, r in enumerate(body) if len(r) != len(header)) + 1
        raise InputError(f"{path}: data row {row} has {len(body[row - 1])} values, the header {len(header)} columns")


def _table(path, header, body, columns):
    """Float array (rows, len(columns)) of the named columns, naming the column and row of any text."""
    idx = [header.index(c) for c in columns]
    _rectangular(path, header, body)
    return np.array([[_number(r[j], path, header[j], i + 1) for j in idx] for i, r in enumerate(body)], float)


def _step_column(path, header, step_column):
    if step_column is not None:
        if step_column not in header:
            raise InputError(f"{path}: no column named {step_column!r} (columns: {', '.join(header)})")
        return step_column
    found = next((s for s in STEP_NAMES if s in header), None)
    if found is None:
        raise InputError(f"{path}: no step column (looked for {', '.join(STEP_NAMES)}); name it with --step-column")
    return found


def select(names, patterns):
    """Indices of ``names`` matching any glob of ``patterns`` (None: all), or InputError naming what is there."""
    if not patterns:
        return list(range(len(names)))
    keep = [k for k, n in enumerate(names) if any(fnmatch(n, p) for p in patterns)]
    if not keep:
        raise InputError(f"--skills {','.join(patterns)} matches none of: {', '.join(names)}")
    return keep


def _joined(series, where):
    """Steps, names, values of {name: (steps, values)} on the steps every skill was logged at."""
    names = list(series)
    if any(np.isnan(np.asarray(s, float)).any() for s, _ in series.values()):     # NaN matches no step, not even NaN
        raise InputError(f"{where}: a record has an empty step; fill or drop it")
    common = sorted(set.intersection(*(set(np.asarray(s, float).tolist()) for s, _ in series.values())))
    if len(common) < 3:
        raise InputError(f"{where}: the skills share {len(common)} logged steps; the fit needs at least 3")
    values = np.column_stack([_at(np.asarray(s, float), np.asarray(v, float), common) for s, v in series.values()])
    return np.asarray(common), names, values


def _at(steps, values, common):
    """values at the steps ``common`` (each logged at least once; the last record of a repeated step wins)."""
    last = {t: v for t, v in zip(steps.tolist(), values.tolist())}
    return np.array([last[t] for t in common])


def read_wide(path, step_column=None):
    header, body = _rows(path)
    step = _step_column(path, header, step_column)
    names = [h for h in header if h != step]
    if not names:
        raise InputError(f"{path}: needs a step column and at least one skill column")
    table = _table(path, header, body, [step, *names])
    return table[:, 0], names, table[:, 1:], {"format": "wide", "step_column": step}


def read_long(path, step_column=None):
    header, body = _rows(path)
    if len(header) != 3:
        raise InputError(f"{path}: a long CSV has three columns (step, name, value), this one {len(header)}")
    _rectangular(path, header, body)
    step = _step_column(path, header, step_column)
    text = [j for j in range(3) if header[j] != step and not _numeric(r[j] for r in body)]
    if len(text) != 1:
        raise InputError(f"{path}: a long CSV has one column of names and one of values besides {step!r}")
    name_col = header[text[0]]
    value_col = next(h for h in header if h not in (step, name_col))
    series = {}
    for i, r in enumerate(body):
        row = dict(zip(header, r))
        s, v = series.setdefault(row[name_col], ([], []))
        s.append(_number(row[step], path, step, i + 1))
        v.append(_number(row[value_col], path, value_col, i + 1))
    steps, names, values = _joined(series, path)
    return steps, names, values, {"format": "long", "step_column": step, "name_column": name_col,
                                  "value_column": value_col}


def _numeric(cells):
    try:
        [float(c) for c in cells if c.strip()]
        return True
    except ValueError:
        return False


def read_wandb(path, step_column=None):
    header, body = _rows(path)
    step = _step_column(path, header, step_column)         # W&B writes 'Step'
    names = [h for h in header if h != step and not h.endswith(WANDB_EXTRA) and not h.endswith("_step")]
    table = _table(path, header, body, [step, *names])
    table = table[np.isfinite(table).all(1)]      # W&B leaves a cell empty where a metric was not logged
    return table[:, 0], names, table[:, 1:], {"format": "wandb", "step_column": step}


def _tag(path):
    """A TensorBoard CSV's tag from its file name ('run-train-tag-acc_task1.csv' -> 'acc_task1')."""
    return path.stem.split("-tag-", 1)[-1]


def read_tensorboard_csv(paths):
    series = {}
    for path in paths:
        header, body = _rows(path)
        if header != TB_HEADER:
            raise InputError(f"{path}: a TensorBoard CSV export has the columns {','.join(TB_HEADER)}")
        table = _table(path, header, body, ["Step", "Value"])
        series[_tag(path)] = (table[:, 0], table[:, 1])
    steps, names, values = _joined(series, paths[0].parent)
    return steps, names, values, {"format": "tensorboard", "files": [str(p) for p in paths]}


def read_tensorboard_events(path, patterns=None):
    """Scalars of every event file under ``path`` (a file or folder), by the ``tensorboard`` package's reader."""
    try:
        from tensorboard.backend.event_processing.event_accumulator import SCALARS, EventAccumulator
    except ImportError:
        raise InputError("reading TensorBoard event files needs the tensorboard package: pip install "
                         "'skill_physics[logs]' (or export the scalars as CSV)") from None
    acc = EventAccumulator(str(path), size_guidance={SCALARS: 0})    # 0: keep every record
    acc.Reload()
    tags = acc.Tags()[SCALARS]
    tags = [tags[k] for k in select(tags, patterns)] if tags else []
    if not tags:
        raise InputError(f"{path}: no scalar in the event files")
    series = {t: ([e.step for e in acc.Scalars(t)], [e.value for e in acc.Scalars(t)]) for t in tags}
    steps, names, values = _joined(series, path)
    return steps, names, values, {"format": "tensorboard", "event_files": True}


def _step_of(path, pattern):
    match = re.search(pattern, path.name, flags=re.IGNORECASE)
    if not match:
        raise InputError(f"{path}: no step in the file name (pattern {pattern!r}); give one with --step-pattern "
                         "REGEX, its first group the step")
    return float(match.group(1))


def _metric(result, metric):
    """The value of ``metric`` in one task's results (newer harnesses write 'acc,none')."""
    key = next((k for k in result if k == metric or k.startswith(metric + ",")), None)
    return None if key is None else float(result[key])


def read_lm_eval(folder, metric="acc", step_pattern=None):
    """A folder of lm-evaluation-harness result JSONs, one per checkpoint, the step in each file's name."""
    files = sorted(Path(folder).glob("*.json"))
    pattern = step_pattern or STEP_IN_NAME
    points = []
    for path in files:
        with open(path) as f:
            results = json.load(f).get("results", {})
        values = {t: _metric(r, metric) for t, r in results.items() if isinstance(r, dict)}
        points.append((_step_of(path, pattern), {t: v for t, v in values.items() if v is not None}))
    tasks = sorted(set().union(*(p for _, p in points))) if points else []
    if not tasks:
        raise InputError(f"{folder}: no result JSON with the metric {metric!r} (give another with --metric)")
    steps = sorted({s for s, _ in points})
    if len(steps) != len(points):
        raise InputError(f"{folder}: two files give the same step; give --step-pattern")
    series = {t: ([s for s, p in points if t in p], [p[t] for s, p in points if t in p]) for t in tasks}
    steps, names, values = _joined(series, folder)
    return steps, names, values, {"format": "lm-eval", "metric": metric, "step_pattern": pattern,
                                  "files": len(files)}


def read_npz(path):
    """(steps, names, values, info) of an NPZ with ``steps`` and ``skills`` or ``losses`` (info['kind'])."""
    with np.load(path, allow_pickle=False) as z:
        kind = next((k for k in ("skills", "losses") if k in z.files), None)
        if "steps" not in z.files or kind is None:
            raise InputError(f"{path}: needs arrays 'steps' and 'skills' or 'losses' (found {', '.join(z.files)})")
        values, steps = np.asarray(z[kind], float), np.asarray(z["steps"], float)
    values = values[:, None] if values.ndim == 1 else values
    return steps, [f"skill {k + 1}" for k in range(values.shape[1])], values, {"format": "npz", "kind": kind}


def detect(paths):
    """The format of ``paths`` (a list of files or one folder) where unambiguous, else InputError."""
    first = paths[0]
    if first.is_dir():
        if list(first.glob("*.json")):
            return "lm-eval"
        if list(first.rglob("events.out.tfevents.*")):
            return "tensorboard"
        csvs = sorted(first.glob("*.csv"))
        if csvs and all(_rows(p)[0] == TB_HEADER for p in csvs):
            return "tensorboard"
        raise InputError(f"{first}: a folder of lm-evaluation-harness JSONs, TensorBoard event files or "
                         "TensorBoard CSV exports was expected; give --format")
    if first.suffix == ".npz":
        return "npz"
    if first.name.startswith("events.out.tfevents."):
        return "tensorboard"
    header, body = _rows(first)
    if header == TB_HEADER:
        return "tensorboard"
    if any(h.endswith(WANDB_EXTRA) for h in header):
        return "wandb"
    rectangular = all(len(r) == len(header) for r in body)     # else read as wide, which names the ragged row
    if len(header) == 3 and rectangular and sum(not _numeric(r[j] for r in body) for j in range(3)) == 1:
        return "long"
    return "wide"


def read_curves(paths, format=None, *, step_column=None, skills=None, metric="acc", step_pattern=None):
    """Read per-skill curves from real logs.

    Parameters
    ----------
    paths : path or list of paths
        A CSV, an NPZ, TensorBoard CSV exports (one per tag) or event files, or a folder (lm-evaluation-harness
        result JSONs, TensorBoard event files or CSV exports).
    format : {'wide', 'long', 'wandb', 'tensorboard', 'lm-eval', 'npz'}, optional
        Detected where unambiguous.
    step_column : str, optional
        The CSV's step column (default: the first of 'step', 'Step', '_step', 'global_step', ...).
    skills : list of str, optional
        Globs selecting the columns, tags or tasks (default: all).
    metric : str
        The lm-evaluation-harness metric ('acc', 'acc_norm', ...).
    step_pattern : str, optional
        A regular expression whose first group is the step in an lm-evaluation-harness file name.

    Returns
    -------
    steps (T,), names (K,), values (T, K) and a dict saying which reader read what.
    """
    paths = [Path(p) for p in (paths if isinstance(paths, (list, tuple)) else [paths])]
    for p in paths:
        if not p.exists():
            raise InputError(f"{p}: no such file or folder")
    format = format or detect(paths)
    if format not in FORMATS:
        raise InputError(f"--format {format!r}: one of {', '.join(FORMATS)}")
    if len(paths) > 1 and format != "tensorboard":
        raise InputError(f"several files are read together only as TensorBoard CSV exports, not {format}")
    one = paths[0]
    if format == "tensorboard" and (one.is_dir() and list(one.rglob("events.out.tfevents.*"))
                                    or one.name.startswith("events.out.tfevents.")):
        return read_tensorboard_events(one, skills)
    steps, names, values, info = (
        read_tensorboard_csv(sorted(one.glob("*.csv")) if one.is_dir() else paths) if format == "tensorboard"
        else read_lm_eval(one, metric, step_pattern) if format == "lm-eval"
        else read_npz(one) if format == "npz"
        else {"wide": read_wide, "long": read_long, "wandb": read_wandb}[format](one, step_column))
    keep = select(names, skills)
    return steps, [names[k] for k in keep], values[:, keep], info
