"""Property-based tests (Hypothesis) of the invariants the models rest on, for random settings."""
import os
from pathlib import Path

import numpy as np
import torch
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.extra.numpy import arrays

from skill_physics import crossing_times, power_law_frequencies, resource_model, task_vectors, train_geometry
from skill_physics.optim import SignGD
from skill_physics.paper.sweep.engine import simulate_modular, simulate_nonmodular
from skill_physics.paper.sweep.settings import record_steps, sweep_config

# no example database, and Hypothesis' own cache in this session's temporary results folder (conftest): the tests
# leave no .hypothesis folder in the repository
set_hypothesis_home_dir(Path(os.environ["SKILL_PHYSICS_RESULTS"]) / "hypothesis")
# derandomize: the same examples on every run (explicit seeds, as everywhere in this project). Mutation testing
# (scripts/mutate.py) sets SKILL_PHYSICS_NO_SHRINK=1: there a failing example is enough, the smallest one is not needed
PHASES = tuple(p for p in Phase if os.environ.get("SKILL_PHYSICS_NO_SHRINK") != "1" or p is not Phase.shrink)
FAST = settings(max_examples=40, deadline=None, database=None, derandomize=True, phases=PHASES)
SLOW = settings(max_examples=12, deadline=None, database=None, derandomize=True, phases=PHASES)   # Geometry runs

positive = st.floats(1e-3, 1.0)
frequencies = st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6).filter(lambda p: sum(p) > 1e-3)


def moved(skills, loss):
    """What each step moves, summed over the tasks, (T,): the residuals 1 - s (MSE) or the logits z (CE)."""
    state = 1 - skills if loss == "mse" else np.log(skills / (1 - skills))
    return np.abs(np.diff(state, axis=0)).sum(-1)


@FAST
@given(p=frequencies, eta=st.floats(1e-3, 0.5), n0=st.one_of(st.just(0.0), st.floats(1e-4, 1.0)),
       loss=st.sampled_from(["mse", "ce"]))
def test_resource_model_keeps_skills_in_0_1_and_spends_at_most_eta(p, eta, n0, loss):
    s = resource_model(p, eta_eff=eta, n0=n0, steps=20, loss=loss).skills   # CE: z <= 20 eta: logit(s) is exact
    assert np.all((s >= 0) & (s <= 1)) and np.all(s[0] == (0.0 if loss == "mse" else 0.5))
    # the resource: the tasks move by eta sum_k c_k / (sum_k c_k + N0) <= eta per step in all
    assert np.all(moved(s, loss) <= eta * (1 + 1e-9))
    assert np.all(np.diff(s, axis=0) >= -1e-12)                   # without overlaps no skill is ever unlearned


@FAST
@given(p=frequencies, eta=st.floats(1e-3, 0.2))
def test_without_waste_the_whole_resource_is_spent(p, eta):
    # N0 = 0, no clipping: while the tasks compete at all (sum_k p_k l_k > 0), each step moves the residuals by
    # exactly eta in total (a residual below 0 moves back up, so the sum is signed); after that nothing moves
    residual = 1 - resource_model(p, eta_eff=eta, n0=0.0, steps=20, clip=False).skills
    total = residual[:-1] @ np.asarray(p)
    flow = -np.diff(residual, axis=0).sum(-1)
    np.testing.assert_allclose(flow[total > 1e-9], eta, rtol=1e-9)
    assert np.all(flow[total <= 0] == 0)


@FAST
@given(n=st.integers(1, 2000), alpha=st.one_of(st.just(0.0), st.floats(0.01, 4.0)))
def test_power_law_frequencies_sum_to_one_and_decrease(n, alpha):
    p = power_law_frequencies(n, alpha)
    assert p.shape == (n,) and abs(p.sum() - 1) < 1e-12
    if alpha > 0 and n > 1:
        assert np.all(np.diff(p) < 0)
        np.testing.assert_allclose(p[0] / p[-1], float(n) ** alpha, rtol=1e-9)
    if alpha == 0:
        np.testing.assert_allclose(p, 1 / n)


def first_crossing(curve, threshold, above, strict, steps):
    """A plain loop: the first record at which the curve passes the threshold, NaN if it never does."""
    for t, v in enumerate(curve):
        if (v > threshold if strict else v >= threshold) if above else (v < threshold if strict else v <= threshold):
            return float(steps[t])
    return np.nan


@FAST
@given(curves=arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(1, 4)),
                     elements=st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])),   # coarse values: many exact ties
       threshold=st.sampled_from([0.0, 0.25, 0.5, 0.6, 1.0]), above=st.booleans(), strict=st.booleans(),
       offset=st.integers(0, 50), stride=st.integers(1, 7))
def test_crossing_times_agree_with_a_plain_loop(curves, threshold, above, strict, offset, stride):
    steps = offset + stride * np.arange(len(curves))
    got = crossing_times(curves, threshold, above=above, strict=strict, steps=steps)
    want = [first_crossing(curves[:, r], threshold, above, strict, steps) for r in range(curves.shape[1])]
    np.testing.assert_array_equal(got, want)
    alone = crossing_times(curves[:, 0], threshold, above=above, strict=strict, steps=steps)
    np.testing.assert_array_equal(alone, want[0])


@SLOW
@given(data=st.data(), n_runs=st.integers(2, 3), n_tasks=st.integers(1, 5), n_dim=st.integers(1, 12),
       setup=st.sampled_from([("signgd", "mse", "batch"), ("adam", "ce", "batch"), ("sgd", "mse", "batch"),
                              ("lion", "ce", "batch"), ("signgd", "ce", "expected")]))
def test_stacked_geometry_runs_equal_runs_alone(data, n_runs, n_tasks, n_dim, setup):
    optimizer, loss, gradient = setup
    lr = np.array(data.draw(st.lists(st.floats(1e-3, 0.05), min_size=n_runs, max_size=n_runs)))
    seeds = np.array(data.draw(st.lists(st.integers(0, 2 ** 31), min_size=n_runs, max_size=n_runs)))
    noise = np.array(data.draw(st.lists(st.sampled_from([0.0, 0.01, 0.3]), min_size=n_runs, max_size=n_runs)))
    batch = np.array(data.draw(st.lists(st.integers(1, 64), min_size=n_runs, max_size=n_runs)))
    alpha = data.draw(st.floats(0.0, 2.5))
    V = task_vectors("random_unit", n_tasks, n_dim, seed=data.draw(st.integers(0, 100)))
    p = power_law_frequencies(n_tasks, alpha)
    kw = dict(steps=25, optimizer=optimizer, loss=loss, gradient=gradient, dtype=torch.float64)
    stacked = train_geometry(V, p, lr=lr, seeds=seeds, noise=noise, batch_size=batch, **kw)
    for r in range(n_runs):
        alone = train_geometry(V, p, lr=lr[r], seeds=seeds[r], noise=noise[r], batch_size=int(batch[r]), **kw)
        np.testing.assert_allclose(stacked.skills[:, r], alone.skills[:, 0], rtol=0, atol=1e-12)
        np.testing.assert_allclose(stacked.loss[:, r], alone.loss[:, 0], rtol=0, atol=1e-12)


@FAST
@given(grads=arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 3), st.integers(1, 8)),
                    elements=st.one_of(st.just(0.0), st.floats(1e-3, 1e3), st.floats(-1e3, -1e-3))),
       lr=st.floats(1e-4, 1.0))
def test_signgd_moves_every_coordinate_by_lr_while_its_gradient_is_nonzero(grads, lr):
    x = torch.zeros(grads.shape[1:], dtype=torch.float64)
    opt = SignGD(x, lr)
    for g in torch.as_tensor(grads):
        new = opt.step(x, g)
        step = (new - x).numpy()
        g = g.numpy()
        # |step| = lr |g| / (|g| + eps): lr up to eps / |g| <= 1e-5 relative for |g| >= 1e-3
        np.testing.assert_allclose(step[g != 0], -lr * np.sign(g[g != 0]), rtol=1e-5, atol=0)
        assert np.all(step[g == 0] == 0)
        x = new


@FAST
@given(steps=st.integers(1, 5000), dense=st.integers(0, 400), n_log=st.integers(2, 80),
       trace_until=st.integers(0, 3000))
def test_sweep_records_every_step_a_figure_reads(steps, dense, n_log, trace_until):
    cfg = sweep_config(steps=steps, dense_until=dense, n_log=n_log, trace_until=trace_until)
    cell = set(record_steps(cfg, 1, 40).tolist())
    assert set(range(min(dense, steps) + 1)) <= cell and steps in cell and max(cell) == steps
    trace = set(record_steps(cfg, cfg.trace_seed, cfg.trace_dim).tolist())
    assert set(range(min(trace_until, steps) + 1)) <= trace and cell <= trace


@SLOW
@given(data=st.data(), rng=st.sampled_from(["original", "counter"]),
       alphas=st.lists(st.floats(0.0, 2.5), min_size=1, max_size=3, unique=True))
def test_stacked_sweep_cells_equal_cells_alone(data, rng, alphas):
    # a job of cells with other seeds and n_dims (padded to the largest) gives each cell what it gives alone
    dims = data.draw(st.lists(st.integers(1, 24), min_size=2, max_size=4))
    seeds = data.draw(st.lists(st.integers(0, 2 ** 31 - 1), min_size=len(dims), max_size=len(dims)))
    cells = list(dict.fromkeys(zip(seeds, dims)))
    cfg = sweep_config(alphas=tuple(alphas), n_tasks=30, batch_size=data.draw(st.integers(1, 48)), steps=40,
                       dense_until=40, n_log=4, dims=(20,), seeds=(0,), trace_dim=20, trace_until=40, rng=rng)
    # rounding only: matmuls of other shapes sum float32 in another order, and a vectorised log or sigmoid may round
    # an element differently at another position in a longer array (the modular program, element-wise)
    for simulate, rtol in ((simulate_nonmodular, 2e-5), (simulate_modular, 1e-6)):
        stacked = simulate(cfg, cells)
        for cell in cells:
            for key, alone in simulate(cfg, [cell]).items():
                np.testing.assert_array_equal(stacked[key]["steps"], alone["steps"])
                for name in ("loss", "final_loss", "final_skills"):
                    np.testing.assert_allclose(stacked[key][name], alone[name], rtol=rtol, atol=1e-7,
                                               err_msg=f"{key} {name}")
