"""Fig 15: Adam vs AdEMAMix vs Lion in the Geometry model (CE) with gradient noise (arXiv 2501.12391, Fig 15).

For each task number K the three optimizers see the same task vectors, batches and noise. The six (K, sigma)
settings are stacked into one ``train_geometry`` call per optimizer, padding K = 10 to 40 with zero-frequency zero
rows. Under rng='original' (the paper preset) every draw is the original code's: each (K, sigma, optimizer) run
seeds torch and NumPy with 7, draws a 10 x 10 Gaussian matrix it never uses, then its vectors
``randn(K, 10) / sqrt(10)`` in float32; each step draws ``choice(K, 128, p)`` and ``randn(10)`` (also at sigma = 0).
"""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import LogFormatterSciNotation, LogLocator, NullFormatter

from skill_physics import power_law_frequencies, task_vectors, train_geometry
from skill_physics.measure import crossing_times
from skill_physics.paper.figure import FigureScript, claim, main, printed, task_colors, within
from skill_physics.paper.replay.geometry import AUTOGRAD, original_draws, original_record, original_start
from skill_physics.paper.replay.streams import original_power_law

PAPER = {
    "n_dim": 10,                  # N: under-parameterised for K = 40
    "task_numbers": [10, 40],     # K
    "alpha": 2.0,                 # p_k ~ k^-2
    "vectors": "random_scaled",   # t_k ~ N(0, I_N / N), not normalised
    "noises": [0.0, 0.2, 1.0],    # gradient-noise scale sigma
    "batch_size": 128,
    "lr": 0.01,
    "steps": 15_000,              # records 0 .. 14 999, before each update
    "seed": 7,                    # task vectors, batches and noise of every run (common random numbers)
    "rng": "original",            # the original code's draws; 'counter': the package's own streams
    "final_window": 1000,         # "final loss" = mean over the last 1000 records
    "optimizers": {               # legend name -> (package optimizer, options)
        "Adam": ("adam", {"betas": (0.9, 0.95)}),
        "AdEMAMix": ("ademamix", {"betas": (0.9, 0.999, 0.9999), "alpha": 2.0}),
        "Lion": ("lion", {"betas": (0.9, 0.99)}),
    },
}
QUICK = {**PAPER,
         "steps": 1000,
         "final_window": 100}

SCATTER = (40, 0.2)    # the (K, sigma) of the final-skill scatter plots


def settings(cfg):
    """The stacked (K, sigma) settings, K outer."""
    return [(K, s) for K in cfg["task_numbers"] for s in cfg["noises"]]


def padded_tasks(cfg, seed):
    """Task vectors (R, K_max, N) and frequencies (R, K_max) of every setting, zero-padded to K_max tasks, and the
    random-number arguments of ``train_geometry``: each run's streams where the original's (re-seeded per run)
    training loop starts under rng='original', else the counter seed."""
    k_max, N = max(cfg["task_numbers"]), cfg["n_dim"]
    vectors = np.zeros((len(settings(cfg)), k_max, N), dtype=np.float32)
    freqs = np.zeros((len(settings(cfg)), k_max))
    pairs = []
    for r, (K, _) in enumerate(settings(cfg)):
        if cfg["rng"] == "original":
            pair, v = original_start(seed, cfg["vectors"], K, N, discard=(N, N))
            vectors[r, :K], freqs[r, :K] = v.numpy(), original_power_law(K, cfg["alpha"])
            pairs.append(pair)
        else:
            vectors[r, :K] = task_vectors(cfg["vectors"], K, N, seed=seed).numpy()   # same per K
            freqs[r, :K] = power_law_frequencies(K, cfg["alpha"])
    if cfg["rng"] == "original":
        draws = original_draws(pairs, cfg["batch_size"], noise_size=N)
    else:
        draws = {"seeds": seed}
    return vectors, freqs, draws


def key(K, sigma):
    return f"K{K}_s{sigma:g}"


def compute(cfg, ctx):
    seed = cfg["seed"] + ctx.seed
    noise = np.array([s for _, s in settings(cfg)])
    data = {}
    for name, (optimizer, options) in cfg["optimizers"].items():
        vectors, freqs, draws = padded_tasks(cfg, seed)    # fresh streams: each optimizer's runs re-seed
        rec = train_geometry(vectors, freqs, steps=cfg["steps"], lr=cfg["lr"], optimizer=optimizer, loss="ce",
                             **AUTOGRAD, batch_size=cfg["batch_size"], noise=noise, optimizer_options=options,
                             record=original_record(cfg["steps"]), device=ctx.device, progress=ctx.progress and name,
                             **draws)
        data[name] = {key(K, s): {"loss": rec.loss[:, r], "skills": rec.skills[:, r, :K]}
                      for r, (K, s) in enumerate(settings(cfg))}
    data["steps"] = rec.steps
    return data


def loss_ticks(ax):
    """Label 1, 2 and 5 times each power of ten on a loss axis spanning less than two decades (matplotlib's
    default labels there only some minor ticks, e.g. none below 2e-1 in one row); wider axes keep the defaults."""
    low, high = ax.get_ylim()
    if high / low < 100:
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(LogFormatterSciNotation(labelOnlyBase=False))
        ax.yaxis.set_minor_formatter(NullFormatter())


def plot_grid(data, cfg):
    names = list(cfg["optimizers"])
    rows = settings(cfg)
    fig, axes = plt.subplots(len(rows), 1 + len(names), figsize=(15, 12), sharex=True)
    fig.subplots_adjust(wspace=0, hspace=0)
    steps = data["steps"]
    for i, (K, s) in enumerate(rows):
        ax = axes[i, 0]
        for j, name in enumerate(names):
            ax.plot(steps, data[name][key(K, s)]["loss"], color=f"C{j}")
        ax.set_yscale("log")
        loss_ticks(ax)
        ax.set_ylabel(f"task num={K}\n noise={s:g}", fontsize=12)
        colors = task_colors(K)
        for j, name in enumerate(names):
            ax = axes[i, 1 + j]
            skills = data[name][key(K, s)]["skills"]
            for k in range(K):
                ax.plot(steps, skills[:, k], color=colors[k], lw=0.8)
            ax.set_yticks([])
    for j, title in enumerate(["train loss"] + [f"Skill ({n})" for n in names]):
        axes[0, j].set_title(title)
        axes[-1, j].set_xticks([0, 10000])
        axes[-1, j].set_xlabel("train steps", fontsize=12)
    for ax in axes[:-1].ravel():
        ax.tick_params(bottom=False)
    fig.align_ylabels(axes[:, 0])   # the row labels in one column, whatever their tick labels' widths
    # one legend above the loss column: inside a panel it covered curves in every row
    axes[0, 0].legend(names, loc="lower center", bbox_to_anchor=(0.5, 1.12), ncol=len(names), frameon=False,
                      handlelength=1.5, columnspacing=1.0)
    return fig


def plot_scatter(data, cfg):
    names = list(cfg["optimizers"])
    final = {n: data[n][key(*SCATTER)]["skills"][-1] for n in names}
    pairs = [(names[0], names[1]), (names[0], names[2]), (names[1], names[2])]
    fig, axes = plt.subplots(1, 3, figsize=(16, 5))
    for ax, (x, y) in zip(axes, pairs):
        ax.scatter(final[x], final[y])
        ax.plot([-0.03, 1.03], [-0.03, 1.03], "r--")
        ax.set_xlim(-0.03, 1.03)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel(f"{x} skill level", fontsize=15)
        ax.set_ylabel(f"{y} skill level", fontsize=15)
    return fig


def plot(data, cfg):
    return {"": plot_grid(data, cfg), "skill_compare": plot_scatter(data, cfg)}


def final_loss(data, cfg, name, K, sigma):
    return float(np.mean(data[name][key(K, sigma)]["loss"][-cfg["final_window"]:]))


N_GOOD_SAYS = "K = 40, σ = 0.2: number of final skills above 0.9 (AdEMAMix, Adam)"


def claims(data, cfg):
    names = ["Adam", "AdEMAMix", "Lion"]
    final = {(K, s): [final_loss(data, cfg, n, K, s) for n in names] for K, s in settings(cfg)}
    t_fast = [crossing_times(data[n][key(10, 0)]["loss"], 1e-2, above=False, steps=data["steps"]) for n in names]
    adam_t, mix_t, lion_t = t_fast
    ratio = final[(10, 0.0)][1] / final[(10, 0.0)][0]
    noisy = [(10, 1.0), (40, 0.2), (40, 1.0)]
    mix_best = [bool(np.argmin(final[c]) == 1) for c in noisy]
    n_good = [int(np.sum(data[n][key(40, 0.2)]["skills"][-1] > 0.9)) for n in ("AdEMAMix", "Adam")]
    mix_k40, adam_k40 = final[(40, 1.0)][1], final[(40, 1.0)][0]
    rows = [
        claim("lion_fastest_K10_s0", {"Lion": 2075, "Adam": 3214, "AdEMAMix": 3826},
              {"Lion": lion_t, "Adam": adam_t, "AdEMAMix": mix_t}, "ordering Lion < Adam < AdEMAMix",
              lion_t < adam_t < mix_t, says="K = 10, no noise: Lion reaches loss 10⁻² first, then Adam, then AdEMAMix"),
        claim("mix_stalls_K10_s0", 5.3e-4 / 2.1e-7, ratio, "AdEMAMix > 100x Adam", ratio > 100,
              says="K = 10, no noise: AdEMAMix's final loss over Adam's (AdEMAMix stalls)",
              computed="the ratio of the two printed final losses, 5.3·10⁻⁴ / 2.1·10⁻⁷"),
        claim("mix_best_noisy", [True, True, True], mix_best, ">= 2 of the 3 cases (K, sigma) = (10, 1), (40, 0.2), "
              "(40, 1)", sum(mix_best) >= 2, says="AdEMAMix ends lowest at (K, σ) = (10, 1), (40, 0.2), (40, 1)"),
        claim("mix_final_K40_s1", 0.109, mix_k40, "±30 %", within(mix_k40, 0.109, rel=0.3),
              says="AdEMAMix, K = 40, σ = 1: final loss"),
        claim("adam_final_K40_s1", 0.192, adam_k40, "±30 %", within(adam_k40, 0.192, rel=0.3),
              says="Adam, K = 40, σ = 1: final loss"),
        claim("n_skills_gt09_K40_s02", [27, 22], n_good, "AdEMAMix >= Adam", n_good[0] >= n_good[1],
              says=N_GOOD_SAYS),
    ]
    # extra rows: the paper code's final losses [Adam, AdEMAMix, Lion] in the noisy settings, with the
    # +-30 % tolerance of the two numeric claims above (seed-to-seed spread unknown)
    paper = {(10, 0.2): [0.097, 0.074, 0.058], (10, 1.0): [0.197, 0.156, 0.221], (40, 0.2): [0.086, 0.057, 0.073],
             (40, 1.0): [0.192, 0.109, 0.134]}
    rows += [claim(f"final_loss_{key(K, s)}", ref, final[(K, s)], "±30 % each (Adam, AdEMAMix, Lion)",
                   within(final[(K, s)], ref, rel=0.3), says=final_says(K, s)) for (K, s), ref in paper.items()]
    if cfg["rng"] == "original":
        rows += replayed_claims(final, t_fast, n_good, paper)
    return rows


def replayed_claims(final, t_fast, n_good, paper):
    """Tight claims of the replayed runs: the paper's numbers to the digits it prints."""
    adam_t, mix_t, lion_t = t_fast
    return [printed("t_loss_1e-2_K10_s0_exact", [2075, 3214, 3826], [lion_t, adam_t, mix_t], decimals=0,
                    says="K = 10, no noise: steps until the loss falls below 10⁻² (Lion, Adam, AdEMAMix)"),
            printed("adam_final_K10_s0_exact", 2.1e-7, final[(10, 0.0)][0], decimals=8,
                    says="Adam, K = 10, σ = 0: final loss"),
            printed("mix_final_K10_s0_exact", 5.3e-4, final[(10, 0.0)][1], decimals=5,
                    says="AdEMAMix, K = 10, σ = 0: final loss"),
            printed("n_skills_gt09_K40_s02_exact", [27, 22], n_good, decimals=0, says=N_GOOD_SAYS)] + [
        printed(f"final_loss_{key(K, s)}_exact", ref, final[(K, s)], decimals=3, says=final_says(K, s))
        for (K, s), ref in paper.items()]


def final_says(K, sigma):
    return f"K = {K}, σ = {sigma:g}: final loss of Adam, AdEMAMix, Lion"


FIG = FigureScript(number=15, slug="optimizers", presets={"paper": PAPER, "quick": QUICK},
                   compute=compute, plot=plot, claims=claims,
                   notes=["Own Lion and AdEMAMix (skill_physics.optim), from their papers' update rules.",
                          "rng 'original' (paper preset): every run replays the original code's draws (seed 7 per "
                          "run; vectors, batches and the noise drawn at every step, sigma = 0 included), so the "
                          "paper's numbers are reproduced to their printed digits (the '_exact' claims); "
                          "--rng counter draws the package's own streams: runs like the paper's, which hold its "
                          "claims statistically only.",
                          "Loss panels spanning less than two decades label 1, 2 and 5 times each power of ten "
                          "(the original hand-set row 3).",
                          "final_loss_K10_s1_exact misses on Lion only: 0.22047 against the reference 0.221 (Adam "
                          "0.19650 and AdEMAMix 0.15568 hold). The original loop written out plainly "
                          "(tests/test_replay_geometry.py, torch autograd and the original's update order) gives "
                          "0.220467 here as well and the engine tracks it to < 1e-3 in every skill over all 15 000 "
                          "steps, so 0.221 is not this run's mean to three decimals; Lion at sigma = 1 flips signs "
                          "on rounding, and the reference was likely computed with other float32 kernels.",
                          "One legend, above the loss column (the original's legend in every loss panel covered "
                          "curves), and skill lines 0.8 pt wide (the original's 1.5 pt merge 40 skills into a band).",
                          "Supplement Fig15_optimizers_skill_compare: final skills at K = 40, sigma = 0.2."])

if __name__ == "__main__":
    raise SystemExit(main(FIG))
