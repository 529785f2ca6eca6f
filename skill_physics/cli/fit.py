"""skill-physics-fit: how serially do the skills of your own training run learn (arXiv 2501.12391, Sec. 4)?

Reads per-skill curves from real logs (``readers``), turns accuracies and losses into skills (``analysis``), fits
the Resource model and its two limits, prints the summary and writes a figure and a JSON of every number.
"""
import argparse
import json
import os
import sys
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure  # no pyplot: the caller's backend (a notebook's, say) stays as it is

from ..fits import LOSS_RULES, fit_skills, fitted_curves, skills_from_losses
from ..paper.store import WriteError, atomic_write, writable_folder
from ..resource import LOSSES
from .analysis import CEILINGS, ORDERS, above_chance, chance_levels, data_order, fit_alpha, verdict, with_ceiling
from .readers import FORMATS, InputError, read_curves

SLACK = 0.05   # skills measured a little outside [0, 1] (a Geometry model's overshoot, say) are clipped
EXIT_CODES = "exit codes: 0 fitted and written; 1 the outputs could not be written; 2 a file or option is unusable"


def checked(path, steps, values):
    """Raise InputError for curves the fit cannot read: NaN, steps not increasing."""
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


def items(values):
    """A list option given with commas, spaces or both: ['0.5,0.3', '0.2'] -> ['0.5', '0.3', '0.2']."""
    return None if values is None else [v for text in values for v in text.split(",") if v.strip()]


def numbers(option, values):
    try:
        return None if values is None else [float(v) for v in items(values)]
    except ValueError as err:
        raise InputError(f"{option}: {err}") from None


def parse_args(argv):
    about = __doc__.splitlines()[0].split(": ", 1)[1]
    parser = argparse.ArgumentParser(prog="skill-physics-fit", description=about[0].upper() + about[1:],
                                     epilog=EXIT_CODES)
    add = parser.add_argument
    add("curves", type=Path, nargs="+", help="a CSV (wide, long or a W&B export), an NPZ, TensorBoard CSV exports "
        "(one per tag) or event files, or a folder of lm-evaluation-harness result JSONs")
    add("--format", choices=FORMATS, help="the input's format (default: detected)")
    add("--step-column", metavar="NAME", help="the CSV's step column (default: the first of step, Step, _step, "
        "global_step, steps, iteration, iter)")
    add("--skills", nargs="+", metavar="GLOB", help="globs selecting columns, tags or tasks, with commas or spaces "
        "(default: all)")
    add("--metric", default="acc", metavar="NAME", help="lm-evaluation-harness metric (default: acc)")
    add("--step-pattern", metavar="REGEX", help="regular expression whose first group is the step in an lm-eval "
        "file name (default: the number after 'step' or 'global_step')")
    freq = parser.add_mutually_exclusive_group()
    freq.add_argument("--frequencies", nargs="+", metavar="P", help="each skill's frequency, in column order, with "
                      "commas or spaces (default: unknown, fitted as a power law)")
    freq.add_argument("--alpha", type=float, help="p_k proportional to k^-alpha, alpha fixed (default: fitted)")
    add("--order", choices=ORDERS, default="data", help="without --frequencies, which skill is frequent: 'data' "
        "(the skill ahead on average) or 'columns' (their order) (default: data)")
    add("--chance", nargs="+", metavar="LEVEL", help="chance level of accuracies: 0.25 for all, or NAME=0.5 per "
        "skill (globs; a bare number is the rest's) (default: none)")
    add("--ceiling", choices=CEILINGS, default="1", help="the skill's learned level: '1' a perfect score, 'best' "
        "the best level it reached (default: 1)")
    add("--loss", choices=LOSS_RULES, help="the values are losses: s = exp(-loss) ('exp', a CE loss), "
        "1 - sqrt(loss / first loss) ('sqrt', an MSE loss) or 1 - loss / first loss ('linear') (default: they are "
        "skills)")
    add("--form", choices=LOSSES, default="mse", help="Resource-model form (default: mse)")
    add("--onset", type=float, default=0.1, metavar="SHARE", help="onset threshold (default: 0.1)")
    add("--completion", type=float, default=0.9, metavar="SHARE", help="completion threshold (default: 0.9)")
    add("--out", type=Path, metavar="FOLDER", help="output folder (default: beside the curves)")
    add("--no-figure", action="store_true", help="write the JSON only, not the PNG and PDF figure")
    return parser.parse_args(argv)


def to_skills(values, names, chance=None, ceiling="1", loss=None, where="the curves"):
    """Skills (T, K) in [0, 1] from the values: losses by their rule, accuracies above chance, then the ceiling."""
    if loss and chance:
        raise InputError("--loss and --chance exclude each other: losses or accuracies")
    skills = skills_from_losses(values, loss) if loss else values
    if chance:          # below chance is noise around an unlearned skill: it reads as 0
        skills = np.clip(above_chance(values, chance_levels(chance, names)), 0.0, None)
    if skills.min() < -SLACK or skills.max() > 1 + SLACK:
        raise InputError(f"{where}: skills must lie in [0, 1] (found {skills.min():g} .. {skills.max():g}); "
                         "for losses give --loss exp, sqrt or linear, for accuracies --chance")
    return np.clip(with_ceiling(np.clip(skills, 0.0, 1.0), ceiling), 0.0, 1.0)


def _chance_items(chance):
    """--chance items from a number, a {glob: level} dict or strings ('0.25', 'piqa=0.5', '0.25,piqa=0.5')."""
    if chance is None:
        return None
    if isinstance(chance, dict):
        return [f"{glob}={level}" for glob, level in chance.items()]
    return items([str(c) for c in chance] if isinstance(chance, (list, tuple)) else [str(chance)])


def read_run(paths, format=None, *, chance=None, ceiling="1", loss=None, **reader_options):
    """Steps (T,), names (K,), skills (T, K) in [0, 1] and the reader's info, as skill-physics-fit reads them."""
    steps, names, values, info = read_curves(paths, format, **reader_options)
    where = paths[0] if isinstance(paths, (list, tuple)) else paths
    checked(where, steps, values)
    if info.get("kind") == "losses" and loss is None:
        raise InputError(f"{where}: holds losses; say how they become skills with --loss exp, sqrt or linear")
    return steps, names, to_skills(values, names, _chance_items(chance), ceiling, loss, where), info


def read_skills(paths, format=None, *, chance=None, ceiling="1", loss=None, **reader_options):
    """Read real logs as skills, as ``skill-physics-fit`` does.

    Parameters
    ----------
    paths, format, reader_options
        As ``skill_physics.cli.readers.read_curves`` (step_column, skills, metric, step_pattern).
    chance : float, dict or list of str, optional
        Chance level of accuracies: one for all, {glob: level}, or the command line's items ('0.25',
        'piqa=0.5'); skill = (acc - chance) / (1 - chance), clipped at 0.
    ceiling : {'1', 'best'}
        A skill's learned level: a perfect score, or the best level it reached.
    loss : {'exp', 'sqrt', 'linear'}, optional
        The values are losses, turned into skills by this rule.

    Returns
    -------
    steps (T,), skills (T, K) in [0, 1], names (K,).
    """
    steps, names, skills, _ = read_run(paths, format, chance=chance, ceiling=ceiling, loss=loss, **reader_options)
    return steps, skills, names


def load(args):
    """Steps (T,), skill names (K,), skills (T, K) in [0, 1], the reader's info and the --frequencies (K,) or None,
    from the files and options."""
    if not 0 <= args.onset < args.completion <= 1:
        raise InputError(f"--onset {args.onset:g} and --completion {args.completion:g}: 0 <= onset < completion <= 1")
    steps, names, skills, info = read_run(args.curves, args.format, chance=items(args.chance), ceiling=args.ceiling,
                                          loss=args.loss, step_column=args.step_column, skills=items(args.skills),
                                          metric=args.metric, step_pattern=args.step_pattern)
    freq = numbers("--frequencies", args.frequencies)
    if freq is not None and len(freq) != len(names):
        raise InputError(f"--frequencies gives {len(freq)} values for {len(names)} skills")
    if freq is not None and not all(f > 0 for f in freq):
        raise InputError("--frequencies must all be positive")
    return steps, names, skills, info, freq


def run_fit(args, steps, skills, freq):
    """The fit, the column order it saw (K,) and where the frequencies came from (a dict); ``freq``: --frequencies."""
    options = dict(loss=args.form, onset=args.onset, completion=args.completion)
    if freq is not None:
        return fit_skills(skills, steps, frequencies=freq, **options), np.arange(skills.shape[1]), {
            "source": "given (--frequencies)"}
    order = data_order(skills) if args.order == "data" else np.arange(skills.shape[1])
    how = "the skill ahead on average taken as the more frequent" if args.order == "data" else "in column order"
    if args.alpha is not None:
        fit = fit_skills(skills[:, order], steps, alpha=args.alpha, **options)
        return fit, order, {"source": f"p_k ~ k^-alpha, alpha = {args.alpha:g} given (--alpha), {how}",
                            "alpha": args.alpha}
    fit, alpha, alpha_range = fit_alpha(skills[:, order], steps, **options)
    return fit, order, {"source": f"unknown: p_k ~ k^-alpha, {how}, alpha fitted = {alpha:g} (within "
                                  f"{fit.factor:g}x the best error: {alpha_range[0]:g} .. {alpha_range[1]:g})",
                        "alpha": alpha, "alpha_range": alpha_range.tolist()}


def _time(value, steps):
    return f"not by {steps[-1]:g}" if np.isnan(value) else f"{value:.4g}"


def summary(fit, names, skills, source):
    """The printed summary, lines of text: skills (T, K) in the fit's columns."""
    lines = [f"Resource-model fit ({fit.loss} form): N0 = {fit.n0[0]:.3g}, eta_eff = {fit.eta[0]:.3g} per step, "
             f"error {fit.error[0]:.3g}",
             f"  N0 within {fit.factor:g}x the best error: {fit.n0_range[0, 0]:.3g} .. {fit.n0_range[0, 1]:.3g}",
             f"  Domino limit (N0 -> 0): error {fit.domino_error[0]:.3g} ({fit.domino_factor[0]:.3g}x the best)",
             f"  parallel limit (N0 -> inf): error {fit.parallel_error[0]:.3g} "
             f"({fit.parallel_factor[0]:.3g}x the best)",
             f"competition = sum c / (sum c + N0) at the start: {fit.competition[0]:.3f} "
             f"(0 parallel, 1 Domino; {fit.competition_range[0, 0]:.3f} .. {fit.competition_range[0, 1]:.3f} "
             f"within {fit.factor:g}x the best error)",
             f"frequencies: {source}",
             "skill (by frequency)      p     onset  completion  after previous  delay ratio  p ratio"]
    for k in range(len(names)):
        extra = (f"  {fit.after_previous[0, k - 1]:14.2f}  {fit.delay_ratio[0, k - 1]:11.2f}  "
                 f"{fit.frequency_ratio[k - 1]:7.2f}" if k else "")
        lines.append(f"{names[fit.order[k]][:22]:22s} {fit.frequencies[k]:7.4f} "
                     f"{_time(fit.onset[0, k], fit.steps):>8s} {_time(fit.completion[0, k], fit.steps):>11s}{extra}")
    never = [names[fit.order[k]] for k in np.flatnonzero(np.isnan(fit.completion[0]))]
    if never:
        lines.append(f"not learned by step {fit.steps[-1]:g} (fitted from what they show): {', '.join(never)}")
    drop = skills.max(0) - skills[-1]
    if np.any(drop > 0.1):
        lines.append("falls back from its best by more than 0.1: " +
                     ", ".join(f"{n} ({d:.2f})" for n, d in zip(names, drop) if d > 0.1))
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
    positive = fit.steps[fit.steps > 0]
    if len(positive) > 2 and np.median(positive[1:] / positive[:-1]) > 1.2:    # checkpoints spaced in log steps
        left.set_xscale("symlog", linthresh=positive[0])
        left.set_xlim(fit.steps[0], fit.steps[-1])
    left.legend(loc="lower right", fontsize=8)
    right.loglog(fit.n0_grid, fit.errors[0], color="k")
    right.axhline(fit.domino_error[0], ls=":", color="gray", label="Domino limit")
    right.axhline(fit.parallel_error[0], ls="--", color="gray", label="parallel limit")
    right.axvline(fit.n0[0], color="C3", lw=0.8, label=f"best N0 = {fit.n0[0]:.3g}")
    right.set(xlabel="N0", ylabel="mean squared skill error")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def report(fit, names, skills, extra):
    """The JSON of every printed number, the fitted curves, the data fitted, the reader and the options."""
    keys = ("onset", "completion", "duration", "after_previous", "delay_ratio", "n0", "n0_range", "eta", "error",
            "domino_error", "domino_eta", "parallel_error", "parallel_eta", "competition", "competition_range",
            "errors", "eta_eff")
    out = {"skills": [names[k] for k in fit.order], "form": fit.loss,
           "frequencies": fit.frequencies.tolist(), "frequency_ratio": fit.frequency_ratio.tolist(),
           "n0_grid": fit.n0_grid.tolist(), "factor": fit.factor, "steps": fit.steps.tolist(),
           "domino_factor": float(fit.domino_factor[0]), "parallel_factor": float(fit.parallel_factor[0]),
           "data": skills[:, fit.order].tolist(),
           "not_learned": [names[fit.order[k]] for k in np.flatnonzero(np.isnan(fit.completion[0]))]}
    out.update({k: np.asarray(getattr(fit, k))[0].tolist() for k in keys})
    out["fitted_curves"] = {k: c.tolist() for k, c in zip(("best", "domino", "parallel"), fitted_curves(fit))}
    out.update(extra)
    return json.loads(json.dumps(out, default=str).replace("NaN", "null").replace("Infinity", "null"))


def write(stem, fig, text):
    """The figure (PNG, PDF; None: none) and the JSON; the exit code."""
    try:
        for fmt, meta in (("png", {}), ("pdf", {"CreationDate": None})) if fig else ():
            atomic_write(Path(f"{stem}.{fmt}"), lambda f: fig.savefig(f, format=fmt, dpi=150, metadata=meta))
        atomic_write(Path(f"{stem}.json"), lambda f: f.write(text.encode()))   # not with_suffix: '1.4b' has a dot
    except WriteError as err:                # a full disk: the message says where the bytes were kept
        print(f"skill-physics-fit: error: {err}", file=sys.stderr)
        return 1
    return 0


def run(argv):
    """The command line: the exit code and the lines to print (the outputs are written first, so that a reader
    who closes the pipe early still gets them)."""
    args = parse_args(argv)
    first = args.curves[0]
    try:
        steps, names, skills, info, freq = load(args)
        out = args.out or (first if first.is_dir() else first.parent)
        writable_folder(out, "--out", "choose a folder that can be written with --out")
        fit, order, frequencies = run_fit(args, steps, skills, freq)
    except (ValueError, OSError, WriteError) as err:   # InputError, or an option fit_skills refuses
        print(f"skill-physics-fit: error: {err}", file=sys.stderr)
        return 2, []
    names, skills = [names[k] for k in order], skills[:, order]
    sentence = verdict(fit)
    stem = out / f"{first.stem if first.is_file() else first.name}_fit"
    options = {k: (str(v) if isinstance(v, Path) else [str(p) for p in v] if k == "curves" else v)
               for k, v in vars(args).items()}
    extra = {"frequencies_from": frequencies, "verdict": sentence, "reader": info, "options": options}
    fig = None if args.no_figure else figure(fit, names, skills[:, fit.order])
    code = write(stem, fig, json.dumps(report(fit, names, skills, extra), indent=2) + "\n")
    lines = summary(fit, names, skills, frequencies["source"]) + ([sentence] if sentence else [])
    return code, lines + ([f"wrote {stem}{'' if fig is None else '.png, .pdf, '}.json"] if code == 0 else [])


def main(argv=None):
    """Run the command line; returns the exit code. A closed pipe (``| head``) ends it quietly."""
    code, lines = run(argv)
    try:
        if lines:
            print("\n".join(lines))
        sys.stdout.flush()
    except BrokenPipeError:        # the reader left: send the rest nowhere, as Python's documentation advises
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return code


if __name__ == "__main__":
    raise SystemExit(main())
