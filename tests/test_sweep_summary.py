"""The committed sweep summary (data/sweep_<key>.npz) is what the committed code computes: two cheap cells of the
paper grid recomputed in full (n_dim = 20, seeds 0 and 1, all 99 000 steps, every variant) against it."""
import numpy as np

from skill_physics.paper import sweep
from skill_physics.paper.sweep import engine

CELLS = [(0, 20), (1, 20)]


def test_committed_summary_matches_two_cells_recomputed_in_full():
    cfg = sweep.PAPER
    summary = sweep.load_summary(cfg)
    assert summary is not None, f"{sweep.summary_path(cfg)} is missing: run scripts/sweep.py --export-summary"
    dims, seeds = list(cfg.dims), list(cfg.seeds)
    computed = {**engine.simulate_nonmodular(cfg, CELLS), **engine.simulate_modular(cfg, CELLS)}
    for (variant, seed, d), cell in computed.items():
        i, j = dims.index(d), seeds.index(seed)
        assert summary[variant]["done"][i, j], f"{variant} {seed} {d} is not in the summary"
        # the sweep ran these cells padded into a job of wider cells, which changes the order of the float32 sums in
        # the matmuls: SignGD and the modular runs came out bit for bit, Adam within 1.3e-6 after 99 000 steps
        np.testing.assert_allclose(summary[variant]["final_loss"][:, i, j], cell["final_loss"], rtol=1e-5)
        np.testing.assert_allclose(summary[variant]["fit_loss"][:, i, j], sweep.at_steps(cell, sweep.FIT_STEPS),
                                   rtol=1e-5)
