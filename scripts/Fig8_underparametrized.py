"""Fig 8: the under-parameterised regime, K >= N tasks in N = 10 dimensions (arXiv 2501.12391, Fig 8).

Top ('' output, mean squared error) and bottom ('ce' output, cross entropy): for K in {5, 10, 20, 40, 100}, the
Geometry model with random unit task vectors beside the Resource model whose overlap matrix is the Gram matrix
C = V V^T of the same vectors (MSE: no clipping, so skills can go negative; CE: N0 = 0, eta_eff = 4 lr sqrt(N)).
The five values of K are one stacked ``train_geometry`` call per loss, padded to K = 100 with zero-frequency tasks
(never sampled), and one broadcast ``resource_model`` call.

Under rng='original' (the paper preset) the runs replay the original code's draws: for every K it seeds torch and
NumPy (2 for MSE, 7 for CE), draws a 10 x 10 Gaussian matrix it never uses, then ``randn(K, 10)`` in float32 divided
by the row norms; each step draws ``choice(K, B, p)`` and, for CE only, a ``randn(10)`` of noise scaled by 0.
"""
import numpy as np

from skill_physics import effective_rate, power_law_frequencies, resource_model, task_vectors, train_geometry
from skill_physics.batching import pad_stack
from skill_physics.fits import mean_squared_difference
from skill_physics.paper.figure import FigureScript, claim, in_range, main, printed, within
from skill_physics.paper.panels import comparison_grid, plot_skills
from skill_physics.paper.replay.geometry import AUTOGRAD, original_draws, original_record, original_start
from skill_physics.paper.replay.streams import original_power_law

# one experiment per loss; the two differ in seed, lr, batch, eta_eff factor and N0 as in the original
EXPERIMENTS = {
    "mse": {
        "seed": 2,               # reset for every K: vectors and batches
        "lr": 1e-3,              # SignGD step
        "batch_size": 128,       # B
        "rate_factor": 2.0,      # eta_eff = 2 lr sqrt(N) = 0.0063246
        "n0": 0.01,              # wasted resource of the theory
        "noise_draws": 0,        # normals the original draws per step (none)
        "title": "Mean squared error",
    },
    "ce": {
        "seed": 7,
        "lr": 1e-2,
        "batch_size": 1024,
        "rate_factor": 4.0,      # eta_eff = 4 lr sqrt(N) = 0.126491
        "n0": 0.0,
        "noise_draws": 10,       # the original draws randn(10) each step and scales it by 0
        "title": "Cross Entropy Loss",
    },
}

PAPER = {
    "n_dim": 10,                         # N
    "n_tasks": [5, 10, 20, 40, 100],     # K, one row each
    "alpha": 2.0,                        # p_k ~ k^-alpha over the K tasks
    "steps": 3000,                       # Geometry-model updates = Resource-model updates
    "experiments": EXPERIMENTS,
    "rng": "original",                   # the original code's draws; 'counter': the package's own streams
}
QUICK = {**PAPER, "steps": 300}         # fewer steps: the runs are stacked already, so this is the only saving


# --------------------------------------------------------------------------------------------------------- compute

def tasks(cfg, exp, seed):
    """Task vectors (one (K, N) array per K), the Gram matrices C = V V^T of the theory, frequencies (R, K_max) and
    the random-number arguments of ``train_geometry``. The seed is reset per K: the vector sets are not nested."""
    sizes, N = cfg["n_tasks"], cfg["n_dim"]
    if cfg["rng"] == "counter":
        vectors = [task_vectors("random_unit", K, N, seed=seed).double().numpy() for K in sizes]
        return (vectors, [v @ v.T for v in vectors], pad_stack([power_law_frequencies(K, cfg["alpha"]) for K in sizes]),
                {"seeds": seed})
    starts = [original_start(seed, "random_unit", K, N, discard=(N, N)) for K in sizes]
    vectors = [v.numpy() for _, v in starts]
    streams = original_draws([pair for pair, _ in starts], exp["batch_size"], noise_size=exp["noise_draws"])
    # the original's Gram matrix: a float32 product, read by the float64 theory
    return (vectors, [(v @ v.T).astype(np.float64) for v in vectors],
            pad_stack([original_power_law(K, cfg["alpha"]) for K in sizes]), streams)


def compute_loss(cfg, ctx, loss):
    """Geometry and Resource model for every K, for one loss; returns {K: {'experiment', 'theory'}} (T, K) arrays."""
    exp = cfg["experiments"][loss]
    seed = exp["seed"] + ctx.seed
    sizes = cfg["n_tasks"]
    vectors, gram, freqs, draws = tasks(cfg, exp, seed)
    rec = train_geometry(pad_stack(vectors).astype(np.float32), freqs, steps=cfg["steps"], lr=exp["lr"],
                         optimizer="signgd", loss=loss, **AUTOGRAD, batch_size=exp["batch_size"],
                         record=original_record(cfg["steps"]),
                         device=ctx.device, progress=f"Fig 8 {loss}: Geometry model" if ctx.progress else False,
                         **draws)
    theory = resource_model(freqs, eta_eff=effective_rate(exp["lr"], cfg["n_dim"], exp["rate_factor"]),
                            n0=exp["n0"], steps=cfg["steps"], overlap=pad_stack(gram), loss=loss, clip=False).skills[1:]
    return {str(K): {"experiment": rec.skills[:, r, :K], "theory": theory[:, r, :K]} for r, K in enumerate(sizes)}


def compute(cfg, ctx):
    return {loss: compute_loss(cfg, ctx, loss) for loss in cfg["experiments"]}


# ------------------------------------------------------------------------------------------------------------ plot

def plot_loss(runs, title):
    fig, axes = comparison_grid(len(runs), figsize=(12, 6), title_size=15)
    for (K, run), (left, right) in zip(runs.items(), axes):
        plot_skills(left, run["experiment"])
        plot_skills(right, run["theory"])
        # beside the row, right of the Resource-model panel: the one place no curve can be
        right.text(1.03, 0.5, rf"$n_{{\rm task}}$ = {K}", transform=right.transAxes, ha="left", va="center",
                   fontsize=15)
        # automatic limits with wider margins, so that the tick labels of neighbouring rows (hspace 0) do not collide
        left.margins(y=0.2)
    for ax in axes[-1]:
        ax.set_xlabel("training steps", fontsize=15)
    centre = (axes[0, 0].get_position().x0 + axes[0, 1].get_position().x1) / 2   # over the panels, not the labels
    fig.suptitle(title, fontsize=20, y=1.0, x=centre)
    return fig


def plot(data, cfg):
    return {("" if loss == "mse" else loss): plot_loss(data[loss], cfg["experiments"][loss]["title"])
            for loss in cfg["experiments"]}


# ---------------------------------------------------------------------------------------------------------- claims

def finals(run):
    """Final skill vectors (experiment, theory), each shape (K,)."""
    return run["experiment"][-1].astype(float), run["theory"][len(run["experiment"]) - 1]


def final_correlation(run):
    return float(np.corrcoef(*finals(run))[0, 1])


def claims(data, cfg):
    mse, ce = data["mse"], data["ce"]
    k5_min = [float(f.min()) for f in finals(mse["5"])]
    many = [K for K in mse if int(K) >= 10]
    negative = {K: [float(f.min()) for f in finals(mse[K])] for K in many}
    mse_corr = min(final_correlation(mse[K]) for K in many)
    ce_corr = min(final_correlation(run) for run in ce.values())
    ce_msd = max(mean_squared_difference(run["experiment"], run["theory"]) for run in ce.values())
    frac = [float(np.mean(f > 0.9)) for f in finals(ce["100"])]
    says = {"mse_K5_min_final": "MSE, K = 5: lowest final skill (Geometry, Resource model): every task learned",
            "mse_corr_min": "MSE: lowest correlation over K ≥ 10 between the two models' final skills",
            "ce_corr_min": "CE: lowest correlation over K between the two models' final skills",
            "ce_msd_max": "CE: largest mean squared difference between the two models' skill curves",
            "ce_K100_frac_learned": "CE, K = 100: share of tasks with final skill > 0.9 (Geometry, Resource model)"}
    rows = [
        claim("mse_K5_min_final", [1.00, 1.00], k5_min, "≥ 0.95 (GM, RM)", np.all(np.array(k5_min) >= 0.95),
              says=says["mse_K5_min_final"]),
        claim("mse_negative_skills", True, negative, "min final skill < 0 for every K ≥ 10, GM and RM",
              all(m < 0 for mins in negative.values() for m in mins),
              says="MSE: some final skill is negative for every K ≥ 10, in both models"),
        claim("mse_corr_min", 0.92, mse_corr, "≥ 0.8", mse_corr >= 0.8, says=says["mse_corr_min"]),
        claim("ce_corr_min", 0.91, ce_corr, "≥ 0.8", ce_corr >= 0.8, says=says["ce_corr_min"]),
        claim("ce_msd_max", 0.005, ce_msd, "≤ 0.015", ce_msd <= 0.015, says=says["ce_msd_max"]),
        claim("ce_K100_frac_learned", [0.43, 0.42], frac, "±0.12 each; |GM - RM| ≤ 0.05",
              within(frac, [0.43, 0.42], abs=0.12) and in_range(abs(frac[0] - frac[1]), 0, 0.05),
              says=says["ce_K100_frac_learned"]),
    ]
    if cfg["rng"] == "original":   # the replayed runs: the paper's numbers to their printed digits
        # min final skill (GM, RM) for K = 10, 20, 40, 100 in the original's runs
        printed_mins = [[-0.97, -1.31], [-0.34, -0.57], [-1.85, -1.65], [-2.51, -1.95]]
        says["mse_min_final_K10_20_40_100"] = ("MSE: lowest final skill at K = 10, 20, 40, 100 (Geometry, Resource "
                                               "model)")
        rows += [printed(f"{name}_exact", paper, ours, decimals=decimals, says=says[name])
                 for name, paper, ours, decimals in (("mse_K5_min_final", [1.00, 1.00], k5_min, 2),
                                                     ("mse_min_final_K10_20_40_100", printed_mins,
                                                      [negative[K] for K in many], 2),
                                                     ("mse_corr_min", 0.92, mse_corr, 2),
                                                     ("ce_corr_min", 0.91, ce_corr, 2),
                                                     ("ce_msd_max", 0.005, ce_msd, 3),
                                                     ("ce_K100_frac_learned", [0.43, 0.42], frac, 2))]
    return rows


NOTES = [
    "x label 'training steps' on the bottom row (the original attaches it to row 4, where row 5 hides it)",
    "n_task labels beside each row, right of the Resource-model panel (the original draws them over the curves at "
    "data coordinates)",
    "automatic y limits with 20 % margins instead of 5 %, so that tick labels of neighbouring rows do not overlap",
    "y labels 'skill' at 15 pt like the x labels (the original's were 10 pt)",
    "the Resource-model panel of each row shares the Geometry-model panel's y scale (the original scaled every "
    "panel separately, so the Resource model's spread looked as large as the Geometry model's)",
    "the five K of a loss are one stacked run padded to K = 100 with zero-frequency zero-vector tasks, exactly "
    "equivalent to separate runs; the seed (2 for MSE, 7 for CE) is used for every K, as the original reset it",
    "rng 'original' (paper preset): every run replays the original code's draws (its vectors, batches and the CE "
    "noise draws scaled by 0), and the theory reads the original's float32 Gram matrix; --rng counter draws the "
    "package's own streams",
]

FIG = FigureScript(number=8, slug="underparametrized", presets={"paper": PAPER, "quick": QUICK},
                   compute=compute, plot=plot, claims=claims, notes=NOTES)

if __name__ == "__main__":
    raise SystemExit(main(FIG))
