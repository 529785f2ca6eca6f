"""Fit the Resource model to the paper's real networks (arXiv 2501.12391, Figs 2, 16, 19): how serially do they learn?

    python scripts/fit_real_networks.py            # the figures' networks at the paper's sizes, 5 seeds: ~2 min
    python scripts/fit_real_networks.py --quick    # 2 seeds, smaller data and fewer steps: seconds

Every network is trained here with the package's own (counter) random streams, seeds 0 .. 4, so the seeds are not the
paper's draws, and fitted with ``fits.fit_skills``. Parity accuracies (chance 1/2) become skills 2 acc - 1; the
two-task MLP's per-task MSE becomes the MSE form's skill 1 - sqrt(loss / loss_0). Steps count updates: the first
record is after update 1. Prints one row per network (medians over seeds, the range in brackets) and, for Fig 2, the
paper's falsifiable expectation: the best fit beats the parallel limit by a clear margin.
"""
import argparse
import time

import numpy as np
import torch

from skill_physics.fits import fit_skills, skills_from_losses
from skill_physics.modularity import train_two_task
from skill_physics.paper.replay.parity import SWAPPED_PAIR, figure_experiment
from skill_physics.sparse_parity import COMPOSITION, INDEPENDENT, TWO_PARITIES

PAPER = {"seeds": 5, "n_samples": 10_000, "parity_steps": 1000, "e2_steps": 3000, "mlp_steps": 1000}
QUICK = {"seeds": 2, "n_samples": 2000, "parity_steps": 600, "e2_steps": 600, "mlp_steps": 600}


def parity_skills(accuracy):
    """Skills (R, T, K) in [0, 1] of parity accuracies (T, R, K), chance 1/2."""
    return np.moveaxis(np.clip(2 * np.asarray(accuracy, float) - 1, 0, 1), 1, 0)


def networks(cfg):
    """(name, skills (R, T, K), frequencies (K,)) of every network fitted, trained here."""
    seeds, n = list(range(cfg["seeds"])), cfg["n_samples"]
    fig2 = figure_experiment(seeds, TWO_PARITIES, rng="counter", steps=cfg["parity_steps"], frequencies=[1.0, 0.1],
                             n_samples=n)
    yield "Fig 2: x1⊕x2 (p 1), x3⊕x4 (p 0.1)", parity_skills(fig2["accuracy"]), [1.0, 0.1]
    e1 = figure_experiment(seeds, COMPOSITION, rng="counter", steps=cfg["parity_steps"], n_samples=n,
                           train_fraction=0.8, output_order=SWAPPED_PAIR)
    yield "Fig 16 E1: x1⊕x2, x3⊕x4, x1⊕x2⊕x3⊕x4", parity_skills(e1["accuracy"]), [1.0, 1.0, 1.0]
    e2 = figure_experiment(seeds, INDEPENDENT, rng="counter", steps=cfg["e2_steps"], n_samples=n, train_fraction=0.8,
                           output_order=SWAPPED_PAIR)
    yield "Fig 16 E2: x1⊕x2, x3⊕x4, x5⊕x6⊕x7⊕x8", parity_skills(e2["accuracy"]), [1.0, 1.0, 1.0]
    for label, modular in (("non-modular", False), ("modular", True)):
        out = train_two_task(seeds, modular, steps=cfg["mlp_steps"], stop_when_learned=False)
        mse = np.moveaxis(np.asarray(out.mse[:-1], float), 1, 0)     # (R, T, 2), before each update
        yield f"Fig 19 {label}: x1² (p 0.99), x2² (p 0.01)", skills_from_losses(mse, "sqrt"), [0.99, 0.01]


def spread(values, fmt):
    """'median (min-max)' over seeds; 'never' where no seed has the number (a skill never completed)."""
    if np.isnan(values).all():
        return "never"
    return f"{np.nanmedian(values):{fmt}} ({np.nanmin(values):{fmt}}-{np.nanmax(values):{fmt}})"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, smaller data, fewer steps (seconds)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    cfg = QUICK if args.quick else PAPER
    start = time.perf_counter()
    print(f"{'network':46s} {'N0':>21s} {'competition':>11s} {'error':>8s} {'x Domino':>16s} {'x parallel':>16s} "
          f"{'after prev.':>11s} {'delay ratio':>16s} {'p ratio':>7s}")
    for name, skills, p in networks(cfg):
        steps = np.arange(1, skills.shape[1] + 1) if "Fig 19" not in name else np.arange(skills.shape[1])
        fit = fit_skills(skills, steps, frequencies=p)
        after, delay = fit.after_previous[:, -1], fit.delay_ratio[:, -1]      # the rarest (or last) skill
        print(f"{name:46s} {spread(fit.n0, '.2g'):>21s} {np.median(fit.competition):11.2f} "
              f"{np.median(fit.error):8.2g} {spread(fit.domino_factor, '.3g'):>16s} "
              f"{spread(fit.parallel_factor, '.3g'):>16s} {spread(after, '.2f').split()[0]:>11s} "
              f"{spread(delay, '.3g'):>16s} "
              f"{fit.frequency_ratio[-1]:7.3g}")
        if name.startswith("Fig 2"):
            fig2 = fit
    margin = fig2.parallel_factor
    print(f"\nFig 2's expectation, the best fit beats the parallel limit by a clear margin: the parallel limit's error "
          f"is {margin.min():.3g} to {margin.max():.3g} times the best fit's over {len(margin)} seeds "
          f"({'holds' if margin.min() > 2 else 'does not hold'} at a margin of 2)")
    print(f"{time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
