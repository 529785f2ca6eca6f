"""Fig 5: the Geometry model with K power-law tasks: from parallel (alpha = 1) to sequential (alpha = 4) learning.

arXiv:2501.12391, Fig. 5. 15 SignGD runs (alpha in {1, 2, 4} x K in {2, 3, 4, 5, 10}, new orthogonal vectors per
run) stacked in one engine call, every run padded to 10 tasks with zero-frequency zero rows. The figure is the
skill grid; the aligned-dimension grid is a supplement.
"""
import matplotlib.pyplot as plt
import numpy as np

from skill_physics import crossing_times, power_law_frequencies, train_geometry
from skill_physics.batching import pad_stack, stacked_task_vectors
from skill_physics.figure import FigureScript, claim, main, within
from skill_physics.panels import plot_aligned_dimensions, plot_skills

PAPER = {
    "alphas": [1.0, 2.0, 4.0],          # grid rows: frequency exponent, p_k ~ k^-alpha
    "n_tasks": [2, 3, 4, 5, 10],        # grid columns: K
    "n_dim": 1000,                      # N
    "batch_size": 128,                  # B task samples per step (mimic gradient, no noise)
    "lr": 3e-4,                         # SignGD learning rate
    "steps": 3000,                      # updates per run
    "seed": 2,                          # seeds the task vectors (drawn run after run) and the batches
    "threshold": 0.9,                   # t0.9 = first step with s > 0.9
}
QUICK = {
    **PAPER,
    "n_dim": 200,                       # cheap orthogonal vectors; lr * sqrt(1000/200) keeps SignGD's time scale
    "lr": 3e-4 * 5 ** 0.5,
    "steps": 1500,
}


def compute(cfg, ctx):
    seed = cfg["seed"] + ctx.seed
    runs = [(a, k) for a in cfg["alphas"] for k in cfg["n_tasks"]]   # alpha outer, K inner (the original order)
    n_pad = max(cfg["n_tasks"])
    vectors = stacked_task_vectors("orthogonal", [k for _, k in runs], cfg["n_dim"], seed, n_pad=n_pad)
    p = pad_stack([power_law_frequencies(k, a) for a, k in runs])
    rec = train_geometry(vectors, p, steps=cfg["steps"], lr=cfg["lr"], batch_size=cfg["batch_size"], seeds=seed,
                         record_align=True, progress=ctx.progress and "Fig 5 runs")
    shape = (len(rec.steps), len(cfg["alphas"]), len(cfg["n_tasks"]), n_pad)
    return {"steps": rec.steps, "skills": rec.skills.reshape(shape), "n_align": rec.n_align.reshape(shape)}


def t09(data, cfg, alpha, n_tasks):
    """t0.9 of the K tasks of one run (NaN = never)."""
    i, j = cfg["alphas"].index(alpha), cfg["n_tasks"].index(n_tasks)
    return crossing_times(data["skills"][:, i, j, :n_tasks], cfg["threshold"], steps=data["steps"])


def grid(data, cfg, key, ylabel, ylim):
    """The 3 x 5 grid of panels, one line per task (viridis index colouring)."""
    fig, axes = plt.subplots(len(cfg["alphas"]), len(cfg["n_tasks"]), figsize=(12, 4),
                             gridspec_kw={"wspace": 0, "hspace": 0}, squeeze=False)
    for i, alpha in enumerate(cfg["alphas"]):
        for j, K in enumerate(cfg["n_tasks"]):
            ax = axes[i, j]
            series = data[key][:, i, j, :K]
            if key == "n_align":
                plot_aligned_dimensions(ax, data["steps"], series)
            else:
                plot_skills(ax, series, data["steps"], [str(k + 1) for k in range(K)])
            ax.set_xlim(0, 1000)
            ax.set_ylim(*ylim)
            if i == 0 and key == "skills":
                ax.legend(loc="upper right", fontsize=80 / (K + 10))
            if i == len(cfg["alphas"]) - 1:
                ax.set_xlabel("training steps", fontsize=12)
                ax.set_xticks([0, 500])
            else:
                ax.set_xticks([])
            if j == 0:
                ax.set_ylabel(f"$\\alpha=${alpha} \n {ylabel}", fontsize=15)
            else:
                ax.set_yticks([])
    return fig


def plot(data, cfg):
    n = cfg["n_dim"]
    return {"": grid(data, cfg, "skills", "skill level", (-0.05, 1.05)),
            "nalign": grid(data, cfg, "n_align", "$n_{\\rm align}$", (-0.05 * n, 1.05 * n))}


def claims(data, cfg):
    a4, a2, a1 = t09(data, cfg, 4.0, 10), t09(data, cfg, 2.0, 10), t09(data, cfg, 1.0, 10)
    n_learned = int(np.sum(a4 < cfg["steps"]))
    return [
        claim("a4_K10_n_learned", 6, n_learned, "exact", n_learned == 6),
        claim("a4_K10_t09_task3", 393, a4[2], "±5 %", within(a4[2], 393, rel=0.05)),
        claim("a4_K10_t09_task5", 1325, a4[4], "±20 %", within(a4[4], 1325, rel=0.2)),
        claim("a2_K10_t09_last", 662, a2[9], "±5 %", within(a2[9], 662, rel=0.05)),
        claim("a1_K10_spread", 2.40, a1[9] / a1[0], "±10 %", within(a1[9] / a1[0], 2.40, rel=0.1)),
        claim("a4_K10_spread", 18.6, a4[5] / a4[0], "±20 %", within(a4[5] / a4[0], 18.6, rel=0.2)),
    ]


FIG = FigureScript(
    number=5, slug="geometry_many_tasks", presets={"paper": PAPER, "quick": QUICK},
    compute=compute, plot=plot, claims=claims,
    notes=["The skill grid is the figure; the aligned-dimension grid (original effind_ntask_nalign) is the "
           "supplement _nalign (Gaussian smoothing sigma = 10 steps over the raw series).",
           "All 15 runs in one engine call, padded to 10 tasks with zero-frequency zero-vector rows; task vectors "
           "drawn run after run from one torch.Generator seeded 2; batches from engine seed 2 for every run "
           "(common random numbers)."])

if __name__ == "__main__":
    raise SystemExit(main(FIG))
