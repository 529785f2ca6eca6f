"""``skill-physics-fit``: how serially do the skills of your own training run learn (arXiv 2501.12391, Sec. 4)?

Reads per-skill curves (CSV: a step column and one column per skill, as TensorBoard or W&B export them; or NPZ with
arrays ``steps`` (T,) and ``skills`` (T, K) or ``losses`` (T, K)), fits the Resource model and its two limits, prints
the summary, and writes a figure (data beside the fits, the error over N0) and a JSON of the numbers.
"""
import argparse
import csv
import json
import sys
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure  # no pyplot: the caller's backend (a notebook's, say) stays as it is

from ..fits import FORMS, LOSS_RULES, fit_skills, fitted_curves, skill_level, skills_from_losses
from ..paper.store import WriteError, atomic_write, writable_folder

SLACK = 0.05   # skills measured a little outside [0, 1] (a Geometry model's overshoot, say) are clipped


class InputError(ValueError):
    """A file or option the fit cannot use; its message is the one line the user sees."""


def read_csv(path, step_column):
    """(steps (T,), names (K,), values (T, K)) of a CSV with a header row."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or step_column not in rows[0]:
        raise InputError(f"{path}: no column named {step_column!r} (columns: {', '.join(rows[0]) if rows else 'none'})")
    header, body = rows[0], [r for r in rows[1:] if any(cell.strip() for cell in r)]
    if len(header) < 2 or not body:
        raise InputError(f"{path}: needs a header, a step column, at least one skill column and one row of values")
    try:
        table = np.array([[float(cell) if cell.strip() else np.nan for cell in r] for r in body], float)
    except ValueError as err:
        raise InputError(f"{path}: a value is not a number ({err})") from None
    if table.shape[1] != len(header):
        raise InputError(f"{path}: rows have {table.shape[1]} values, the header {len(header)} columns")
    col = header.index(step_column)
    names = [h for j, h in enumerate(header) if j != col]
    return table[:, col], names, np.delete(table, col, axis=1)


def read_npz(path):
    """(steps, names, values, 'skills' or 'losses') of an NPZ with ``steps`` and ``skills`` or ``losses``."""
    with np.load(path, allow_pickle=False) as z:
        kind = next((k for k in ("skills", "losses") if k in z.files), None)
        if "steps" not in z.files or kind is None:
            raise InputError(f"{path}: needs arrays 'steps' and 'skills' or 'losses' (found {', '.join(z.files)})")
        values = np.asarray(z[kind], float)
        steps = np.asarray(z["steps"], float)
    values = values[:, None] if values.ndim == 1 else values
    return steps, [f"skill {k + 1}" for k in range(values.shape[1])], values, kind


def checked(path, steps, values):
    """Raise InputError for curves the fit cannot read: NaN, steps not increasing, values outside [0, 1]."""
    if len(steps) != len(values) or len(steps) < 3:
        raise InputError(f"{path}: needs at least 3 rows of steps and values")
    if not np.isfinite(np.column_stack([steps, values])).all():
        row = int(np.argwhere(~np.isfinite(np.column_stack([steps, values])))[0, 0])
        raise InputError(f"{path}: a value is missing or NaN (data row {row + 1}); fill or drop that row")
    if steps[0] < 0:
        raise InputError(f"{path}: steps count updates from the start of training, so they are >= 0 "
                         f"(data row 1: {steps[0]:g})")
    if np.any(np.diff(steps) <= 0):
        row = int(np.flatnonzero(np.diff(steps) <= 0)[0]) + 2
        raise InputError(f"{path}: steps must increase (data row {row}: {steps[row - 1]:g} after {steps[row - 2]:g})")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="skill-physics-fit", description=__doc__.splitlines()[0])
    parser.add_argument("curves", type=Path, help="CSV (a step column, one column per skill) or NPZ")
    parser.add_argument("--step-column", default="step", help="name of the CSV's step column (default 'step')")
    freq = parser.add_mutually_exclusive_group(required=True)
    freq.add_argument("--frequencies", type=float, nargs="+", help="each skill's frequency, in column order")
    freq.add_argument("--alpha", type=float, help="p_k ∝ k^-alpha, the columns in order of decreasing frequency")
    parser.add_argument("--loss", choices=LOSS_RULES, default=None,
                        help="the values are losses: turn them into skills by 'exp' (s = exp(-loss), a CE loss), "
                             "'sqrt' (s = 1 - sqrt(loss / first loss), an MSE loss) or 'linear' (s = 1 - loss / "
                             "first loss)")
    parser.add_argument("--form", choices=FORMS, default="mse", help="Resource-model form (default mse)")
    parser.add_argument("--onset", type=float, default=0.1, help="onset threshold of the learning times")
    parser.add_argument("--completion", type=float, default=0.9, help="completion threshold of the learning times")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: beside the curves)")
    return parser.parse_args(argv)


def load(args):
    """Steps (T,), skill names (K,) and skills (T, K) in [0, 1] from the file and options."""
    if not args.curves.is_file():
        raise InputError(f"{args.curves}: no such file")
    if args.curves.suffix == ".npz":
        steps, names, values, kind = read_npz(args.curves)
        if kind == "losses" and args.loss is None:
            raise InputError(f"{args.curves}: holds losses; say how they become skills with --loss exp, sqrt or linear")
    else:
        steps, names, values = read_csv(args.curves, args.step_column)
    checked(args.curves, steps, values)
    skills = skills_from_losses(values, args.loss) if args.loss else values
    if skills.min() < -SLACK or skills.max() > 1 + SLACK:
        raise InputError(f"{args.curves}: skills must lie in [0, 1] (found {skills.min():g} .. {skills.max():g}); "
                         "for losses give --loss exp, sqrt or linear")
    skills = np.clip(skills, 0.0, 1.0)
    level = skill_level(args.completion, args.form)                       # as fit_skills reads --completion
    never = [n for n, s in zip(names, skills.T) if s.max() < level]
    if never:
        raise InputError(f"{args.curves}: {', '.join(never)} never reach(es) the completion threshold "
                         f"{args.completion:g} (skill {level:g}); drop the column or lower --completion")
    if args.frequencies is not None and len(args.frequencies) != len(names):
        raise InputError(f"--frequencies gives {len(args.frequencies)} values for {len(names)} skills")
    if args.frequencies is not None and not all(f > 0 for f in args.frequencies):
        raise InputError("--frequencies must all be positive")
    return steps, names, skills


def summary(fit, names):
    """The printed summary, lines of text."""
    lines = [f"Resource-model fit ({fit.loss} form): N0 = {fit.n0[0]:.3g}, eta_eff = {fit.eta[0]:.3g} per step, "
             f"error {fit.error[0]:.3g}",
             f"  Domino limit (N0 -> 0): error {fit.domino_error[0]:.3g} "
             f"({fit.domino_error[0] / fit.error[0]:.3g}x the best)",
             f"  parallel limit (N0 -> inf): error {fit.parallel_error[0]:.3g} "
             f"({fit.parallel_error[0] / fit.error[0]:.3g}x the best)",
             f"competition = sum c / (sum c + N0) at the start: {fit.competition[0]:.3f} "
             f"(0 parallel, 1 Domino; {fit.competition_range[0, 0]:.3f} .. {fit.competition_range[0, 1]:.3f} "
             f"within {fit.factor:g}x the best error)",
             "skill (by frequency)      p     onset  completion  after previous  delay ratio  p ratio"]
    for k in range(len(names)):
        extra = (f"  {fit.after_previous[0, k - 1]:14.2f}  {fit.delay_ratio[0, k - 1]:11.2f}  "
                 f"{fit.frequency_ratio[k - 1]:7.2f}" if k else "")
        lines.append(f"{names[fit.order[k]][:22]:22s} {fit.frequencies[k]:7.4f} {fit.onset[0, k]:8.4g} "
                     f"{fit.completion[0, k]:10.4g}{extra}")
    return lines


def figure(fit, names, skills):
    """Data beside the best fit and both limits; the error over N0."""
    best, domino, parallel = fitted_curves(fit)
    fig = Figure(figsize=(11, 4))
    left, right = fig.subplots(1, 2)
    colors = matplotlib.colormaps["viridis"](np.linspace(0, 1, skills.shape[1]))
    for k in range(skills.shape[1]):
        left.plot(fit.steps, skills[:, k], color=colors[k], lw=2, alpha=0.5)
        left.plot(fit.steps, best[:, k], color=colors[k], lw=1)
        left.plot(fit.steps, domino[:, k], color=colors[k], lw=0.8, ls=":")
        left.plot(fit.steps, parallel[:, k], color=colors[k], lw=0.8, ls="--")
    left.plot([], [], color="gray", lw=2, alpha=0.5, label="data")
    left.plot([], [], color="gray", lw=1, label=f"fit, N0 = {fit.n0[0]:.3g}")
    left.plot([], [], color="gray", ls=":", label="Domino (N0 → 0)")
    left.plot([], [], color="gray", ls="--", label="parallel (N0 → ∞)")
    left.set(xlabel="step", ylabel="skill", ylim=(-0.02, 1.02))
    left.legend(loc="lower right", fontsize=8)
    right.loglog(fit.n0_grid, fit.errors[0], color="k")
    right.axhline(fit.domino_error[0], ls=":", color="gray", label="Domino limit")
    right.axhline(fit.parallel_error[0], ls="--", color="gray", label="parallel limit")
    right.axvline(fit.n0[0], color="C3", lw=0.8, label=f"best N0 = {fit.n0[0]:.3g}")
    right.set(xlabel="N0", ylabel="mean squared skill error")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def report(fit, names):
    """The JSON of the numbers."""
    keys = ("onset", "completion", "duration", "after_previous", "delay_ratio", "n0", "eta", "error", "domino_error",
            "domino_eta", "parallel_error", "parallel_eta", "competition", "competition_range", "errors", "eta_eff")
    out = {"skills": [names[k] for k in fit.order], "form": fit.loss,
           "frequencies": fit.frequencies.tolist(), "frequency_ratio": fit.frequency_ratio.tolist(),
           "n0_grid": fit.n0_grid.tolist(), "factor": fit.factor}
    out.update({k: np.asarray(getattr(fit, k))[0].tolist() for k in keys})
    return json.loads(json.dumps(out).replace("NaN", "null").replace("Infinity", "null"))


def main(argv=None):
    """Run the command line; returns the exit code."""
    args = parse_args(argv)
    try:
        steps, names, skills = load(args)
        out = args.out or args.curves.parent
        writable_folder(out, "--out", "choose a folder that can be written with --out")
        fit = fit_skills(skills, steps, frequencies=args.frequencies, alpha=args.alpha, loss=args.form,
                         onset=args.onset, completion=args.completion)
    except (ValueError, OSError, WriteError) as err:   # InputError, or an option fit_skills refuses
        print(f"skill-physics-fit: error: {err}", file=sys.stderr)
        return 2
    print("\n".join(summary(fit, names)))
    stem = out / f"{args.curves.stem}_fit"
    fig = figure(fit, names, skills[:, fit.order])
    text = json.dumps(report(fit, names), indent=2) + "\n"
    try:
        for fmt, meta in (("png", {}), ("pdf", {"CreationDate": None})):
            atomic_write(stem.with_suffix(f".{fmt}"), lambda f: fig.savefig(f, format=fmt, dpi=150, metadata=meta))
        atomic_write(stem.with_suffix(".json"), lambda f: f.write(text.encode()))
    except WriteError as err:                # a full disk: the message says where the bytes were kept
        print(f"skill-physics-fit: error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {stem}.png, .pdf, .json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
