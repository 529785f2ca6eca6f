"""Fig 7: the Geometry model against the Resource model (arXiv:2501.12391, Fig. 7 top and bottom).

Top ('' output): eight set-ups, each changing one setting of the default experiment (N = 1000, K = 10, alpha = 2,
SignGD lr 3e-4, B = 1024, no noise, mimic gradient, orthogonal vectors); Geometry-model skills beside the Resource
model (C = I, clipping, eta_eff = 2 lr sqrt(N)) with the row's hand-chosen N0. The eight runs are one stacked
``train_geometry`` call (padded to K = 100, N = 1000; SignGD is Adam with betas (0, 0), so the Adam row stacks too).

Bottom ('bottom' output): the best-fitting N0 against learning rate, gradient noise and batch size. Each sweep point
is a Geometry-model run (random unit vectors, autograd MSE gradient, 1000 steps); the N0 fit compares it with the
Resource model for 601 values of N0 at once. The 27 runs of the three sweeps are one stacked ``train_geometry`` call.

Under rng='original' (the paper preset) the runs replay the original code's draws. Top: one seed for the loop over
the eight rows; each row draws a float32 ``randn(N, N)`` whose SVD gives its vectors, then per step
``choice(K, B, p)`` and ``randn(N)`` times its noise (0 in all rows but one), so row r starts after rows 0..r-1.
Bottom: each sweep seeds once; each point draws a ``randn(1000, 1000)`` it never uses, its unit vectors
``randn(10, 1000)``, then per step ``choice(10, B, p)`` and ``randn(1000)`` times its noise. The noise sweep is the
original's loop; its learning-rate and batch-size sweeps came from edited copies of that loop, replayed here with
the same order of draws (noise 0, the swept value in place of the default).
"""
import matplotlib.pyplot as plt
import numpy as np
import torch

from skill_physics import (
    crossing_times,
    effective_rate,
    loglog_slope,
    power_law_frequencies,
    resource_model,
    task_vectors,
    train_geometry,
)
from skill_physics.batching import pad_stack
from skill_physics.fits import fit_n0, mean_squared_difference
from skill_physics.paper.figure import FigureScript, claim, in_range, main, printed, within
from skill_physics.paper.panels import comparison_grid, plot_skills
from skill_physics.paper.replay.geometry import (
    AUTOGRAD,
    MIMIC,
    original_draws,
    original_fit_updates,
    original_orthogonal_rows,
    original_record,
    original_vectors,
)
from skill_physics.paper.replay.streams import advance, clone, generators, original_power_law

# the default experiment of the top panel (= the Fig 6 experiment)
DEFAULT = {
    "n_dim": 1000,        # N
    "n_tasks": 10,        # K
    "alpha": 2.0,         # p_k ~ k^-alpha
    "lr": 3e-4,           # SignGD step
    "noise": 0.0,         # gradient noise sigma
    "batch_size": 1024,   # B
    "betas": (0.0, 0.0),  # Adam betas; (0, 0) is SignGD
}
# (name, change of DEFAULT, N0 of the theory, left row label); the rows of the paper's Fig. 7 top, in its order
ROWS = [
    ("orig", {}, 0.003, "default setup"),
    ("alpha", {"alpha": 4.0}, 0.003, r"$\alpha=2 \to 4$"),
    ("dim", {"n_dim": 100}, 0.003, r"dimension=1000 $\to$ 100"),
    ("ntask", {"n_tasks": 100}, 0.01, r"ntask=10 $\to$ 100"),
    ("lr", {"lr": 1e-4}, 0.001, r"lr=$3\times 10^{-4}$ $\to$ $1\times 10^{-4}$"),
    ("noise", {"noise": 1e-3}, 0.06, r"noise=0 $\to$ 0.001"),
    ("betas", {"betas": (0.9, 0.999)}, 0.08, r"betas=(0,0) $\to$ (0.9,0.999)"),
    ("bs", {"batch_size": 16}, 0.05, r"batch size=1024 $\to$ 16"),
]
GOOD_ROWS = ("orig", "dim", "lr", "noise", "bs")   # where the paper's Fig. 7 top shows good agreement
BAD_ROWS = ("alpha", "ntask", "betas")
SWEEPS = ("lr", "noise", "batch_size")             # bottom panels, left to right

PAPER = {
    "default": DEFAULT,            # top: the default experiment (part of the preset so that the cache key sees it)
    "rows": ROWS,                  # top: the eight set-ups
    "seed": 2,                     # top: seed of the row vectors (drawn in row order) and of run r's batches (+ r)
    "steps": 3000,                 # top: Geometry-model updates per row
    "theory_steps": 3000,          # top: Resource-model updates per row
    "sweep_seed": 2,               # bottom: restarted for every sweep (vectors drawn point by point)
    "sweep_steps": 1000,           # bottom: Geometry-model updates per point, also the length of the N0 fit
    "sweep_n_dim": 1000,           # bottom: N
    "sweep_n_tasks": 10,           # bottom: K
    "sweep_alpha": 2.0,            # bottom: frequency exponent
    "sweep_defaults": {"lr": 1e-3, "noise": 0.0, "batch_size": 128},   # bottom: settings not being swept
    "sweep_values": {
        "lr": (10.0 ** np.linspace(-5, -1, 9)).tolist(),      # learning rate eta
        "noise": (10.0 ** np.linspace(-3, 0, 10)).tolist(),   # gradient noise sigma
        "batch_size": [8, 16, 32, 64, 128, 256, 512, 1024],   # batch size B
    },
    "n0_grid": [-4.0, 2.0, 601],   # bottom: N0 = 10^linspace(-4, 2, 601)
    "rng": "original",             # the original code's draws; 'counter': the package's own streams
}
QUICK = {
    **PAPER,
    "steps": 300,                  # the Geometry-model claims need 3000 steps; the theory ones are kept exact:
    "theory_steps": 2000,          # the theory claims need t0.9 up to 1812
    "sweep_steps": 300,            # a shorter fit: slopes only roughly as in the paper
}


# --------------------------------------------------------------------------------------------------------- compute

def row_settings(cfg):
    """The full settings of each top-panel row (the default with the row's change)."""
    return [{**cfg["default"], **change} for _, change, _, _ in cfg["rows"]]


def original_loop(pair, settings, steps, draw_vectors):
    """The runs of one of the original's loops, seeded once (``pair``): run r draws its vectors
    (``draw_vectors(generator, setting)``), then per step a batch of B and a ``randn(N)``. Returns the (K, N)
    vectors of each run and the generator pair where each run's training starts."""
    vectors, starts = [], []
    for s in settings:
        vectors.append(draw_vectors(pair[0], s).numpy())
        starts.append(clone(pair))
        advance(pair, steps, s["batch_size"], s["n_dim"])
    return vectors, starts


def setup_tasks(cfg, seed, rows):
    """Vectors (R, K_max, N_max), frequencies (R, K_max) and random-number arguments of the eight set-ups."""
    if cfg["rng"] == "counter":   # vectors drawn row by row from one float64 generator; batches from seed 2 + r
        gen = torch.Generator().manual_seed(seed)
        vectors = [task_vectors("orthogonal", s["n_tasks"], s["n_dim"], generator=gen) for s in rows]
        freqs = pad_stack([power_law_frequencies(s["n_tasks"], s["alpha"]) for s in rows])
        return pad_stack(vectors), freqs, {"seeds": seed + np.arange(len(rows))}
    vectors, starts = original_loop(generators(seed), rows, cfg["steps"],
                                    lambda gen, s: original_orthogonal_rows(gen, s["n_tasks"], s["n_dim"]))
    freqs = pad_stack([original_power_law(s["n_tasks"], s["alpha"]) for s in rows])
    streams = original_draws(starts, [s["batch_size"] for s in rows], noise_size=[s["n_dim"] for s in rows])
    return pad_stack(vectors), freqs, streams


def compute_setups(cfg, ctx):
    """Top panel: the eight set-ups, Geometry model (one stacked call) and Resource model (one broadcast call)."""
    rows = row_settings(cfg)
    vectors, freqs, draws = setup_tasks(cfg, cfg["seed"] + ctx.seed, rows)
    setting = {key: np.array([s[key] for s in rows]) for key in cfg["default"]}
    rec = train_geometry(vectors, freqs, steps=cfg["steps"], lr=setting["lr"], optimizer="adam",
                         optimizer_options={"betas": setting["betas"]}, **MIMIC, record=original_record(cfg["steps"]),
                         batch_size=setting["batch_size"], noise=setting["noise"], device=ctx.device,
                         progress="Fig 7 top: Geometry model" if ctx.progress else False, **draws)
    theory = resource_model(freqs, eta_eff=effective_rate(setting["lr"], setting["n_dim"]),
                            n0=np.array([n0 for _, _, n0, _ in cfg["rows"]]), steps=cfg["theory_steps"]).skills[1:]
    return {name: {"experiment": rec.skills[:, r, :s["n_tasks"]], "theory": theory[:, r, :s["n_tasks"]]}
            for r, ((name, *_), s) in enumerate(zip(cfg["rows"], rows))}


def sweep_runs(cfg):
    """Settings of the 27 bottom-panel runs: one parameter varied per sweep, the others at their defaults."""
    runs = {"sweep": [], "point": []} | {key: [] for key in SWEEPS}
    for name in SWEEPS:
        for i, value in enumerate(cfg["sweep_values"][name]):
            for key in SWEEPS:
                runs[key].append(value if key == name else cfg["sweep_defaults"][key])
            runs["sweep"].append(name)
            runs["point"].append(i)
    return {key: np.array(v) for key, v in runs.items()}


def sweep_tasks(cfg, seed, runs):
    """Vectors (R, K, N), frequencies (K,) and random-number arguments of the 27 sweep points."""
    K, N = cfg["sweep_n_tasks"], cfg["sweep_n_dim"]
    if cfg["rng"] == "counter":
        # seed restarted for each sweep: point i of every sweep gets the i-th vector set and the same batch seed
        n_points = max(len(v) for v in cfg["sweep_values"].values())
        gen = torch.Generator().manual_seed(seed)
        point_vectors = [task_vectors("random_unit", K, N, generator=gen) for _ in range(n_points)]
        return (torch.stack([point_vectors[i] for i in runs["point"]]),
                power_law_frequencies(K, cfg["sweep_alpha"]), {"seeds": seed + runs["point"]})
    vectors, starts = [], []
    for name in SWEEPS:   # each sweep is a loop of its own, seeded once
        settings = [{"batch_size": int(b), "n_dim": N} for b in runs["batch_size"][runs["sweep"] == name]]
        v, s = original_loop(generators(seed), settings, cfg["sweep_steps"],
                             lambda gen, _: original_vectors(gen, "random_unit", K, N, discard=(N, N)))
        vectors, starts = vectors + v, starts + s
    streams = original_draws(starts, runs["batch_size"], noise_size=N)
    return np.stack(vectors), original_power_law(K, cfg["sweep_alpha"]), streams


def compute_n0_sweeps(cfg, ctx):
    """Bottom panels: Geometry-model sweep points (one stacked call) and their best-fitting N0."""
    runs = sweep_runs(cfg)
    N = cfg["sweep_n_dim"]
    vectors, p, draws = sweep_tasks(cfg, cfg["sweep_seed"] + ctx.seed, runs)
    rec = train_geometry(vectors, p, steps=cfg["sweep_steps"], lr=runs["lr"], optimizer="signgd", loss="mse",
                         **AUTOGRAD, record=original_record(cfg["sweep_steps"]), batch_size=runs["batch_size"],
                         noise=runs["noise"],
                         device=ctx.device, progress="Fig 7 bottom: Geometry model" if ctx.progress else False,
                         **draws)
    grid = 10.0 ** np.linspace(*cfg["n0_grid"][:2], int(cfg["n0_grid"][2]))
    best, errors = fit_n0(rec.skills, p, effective_rate(runs["lr"], N), grid,
                          updates=original_fit_updates(len(rec.steps)))
    return {name: {"values": np.asarray(cfg["sweep_values"][name], float), "best_n0": best[runs["sweep"] == name],
                   "errors": errors[runs["sweep"] == name]} for name in SWEEPS} | {"n0_grid": grid}


def compute(cfg, ctx):
    return {"setups": compute_setups(cfg, ctx), "n0": compute_n0_sweeps(cfg, ctx)}


# ------------------------------------------------------------------------------------------------------------ plot

def plot_setups(data, rows):
    fig, axes = comparison_grid(len(rows), figsize=(15, 12), title_size=25, ylabel=r"$s_i$")
    for (name, _, n0, label), (left, right) in zip(rows, axes):
        plot_skills(left, data[name]["experiment"])
        plot_skills(right, data[name]["theory"])
        left.set_ylim(-0.05, 1.5)   # a band above s = 1 for the row labels, which sat on the curves at 1.1
        left.set_yticks([0.0, 0.5, 1.0])
        left.text(1500, 1.28, label, ha="center", va="center", fontsize=12)
        right.text(1500, 1.28, f"$N_0$ = {n0:g}", ha="center", va="center", fontsize=12)
    for ax in axes[-1]:
        ax.set_xlabel("training steps", fontsize=15)
    return fig


# (x label, guide y = a x^b drawn over x in 10^[lo, hi], guide text, text position)
SWEEP_PANELS = {
    "lr": (r"learning rate $\eta$", (2.0, 1.0, -2.0, -1.0), r"$\eta$", (0.03, 0.03)),
    "noise": (r"noise $\sigma$", (20.0, 1.0, -2.5, -0.5), r"$\sigma^1$", (0.1, 1.0)),
    "batch_size": (r"batch size $B$", (1.0, -1.0, 1.0, 2.0), r"$B^{-1}$", (10.0, 0.03)),
}


def plot_n0_sweeps(data):
    fig, axes = plt.subplots(1, 3, figsize=(12, 2.5))
    fig.subplots_adjust(wspace=0.4)   # room for the rotated N0 labels (they touch the next panel at default spacing)
    for ax, name in zip(axes, SWEEPS):
        xlabel, (a, b, lo, hi), text, where = SWEEP_PANELS[name]
        ax.plot(data[name]["values"], data[name]["best_n0"], marker="o", color="C0")
        x = 10.0 ** np.linspace(lo, hi, 101)
        ax.plot(x, a * x ** b, color="red", ls="--")
        ax.text(*where, text, color="red", fontsize=15)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel, fontsize=15)
        ax.set_ylabel("$N_0$", fontsize=15, rotation=0, labelpad=10)
    return fig


def plot(data, cfg):
    return {"": plot_setups(data["setups"], cfg["rows"]), "bottom": plot_n0_sweeps(data["n0"])}


# ---------------------------------------------------------------------------------------------------------- claims

def t09(skills):
    """t0.9 of each task (first record index with skill > 0.9; NaN if never)."""
    return crossing_times(skills, 0.9)


def aligned(run):
    """Experiment and theory skills over their common record indices (the theory may run longer)."""
    T = min(len(run["experiment"]), len(run["theory"]))
    return run["experiment"][:T], run["theory"][:T]


# each top row as the claims' sentences name it
ROW_NAMES = {"orig": "default set-up", "alpha": "α = 2 → 4", "dim": "dimension 1000 → 100", "ntask": "ntask 10 → 100",
             "lr": "lr 3·10⁻⁴ → 10⁻⁴", "noise": "noise 0 → 10⁻³", "betas": "betas (0, 0) → (0.9, 0.999)",
             "bs": "batch size 1024 → 16"}


def setup_claims(data, setups):
    rows = []
    for name, paper in (("dim", 1812), ("lr", 1606), ("noise", 1644), ("bs", 1456)):
        ours = t09(data[name]["theory"])[9]
        rows.append(claim(f"theory_t09_task10_{name}", paper, ours, "±2 steps", within(ours, paper, abs=2),
                          says=f"top, row '{ROW_NAMES[name]}': the Resource model's t0.9 of task 10"))
    t_dim = t09(data["dim"]["experiment"])[9]
    n_alpha = int(np.sum(t09(data["alpha"]["experiment"]) < len(data["alpha"]["experiment"])))
    msd = {name: mean_squared_difference(*aligned(data[name])) for name, *_ in setups}
    good, bad = max(msd[n] for n in GOOD_ROWS), min(msd[n] for n in BAD_ROWS)
    final_min = [float(skills[-1].min()) for skills in aligned(data["ntask"])]
    rows += [
        claim("exp_t09_task10_dim", 1735, t_dim, "±5 %", within(t_dim, 1735, rel=0.05),
              says=f"top, row '{ROW_NAMES['dim']}': the Geometry model's t0.9 of task 10"),
        claim("alpha_exp_n_learned", 6, n_alpha, "exact", n_alpha == 6,
              says=f"top, row '{ROW_NAMES['alpha']}': number of tasks the Geometry model learns (skill 0.9)"),
        claim("msd_good_rows_max", 3.3e-3, good, "≤ 7e-3", good <= 7e-3,
              says="top: largest MSD between the models over the rows where they agree (default, dimension, lr, "
                   "noise, batch)"),
        claim("msd_bad_rows_min", 1.1e-2, bad, "≥ 5e-3", bad >= 5e-3,
              says="top: smallest MSD over the rows where they disagree (α, ntask, betas)"),
        claim("ntask_final_min", [0.31, 0.08], final_min, "GM ±0.1 / RM ±0.01",
              within(final_min[0], 0.31, abs=0.1) and within(final_min[1], 0.08, abs=0.01),
              says=f"top, row '{ROW_NAMES['ntask']}': lowest final skill (Geometry, Resource model)"),
    ]
    return rows


def within_factor(ours, paper, factor):
    return in_range(ours, paper / factor, paper * factor)


def n0_claims(data):
    noise, lr, bs = data["noise"], data["lr"], data["batch_size"]
    noise_slope = loglog_slope(noise["values"], noise["best_n0"])
    n0_small, n0_large = noise["best_n0"][0], noise["best_n0"][-1]
    lr_argmin = lr["values"][np.argmin(lr["best_n0"])]
    high = lr["values"] >= 3e-3
    lr_slope = loglog_slope(lr["values"][high], lr["best_n0"][high])
    small = bs["values"] <= 256
    bs_slope = loglog_slope(bs["values"][small], bs["best_n0"][small])
    bs_ratio = bs["best_n0"][0] / bs["best_n0"][-1]
    return [
        claim("noise_slope", 1.04, noise_slope, "±0.12", within(noise_slope, 1.04, abs=0.12),
              says="bottom: log-log slope of the best N0 against the noise σ (1: N0 ∝ σ)"),
        claim("N0_sigma_1e-3", 0.0316, n0_small, "factor 1.5", within_factor(n0_small, 0.0316, 1.5),
              says="bottom: best N0 at noise σ = 10⁻³"),
        claim("N0_sigma_1", 37.2, n0_large, "factor 1.5", within_factor(n0_large, 37.2, 1.5),
              says="bottom: best N0 at noise σ = 1"),
        claim("lr_argmin", 3.16e-4, lr_argmin, "∈ {3.16e-4, 1e-3}",
              np.isclose(lr_argmin, [10 ** -3.5, 1e-3], rtol=1e-6).any(),
              says="bottom: the learning rate with the smallest best N0"),
        claim("lr_slope_high", 1.19, lr_slope, "±0.25", within(lr_slope, 1.19, abs=0.25),
              says="bottom: log-log slope of the best N0 against the learning rate, η ≥ 3·10⁻³"),
        claim("bs_slope_small", -0.83, bs_slope, "±0.2", within(bs_slope, -0.83, abs=0.2),
              says="bottom: log-log slope of the best N0 against the batch size, B ≤ 256"),
        claim("bs_ratio", 14.2, bs_ratio, "within [7, 30]", in_range(bs_ratio, 7, 30),
              says="bottom: best N0 at the smallest batch over best N0 at the largest"),
    ]


# the original's runs: t0.9 of the experiment's tasks 1..10 per top row (NaN: never in 3000 steps), MSD per row
ORIGINAL_T09 = {"orig": [142, 249, 332, 392, 439, 484, 512, 534, 551, 582],
                "alpha": [122, 241, 348, 540, 1040, 2002] + [np.nan] * 4,
                "dim": [441, 792, 994, 1247, 1397, 1457, 1613, 1660, 1723, 1735],
                "ntask": [140, 248, 327, 416, 478, 533, 599, 664, 731, 783],
                "lr": [426, 736, 975, 1163, 1322, 1426, 1499, 1576, 1625, 1657],
                "noise": [144, 261, 374, 492, 632, 796, 960, 1256, 1469, 1826],
                "betas": [231, 453, 711, 879, 1209, 1423, 1748, 1818, 2096, 2499],
                "bs": [152, 297, 430, 519, 631, 776, 1049, 1141, 1202, 1375]}
ORIGINAL_MSD = {"orig": 7.7e-4, "alpha": 3.5e-2, "dim": 2.9e-3, "ntask": 7.1e-2, "lr": 2.1e-3, "noise": 6.7e-4,
                "betas": 1.1e-2, "bs": 3.3e-3}
# and the best N0 of its sweep points, as printed (significant digits)
ORIGINAL_N0 = {"noise": ([0.03162, 0.06457, 0.1514, 0.3388, 0.7244, 1.4125, 3.8905, 8.9125, 18.621, 37.154], 4),
               "lr": ([0.631, 0.417, 0.0692, 0.0123, 0.0158, 0.0339, 0.158, 0.813, 1.905], 3),
               "batch_size": ([0.166, 0.0832, 0.0398, 0.0251, 0.0170, 0.00832, 0.0129, 0.0117], 3)}


def replayed_claims(data):
    """Tight claims of the replayed runs: per top row the experiment's t0.9 step for step (-1: never), every MSD
    and every sweep point's best N0 as the original printed them."""
    setups = data["setups"]
    rows = [printed(f"exp_t09_{name}_exact", np.nan_to_num(paper, nan=-1),
                    np.nan_to_num(t09(setups[name]["experiment"])[:10], nan=-1), decimals=0,
                    says=f"top, row '{ROW_NAMES[name]}': the Geometry model's t0.9 of all ten tasks (−1: never)")
            for name, paper in ORIGINAL_T09.items()]
    rows.append(printed("msd_rows_exact", list(ORIGINAL_MSD.values()),
                        [mean_squared_difference(*aligned(setups[n])) for n in ORIGINAL_MSD], digits=2,
                        says="top: MSD between the two models in each of the eight rows"))
    sweep = {"noise": "noise", "lr": "learning-rate", "batch_size": "batch-size"}
    return rows + [printed(f"best_n0_{name}_exact", paper, data["n0"][name]["best_n0"], digits=digits,
                           says=f"bottom: best N0 at every point of the {sweep[name]} sweep")
                   for name, (paper, digits) in ORIGINAL_N0.items()]


def claims(data, cfg):
    rows = setup_claims(data["setups"], cfg["rows"]) + n0_claims(data["n0"])
    return rows + (replayed_claims(data) if cfg["rng"] == "original" else [])


NOTES = [
    "top: the ntask row uses N0 = 0.01 and is labelled 0.01 (the original labels it 0.003 while computing with 0.01)",
    "top: the batch-size row is labelled '1024 -> 16' (the original says 1028)",
    "top: the eight rows are one stacked run",
    "top: each row's y axis runs to 1.5 and its label sits in the band above s = 1 (the original put the labels "
    "at s = 1.1, on the curves that have reached 1)",
    "rng 'original' (paper preset): every run replays the original code's draws. Top: one seed for the loop over "
    "the rows, each row's float32 Gaussian matrix (SVD), batches and noise draws continuing the streams. Bottom: "
    "each sweep seeded once, each point's unused Gaussian matrix, unit vectors, batches and noise draws continuing "
    "them; the learning-rate and batch-size sweeps (edited copies of the noise loop in the original) replayed with "
    "the same order of draws. --rng counter: vectors from float64 generators seeded 2 (drawn row by row, point by "
    "point), batches and noise from counter seed 2 + r (top) and 2 + point (bottom)",
    "replayed runs: every best N0 of the noise and learning-rate sweeps and 6 of 8 of the batch sweep equal the "
    "original's; B = 32 and 256 land one grid point lower (0.0389, 0.00813 against 0.0398, 0.00832): a near tie of "
    "the fit error. Top rows orig, ntask, lr, betas, bs: every t0.9 equal; alpha, dim and noise: 1 or 2 of 10 one "
    "step off (alpha task 4: 539 against 540; dim tasks 6, 7: 1458, 1612 against 1457, 1613; noise tasks 6, 10: "
    "795, 1827 against 796, 1826). The draws are the original's (all other crossings agree); the engine sums the "
    "batch as counts times residuals where the original averages 128 rows in float32, and under SignGD that "
    "rounding moves a slow crossing by a step. The original loop written out plainly in the tests gives the "
    "original's dim row exactly, and 795, 1467, 1826 in the noise row (the original: 796, 1469, 1826), so even "
    "the same arithmetic on other float32 kernels is a step off. The alpha row's MSD 0.03446 misses the printed "
    "3.5e-2 by 5e-5 for the same reason",
    "bottom: all three sweeps are computed by one script (the original ran one at a time by editing the notebook); "
    "the stated defaults are random unit vectors, autograd MSE gradient, SignGD lr 1e-3, B = 128, 1000 steps",
    "bottom: panels spaced wider (wspace 0.4) than matplotlib's default so the N0 labels do not touch the "
    "neighbouring panel",
    "bottom: the seed restarts for each sweep, so point i of every sweep shares its task vectors",
]

FIG = FigureScript(number=7, slug="geometry_vs_resource", presets={"paper": PAPER, "quick": QUICK},
                   compute=compute, plot=plot, claims=claims, notes=NOTES)

if __name__ == "__main__":
    raise SystemExit(main(FIG))
