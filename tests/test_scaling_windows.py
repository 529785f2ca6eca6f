"""scaling: the two-point and least-squares exponents over a fit window on synthetic curves, the quanta and Domino
predictions, and the small readers of gathered sweep data (arXiv 2501.12391, Sec. 5, Figs 10-11)."""
import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from skill_physics import scaling as theory
from skill_physics.paper import paths, scaling, sweep

GRID = np.array([10, 20, 40, 80, 160, 320])


def broken_power_law(x, slopes, breaks):
    """L(x) with -d ln L / d ln x = slopes[i] between breaks[i - 1] and breaks[i], continuous, L(x[0]) = 1."""
    x = np.asarray(x, float)
    edges = np.r_[x[0], breaks, np.inf]
    log_l = np.zeros_like(x)
    for a, lo, hi in zip(slopes, edges[:-1], edges[1:]):
        log_l -= a * np.log(np.clip(x, lo, hi) / lo)
    return np.exp(log_l)


def test_pure_power_law_gives_equal_exponents():
    curves = np.stack([3.0 * GRID ** -0.5, 1e-3 * GRID ** -1.3])
    two, lsq = scaling.exponents(GRID, curves, (20, 160))
    np.testing.assert_allclose(two, [0.5, 1.3], rtol=1e-12)
    np.testing.assert_allclose(lsq, [0.5, 1.3], rtol=1e-12)


def test_kinks_at_the_window_edges_show_which_points_are_inside():
    # window (20, 80) holds the grid points 20, 40, 80 (equally spaced in ln x): slope 1 on [20, 40], slope 2 on
    # [40, 80], so both exponents are (1 + 2) / 2 = 1.5 when both ends are inside; without the left end the
    # least-squares slope would be 2, without the right end 1. Outside the window the slope is 5: any point from
    # outside moves the least-squares slope away from 1.5.
    curve = broken_power_law(GRID, slopes=[5, 1, 2, 5], breaks=[20, 40, 80])
    two, lsq = scaling.exponents(GRID, curve[None], (20, 80))
    assert two[0] == pytest.approx(1.5, rel=1e-12)
    assert lsq[0] == pytest.approx(1.5, rel=1e-12)


def test_zero_losses_are_left_out_of_the_least_squares_fit():
    curve = 2.0 * GRID ** -0.8
    curve[2] = 0.0                                      # a loss that reached exactly 0 (float32 underflow)
    assert scaling.exponents(GRID, curve[None], (20, 160))[1][0] == pytest.approx(0.8, rel=1e-12)


def test_missing_points_inside_the_window_are_skipped_and_missing_ends_give_nan():
    curve = 2.0 * GRID ** -0.8
    holed = curve.copy()
    holed[3] = np.nan                                   # x = 80 not computed yet
    two, lsq = scaling.exponents(GRID, np.stack([curve, holed]), (20, 160))
    np.testing.assert_allclose(lsq, [0.8, 0.8], rtol=1e-12)
    np.testing.assert_allclose(two, [0.8, 0.8], rtol=1e-12)
    ends_only = curve.copy()
    ends_only[2:4] = np.nan                             # only the two ends computed: still a slope
    assert scaling.exponents(GRID, ends_only[None], (20, 160))[1][0] == pytest.approx(0.8, rel=1e-12)
    one_point = np.full_like(curve, np.nan)
    one_point[1] = 1.0
    assert np.isnan(scaling.exponents(GRID, one_point[None], (20, 160))[1][0])   # one point: no slope
    for window in [(15, 160), (20, 200)]:                                       # an end off the grid
        two, lsq = scaling.exponents(GRID, curve[None], window)
        assert np.isnan(two[0]) and np.isnan(lsq[0])


def test_collapse_dims_reads_the_last_excursion_above_and_a_tie_is_not_below():
    dims = np.array([10, 20, 30, 40, 50])
    median = np.array([[0.3, 0.2, 1e-5, 0.2, 1e-6],     # above at 10, 20 and 40: below for good from 50
                       [0.3, 1e-4, 1e-5, 1e-6, 1e-7],   # exactly at the threshold (20) is not below
                       [1e-5, 1e-4, 1e-5, 1e-6, 1e-7]])
    np.testing.assert_array_equal(scaling.collapse_dims(dims, median, 1e-4), [50, 30, 30])


def test_theory_exponents():
    alpha = np.array([1.0, 1.5, 2.0])
    np.testing.assert_allclose(theory.quanta_alpha_N(alpha), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(theory.quanta_alpha_S(alpha), [0.0, 1 / 3, 0.5])
    np.testing.assert_allclose(theory.domino_alpha(alpha), [0.0, 0.5, 1.0])


def test_alpha_row_selects_by_value():
    assert scaling.alpha_row([0.5, 1.0, 1.2], 1.2) == 2
    assert scaling.alpha_row(np.array([0.5, 1.0, 1.2]), 1.0 + 1e-12) == 1
    with pytest.raises(ValueError, match="alpha=1.4"):
        scaling.alpha_row([0.5, 1.0, 1.2], 1.4)


def test_seed_range_and_computed_points():
    assert scaling.seed_range([0.3, np.nan, 0.1, 0.2]) == [0.1, 0.3]
    assert np.isnan(scaling.seed_range([np.nan, np.nan])).all()
    x, y = scaling.computed([1, 2, 3], [0.5, np.nan, 0.2])
    np.testing.assert_array_equal(x, [1, 3])
    np.testing.assert_array_equal(y, [0.5, 0.2])


def fake_gather(n_alpha=2, dims=(40, 100, 220), seeds=(0, 1, 2)):
    """Gathered-sweep tables of known content: final loss = (alpha row + 1) * d^-1 * (1 + seed / 10); every cell's
    loss at the alpha_S fit steps t1, t2 is a power law of exponent 0.5 * (alpha row + 1)."""
    A, D, S = n_alpha, len(dims), len(seeds)
    a = np.arange(A)[:, None, None] + 1.0
    final = a * np.asarray(dims, float)[None, :, None] ** -1.0 * (1 + np.asarray(seeds)[None, None, :] / 10)
    t1, t2 = scaling.FIT_STEPS
    fit = np.stack([np.broadcast_to(a, (A, D, S)) * t ** (-0.5 * a) for t in (t1, t2)], axis=-1)
    trace_steps = np.arange(0, 301)
    trace = np.arange(1, A + 1)[:, None] * np.maximum(trace_steps, 1.0) ** (-0.5 * np.arange(1, A + 1)[:, None])
    variant = {"final_loss": final, "median_loss": np.median(final, axis=2), "fit_loss": fit, "trace": trace}
    return {"alphas": np.array([1.0, 2.0])[:A], "dims": np.asarray(dims), "seeds": np.asarray(seeds),
            "trace_steps": trace_steps, "v": variant}


def test_all_exponents_on_known_tables():
    data = fake_gather()
    out = scaling.all_exponents(data, ["v"], trace_dim=100)["v"]
    # median over seeds is seed 1: (row + 1) 1.1 / d, an exact power law of exponent 1 in d
    np.testing.assert_allclose(out["alphaN"], [1.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(out["alphaN_lsq"], [1.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(out["alphaS"], [0.5, 1.0], rtol=1e-12)
    np.testing.assert_allclose(out["alphaS_lsq"], [0.5, 1.0], rtol=1e-12)
    np.testing.assert_allclose(out["alphaS_seeds"], [[0.5] * 3, [1.0] * 3], rtol=1e-12)   # t1 first, then t2
    missing = scaling.all_exponents(data, ["v"], trace_dim=60)["v"]["alphaS_seeds"]
    assert missing.shape == (2, 1) and np.isnan(missing).all()


def test_final_losses_over_seeds():
    data = fake_gather()
    np.testing.assert_allclose(scaling.final_over_seeds(data, "v", 2.0, 100), 2 / 100 * np.array([1, 1.1, 1.2]))
    assert scaling.median_final(data, "v", 2.0, 100) == pytest.approx(2 / 100 * 1.1)
    assert np.isnan(scaling.final_over_seeds(data, "v", 1.5, 100)).all()       # alpha off the grid
    assert np.isnan(scaling.final_over_seeds(data, "v", 1.0, 60)).all()        # n_dim off the grid
    assert len(scaling.final_over_seeds(data, "v", 1.0, 60)) == 3


# ------------------------------------------------------------------------ the figure scripts' plumbing of the sweep

TINY = sweep.sweep_config(alphas=(1.0, 2.0), n_tasks=20, batch_size=16, steps=30, dense_until=30, n_log=3,
                          dims=(4, 8), seeds=(0,), trace_dim=4, trace_until=30, rng="counter")


def test_preset_and_notes_follow_the_cached_only_switch(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    monkeypatch.delenv(scaling.CACHED_ONLY_ENV, raising=False)
    assert not scaling.cached_only()
    preset = scaling.preset(TINY)
    assert preset["alphas"] == (1.0, 2.0) and preset["dims"] == (4, 8) and "cached_only" not in preset
    assert scaling.notes(["a"]) == ["a"]
    monkeypatch.setenv(scaling.CACHED_ONLY_ENV, "0")
    assert not scaling.cached_only()
    monkeypatch.setenv(scaling.CACHED_ONLY_ENV, "1")
    assert scaling.cached_only()
    assert scaling.preset(TINY)["cached_only"] == 0                 # nothing computed yet
    lines = scaling.notes(["a"])
    assert lines[0] == "a" and len(lines) == 2 and lines[1].startswith(f"drawn with {scaling.CACHED_ONLY_ENV}=1 ")
    assert "missing cells are NaN" in lines[1] and lines[1].endswith("claims that read them do not hold)")


def test_sweep_data_computes_gathers_and_offsets_seeds(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    monkeypatch.delenv(scaling.CACHED_ONLY_ENV, raising=False)
    ctx = SimpleNamespace(seed=0, device="cpu", progress=False, recompute=True)
    data = scaling.sweep_data(scaling.preset(TINY), ctx, ["signgd"])
    assert float(data["done_fraction"]) == 1.0 and data["signgd"]["final_loss"].shape == (2, 2, 1)
    assert np.all(np.isfinite(data["signgd"]["final_loss"]))
    monkeypatch.setenv(scaling.CACHED_ONLY_ENV, "1")
    cached = scaling.preset(TINY)
    assert cached["cached_only"] == 2                                # signgd's two cells
    again = scaling.sweep_data(cached, ctx, ["signgd"])             # cached only: reads, computes nothing
    np.testing.assert_array_equal(again["signgd"]["final_loss"], data["signgd"]["final_loss"])
    shifted = scaling.sweep_data(cached, SimpleNamespace(seed=5, device="cpu", progress=False, recompute=False),
                                 ["signgd"])
    assert list(shifted["seeds"]) == [5] and float(shifted["done_fraction"]) == 0.0   # seed 5 never computed
    # a preset read back from a figure's JSON has lists; --seed 5 moves the trace cell to seed 5 as well
    monkeypatch.delenv(scaling.CACHED_ONLY_ENV)
    from_json = json.loads(json.dumps(scaling.preset(TINY)))
    moved = scaling.sweep_data(from_json, SimpleNamespace(seed=5, device="cpu", progress=False, recompute=False),
                               ["signgd"])
    assert float(moved["done_fraction"]) == 1.0 and np.all(np.isfinite(moved["signgd"]["trace"]))


@pytest.mark.parametrize("rng", ["counter", "original"])
def test_minima_over_draws_uses_the_sweeps_task_vectors(rng):
    from skill_physics.paper.replay.geometry import original_unit_vectors
    from skill_physics.tasks import power_law_frequencies, task_vectors
    draw = (lambda s: original_unit_vectors(s, 12, 3)) if rng == "original" else (
        lambda s: task_vectors("random_unit", 12, 3, seed=s))
    V = torch.stack([draw(s) for s in (2, 7)])
    want = scaling.loss_minima(V, power_law_frequencies(12, 1.5))
    kw = {} if rng == "counter" else {"rng": rng}                    # counter: the default
    np.testing.assert_allclose(scaling.minima_over_draws(3, 1.5, 12, (2, 7), **kw), want, rtol=1e-12)
    assert 0 < want.min() and want.max() < np.log(2)


def test_sweep_data_hands_the_preset_and_the_summary_switch_to_the_sweep(monkeypatch):
    # what Figs 10 and 18 ask of the sweep: the preset's settings (lists made tuples, other keys dropped, seeds
    # offset by --seed), the script's device and progress, and the committed summary unless --recompute
    calls = []
    monkeypatch.setattr(sweep, "run_sweep", lambda settings, variants, **kw: calls.append(("run", settings, kw)))

    def gather(settings, variants, use_summary):
        calls.append(("gather", settings, variants, use_summary))
        return {v: {"done": np.array([1.0, 0.0, 0.0, 0.0])} for v in variants}

    monkeypatch.setattr(sweep, "gather", gather)
    cfg = {"seeds": [5, 6], "dims": np.array([20, 40]), "alphas": [1.0], "trace_seed": 5, "figure_only_key": 1}
    for recompute in (False, True):
        calls.clear()
        ctx = SimpleNamespace(seed=2, device="cpu", progress="tqdm-label", recompute=recompute)
        data = scaling.sweep_data(cfg, ctx, ["adam", "signgd"])
        want = sweep.SweepConfig(seeds=(7, 8), dims=(20, 40), alphas=(1.0,), trace_seed=7)
        assert calls == [("run", want, dict(device="cpu", progress="tqdm-label", use_summary=not recompute)),
                         ("gather", want, ["adam", "signgd"], not recompute)]
        assert data["done_fraction"] == 0.25
    calls.clear()
    scaling.sweep_data(cfg | {"cached_only": True},
                       SimpleNamespace(seed=0, device="cpu", progress=False, recompute=False), ["modular"])
    assert [c[0] for c in calls] == ["gather"] and calls[0][3] is True
