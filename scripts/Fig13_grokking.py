"""Fig 13: grokking on modular addition, SignGD vs Adam, with and without weight decay (arXiv:2501.12391, Fig. 13).

Four runs ({SignGD, Adam} x {wd 0.03, wd 0}) share the split and the initialisation and are trained as one stacked
program (``skill_physics.grokking``). The paper preset replays the original code's draws (``rng="original"``), so the
Adam runs are the paper's runs: besides the paper's claims, "tight" claims compare them with the original's printed
log at its printed precision.
"""
import matplotlib.pyplot as plt
import numpy as np
import torch

from skill_physics.grokking import mlp_shapes, train_grokking
from skill_physics.measure import crossing_times
from skill_physics.paper.figure import FigureScript, claim, in_range, main
from skill_physics.paper.replay.grokking import grokking_streams

PAPER = {
    "modulus": 59,                # (a + b) mod 59 on all 59^2 = 3481 pairs
    "train_fraction": 0.8,        # int(0.8 * 3481) = 2784 training pairs, 697 test pairs
    "embed_dim": 128,             # trainable embedding E in R^{59 x 128}
    "width": 100,                 # MLP 256 -> 100 -> 100 -> 59, SiLU
    "lr": 0.01,                   # AdamW learning rate
    "steps": 10_000,              # updates; records 0 .. 10 000 (pre-update, every step)
    "record_every": 1,            # record every step: the claims read first crossings step by step
    "weight_decays": [0.03, 0.0],  # 0.03 is the paper figure, 0.0 the supplement
    "optimizers": {"SignGD": [0.0, 0.0], "Adam": [0.9, 0.999]},  # AdamW betas
    "dtype": "float64",           # the paper's precision; float32 halves the cost but adds SignGD loss spikes
    "seed": 0,                    # split and initialisation (shared by all runs)
    "rng": "original",            # the original code's draws: the paper's runs (rng="counter": runs like them)
}
QUICK = {**PAPER,
         "modulus": 23,           # a small instance: 529 pairs
         "embed_dim": 32,
         "width": 64,
         "steps": 400,
         "record_every": 5}

DTYPES = {"float32": torch.float32, "float64": torch.float64}

# The original code's printed log ("%.2e": train loss, test loss, train acc, test acc) at the steps the tight claims
# check: step 0 (the same for all four runs: the replayed initialisation and split), and the Adam runs.
LOGGED_EVERY = 200                # the original printed every 200 steps
ORIGINAL_LOG = {
    0: {run: ("4.08e+00", "4.08e+00", "2.05e-02", "2.01e-02")
        for run in ("SignGD_wd0.03", "Adam_wd0.03", "SignGD_wd0.0", "Adam_wd0.0")},
    200: {"Adam_wd0.03": ("5.30e-04", "1.70e+01", "1.00e+00", "1.72e-02"),
          "Adam_wd0.0": ("1.67e-04", "2.04e+01", "1.00e+00", "1.43e-02")},
    2000: {"Adam_wd0.03": ("9.16e-05", "2.70e+00", "1.00e+00", "4.35e-01"),
           "Adam_wd0.0": ("6.69e-06", "2.25e+01", "1.00e+00", "2.58e-02")},
    10000: {"Adam_wd0.03": ("5.89e-07", "1.05e-06", "1.00e+00", "1.00e+00"),
            "Adam_wd0.0": ("4.14e-08", "2.54e+01", "1.00e+00", "3.44e-02")},
}
LOG_KEYS = ("train_loss", "test_loss", "train_acc", "test_acc")


def run_names(cfg):
    """'<optimizer>_wd<wd>' for every run, in the stacking order (weight decay outer, optimizer inner)."""
    return [f"{name}_wd{wd}" for wd in cfg["weight_decays"] for name in cfg["optimizers"]]


def compute(cfg, ctx):
    betas = [b for _ in cfg["weight_decays"] for b in cfg["optimizers"].values()]
    wds = [wd for wd in cfg["weight_decays"] for _ in cfg["optimizers"]]
    if cfg["dtype"] not in DTYPES:
        raise ValueError(f"dtype={cfg['dtype']!r} is not allowed; choose one of {', '.join(DTYPES)}")
    seed, shapes = cfg["seed"] + ctx.seed, mlp_shapes(cfg["modulus"], cfg["embed_dim"], cfg["width"])
    drawn = grokking_streams(cfg["rng"], cfg["modulus"], cfg["train_fraction"], shapes, seed)
    rec = train_grokking(steps=cfg["steps"], lr=cfg["lr"], betas=betas, weight_decay=wds, modulus=cfg["modulus"],
                         embed_dim=cfg["embed_dim"], width=cfg["width"], train_fraction=cfg["train_fraction"],
                         seed=seed, **drawn,
                         record=np.arange(0, cfg["steps"] + 1, cfg["record_every"]), dtype=DTYPES[cfg["dtype"]],
                         device=ctx.device, progress=ctx.progress and "grokking")
    runs = {name: {key: getattr(rec, key)[:, r] for key in LOG_KEYS} for r, name in enumerate(run_names(cfg))}
    return {"steps": rec.steps, **runs}


def step_ticks(last, n=6):
    """x ticks (left column, right column) at n even steps over [0, last]. Why the right column starts one tick in:
    its "0" would sit beside the left column's last label at the joint of the panels and overlap it."""
    ticks = np.linspace(0, last, n)
    return ticks, ticks[1:]


def plot_weight_decay(data, cfg, wd):
    fig, axes = plt.subplots(2, 2, sharex="col")
    fig.subplots_adjust(wspace=0, hspace=0)
    ticks = step_ticks(int(data["steps"][-1]))
    for col, name in enumerate(cfg["optimizers"]):
        run = data[f"{name}_wd{wd}"]
        top, bottom = axes[0, col], axes[1, col]
        top.plot(data["steps"], run["train_acc"], color="C0")
        top.plot(data["steps"], run["test_acc"], color="C1")
        top.set_ylim(-0.05, 1.05)
        top.set_title(name, fontsize=15)
        bottom.plot(data["steps"], run["train_loss"], color="C0")
        bottom.plot(data["steps"], run["test_loss"], color="C1")
        bottom.set_yscale("log")
        bottom.set_ylim(1e-6, 50)
        bottom.set_xlabel("steps", fontsize=15)
        bottom.set_xticks(ticks[col])
        top.tick_params(labelbottom=False)
        if col:
            top.set_yticks([])
            bottom.set_yticks([])
    axes[0, 0].set_ylabel("accuracy", fontsize=15)
    axes[1, 0].set_ylabel("loss", fontsize=15)
    axes[0, 0].legend(["train", "test"], loc="lower right")
    fig.suptitle(f"weight decay = {wd}", fontsize=20, y=1.05)
    return fig


def plot(data, cfg):
    first, *others = cfg["weight_decays"]
    return {"": plot_weight_decay(data, cfg, first), **{f"wd_{wd}": plot_weight_decay(data, cfg, wd) for wd in others}}


def t_acc(data, run, x, every=1):
    """First recorded step with test accuracy >= x (NaN if never); every=200: among the steps the original logged."""
    logged = data["steps"] % every == 0
    return crossing_times(data[run]["test_acc"][logged], x, strict=False, steps=data["steps"][logged])


def at_step(data, run, key, step):
    """data[run][key] at the record of ``step`` (NaN if that step was not recorded)."""
    hit = np.flatnonzero(data["steps"] == step)
    return float(data[run][key][hit[0]]) if hit.size else np.nan


def printed(data, run, step):
    """Our run at ``step`` as the original printed it ("%.2e" of LOG_KEYS); 'not recorded' if the step is absent."""
    values = [at_step(data, run, key, step) for key in LOG_KEYS]
    return [f"{v:.2e}" for v in values] if np.all(np.isfinite(values)) else "not recorded"


def tight_claims(data):
    """The replayed runs against the original's printed log, at its printed precision (equal strings)."""
    rows = []
    for step, runs in ORIGINAL_LOG.items():
        for run, log in runs.items():
            ours = printed(data, run, step)
            optimizer, wd = run.split("_wd")
            rows.append(claim(f"{run}_log_{step}", list(log), ours,
                              "equal at %.2e (train loss, test loss, train acc, test acc)", ours == list(log),
                              says=f"{optimizer}, weight decay {wd}: the original's log line at step {step} (train "
                                   "loss, test loss, train acc, test acc)"))
    for x, paper in ((0.9, 3000), (0.99, 3600)):
        logged = t_acc(data, "Adam_wd0.03", x, LOGGED_EVERY)
        rows.append(claim(f"adam_wd0.03_t0{round(100 * x)}_logged", paper, logged,
                          f"equal (first of the steps logged every {LOGGED_EVERY})", logged == paper,
                          says=f"Adam, weight decay 0.03: first logged step (every {LOGGED_EVERY}) with test accuracy "
                               f"≥ {x:.2f}"))
    return rows


def claims(data, cfg):
    sign_t09, adam_t09 = t_acc(data, "SignGD_wd0.03", 0.9), t_acc(data, "Adam_wd0.03", 0.9)
    sign_t099, adam_t099 = t_acc(data, "SignGD_wd0.03", 0.99), t_acc(data, "Adam_wd0.03", 0.99)
    speedup = adam_t09 / sign_t09
    sign_wd0, adam_wd0 = (data[f"{n}_wd0.0"]["test_acc"][-1] for n in ("SignGD", "Adam"))
    final_wd = [data[f"{n}_wd0.03"]["test_acc"][-1] for n in ("SignGD", "Adam")]
    train_200 = [at_step(data, run, "train_acc", 200) for run in run_names(cfg)]
    return [
        claim("signgd_wd0.03_t090", 400, sign_t09, "<= 800", sign_t09 <= 800,
              says="SignGD, weight decay 0.03: first step with test accuracy ≥ 0.90"),
        claim("adam_wd0.03_t090", 3000, adam_t09, "±35 %", in_range(adam_t09, 0.65 * 3000, 1.35 * 3000),
              says="Adam, weight decay 0.03: first step with test accuracy ≥ 0.90"),
        claim("speedup_wd0.03_t090", 3000 / 400, speedup, ">= 3", speedup >= 3,
              says="weight decay 0.03: Adam's t0.9 over SignGD's (SignGD groks sooner)",
              computed="the ratio of the paper's two t0.9, 3000 / 400"),
        claim("signgd_wd0_final_test_acc", 0.915, sign_wd0, ">= 0.8", sign_wd0 >= 0.8,
              says="SignGD, no weight decay: final test accuracy"),
        claim("adam_wd0_final_test_acc", 0.034, adam_wd0, "<= 0.2", adam_wd0 <= 0.2,
              says="Adam, no weight decay: final test accuracy"),
        claim("wd0.03_final_test_acc", [1.0, 1.0], final_wd, ">= 0.99 (SignGD, Adam)",
              np.all(np.array(final_wd) >= 0.99), says="weight decay 0.03: final test accuracy (SignGD, Adam)"),
        claim("train_acc_200", ">= 0.99", train_200, ">= 0.98 (all four runs)", np.all(np.array(train_200) >= 0.98),
              says="training accuracy at step 200 in all four runs: memorisation comes first"),
        # t0.99 (the original logged 1600 and 3600) is reported with the same tolerances as t0.9
        claim("signgd_wd0.03_t099", 1600, sign_t099, "<= 3200", sign_t099 <= 3200,
              says="SignGD, weight decay 0.03: first step with test accuracy ≥ 0.99"),
        claim("adam_wd0.03_t099", 3600, adam_t099, "±35 %", in_range(adam_t099, 0.65 * 3600, 1.35 * 3600),
              says="Adam, weight decay 0.03: first step with test accuracy ≥ 0.99"),
        *tight_claims(data),
    ]


# two threads: its float64 matmuls run 1.8x faster than on one, with results measured bit for bit the same; more
# threads might split a product's sums differently and change the last bits, which 10 000 steps could amplify
FIG = FigureScript(number=13, slug="grokking", presets={"paper": PAPER, "quick": QUICK},
                   compute=compute, plot=plot, claims=claims, threads=2,
                   notes=["rng 'original' (the paper preset): the original code's draws (seed 0, float64; three "
                          "nn.Linear layers, then the embedding torch.normal(0, 1, (59, 128)), then the split "
                          "np.random.choice(3481, 2784, replace=False)), so the initialisation and split are the "
                          "paper's. The Adam runs are then the paper's runs: the '*_log_*' and '*_logged' claims "
                          "compare them with the original's printed log at its printed precision.",
                          "SignGD is sign descent on tiny gradients, so last-bit differences of arithmetic (ours "
                          "evaluates the first layer on the embedding rows and writes AdamW out element-wise) grow "
                          "chaotically: the SignGD runs leave the original's log by step 200 (its first logged step "
                          "after 0; train loss / test acc, ours vs original: wd 0.03 3.22e-03 / 0.809 vs 2.30e-03 / "
                          "0.803, wd 0 1.53e-03 / 0.769 vs 8.46e-03 / 0.732) and agree with it statistically only; "
                          "their claims are the paper's, with the paper's tolerances. The same chaos makes them "
                          "depend on the CPU's vector units, so the scripts pin torch's kernels to AVX2 on every "
                          "x86-64 CPU (the JSON's 'kernels'); with its AVX-512 kernels the wd 0.03 run reaches "
                          "test accuracy 0.9 at step 341 instead of 290 (step 200: 2.76e-03 / 0.809, wd 0: 5.88e-03 "
                          "/ 0.716).",
                          "Axis labels at 15 pt like the column titles (the original's were 10 pt).",
                          "The four runs are stacked into one program (per-run AdamW betas and weight decay); the "
                          "draws are shared by all runs, so a stacked run equals the run alone, bit for bit.",
                          "wd = 0.0 is written as the supplement Fig13_grokking_wd_0.0.",
                          "float64 as in the paper. float32 (the preset's 'dtype' setting) keeps every claim at "
                          "half the CPU time, but its SignGD wd 0.03 curves spike periodically after memorisation "
                          "(test accuracy dips to 0.75, test loss back to ~1), which the float64 run does not show."])

if __name__ == "__main__":
    raise SystemExit(main(FIG))
