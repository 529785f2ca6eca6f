"""Fig 9: serial (Domino) learning vs parallel learning, both in closed form (arXiv:2501.12391, Fig. 9)."""
import matplotlib.pyplot as plt
import numpy as np

from skill_physics import domino_skills, parallel_skills
from skill_physics.measure import crossing_times
from skill_physics.paper.figure import FigureScript, claim, main, task_colors, within

PAPER = {
    "n_tasks": 10,
    "n_times": 1100,      # t = 0, 1, ..., 1099
    "t0": 100.0,          # Domino model: each task takes 100 steps
    "tau_unit": 30.0,     # parallel model: tau_i = 30 i (rate proportional to 1/i)
}
QUICK = PAPER             # closed forms cost nothing: the smoke test checks the paper numbers themselves


def compute(cfg, ctx):
    t = np.arange(cfg["n_times"])
    taus = cfg["tau_unit"] * np.arange(1, cfg["n_tasks"] + 1)
    return {"t": t, "serial": domino_skills(t, cfg["n_tasks"], cfg["t0"]), "parallel": parallel_skills(t, taus)}


def plot(data, cfg):
    fig, axes = plt.subplots(1, 2, figsize=(10, 3))
    colors = task_colors(cfg["n_tasks"])
    for ax, key, title in zip(axes, ("serial", "parallel"), ("Serial model", "Parallel model")):
        for i in range(cfg["n_tasks"]):
            ax.plot(data["t"], data[key][:, i], color=colors[i])
        ax.set_title(title, fontsize=20)
        ax.set_xlabel("steps", fontsize=15)
        ax.set_ylabel("skill level", fontsize=15)
    return fig


def claims(data, cfg):
    t, serial, parallel = data["t"], data["serial"], data["parallel"]
    last_done = crossing_times(serial[:, -1], 1.0, strict=False, steps=t)
    slowest_end = parallel[-1, -1]
    fastest_t09 = crossing_times(parallel[:, 0], 0.9, steps=t)
    return [
        claim("serial_last_done", 1000, last_done, "exact", last_done == 1000,
              says="serial model: step at which the last task reaches skill 1",
              computed="closed form: K t0 = 10 × 100"),
        claim("parallel_slowest_end", 1 - np.exp(-1099 / 300), slowest_end, "±1e-4",
              within(slowest_end, 0.9744, abs=1e-4),
              says="parallel model: skill of the slowest task at the last step, t = 1099",
              computed="closed form: 1 − exp(−1099 / 300)"),
        claim("parallel_fastest_t09", 70, fastest_t09, "exact", fastest_t09 == 70,
              says="parallel model: step at which the fastest task passes skill 0.9",
              computed="closed form: the first step after 30 ln 10 = 69.1"),
    ]


FIG = FigureScript(number=9, slug="domino", presets={"paper": PAPER, "quick": QUICK},
                   compute=compute, plot=plot, claims=claims, stochastic=False)

if __name__ == "__main__":
    raise SystemExit(main(FIG))
