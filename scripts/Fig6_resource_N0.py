"""Fig 6: a Geometry-model run beside the Resource model at six values of the wasted resource N0.

arXiv:2501.12391, Fig. 6. Experiment: SignGD, N = 1000, K = 10, alpha = 2, B = 1024. Theory: the Resource model
(MSE form, C = I, clipping, eta_eff = 2 lr sqrt(N)) for all six N0 in one vectorised call. The GM records before
each update, the RM after; index t of both is compared without correcting this (as in the original).

Under rng='original' (the paper preset) the Geometry run replays the original code's draws: torch and NumPy seeded
with 2, the orthogonal vectors from the SVD of a float32 randn(N, N), then each step's batch from NumPy's
choice(K, B, p). The experiment's t0.9 of all ten tasks then equal the original's step for step ('_exact' claim).
"""
import matplotlib.pyplot as plt
import numpy as np

from skill_physics import (
    crossing_times,
    effective_rate,
    power_law_frequencies,
    resource_model,
    task_vectors,
    train_geometry,
)
from skill_physics.fits import mean_squared_difference
from skill_physics.paper.figure import FigureScript, claim, in_range, main, printed, within
from skill_physics.paper.panels import plot_skills
from skill_physics.paper.replay.geometry import MIMIC, original_draws, original_orthogonal_rows, original_record
from skill_physics.paper.replay.streams import generators, original_power_law

PAPER = {
    "n_tasks": 10,                                  # K
    "alpha": 2.0,                                   # p_k ~ k^-alpha
    "n_dim": 1000,                                  # N
    "batch_size": 1024,                             # B: large, so the experiment is nearly noise-free
    "lr": 3e-4,                                     # SignGD learning rate; eta_eff = 2 lr sqrt(N) = 0.0189737
    "gm_steps": 3000,                               # Geometry-model updates
    "rm_steps": 3000,                               # Resource-model updates
    "n0": [0.003, 0.0001, 0.001, 0.01, 0.1, 1.0],   # wasted resource N0 of the theory panels
    "fit_steps": 1000,                              # MSD window: record indices 0..999
    "seed": 2,                                      # task vectors and batches
    "threshold": 0.9,                               # t0.9 = first step with s > 0.9
    "rng": "original",                              # the original code's draws; 'counter': the package's own
}
QUICK = {
    **PAPER,
    "gm_steps": 1000,                               # enough for every task and the MSD window; the RM is cheap
}                                                   # and stays at paper settings (its claims are exact)


def experiment_tasks(cfg, seed):
    """Task vectors (K, N), frequencies (K,) and the random-number arguments of ``train_geometry`` for the run."""
    K, N = cfg["n_tasks"], cfg["n_dim"]
    if cfg["rng"] == "counter":
        return (task_vectors("orthogonal", K, N, seed=seed), power_law_frequencies(K, cfg["alpha"]),
                {"seeds": seed})
    pair = generators(seed)
    vectors = original_orthogonal_rows(pair[0], K, N)   # the batches start after the vectors' N^2 normals
    # sigma = 0: the original's zero-scaled noise draws come after each batch and change nothing of this one run
    return vectors, original_power_law(K, cfg["alpha"]), original_draws([pair], cfg["batch_size"])


def compute(cfg, ctx):
    vectors, p, draws = experiment_tasks(cfg, cfg["seed"] + ctx.seed)
    rec = train_geometry(vectors, p, steps=cfg["gm_steps"], lr=cfg["lr"], batch_size=cfg["batch_size"], **MIMIC,
                         record=original_record(cfg["gm_steps"]), progress=ctx.progress and "Fig 6 experiment",
                         **draws)
    theory = resource_model(p, eta_eff=effective_rate(cfg["lr"], cfg["n_dim"]), n0=np.asarray(cfg["n0"]),
                            steps=cfg["rm_steps"]).skills[1:]                        # (T, 6, K), after each update
    return {"steps": rec.steps, "experiment": rec.skills[:, 0], "theory": theory}


def fit_errors(data, cfg):
    """Mean squared difference experiment vs theory over record indices 0..fit_steps-1 and all tasks, per N0."""
    T = cfg["fit_steps"]
    return mean_squared_difference(data["experiment"][:T, None, :], data["theory"][:T], axis=(0, 2))


def plot(data, cfg):
    n0 = np.asarray(cfg["n0"])
    best = int(np.argmin(fit_errors(data, cfg)))
    # best-fitting N0 first, then the others ascending (the original's order; its best was 0.003)
    order = [best] + [i for i in np.argsort(n0) if i != best]
    fig, axes = plt.subplots(1, 1 + len(n0), figsize=(15, 2), gridspec_kw={"wspace": 0, "hspace": 0})
    rm_steps = np.arange(cfg["rm_steps"])
    panels = [("Experiment", data["steps"], data["experiment"])]
    panels += [(f"Theory ($N_0$ = {cfg['n0'][i]})", rm_steps, data["theory"][:, i]) for i in order]
    for j, (ax, (title, steps, skills)) in enumerate(zip(axes, panels)):
        plot_skills(ax, skills, steps)
        ax.set_title(title, fontsize=10)
        ax.set_xlim(0, 1000)
        ax.set_xticks([0, 500])
        ax.set_ylim(-0.1, 1.1)
        ax.set_xlabel("train steps")
        if j == 0:
            ax.set_ylabel("skill level")
        else:
            ax.set_yticks([])
    return fig


def claims(data, cfg):
    n0 = list(cfg["n0"])
    exp = crossing_times(data["experiment"], cfg["threshold"], steps=data["steps"])
    th = crossing_times(data["theory"], cfg["threshold"])                              # (6, K)
    th_003, th_01, th_1 = th[n0.index(0.003)], th[n0.index(0.1)], th[n0.index(1.0)]
    n_learned = int(np.sum(th_1 < cfg["rm_steps"]))
    errors = fit_errors(data, cfg)
    best = n0[int(np.argmin(errors))]
    return [
        claim("exp_t09_task1", 142, exp[0], "±3 %", within(exp[0], 142, rel=0.03),
              says="experiment: step at which task 1 reaches skill 0.9"),
        claim("exp_t09_task10", 582, exp[-1], "±3 %", within(exp[-1], 582, rel=0.03),
              says="experiment: step at which task 10 reaches skill 0.9"),
        claim("th0.003_t09_task10", 572, th_003[-1], "±2 steps", within(th_003[-1], 572, abs=2),
              says="Resource model, N0 = 0.003: step at which task 10 reaches skill 0.9"),
        claim("th0.1_t09_task10", 2396, th_01[-1], "±2 steps", within(th_01[-1], 2396, abs=2),
              says="Resource model, N0 = 0.1: step at which task 10 reaches skill 0.9"),
        claim("th1.0_n_learned", 3, n_learned, "exact", n_learned == 3,
              says="Resource model, N0 = 1: number of tasks that reach skill 0.9 in 3000 steps"),
        claim("best_N0", 0.003, best, "in {0.001, 0.003, 0.01}", best in (0.001, 0.003, 0.01),
              says="the N0 whose Resource model fits the experiment best (MSD over steps 0–999)"),
        claim("msd_best", 2.3e-3, errors.min(), "<= 4e-3", in_range(errors.min(), 0, 4e-3),
              says="mean squared difference between the experiment and the best-fitting Resource model"),
    ] + (replayed_claims(exp, errors) if cfg["rng"] == "original" else [])


# the original's run (seed 2): the experiment's t0.9 of tasks 1..10, and the MSD of each N0 (in cfg's order)
ORIGINAL_T09 = [142, 249, 332, 392, 439, 484, 512, 534, 551, 582]
ORIGINAL_MSD = [2.3e-3, 3.7e-3, 3.1e-3, 3.1e-3, 7.4e-2, 0.31]


def replayed_claims(exp, errors):
    """Tight claims of the replayed run: every t0.9 step for step, every MSD to the two digits printed."""
    return [printed("exp_t09_all_exact", ORIGINAL_T09, exp, decimals=0, says="experiment: t0.9 of all ten tasks"),
            printed("msd_all_exact", ORIGINAL_MSD, errors, digits=2,
                    says="mean squared difference between experiment and Resource model at each of the six N0")]


FIG = FigureScript(
    number=6, slug="resource_N0", presets={"paper": PAPER, "quick": QUICK},
    compute=compute, plot=plot, claims=claims,
    notes=["The Geometry model's record t (before update t+1) is compared with the Resource model's record t (after "
           "update t+1), as in the original.",
           "Theory panels: the best-fitting N0 (by MSD over steps 0-999) first, then the other N0 ascending.",
           "rng 'original' (paper preset): the experiment replays the original's run, and its t0.9 of all ten tasks "
           "equal the original's step for step. Five of the six MSDs equal the printed two digits; N0 = 1e-4 gives "
           "0.0036482 against the printed 3.7e-3, 1.8e-6 below the rounding point 0.00365 (the window 0-1000, or one "
           "shifted by a step, does not give 3.7e-3 either), so msd_all_exact misses by that."])

if __name__ == "__main__":
    raise SystemExit(main(FIG))
