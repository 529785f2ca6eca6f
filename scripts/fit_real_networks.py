"""Fit the Resource model to the paper's real networks (arXiv 2501.12391, Figs 2, 16, 19): how serially do they learn?

    python scripts/fit_real_networks.py            # reads the figure caches of Figs 2 and 16 when present
    python scripts/fit_real_networks.py --quick    # fewer seeds and steps, seconds

Prints one row per network: the best N0, the competition share, and the errors of the best fit and of the two limits.
Parity accuracies (chance 1/2) become skills 2 acc - 1; the two-task MLP's losses become skills 1 - loss / loss_0.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import Fig2_sparse_parity as fig2  # noqa: E402
import Fig16_compositional_parity as fig16  # noqa: E402

from skill_physics.fits import fit_skills, skills_from_losses  # noqa: E402
from skill_physics.modularity import train_two_task  # noqa: E402
from skill_physics.paper.figure import Context, cache_path, cached  # noqa: E402


def figure_data(fig, preset):
    """A figure's computed arrays: its cache when present, else computed (and cached)."""
    cfg, ctx = dict(fig.presets[preset]), Context(progress=True)
    return cached(cache_path(fig, preset, cfg, ctx), lambda: fig.compute(cfg, ctx))[0], cfg


def parity_skills(accuracy):
    """Skills in [0, 1] of parity accuracies (chance 1/2): (T, R, K) -> (R, T, K)."""
    return np.moveaxis(np.clip(2 * np.asarray(accuracy) - 1, 0, 1), 1, 0)


def networks(quick):
    """(name, skills (R, T, K), steps, frequencies) of every network fitted."""
    preset = "quick" if quick else "paper"
    d2, c2 = figure_data(fig2.FIG, preset)
    at = c2["p2"].index(0.1)
    yield "Fig 2: x1⊕x2 (p 1), x3⊕x4 (p 0.1)", parity_skills(d2["bottom"]["accuracy"][:, :, at]), [1.0, 0.1]
    d16, _ = figure_data(fig16.FIG, preset)
    yield "Fig 16 E1: x1⊕x2, x3⊕x4, their composition", parity_skills(d16["e1"]["accuracy"]), [1.0, 1.0, 1.0]
    yield "Fig 16 E2: x1⊕x2, x3⊕x4, an unrelated parity", parity_skills(d16["e2"]["accuracy"]), [1.0, 1.0, 1.0]
    runs, steps = (2, 300) if quick else (5, 1000)
    for label, modular in (("non-modular", False), ("modular", True)):
        out = train_two_task(np.arange(runs), [modular] * runs, steps=steps, stop_when_learned=False)
        skills = skills_from_losses(np.moveaxis(np.asarray(out["mse"], float), 1, 0), "linear")
        yield f"Fig 19 {label} MLP: x1² (p 0.99), x2² (p 0.01)", skills, [0.99, 0.01]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds and steps (seconds)")
    args = parser.parse_args(argv)
    print(f"{'network':48s} {'runs':>4s} {'N0 (median, range)':>24s} {'competition':>11s} {'error':>9s} "
          f"{'x Domino':>9s} {'x parallel':>10s} {'delay ratio':>11s}")
    for name, skills, p in networks(args.quick):
        steps = np.arange(1, skills.shape[1] + 1)
        fit = fit_skills(skills, steps, frequencies=p, completion=0.9, onset=0.1)
        learned = ~np.isnan(fit.completion).any(-1)
        n0 = f"{np.median(fit.n0):.3g} ({fit.n0.min():.2g}-{fit.n0.max():.2g})"
        delay = np.nanmedian(fit.delay_ratio[:, 0]) if learned.any() else np.nan
        print(f"{name:48s} {len(skills):4d} {n0:>24s} {np.median(fit.competition):11.2f} "
              f"{np.median(fit.error):9.2g} {np.median(fit.domino_error / fit.error):9.3g} "
              f"{np.median(fit.parallel_error / fit.error):10.3g} {delay:11.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
