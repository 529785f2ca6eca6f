"""Fig 5: the Geometry model with K power-law tasks: from parallel (alpha = 1) to sequential (alpha = 4) learning.

arXiv:2501.12391, Fig. 5. 15 SignGD runs (alpha in {1, 2, 4} x K in {2, 3, 4, 5, 10}, new orthogonal vectors per
run) stacked in one engine call, every run padded to 10 tasks with zero-frequency zero rows. The figure is the
skill grid; the aligned-dimension grid is a supplement.

Under rng='original' (the paper preset) the runs replay the original code's draws. It seeds torch and NumPy with 2
once; each run (alpha outer, K inner) draws a float32 ``randn(1000, 1000)`` whose SVD gives its vectors (rows of U),
then per step ``choice(K, 128, p)`` and a ``randn(1000)`` scaled by 0. Run j therefore starts after j runs' draws:
both streams are advanced over them (the zero-scaled noise included, as it moves torch's stream).
"""
import matplotlib.pyplot as plt
import numpy as np

from skill_physics import crossing_times, power_law_frequencies, train_geometry
from skill_physics.batching import pad_stack, stacked_task_vectors
from skill_physics.paper.figure import FigureScript, claim, main, printed, within
from skill_physics.paper.panels import plot_aligned_dimensions, plot_skills
from skill_physics.paper.replay.geometry import MIMIC, original_draws, original_orthogonal_rows, original_record
from skill_physics.paper.replay.streams import advance, clone, generators, original_power_law

PAPER = {
    "alphas": [1.0, 2.0, 4.0],          # grid rows: frequency exponent, p_k ~ k^-alpha
    "n_tasks": [2, 3, 4, 5, 10],        # grid columns: K
    "n_dim": 1000,                      # N
    "batch_size": 128,                  # B task samples per step (mimic gradient, no noise)
    "lr": 3e-4,                         # SignGD learning rate
    "steps": 3000,                      # updates per run
    "seed": 2,                          # seeds the task vectors (drawn run after run) and the batches
    "threshold": 0.9,                   # t0.9 = first step with s > 0.9
    "rng": "original",                  # the original code's draws; 'counter': the package's own streams
}
QUICK = {
    **PAPER,
    "n_dim": 200,                       # cheap orthogonal vectors; lr * sqrt(1000/200) keeps SignGD's time scale
    "lr": 3e-4 * 5 ** 0.5,
    "steps": 1500,
}


def original_tasks(cfg, seed, runs, n_pad):
    """Vectors (R, n_pad, N), frequencies (R, n_pad) and streams of the original's loop over ``runs``."""
    N, B = cfg["n_dim"], cfg["batch_size"]
    pair, vectors, starts = generators(seed), [], []
    for _, K in runs:
        vectors.append(original_orthogonal_rows(pair[0], K, N).numpy())
        starts.append(clone(pair))
        advance(pair, cfg["steps"], B, N)    # the run's batches and its zero-scaled noise draws
    # the streams need no noise draws: the noise is scaled by 0, and its draws were counted by advance() above
    return (pad_stack(vectors), pad_stack([original_power_law(k, a) for a, k in runs]),
            original_draws(starts, B))


def compute(cfg, ctx):
    seed = cfg["seed"] + ctx.seed
    runs = [(a, k) for a in cfg["alphas"] for k in cfg["n_tasks"]]   # alpha outer, K inner (the original order)
    n_pad = max(cfg["n_tasks"])
    if cfg["rng"] == "original":
        vectors, p, draws = original_tasks(cfg, seed, runs, n_pad)
    else:   # vectors drawn run after run from one float64 generator; batches from counter seed 2 for every run
        vectors = stacked_task_vectors("orthogonal", [k for _, k in runs], cfg["n_dim"], seed, n_pad=n_pad)
        p, draws = pad_stack([power_law_frequencies(k, a) for a, k in runs]), {"seeds": seed}
    rec = train_geometry(vectors, p, steps=cfg["steps"], lr=cfg["lr"], batch_size=cfg["batch_size"], **MIMIC,
                         record=original_record(cfg["steps"]), record_align=True,
                         progress=ctx.progress and "Fig 5 runs", **draws)
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
            series, labels = data[key][:, i, j, :K], [str(k + 1) for k in range(K)]
            if key == "n_align":
                plot_aligned_dimensions(ax, data["steps"], series, labels=labels)
            else:
                plot_skills(ax, series, data["steps"], labels)
            ax.set_xlim(0, 1000)
            ax.set_ylim(*ylim)
            if i == 0:
                # 7 pt in up to 4 rows, where the alpha = 1 row has no curves: right of the skills' rise (all are 1
                # after ~500 steps), left of the aligned dimensions' raw traces (which start once a task is learned)
                ax.legend(loc="lower right" if key == "skills" else "lower left", fontsize=7, ncol=-(-K // 4),
                          labelspacing=0.1, handlelength=0.9, columnspacing=0.4, borderpad=0.25, handletextpad=0.3)
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
    # y margins keep the 0 and 1 labels of stacked rows apart
    return {"": grid(data, cfg, "skills", "skill level", (-0.12, 1.12)),
            "nalign": grid(data, cfg, "n_align", "$n_{\\rm align}$", (-0.12 * n, 1.12 * n))}


def claims(data, cfg):
    a4, a2, a1 = t09(data, cfg, 4.0, 10), t09(data, cfg, 2.0, 10), t09(data, cfg, 1.0, 10)
    n_learned = int(np.sum(a4 < cfg["steps"]))
    return [
        claim("a4_K10_n_learned", 6, n_learned, "exact", n_learned == 6,
              says="α = 4, K = 10: number of tasks that reach skill 0.9 within the run"),
        claim("a4_K10_t09_task3", 393, a4[2], "±5 %", within(a4[2], 393, rel=0.05),
              says="α = 4, K = 10: step at which task 3 reaches skill 0.9"),
        claim("a4_K10_t09_task5", 1325, a4[4], "±20 %", within(a4[4], 1325, rel=0.2),
              says="α = 4, K = 10: step at which task 5 reaches skill 0.9"),
        claim("a2_K10_t09_last", 662, a2[9], "±5 %", within(a2[9], 662, rel=0.05),
              says="α = 2, K = 10: step at which the last task reaches skill 0.9"),
        claim("a1_K10_spread", 2.40, a1[9] / a1[0], "±10 %", within(a1[9] / a1[0], 2.40, rel=0.1),
              says="α = 1, K = 10: t0.9 of task 10 over t0.9 of task 1 (nearly parallel)"),
        claim("a4_K10_spread", 18.6, a4[5] / a4[0], "±20 %", within(a4[5] / a4[0], 18.6, rel=0.2),
              says="α = 4, K = 10: t0.9 of task 6 over t0.9 of task 1 (sequential)"),
    ] + (replayed_t09(data, cfg) if cfg["rng"] == "original" else [])


# the original's runs: t0.9 of every task (NaN: never within the 3000 steps), rows alpha = 1, 2, 4, K = 2, 3, 4, 5, 10
ORIGINAL_T09 = {1.0: [[151, 185], [170, 215, 233], [182, 240, 264, 277], [187, 255, 287, 307, 311],
                      [200, 309, 349, 393, 414, 438, 445, 462, 471, 480]],
                2.0: [[135, 201], [139, 229, 268], [138, 238, 293, 326], [143, 242, 318, 357, 380],
                      [142, 256, 344, 413, 478, 524, 565, 591, 610, 662]],
                4.0: [[122, 227], [122, 243, 353], [121, 253, 361, 689], [123, 247, 378, 629, 1135],
                      [120, 250, 393, 682, 1325, 2231] + [np.nan] * 4]}


def replayed_t09(data, cfg):
    """Tight claims of the replayed runs, one per alpha: every task's t0.9 in its five runs equals the original's,
    step for step (-1: never passes 0.9 in 3000 steps)."""
    rows = []
    for a in cfg["alphas"]:
        paper = np.concatenate(ORIGINAL_T09[a])
        ours = np.concatenate([t09(data, cfg, a, K) for K in cfg["n_tasks"]])
        row = printed(f"t09_a{a:g}_all_K_exact", np.nan_to_num(paper, nan=-1), np.nan_to_num(ours, nan=-1),
                      decimals=0, says=f"α = {a:g}: t0.9 of every task in all five runs, K = 2, 3, 4, 5, 10 "
                                       "(−1: never)")
        row["tolerance"] += "; -1 = never"
        rows.append(row)
    return rows


FIG = FigureScript(
    number=5, slug="geometry_many_tasks", presets={"paper": PAPER, "quick": QUICK},
    compute=compute, plot=plot, claims=claims,
    notes=["Legends of the top row right of the skills' rise (skill grid) and left of the raw aligned-dimension "
           "traces (supplement, which gains the original's legends); y margins keep stacked rows' labels apart.",
           "The skill grid is the figure; the aligned-dimension grid (the original's second plot of this run) is the "
           "supplement _nalign (Gaussian smoothing sigma = 10 steps over the raw series).",
           "All 15 runs in one engine call, padded to 10 tasks with zero-frequency zero-vector rows.",
           "rng 'original' (paper preset): every run replays the original code's draws (one seed for the loop; each "
           "run's float32 Gaussian matrix, batches and zero-scaled noise continue the streams), so its t0.9 are the "
           "original's ('_exact' claim). --rng counter: vectors drawn run after run from a float64 generator seeded "
           "2, batches from counter seed 2 for every run.",
           "t09_a4_all_K_exact misses by one step in 2 of its 30 values (alpha = 4: task 4 of K = 4 passes 0.9 at "
           "690, the original's 689; task 5 of K = 5 at 1134, the original's 1135); alpha = 1 and 2 (42 values) "
           "are exact. These rare tasks climb a slow staircase, so float32 rounding moves a crossing by a step: "
           "the original loop written out plainly (torch.mean over the batch, torch.optim.Adam) in the tests "
           "gives 690 and 1135, and 617 for task 4 of K = 5, where the engine and the original give 629.",
           "Top-row legends at 7 pt where no curve passes: lower right in the skill grid, lower left in the "
           "supplement (the original scaled them down to ~4 pt at K = 10)."])

if __name__ == "__main__":
    raise SystemExit(main(FIG))
