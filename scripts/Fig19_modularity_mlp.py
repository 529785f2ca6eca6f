"""Fig 19: modularity removes the Domino effect in a real MLP (arXiv:2501.12391, Fig. 19).

Two regression tasks share a [2, 100, 100, 2] SiLU MLP; task 2 is seen on 1 % of the samples. Without modules the rare
task waits for the frequent one (t2 >= 2 t1); with fixed block-diagonal weight masks (one module per task) both are
learned in parallel (t2 ~ t1), at the price of a slower frequent task. All runs of both models are one batched
program (skill_physics.modularity); run i of either model is seeded with i, so both models see the same data and the
same initial weights (before masking).
"""
import matplotlib.pyplot as plt
import numpy as np

from skill_physics.modularity import learned_at, train_two_task
from skill_physics.paper.figure import FigureScript, claim, in_range, main, within

PAPER = {
    "n_runs": 100,              # runs per model; run i uses seed i (+ --seed)
    "widths": [2, 100, 100, 2],  # input, two SiLU hidden layers, output
    "n_samples": 1000,          # full batch, re-drawn in every run
    "frequent_fraction": 0.99,  # 990 task-1 samples, 10 task-2 samples
    "lr": 5e-4,                 # Adam, betas (0.9, 0.999)
    "steps": 1000,              # t_i = steps when task i is never learned
    "threshold": 1e-3,          # task i learned at the first step whose MSE (pre-update prediction) is below this
    "close": 1.25,              # a run learns "in parallel" when t2 <= close * t1
}
QUICK = dict(PAPER, n_runs=4, steps=600)   # the non-modular rare task is learned by ~600 steps in most runs


def compute(cfg, ctx):
    seeds = ctx.seed + np.arange(cfg["n_runs"])
    both = np.concatenate([seeds, seeds])
    modular = np.repeat([False, True], cfg["n_runs"])
    out = train_two_task(both, modular, widths=tuple(cfg["widths"]), steps=cfg["steps"], lr=cfg["lr"],
                         n_samples=cfg["n_samples"], frequent_fraction=cfg["frequent_fraction"],
                         threshold=cfg["threshold"], progress=ctx.progress)
    # (2 n_runs, 2): t1, t2 per run; a task never learned within the steps is drawn on the frame, at t = steps
    times = np.minimum(learned_at(out.mse, cfg["threshold"]), cfg["steps"])
    n = cfg["n_runs"]
    return {"seeds": seeds, "nonmodular": times[:n], "modular": times[n:], "n_rare": out.n_rare[:n]}


def plot(data, cfg):
    fig, axes = plt.subplots(1, 2, figsize=(11, 5))
    top = cfg["steps"]
    s = top / 1000                # the paper's label positions are for 1000 steps
    for ax, key, title in zip(axes, ("nonmodular", "modular"), ("Non-Modular", "Modular")):
        t = data[key]
        ax.scatter(t[:, 0], t[:, 1], alpha=0.5, color="C0", clip_on=False)   # t = steps (never learned): whole
        ax.plot([0, top], [0, top], ls="--", color="red")
        ax.text(600 * s, 680 * s, "$t_2=t_1$", rotation=45, fontsize=20, color="red")
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_title(title, fontsize=15)
        ax.set_xlabel("$t_1$", fontsize=20)
    axes[0].plot([0, top / 2], [0, top], ls="--", color="red")
    axes[0].text(250 * s, 680 * s, "$t_2=2t_1$", rotation=66, fontsize=20, color="red")
    axes[0].set_ylabel("$t_2$", fontsize=20)
    axes[1].set_ylabel("$t_2$", fontsize=20, labelpad=-10)
    return fig


def claims(data, cfg):
    def stats(t):
        ratio = t[:, 1] / t[:, 0]
        return np.median(ratio), np.mean(t[:, 1] <= cfg["close"] * t[:, 0]), np.median(t[:, 0]), np.median(t[:, 1])

    n_ratio, n_close, n_t1, n_t2 = stats(data["nonmodular"])
    m_ratio, m_close, m_t1, _ = stats(data["modular"])
    return [
        claim("nonmod_ratio_median", 2.95, n_ratio, "within [2.3, 3.8]", in_range(n_ratio, 2.3, 3.8),
              says="non-modular: median t2/t1 over the runs (the rare task waits)"),
        claim("nonmod_frac_close", 0.0, n_close, "<= 0.05", n_close <= 0.05,
              says="non-modular: share of runs with t2 ≤ 1.25 t1"),
        claim("mod_ratio_median", 1.28, m_ratio, "within [0.9, 1.7]", in_range(m_ratio, 0.9, 1.7),
              says="modular: median t2/t1 over the runs"),
        claim("mod_frac_close", 0.43, m_close, ">= 0.25", m_close >= 0.25,
              says="modular: share of runs with t2 ≤ 1.25 t1"),
        claim("nonmod_t1_median", 155, n_t1, "±20 %", within(n_t1, 155, rel=0.2), says="non-modular: median t1"),
        claim("nonmod_t2_median", 456.5, n_t2, "±20 % (headline value of the original code)",
              within(n_t2, 456.5, rel=0.2), says="non-modular: median t2"),
        claim("mod_t1_slower", "median t1 modular > non-modular (≈ 277 vs 155)", [m_t1, n_t1], "exact",
              bool(m_t1 > n_t1),
              says="the modular model learns the frequent task later (median t1: modular, non-modular)"),
    ]


FIG = FigureScript(
    number=19, slug="modularity_mlp", presets={"paper": PAPER, "quick": QUICK},
    compute=compute, plot=plot, claims=claims,
    notes=["Run i is seeded with i (torch.Generator per run for the initialisation and the data); the original never "
           "set a seed, so its points are not reproducible and ours differ point by point.",
           "Both models in one script and one batched program; the modular and the non-modular run i share data and "
           "initial weights.",
           "A run leaves the batch once both tasks are learned (its t1, t2 are then known; runs are independent).",
           "Markers on the frame (t = 1000: the task was never learned in the 1000 steps) are drawn whole."])

if __name__ == "__main__":
    raise SystemExit(main(FIG))
