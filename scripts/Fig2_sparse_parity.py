"""Fig 2: the Domino effect in a real MLP on multitask sparse parity (arXiv 2501.12391, Fig. 2).

Top (the paper panel): Case 1, x1⊕x2 (p1 = 1) and x3⊕x4 (p2 = 0.1); Case 2, two 2-bit
parities and their 4-bit composition. Bottom (``_bottom``, the paper's lower row): the two-parity run
for p2 = 1, 0.5, 0.2, 0.1, 0.05. Case 1 is the p2 = 0.1 run of the bottom row (computed once). Every setting runs on
several seeds in one batched program: the plots show the paper's seed (the first), the claims give its value and the
median and range over seeds. Under ``rng="original"`` (the paper preset) the paper's seed replays the paper code's
run draw for draw, and further claims (``..._original_run``) check that run's numbers at their printed precision.
"""
import matplotlib.pyplot as plt
import numpy as np

from skill_physics.measure import crossing_times
from skill_physics.paper.figure import REPLAYED, FigureScript, claim, main, printed, seed_claims
from skill_physics.paper.panels import plot_seed_curves
from skill_physics.paper.replay.parity import RNG_NOTE, SWAPPED_PAIR, figure_experiment
from skill_physics.sparse_parity import COMPOSITION, TWO_PARITIES

PAPER = {
    "n_samples": 10_000,                     # random 32-bit inputs (all train in Case 1 / bottom)
    "steps": 1000,                           # full-batch Adam steps per run
    "p2": [1.0, 0.5, 0.2, 0.1, 0.05],        # frequency of task 2 (x3⊕x4) in the bottom row; task 1 has p1 = 1
    "case1_p2": 0.1,                         # the bottom-row run shown as Case 1
    "bottom_seeds": [4, 0, 1, 2, 3],         # paper seed 4 first (plotted), then four more for the spread
    "case2_seeds": [1, 0, 2, 3, 4],          # paper seed 1 first (plotted)
    "case2_train_fraction": 0.8,             # Case 2 trains on 8 000 of the 10 000 rows
    "rng": "original",                       # replay the paper code's streams (every seed, each its own)
}
QUICK = {
    "n_samples": 400,                        # p2 = 0.05 still gives a whole 20 rows
    "steps": 40,                             # far from learned: the smoke test checks structure, not claims
    "p2": [1.0, 0.5, 0.2, 0.1, 0.05],
    "case1_p2": 0.1,
    "bottom_seeds": [4, 0],
    "case2_seeds": [1, 0],
    "case2_train_fraction": 0.8,
    "rng": "original",
}


def compute(cfg, ctx):
    seeds = [s + ctx.seed for s in cfg["bottom_seeds"]]
    p2 = np.asarray(cfg["p2"])
    runs = [(s, q) for s in seeds for q in p2]              # every seed with every p2: one stacked program
    bottom = figure_experiment([s for s, _ in runs], TWO_PARITIES, rng=cfg["rng"], steps=cfg["steps"],
                               frequencies=[[1.0, q] for _, q in runs], n_samples=cfg["n_samples"],
                               device=ctx.device, progress="Fig 2 bottom" if ctx.progress else False)
    shape = (len(seeds), len(p2))
    bottom = {"accuracy": bottom["accuracy"].reshape(cfg["steps"], *shape, 2),
              "train_rmse": bottom["train_rmse"].reshape(cfg["steps"], *shape)}
    case2 = figure_experiment([s + ctx.seed for s in cfg["case2_seeds"]], COMPOSITION, rng=cfg["rng"],
                              output_order=SWAPPED_PAIR, steps=cfg["steps"], n_samples=cfg["n_samples"],
                              train_fraction=cfg["case2_train_fraction"], device=ctx.device,
                              progress="Fig 2 case 2" if ctx.progress else False)
    return {"bottom": bottom, "case2": case2}


def plot(data, cfg):
    acc = data["bottom"]["accuracy"][:, 0]                  # the paper seed: (steps, p2, task)
    steps = np.arange(acc.shape[0])
    case1 = acc[:, cfg["p2"].index(cfg["case1_p2"])]
    top, axes = plt.subplots(1, 2, figsize=(12, 3))
    for ax, curves, title in zip(axes, (case1, data["case2"]["accuracy"][:, 0]), ("Case 1", "Case 2")):
        for k in range(curves.shape[1]):
            ax.plot(steps, curves[:, k], color=f"C{k}")
        ax.set_title(title, fontsize=15)
        ax.set_xlim(0, len(steps))
        ax.set_xlabel("training steps", fontsize=12)
        ax.set_ylabel("accuracy", fontsize=12)
    bottom, axes = plt.subplots(1, 5, figsize=(10, 2), sharey=True)
    for i, (ax, q) in enumerate(zip(axes, cfg["p2"])):
        ax.plot(steps, acc[:, i, 0], color="C0")
        ax.plot(steps, acc[:, i, 1], color="C1")
        ax.set_title(f"$p_2={q:.2f}$")
        ax.set_xlabel("steps", fontsize=12)
        if i == 0:
            ax.set_ylabel("accuracy", fontsize=12)
        else:
            ax.tick_params(axis="y", left=False, labelleft=False)
    return {"": top, "bottom": bottom, "seeds": plot_seeds(data, cfg)}


def plot_seeds(data, cfg):
    """Supplement: every seed of the bottom row and of Case 2 (thin lines; the paper's seed thick)."""
    acc, case2 = data["bottom"]["accuracy"], data["case2"]["accuracy"]
    fig, axes = plt.subplots(1, 6, figsize=(13, 2.2), sharey=True)
    panels = [(acc[:, :, i], f"$p_2={q:.2f}$") for i, q in enumerate(cfg["p2"])] + [(case2, "Case 2")]
    for ax, (curves, title) in zip(axes, panels):
        plot_seed_curves(ax, curves, title)
    axes[0].set_ylabel(f"accuracy\n({acc.shape[1]} seeds)", fontsize=12)
    return fig


def t95(accuracy):
    """First index with accuracy >= 0.95 (NaN: never)."""
    return crossing_times(accuracy, 0.95, strict=False)


def delay(t_late, t_early, steps):
    """t_late / t_early; a late task that never arrives counts as ``steps`` (a lower bound), an early one as NaN."""
    return np.where(np.isnan(t_late), steps, t_late) / t_early


# the sentences of the quantities that both a seed claim and a replayed claim check
SAYS = {"case2_delay": "Case 2: t0.95 of the composite over the later t0.95 of its two parts",
        "case2_composite_when_parts_at_0.95":
            "Case 2: the composite's accuracy when both parts first reach 0.95 (near chance)",
        "case2_t95_parts_composite": "Case 2: t0.95 of x1⊕x2, x3⊕x4 and the composite (paper's seed)",
        "final_rmse_p0.10": "Case 1 (p2 = 0.1): final training RMSE"}


def ratio_says(q):
    return f"delay of task 2: t0.95(task 2) / t0.95(task 1) at p2 = {q:.2f}"


def claims(data, cfg):
    steps, p2 = cfg["steps"], cfg["p2"]
    acc = data["bottom"]["accuracy"]                        # (steps, seed, p2, task)
    t = t95(acc)                                            # (seed, p2, task)
    ratio = delay(t[..., 1], t[..., 0], steps)              # (seed, p2)
    col = {q: i for i, q in enumerate(p2)}
    rows = []
    for q, ref in zip(p2, (1.21, 1.44, 1.90, 2.16, 2.75)):
        if q == 1.0:
            tol, test = "within [0.7, 1.5]", lambda r: 0.7 <= r <= 1.5
        elif q == 0.1:
            tol, test = "within [1.5, 4.0] (and < p1/p2 = 10)", lambda r: 1.5 <= r <= 4.0
        else:
            tol, test = f"< p1/p2 = {1 / q:.0f} (far below it)", lambda r, bound=1 / q: r < bound
        rows += seed_claims(f"ratio_t95_p{q:.2f}", ref, ratio[:, col[q]], tol + "; never: steps/t1",
                            test, says=ratio_says(q))
    rows += seed_claims("ratio_t95_p0.05_gt_p1.00", True, ratio[:, col[0.05]] > ratio[:, col[1.0]], "exact",
                        lambda held: held, says="the delay is longer at p2 = 0.05 than at p2 = 1")
    spread = t[..., 0].max(1) / t[..., 0].min(1)
    rows += seed_claims("t95_task1_spread", 1.06, spread, "<= 1.25", lambda s: s <= 1.25,
                        says="task 1's t0.95, largest over smallest across the five p2: task 2 does not slow it")
    case1 = acc[:, :, col[cfg["case1_p2"]]]                 # (steps, seed, task)
    done = crossing_times(case1[..., 0], 1.0, strict=False)
    task2_then = np.array([case1[int(d), s, 1] if np.isfinite(d) else np.nan for s, d in enumerate(done)])
    rows += seed_claims("case1_task2_when_task1_at_1.0", 0.545, task2_then, "< 0.6", lambda a: a < 0.6,
                        says="Case 1: task 2's accuracy when task 1 first reaches 100 % (near chance)")
    c2 = data["case2"]["accuracy"]                          # (steps, seed, task)
    tc = t95(c2)
    parts = tc[:, :2].max(1)
    rows += seed_claims("case2_composite_delay", 1.90, delay(tc[:, 2], parts, steps), "within [1.2, 2.5]",
                        lambda r: 1.2 <= r <= 2.5, says=SAYS["case2_delay"])
    last = np.isfinite(parts) & (np.isnan(tc[:, 2]) | (tc[:, 2] > parts))
    rows += seed_claims("case2_composite_last", True, last, "exact, in every seed", lambda held: held,
                        says="Case 2: the composite is learned after both its parts")
    before = np.array([c2[int(t), s, 2] if np.isfinite(t) else np.nan for s, t in enumerate(parts)])
    rows += seed_claims("case2_composite_when_parts_at_0.95", 0.51, before, "< 0.55", lambda a: a < 0.55,
                        says=SAYS["case2_composite_when_parts_at_0.95"])
    rows.append(claim("case2_t95_parts_composite", [284, 258, 540], tc[0],
                      "all reach 0.95 within the run (order x1⊕x2, x3⊕x4, composite)", np.isfinite(tc[0]).all(),
                      says=SAYS["case2_t95_parts_composite"]))
    rmse = data["bottom"]["train_rmse"][-1, :, col[cfg["case1_p2"]]]
    rows += seed_claims("final_rmse_p0.10", 0.0092, rmse, "<= 0.05", lambda r: r <= 0.05,
                        says=SAYS["final_rmse_p0.10"])
    if cfg["rng"] == "original":
        rows += original_run_claims(t[0], ratio[0], tc[0], before[0], rmse[0], p2, steps)
    return rows


# The paper code's own runs (seed 4: bottom row and Case 1; seed 1: Case 2), as its notebooks compute them: first
# step with accuracy >= 0.95 (the accuracy a float32 mean, as the original records it) and the final training RMSE.
# Numbers as printed: a replayed number must equal them to half a unit of the last printed digit.
ORIGINAL_RUN = {
    "t95_bottom": [[183, 222], [173, 249], [176, 335], [178, 385], [178, 490]],   # p2 = 1 ... 0.05, (task 1, task 2)
    "ratio_t95": ["1.213", "1.439", "1.903", "2.163", "2.753"],
    "case2_t95": [284, 258, 540],             # x1⊕x2, x3⊕x4, composite
    "case2_delay": "1.90",
    "case2_composite_when_parts_at_0.95": "0.5155",
    "final_rmse_p0.10": "0.00916",
}


def original_run_claims(t, ratio, tc, composite, rmse, p2, steps):
    """Tight claims on the paper seed's run under ``rng="original"``: it is the paper code's run, so its numbers must
    equal that run's at their printed precision. t (p2, task) and ratio (p2,) of the bottom row; tc (3,) and
    composite of Case 2; rmse the final RMSE of Case 1."""
    ref = ORIGINAL_RUN
    rows = [claim("t95_bottom_original_run", ref["t95_bottom"], t, "equal (the paper code's seed-4 runs)",
                  np.array_equal(t, ref["t95_bottom"]),
                  says="lower row: t0.95 of both tasks at every p2 (paper's seed)" + REPLAYED)]
    rows += [printed(f"ratio_t95_p{q:.2f}_original_run", target, r, says=ratio_says(q))
             for q, r, target in zip(p2, ratio, ref["ratio_t95"])]
    rows.append(claim("case2_t95_parts_composite_original_run", ref["case2_t95"], tc,
                      "equal (the paper code's seed-1 run; x1⊕x2, x3⊕x4, composite)",
                      np.array_equal(tc, ref["case2_t95"]), says=SAYS["case2_t95_parts_composite"] + REPLAYED))
    rows += [printed(f"{name}_original_run", ref[name], ours, says=SAYS[name])
             for name, ours in (("case2_delay", delay(tc[2], tc[:2].max(), steps)),
                                ("case2_composite_when_parts_at_0.95", composite), ("final_rmse_p0.10", rmse))]
    return rows


FIG = FigureScript(
    number=2, slug="sparse_parity", presets={"paper": PAPER, "quick": QUICK}, compute=compute, plot=plot,
    claims=claims,
    notes=["Top and bottom rows are two outputs (Fig2_sparse_parity and Fig2_sparse_parity_bottom), as the original's "
           "two pdfs; they show the paper's seed (4 bottom, 1 Case 2) of 5 seeds run; claims give that seed's value "
           "and the median, min, max over seeds.",
           "Task-2 frequency p2: at each step task 2's loss sits on a fresh, uniformly random subset of exactly p2*n "
           "training rows, the loss still divided by all 2n entries. Under rng 'original' these are the last p2*n "
           "positions of the step's permuted batch (the original's positional mask); under 'counter', the first "
           "p2*n positions of a randperm.",
           RNG_NOTE,
           "Case 2's network has the original's output order (x3⊕x4, x1⊕x2, composite), which decides each task's "
           "initial weights; records and colours follow bit order (C0 = x1⊕x2), so C0 and C1 are swapped relative to "
           "the paper's image, whose blue curve is x3⊕x4.",
           "The composite's accuracy when both parts first reach 0.95 (paper ≈ 0.51) is the paper seed's value: the "
           "replay gives the paper code's 0.5155 (step 284) for seed 1, the lowest of the five seeds; on seeds 1, 0, "
           "2, 3, 4 the median is 0.661 and the maximum 0.728, so case2_composite_when_parts_at_0.95_over_seeds "
           "misses < 0.55. The paper's number is one run's, not a typical one.",
           "Bottom panels share one y axis (ticks on the first panel only, as in the paper).",
           "Supplement Fig2_sparse_parity_seeds: all seeds of the bottom row and of Case 2 (paper seed thick)."])

if __name__ == "__main__":
    raise SystemExit(main(FIG))
