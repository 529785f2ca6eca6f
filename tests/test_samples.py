"""Unintended changes of numbers: one small sample of every seeded figure family, recomputed against the numbers the
committed code produced (``tests/samples.npz``), beside the sweep's two-cell check (test_sweep_summary.py) and
Fig 6's full replay (``reproduce.py --check`` in test_reproduce.py).

The caches are named by settings and a version number, not by the code's text, so a change of numbers must be
caught here. A commit that means to change numbers bumps the version (``FigureScript.version``, the sweep's
``ENGINE_VERSION``) and rewrites the samples: ``python tests/test_samples.py --write``.
"""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from skill_physics import train_geometry
from skill_physics.grokking import mlp_shapes, train_grokking
from skill_physics.modularity import train_two_task
from skill_physics.paper.replay.geometry import (
    AUTOGRAD,
    MIMIC,
    original_draws,
    original_orthogonal_rows,
    original_record,
)
from skill_physics.paper.replay.grokking import grokking_streams
from skill_physics.paper.replay.parity import figure_experiment
from skill_physics.paper.replay.streams import generators, original_power_law
from skill_physics.paper.sweep.engine import simulate_modular, simulate_nonmodular
from skill_physics.paper.sweep.settings import sweep_config
from skill_physics.sparse_parity import TWO_PARITIES

SAMPLES = Path(__file__).with_name("samples.npz")


def geometry():
    """Figs 4-8, 15: two replayed runs of the Geometry model (orthogonal vectors, SignGD and Adam, MSE mimic)."""
    pair = generators(2)
    vectors = original_orthogonal_rows(pair[0], 5, 40)
    rec = train_geometry(vectors, original_power_law(5, 1.5), steps=120, lr=[3e-3, 3e-3], batch_size=128,
                         optimizer="adam", optimizer_options={"betas": [[0.0, 0.0], [0.9, 0.999]]}, **MIMIC,
                         record=original_record(120), **original_draws([pair, pair], 128))
    # CE past the float32 sigmoid's saturation (z > 17), where the original's arithmetic shows
    ce = train_geometry(vectors[:2], [0.7, 0.3], steps=60, lr=0.2, optimizer="signgd", loss="ce",
                        **AUTOGRAD, batch_size=64, record=original_record(60), **original_draws([generators(3)], 64))
    return {"skills": rec.skills, "loss": rec.loss, "ce_loss": ce.loss}


def parity():
    """Figs 2, 16: the replayed sparse-parity MLP, task 2 at frequency 0.1."""
    out = figure_experiment([4], TWO_PARITIES, rng="original", steps=40, frequencies=[1.0, 0.1], n_samples=500)
    return {"accuracy": out["accuracy"], "train_rmse": out["train_rmse"]}


def grokking():
    """Fig 13: the replayed modular-addition MLP, SignGD and AdamW."""
    modulus, embed_dim, width = 11, 8, 16
    drawn = grokking_streams("original", modulus, 0.8, mlp_shapes(modulus, embed_dim, width), 0)
    out = train_grokking(steps=25, lr=0.01, betas=[(0.0, 0.0), (0.9, 0.999)], weight_decay=0.03, modulus=modulus,
                         embed_dim=embed_dim, width=width, **drawn)
    return {k: getattr(out, k) for k in ("train_loss", "test_loss", "train_acc", "test_acc")}


def modularity():
    """Fig 19: modular and non-modular two-task MLPs (counter-seeded)."""
    out = train_two_task([0, 1], [True, False], widths=(2, 20, 20, 2), steps=60, n_samples=200,
                         stop_when_learned=False)
    return {"mse": out.mse[:-1]}      # the samples hold the records before updates 1 ... steps


def sweep():
    """Figs 10, 18: the sweep engine, every variant, on replayed draws."""
    cfg = sweep_config(alphas=(1.0, 2.0), n_tasks=60, batch_size=64, steps=150, dense_until=20, n_log=10,
                       dims=(10, 20), seeds=(0,), trace_dim=10, trace_until=30)
    cells = [(0, 10), (0, 20)]
    out = {**simulate_nonmodular(cfg, cells), **simulate_modular(cfg, cells)}
    return {f"{v}_{s}_{d}": cell["loss"] for (v, s, d), cell in out.items()}


FAMILIES = {"geometry": geometry, "parity": parity, "grokking": grokking, "modularity": modularity, "sweep": sweep}


def computed(name):
    torch.set_num_threads(1)
    return {f"{name}/{k}": np.asarray(v) for k, v in FAMILIES[name]().items()}


@pytest.mark.parametrize("name", FAMILIES)
def test_a_sample_of_each_seeded_family_gives_the_committed_numbers(name):
    with np.load(SAMPLES) as committed:
        expected = {k: committed[k] for k in committed.files if k.startswith(f"{name}/")}
    got = computed(name)
    assert sorted(got) == sorted(expected)
    for key, value in got.items():
        # float32 sums may take another order on another CPU's vector units: agreement to rounding, not to the bit
        np.testing.assert_allclose(value, expected[key], rtol=1e-5, atol=1e-9, err_msg=key)


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python tests/test_samples.py --write   (rewrites tests/samples.npz)")
    np.savez_compressed(SAMPLES, **{k: v for name in FAMILIES for k, v in computed(name).items()})
    print(f"wrote {SAMPLES}")
