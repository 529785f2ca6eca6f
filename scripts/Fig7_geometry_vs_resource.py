"""Fig 7: the Geometry model against the Resource model (arXiv:2501.12391, Fig. 7 top and bottom).

Top ('' output): eight set-ups, each changing one setting of the default experiment (N = 1000, K = 10, alpha = 2,
SignGD lr 3e-4, B = 1024, no noise, mimic gradient, orthogonal vectors); Geometry-model skills beside the Resource
model (C = I, clipping, eta_eff = 2 lr sqrt(N)) with the row's hand-chosen N0. The eight runs are one stacked
``train_geometry`` call (padded to K = 100, N = 1000; SignGD is Adam with betas (0, 0), so the Adam row stacks too).

Bottom ('bottom' output): the best-fitting N0 against learning rate, gradient noise and batch size. Each sweep point
is a Geometry-model run (random unit vectors, autograd MSE gradient, 1000 steps); the N0 fit compares it with the
Resource model for 601 values of N0 at once. The 27 runs of the three sweeps are one stacked ``train_geometry`` call.
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
from skill_physics.figure import FigureScript, claim, in_range, main, within
from skill_physics.fits import fit_n0, mean_squared_difference
from skill_physics.panels import comparison_grid, plot_skills

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


def compute_setups(cfg, ctx):
    """Top panel: the eight set-ups, Geometry model (one stacked call) and Resource model (one broadcast call)."""
    rows = row_settings(cfg)
    gen = torch.Generator().manual_seed(cfg["seed"] + ctx.seed)   # new vectors per row, in row order
    vectors = pad_stack([task_vectors("orthogonal", s["n_tasks"], s["n_dim"], generator=gen) for s in rows])
    freqs = pad_stack([power_law_frequencies(s["n_tasks"], s["alpha"]) for s in rows])
    setting = {key: np.array([s[key] for s in rows]) for key in cfg["default"]}
    rec = train_geometry(vectors, freqs, steps=cfg["steps"], lr=setting["lr"], optimizer="adam",
                         optimizer_options={"betas": setting["betas"]}, gradient="mimic",
                         batch_size=setting["batch_size"], noise=setting["noise"],
                         seeds=cfg["seed"] + ctx.seed + np.arange(len(rows)), device=ctx.device,
                         progress="Fig 7 top: Geometry model" if ctx.progress else False)
    theory = resource_model(freqs, eta_eff=effective_rate(setting["lr"], setting["n_dim"]),
                            n0=np.array([n0 for _, _, n0, _ in cfg["rows"]]), steps=cfg["theory_steps"])
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


def compute_n0_sweeps(cfg, ctx):
    """Bottom panels: Geometry-model sweep points (one stacked call) and their best-fitting N0."""
    runs = sweep_runs(cfg)
    K, N = cfg["sweep_n_tasks"], cfg["sweep_n_dim"]
    p = power_law_frequencies(K, cfg["sweep_alpha"])
    # seed restarted for each sweep: point i of every sweep gets the i-th vector set and the same batch seed
    n_points = max(len(v) for v in cfg["sweep_values"].values())
    gen = torch.Generator().manual_seed(cfg["sweep_seed"] + ctx.seed)
    point_vectors = [task_vectors("random_unit", K, N, generator=gen) for _ in range(n_points)]
    vectors = torch.stack([point_vectors[i] for i in runs["point"]])
    rec = train_geometry(vectors, p, steps=cfg["sweep_steps"], lr=runs["lr"], optimizer="signgd", loss="mse",
                         gradient="autograd", batch_size=runs["batch_size"], noise=runs["noise"],
                         seeds=cfg["sweep_seed"] + ctx.seed + runs["point"], device=ctx.device,
                         progress="Fig 7 bottom: Geometry model" if ctx.progress else False)
    grid = 10.0 ** np.linspace(*cfg["n0_grid"][:2], int(cfg["n0_grid"][2]))
    best, errors = fit_n0(rec.skills, p, effective_rate(runs["lr"], N), grid)
    return {name: {"values": np.asarray(cfg["sweep_values"][name], float), "best_n0": best[runs["sweep"] == name],
                   "errors": errors[runs["sweep"] == name]} for name in SWEEPS} | {"n0_grid": grid}


def compute(cfg, ctx):
    return {"setups": compute_setups(cfg, ctx), "n0": compute_n0_sweeps(cfg, ctx)}


# ------------------------------------------------------------------------------------------------------------ plot

def plot_setups(data, rows):
    fig, axes = comparison_grid(len(rows), figsize=(15, 12), title_size=25, ylabel=r"$s_i$", ylabel_size=15)
    for (name, _, n0, label), (left, right) in zip(rows, axes):
        plot_skills(left, data[name]["experiment"])
        plot_skills(right, data[name]["theory"])
        left.set_ylim(-0.05, 1.3)
        left.text(1500, 1.1, label, ha="center", va="center", fontsize=12)
        right.text(1500, 1.1, f"$N_0$ = {n0:g}", ha="center", va="center", fontsize=12)
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


def setup_claims(data, setups):
    rows = []
    for name, paper in (("dim", 1812), ("lr", 1606), ("noise", 1644), ("bs", 1456)):
        ours = t09(data[name]["theory"])[9]
        rows.append(claim(f"theory_t09_task10_{name}", paper, ours, "±2 steps", within(ours, paper, abs=2)))
    t_dim = t09(data["dim"]["experiment"])[9]
    n_alpha = int(np.sum(t09(data["alpha"]["experiment"]) < len(data["alpha"]["experiment"])))
    msd = {name: mean_squared_difference(*aligned(data[name])) for name, *_ in setups}
    good, bad = max(msd[n] for n in GOOD_ROWS), min(msd[n] for n in BAD_ROWS)
    final_min = [float(skills[-1].min()) for skills in aligned(data["ntask"])]
    rows += [
        claim("exp_t09_task10_dim", 1735, t_dim, "±5 %", within(t_dim, 1735, rel=0.05)),
        claim("alpha_exp_n_learned", 6, n_alpha, "exact", n_alpha == 6),
        claim("msd_good_rows_max", 3.3e-3, good, "≤ 7e-3", good <= 7e-3),
        claim("msd_bad_rows_min", 1.1e-2, bad, "≥ 5e-3", bad >= 5e-3),
        claim("ntask_final_min", [0.31, 0.08], final_min, "GM ±0.1 / RM ±0.01",
              within(final_min[0], 0.31, abs=0.1) and within(final_min[1], 0.08, abs=0.01)),
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
        claim("noise_slope", 1.04, noise_slope, "±0.12", within(noise_slope, 1.04, abs=0.12)),
        claim("N0_sigma_1e-3", 0.0316, n0_small, "factor 1.5", within_factor(n0_small, 0.0316, 1.5)),
        claim("N0_sigma_1", 37.2, n0_large, "factor 1.5", within_factor(n0_large, 37.2, 1.5)),
        claim("lr_argmin", 3.16e-4, lr_argmin, "∈ {3.16e-4, 1e-3}",
              np.isclose(lr_argmin, [10 ** -3.5, 1e-3], rtol=1e-6).any()),
        claim("lr_slope_high", 1.19, lr_slope, "±0.25", within(lr_slope, 1.19, abs=0.25)),
        claim("bs_slope_small", -0.83, bs_slope, "±0.2", within(bs_slope, -0.83, abs=0.2)),
        claim("bs_ratio", 14.2, bs_ratio, "within [7, 30]", in_range(bs_ratio, 7, 30)),
    ]


def claims(data, cfg):
    return setup_claims(data["setups"], cfg["rows"]) + n0_claims(data["n0"])


NOTES = [
    "top: the ntask row uses N0 = 0.01 and is labelled 0.01 (the original labels it 0.003 while computing with 0.01)",
    "top: the batch-size row is labelled '1024 -> 16' (the original says 1028)",
    "top: the eight rows are one stacked run; row r's batches and noise use seed 2 + r (the original continues one "
    "generator across rows), vectors are drawn row by row from one generator seeded 2",
    "bottom: all three sweeps are computed by one script (the original ran one at a time by editing the notebook); "
    "the stated defaults are random unit vectors, autograd MSE gradient, SignGD lr 1e-3, B = 128, 1000 steps",
    "bottom: panels spaced wider (wspace 0.4) than matplotlib's default so the N0 labels do not touch the "
    "neighbouring panel",
    "bottom: the seed restarts for each sweep, so point i of every sweep shares its task vectors and batch seed",
]

FIG = FigureScript(number=7, slug="geometry_vs_resource", presets={"paper": PAPER, "quick": QUICK},
                   compute=compute, plot=plot, claims=claims, notes=NOTES)

if __name__ == "__main__":
    raise SystemExit(main(FIG))
