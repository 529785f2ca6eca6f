"""The sweep engine against train_geometry, its RNG shortcut against CounterRNG, caching, sharding, and the two figure
scripts under --quick."""
import json
import shutil

import numpy as np
import pytest
import torch

from skill_physics import power_law_frequencies, task_vectors, train_geometry
from skill_physics.paper import paths
from skill_physics.paper.store import CacheError, load_arrays, save_arrays
from skill_physics.paper.sweep.cells import (
    cell_path,
    done_cells,
    export_summary,
    gather,
    is_complete,
    load_cell,
    load_summary,
)
from skill_physics.paper.sweep.cli import sweep_cli
from skill_physics.paper.sweep.engine import ENGINE_VERSION, BatchCounts, simulate_modular, simulate_nonmodular
from skill_physics.paper.sweep.jobs import plan, run_sweep
from skill_physics.paper.sweep.settings import QUICK, grid_cells, parse_shard, record_steps, sweep_config
from skill_physics.rng import CounterRNG

SMALL = sweep_config(alphas=(1.0, 2.0), n_tasks=50, batch_size=64, steps=120, dense_until=120, n_log=5,
                     dims=(10, 20), seeds=(0, 1), trace_dim=10, trace_until=120, rng="counter")
ORIGINAL = sweep_config(**{**SMALL.__dict__, "rng": "original", "steps": 300, "dense_until": 300, "trace_until": 300})


def reference(kind, n_dim, seed, optimizer, cfg=SMALL):
    """The same runs through the general engine: autograd CE gradient, one call per (cell, optimizer)."""
    p = np.stack([power_law_frequencies(cfg.n_tasks, a) for a in cfg.alphas])
    V = task_vectors(kind, cfg.n_tasks, n_dim, seed=seed)
    return train_geometry(V, p, steps=cfg.steps, lr=cfg.lr, optimizer=optimizer, loss="ce", gradient="batch",
                          batch_size=cfg.batch_size, seeds=seed, record=np.arange(cfg.steps + 1))


def test_nonmodular_cells_equal_train_geometry():
    # two n_dims in one job: the smaller is padded with zero columns
    result = simulate_nonmodular(SMALL, [(0, 20), (1, 10)])
    for seed, d in [(0, 20), (1, 10)]:
        for opt in ("adam", "signgd"):
            ref, cell = reference("random_unit", d, seed, opt), result[(opt, seed, d)]
            np.testing.assert_array_equal(cell["steps"], np.arange(SMALL.steps + 1))
            np.testing.assert_allclose(cell["loss"], ref.loss.T, atol=1e-5)
            np.testing.assert_allclose(cell["final_loss"], ref.loss[-1], atol=1e-5)
            np.testing.assert_allclose(cell["final_skills"], ref.skills[-1], atol=1e-5)


def test_modular_cells_equal_train_geometry():
    result = simulate_modular(SMALL, [(0, 10), (1, 20)])
    for seed, d in [(0, 10), (1, 20)]:
        ref, cell = reference("basis_zero", d, seed, "signgd"), result[("modular", seed, d)]
        np.testing.assert_allclose(cell["loss"], ref.loss.T, atol=1e-6)
        np.testing.assert_array_equal(cell["final_skills"], ref.skills[-1])     # element-wise: bit for bit
        assert np.all(cell["final_skills"][:, d:] == 0.5)                        # tasks beyond d are never learned


def test_batch_counts_equal_counter_rng_at_paper_size():
    alphas, seeds = (0.5, 1.0, 2.0), [0, 3]
    batches = BatchCounts(seeds, alphas, 1000, 1024, "cpu")
    p = torch.as_tensor(np.stack([power_law_frequencies(1000, a) for a in alphas]))
    for i, seed in enumerate(seeds):
        rng = CounterRNG([seed] * len(alphas))
        for step in (0, 1, 17, 5000):
            expected = rng.categorical_counts(step, torch.cumsum(p, 1), 1024).float()
            assert torch.equal(batches.counts(step)[i], expected)


def original_loop(cfg, seed, n_dim, alpha, betas, modular=False):
    """The paper code's run, written out plainly: global seeds, torch.randn task vectors, torch.optim.Adam, one
    np.random.choice batch and one (zero-weighted) torch.randn noise draw per step; the loss recorded before each
    update from float32 skills."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    K = cfg.n_tasks
    prob = 1 / (np.arange(K) + 1) ** alpha
    prob /= np.sum(prob)
    u = torch.randn(K, n_dim)
    V = u / torch.norm(u, dim=1, keepdim=True)
    if modular:
        V = torch.zeros(K, n_dim)
        V[:n_dim] = torch.eye(n_dim)
    x = torch.nn.Parameter(torch.zeros(n_dim))
    opt = torch.optim.Adam([x], lr=cfg.lr, betas=betas)
    losses = []
    for i in range(cfg.steps + 1):
        opt.zero_grad()
        skill = torch.sigmoid(V @ x)
        losses.append(np.sum(-np.log(skill.detach().numpy()) * prob))
        if i == cfg.steps:
            return np.array(losses)
        batch = np.random.choice(K, cfg.batch_size, p=prob)
        torch.mean(-torch.log(skill[batch])).backward()
        x.grad.data += 0.0 * torch.randn(n_dim)
        opt.step()


def test_sweep_replays_the_original_runs():
    # 300 steps of every variant; stacked cells of two n_dims (the smaller padded). The engine's gradient is the
    # same formula in another order of float32 operations, so the runs agree to rounding, not bit for bit.
    cells = [(0, 20), (1, 10)]
    nonmodular, modular = simulate_nonmodular(ORIGINAL, cells), simulate_modular(ORIGINAL, cells)
    for seed, d in cells:
        for i, alpha in enumerate(ORIGINAL.alphas):
            for variant, betas in (("adam", (0.9, 0.999)), ("signgd", (0.0, 0.0)), ("modular", (0.0, 0.0))):
                ref = original_loop(ORIGINAL, seed, d, alpha, betas, modular=variant == "modular")
                cell = (modular if variant == "modular" else nonmodular)[(variant, seed, d)]
                np.testing.assert_allclose(cell["loss"][i], ref, rtol=5e-6, err_msg=f"{variant} {seed} {d} {alpha}")


def test_original_batches_are_numpy_choice_per_seed():
    # the original run of (seed, alpha) seeds NumPy with its seed and calls choice(K, B, p) once per step
    alphas, seeds = (0.5, 2.0), [3, 0]
    batches = BatchCounts(seeds, alphas, 1000, 1024, "cpu", rng="original")
    alone = BatchCounts([0], alphas, 1000, 1024, "cpu", rng="original")
    runs = {(s, a): np.random.RandomState(s) for s in seeds for a in alphas}
    prob = {a: 1 / (np.arange(1000) + 1) ** a for a in alphas}
    for step in range(BatchCounts.block + 3):                 # crosses a block of pre-drawn uniforms
        counts, counts_alone = batches.counts(step), alone.counts(step)
        for i, seed in enumerate(seeds):
            for j, alpha in enumerate(alphas):
                drawn = runs[(seed, alpha)].choice(1000, 1024, p=prob[alpha] / np.sum(prob[alpha]))
                np.testing.assert_array_equal(counts[i, j].numpy(), np.bincount(drawn, minlength=1000))
        assert torch.equal(counts[1], counts_alone[0])         # a seed's draws do not depend on the others stacked
    with pytest.raises(ValueError, match="in order"):
        batches.counts(0)


def test_original_task_vectors_are_torch_randn():
    from skill_physics.paper.replay.geometry import original_unit_vectors
    torch.manual_seed(2)
    u = torch.randn(1000, 60)
    assert torch.equal(original_unit_vectors(2, 1000, 60), u / torch.norm(u, dim=1, keepdim=True))


def test_record_schedule_keeps_the_fit_points_and_the_trace():
    cfg = sweep_config()
    steps = record_steps(cfg, 1, 40)
    assert {0, 80, 200, cfg.steps} <= set(steps.tolist()) and len(steps) < 600
    trace = record_steps(cfg, cfg.trace_seed, cfg.trace_dim)
    assert set(range(cfg.trace_until + 1)) <= set(trace.tolist())


def test_claim_cells_come_first_and_shards_partition_the_grid():
    cfg = sweep_config()
    cells = grid_cells(cfg)
    assert cells[0] == (0, 100) and set(cells[1:9]) == {(s, d) for s in range(4) for d in (40, 220)}
    shards = [set(grid_cells(cfg)[k::7]) for k in range(7)]
    assert set().union(*shards) == set(cells) and sum(map(len, shards)) == len(cells) == 200
    assert parse_shard("3/8") == (3, 8)
    for bad in ("8/8", "x", "1/0"):
        with pytest.raises(ValueError, match="shard"):
            parse_shard(bad)


def test_sweep_caches_resumes_and_shards(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    assert run_sweep(SMALL, shard=(1, 2), progress=False) == 3 * 2          # 2 of 4 cells, 3 variants each
    half = gather(SMALL)
    assert half["adam"]["done"].sum() == 2
    assert np.isnan(half["adam"]["final_loss"]).sum() == 2 * 2              # 2 alphas x 2 missing cells
    assert run_sweep(SMALL, variants=["modular"], progress=False) == 2       # only what is missing
    assert run_sweep(SMALL, progress=False) == 2 * 2
    assert run_sweep(SMALL, progress=False) == 0 and plan(SMALL) == []       # resumed: nothing left
    full = gather(SMALL)
    for v in ("adam", "signgd", "modular"):
        assert full[v]["done"].all() and np.isfinite(full[v]["median_loss"]).all()
        assert np.isfinite(full[v]["trace"]).all()
    # a sweep in one call gives the same cells as the sharded one (the RNG does not depend on the grouping)
    alone = simulate_nonmodular(SMALL, [(1, 10)])
    np.testing.assert_allclose(full["signgd"]["final_loss"][:, 0, 1], alone[("signgd", 1, 10)]["final_loss"],
                               atol=1e-6)


def test_modular_loss_floor():
    # after training, the modular loss is the floor ln 2 * sum_{k > d} p_k (tasks beyond d stay at 1/2) plus what the
    # owned tasks have left; it can never go below the floor
    cfg = sweep_config(alphas=(1.0, 2.0), n_tasks=50, batch_size=256, steps=1500, n_log=5, trace_seed=-1, dims=(10,))
    cell = simulate_modular(cfg, [(0, 10)])[("modular", 0, 10)]
    floor = [np.log(2) * power_law_frequencies(50, a)[10:].sum() for a in cfg.alphas]
    assert np.all(cell["final_loss"] >= np.array(floor) - 1e-7)
    np.testing.assert_allclose(cell["final_loss"], floor, rtol=0.01)


def test_collapse_dims_finds_where_the_loss_stays_below_threshold():
    from skill_physics.paper.scaling import collapse_dims
    dims = np.array([100, 200, 300, 400])
    median = np.array([[0.3, 1e-5, 0.2, 1e-6],         # dips early, collapses for good at 400
                       [1e-5, 1e-6, 1e-7, 1e-8],       # below from the first n_dim
                       [0.3, 0.2, 0.1, 5e-4],          # never below 1e-4
                       [0.3, np.nan, 1e-6, 1e-7]])     # a missing cell before the cliff does not hide it
    np.testing.assert_array_equal(collapse_dims(dims, median, 1e-4), [400, 100, np.nan, 300])


def test_loss_minima_is_the_plateau_of_training_and_separable():
    from skill_physics.paper.scaling import loss_minima, minima_over_draws
    minima = minima_over_draws(10, 1.0, 50, seeds=(0, 1, 2))
    alone = [float(minima_over_draws(10, 1.0, 50, seeds=(s,))[0]) for s in (0, 1, 2)]
    np.testing.assert_allclose(minima, alone, rtol=1e-9)          # stacking draws does not change any minimum
    assert len(set(np.round(minima, 6))) == 3 and np.all(minima < np.log(2))
    # full-gradient Adam on the same population loss comes down to the minimum, never below it
    p = power_law_frequencies(50, 1.0)
    V = task_vectors("random_unit", 50, 10, seed=1)
    run = train_geometry(V, p, steps=4000, lr=0.01, optimizer="adam", loss="ce", gradient="expected",
                         record=[4000], dtype=torch.float64)
    assert minima[1] - 1e-9 <= run.loss[-1, 0] <= minima[1] + 1e-4
    assert loss_minima(V[None], p)[0] == pytest.approx(minima[1], rel=1e-9)


def test_cache_folder_names_what_a_cell_holds_and_not_which_cells_exist():
    key = SMALL.key()
    assert sweep_config(**{**SMALL.__dict__, "dims": (10,), "seeds": (3,), "variants": ("adam",)}).key() == key
    for field, value in (("lr", 0.02), ("steps", 121), ("batch_size", 32), ("rng", "original"), ("alphas", (1.0,)),
                         ("trace_dim", 20), ("n_log", 6)):
        assert sweep_config(**{**SMALL.__dict__, field: value}).key() != key, field
    assert len(key) == 12 and int(key, 16) >= 0


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="variant"):
        sweep_config(variants=("adamw",))
    with pytest.raises(ValueError, match="dims"):
        sweep_config(dims=(2000,))


def test_sweep_cli_refuses_bad_input(capsys):
    from skill_physics.paper.sweep.cli import sweep_cli
    assert sweep_cli(["--quick", "--plan", "--shard", "3/2"]) == 2
    assert "0 <= K < N" in capsys.readouterr().err
    assert sweep_cli(["--quick", "--plan", "--variants", "adamw"]) == 2
    if not torch.cuda.is_available():
        assert sweep_cli(["--quick", "--plan", "--device", "cuda"]) == 2
        assert "no CUDA device" in capsys.readouterr().err
    assert sweep_cli(["--quick", "--plan", "--jobs", "0"]) == 2
    assert "--jobs" in capsys.readouterr().err


def test_quick_preset_is_small():
    assert len(grid_cells(QUICK)) <= 8 and QUICK.steps <= 1000


@pytest.mark.parametrize("script", ["Fig10_scaling_laws.py", "Fig18_modularity_scaling.py"])
def test_figure_scripts_quick(run_script, script, tmp_path):
    proc, out = run_script(script, "--quick")
    assert proc.returncode == 0, proc.stderr
    name = script[:-3]
    report = json.loads((out / f"{name}.json").read_text())
    assert report["preset"] == "quick" and report["claims"]
    for output in report["outputs"]:
        assert (out / f"{output}.png").exists() and (out / f"{output}.pdf").exists()
    rows = {r["name"]: r for r in report["claims"]}
    if name.startswith("Fig18"):
        # the modular model is slower early (ratio < 1), then overtakes (d = 100, alpha = 2)
        lowest, t_min = rows["S_speedup_min_a2.0"]["ours"]
        assert lowest < 1 and rows["S_speedup_cross_a2.0"]["ours"] > t_min
    else:
        # alpha_S grows with alpha (steeper power laws are learned faster), for both optimizers
        for opt in ("signgd", "adam"):
            assert rows[f"alphaS_{opt}_a2.0"]["ours"] > rows[f"alphaS_{opt}_a1.0"]["ours"] > 0



def test_damaged_cell_is_set_aside_and_computed_again(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)          # outside the checkout, like a cluster's shared folder
    run_sweep(SMALL, variants=["modular"], progress=False)
    path = cell_path(SMALL, "modular", 1, 10)
    good = load_cell(SMALL, "modular", 1, 10)
    path.write_bytes(b"not a zip file")
    with pytest.raises(CacheError, match="run scripts/sweep.py"):      # the advice given must work
        gather(SMALL, ["modular"])
    assert sweep_cli(["--plan", "--quick"]) == 0                       # prints the folder outside the checkout
    assert run_sweep(SMALL, variants=["modular"], progress=False) == 1
    assert "set aside" in capsys.readouterr().err and path.with_name(path.name + ".damaged").exists()
    np.testing.assert_array_equal(load_cell(SMALL, "modular", 1, 10)["loss"], good["loss"])


def _sweep_into(folder):
    paths.RESULTS = folder
    run_sweep(SMALL, variants=["modular"], progress=False)


def test_two_processes_writing_the_same_cells_leave_whole_files(tmp_path, monkeypatch):
    import multiprocessing
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_sweep_into, args=(tmp_path,)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=300)
        assert w.exitcode == 0
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    assert not list(tmp_path.rglob("*.tmp"))
    alone = simulate_modular(SMALL, [(0, 10)])[("modular", 0, 10)]
    np.testing.assert_array_equal(load_cell(SMALL, "modular", 0, 10)["loss"], alone["loss"])
    assert gather(SMALL, ["modular"])["modular"]["done"].all()


def test_jobs_on_two_processes_equal_one_process(tmp_path, monkeypatch):
    cells = {}
    for workers in (2, 1):
        monkeypatch.setattr(paths, "RESULTS", tmp_path / str(workers))     # the workers write into the parent's
        assert run_sweep(SMALL, progress=False, workers=workers) == 3 * 4
        cells[workers] = {(v, *c): load_cell(SMALL, v, *c) for v in SMALL.variants for c in grid_cells(SMALL)}
    for key, one in cells[1].items():
        for name in one:
            np.testing.assert_array_equal(cells[2][key][name], one[name])


def test_gather_reads_exactly_the_steps_it_asks_for(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    run_sweep(SMALL, variants=["modular"], progress=False)
    cell = load_cell(SMALL, "modular", 0, 10)
    keep = cell["steps"] != 80                                 # a schedule that lost one fit step
    damaged = {**cell, "steps": cell["steps"][keep], "loss": cell["loss"][:, keep]}
    save_arrays(cell_path(SMALL, "modular", 0, 10), damaged)
    with pytest.raises(CacheError, match="80"):
        gather(SMALL, ["modular"])


def test_summary_stands_in_for_the_cache_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(paths, "DATA", tmp_path / "data")
    run_sweep(SMALL, variants=["modular"], shard=(0, 2), progress=False)
    path, done, total = export_summary(SMALL)                 # a partial sweep: 2 of 4 modular cells
    assert (done, total) == (2, 12) and path.stat().st_size < 100_000
    shutil.rmtree(tmp_path / "results")                        # a fresh clone: the summary only
    assert not is_complete(SMALL) and len(done_cells(SMALL, "modular")) == 2
    assert run_sweep(SMALL, progress=False) == 2 + 2 * 4       # resumes: only the cells the summary lacks
    assert is_complete(SMALL) and plan(SMALL) == [] and len(plan(SMALL, use_summary=False)) > 0
    merged, cache_only = gather(SMALL), gather(SMALL, use_summary=False)
    assert merged["from_summary"] == 2 and cache_only["from_summary"] == 0
    assert cache_only["modular"]["done"].sum() == 2 and merged["modular"]["done"].all()
    full = simulate_modular(SMALL, [(s, d) for s, d in grid_cells(SMALL)])
    for i, d in enumerate(SMALL.dims):
        for j, s in enumerate(SMALL.seeds):
            expected = full[("modular", s, d)]["final_loss"]
            np.testing.assert_array_equal(merged["modular"]["final_loss"][:, i, j], expected)
    path, _, _ = export_summary(SMALL)
    assert load_arrays(path)["engine_version"] == ENGINE_VERSION      # the stamp: settings (the name) and version
    summary = load_summary(SMALL)
    for key in ("final_loss", "trace", "fit_loss", "early", "done"):
        np.testing.assert_array_equal(summary["adam"][key], merged["adam"][key])


def test_gpu_plan_is_one_job_per_family_and_gives_the_cpu_plans_cells(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    monkeypatch.setattr(paths, "DATA", tmp_path / "data")
    cpu_jobs, gpu_jobs = plan(sweep_config()), plan(sweep_config(), device="cuda")
    assert len(cpu_jobs) > 20 and [(f, len(c)) for f, c, _ in gpu_jobs] == [("nonmodular", 200), ("modular", 200)]
    # the GPU plan's grouping, run here on the CPU, gives the cells of the CPU plan (padding is exact up to the
    # order of float32 sums in the matmuls)
    cfg = sweep_config(**{**ORIGINAL.__dict__, "dims": (10, 30), "steps": 150, "dense_until": 150, "trace_until": 150})
    run_sweep(cfg, progress=False)
    for family, cells, variants in plan(cfg, device="cuda", use_summary=False):
        assert len(cells) == 4
        result = simulate_modular(cfg, cells) if family == "modular" else simulate_nonmodular(cfg, cells, variants)
        for (variant, seed, d), cell in result.items():
            np.testing.assert_allclose(cell["loss"], load_cell(cfg, variant, seed, d)["loss"], rtol=1e-5)


# 700 steps cross a block of replayed uniforms; two n_dims, two seeds
PROGRAM_CFG = sweep_config(**{**ORIGINAL.__dict__, "steps": 700, "trace_until": 700, "n_log": 20})
PROGRAM_CELLS = [(0, 20), (1, 10), (0, 10)]


@pytest.mark.parametrize("rng", ["original", "counter"])
def test_the_capturable_step_program_equals_the_plain_loop(rng):
    # graph=True is the program a CUDA graph captures (uniforms read from a block by a device counter, one
    # searchsorted, Adam's bias corrections read from a table by a device step); on a CPU it runs uncaptured.
    # 700 steps cross a block of replayed uniforms; SignGD and the modular runs need no bias correction: bit for bit.
    cfg, cells = sweep_config(**{**PROGRAM_CFG.__dict__, "rng": rng}), PROGRAM_CELLS
    for simulate in (simulate_nonmodular, simulate_modular):
        plain, program = simulate(cfg, cells, graph=False), simulate(cfg, cells, graph=True)
        for key, cell in plain.items():
            for name, value in cell.items():
                if key[0] == "adam" and name != "steps":    # float32 powers of a table against b ** t: rounding
                    np.testing.assert_allclose(program[key][name], value, rtol=5e-6, err_msg=f"{key} {name}")
                else:
                    np.testing.assert_array_equal(program[key][name], value, err_msg=f"{key} {name}")


@pytest.mark.parametrize("rng", ["original", "counter"])
def test_the_capturable_program_keeps_the_uniforms_in_float64(rng):
    # with K = 1000 tasks and B = 1024 draws a step, uniforms rounded to float32 would move a few draws across a cdf
    # boundary within 300 steps: the program's block of uniforms must hold them as drawn (SignGD: bit for bit)
    cfg = sweep_config(alphas=(1.0,), n_tasks=1000, batch_size=1024, steps=300, dense_until=300, n_log=5, dims=(10,),
                       seeds=(0, 1), trace_dim=10, trace_until=300, rng=rng, variants=("signgd",))
    cells = [(0, 10), (1, 10)]
    plain = simulate_nonmodular(cfg, cells, ("signgd",), graph=False)
    program = simulate_nonmodular(cfg, cells, ("signgd",), graph=True)
    for key, cell in plain.items():
        np.testing.assert_array_equal(program[key]["final_skills"], cell["final_skills"], err_msg=f"{key}")


def test_an_adam_job_alone_equals_its_rows_beside_signgd():
    # a job of one variant gets that variant's optimizer (SignGD's short form only when every row is SignGD)
    both, alone = simulate_nonmodular(SMALL, [(0, 10)]), simulate_nonmodular(SMALL, [(0, 10)], variants=("adam",))
    assert set(alone) == {("adam", 0, 10)}
    np.testing.assert_allclose(alone[("adam", 0, 10)]["loss"], both[("adam", 0, 10)]["loss"], rtol=1e-6)


def test_every_record_is_the_original_loss_of_the_float32_skills():
    # the original computes -log of its float32 skills in float32 and sums p_k l_k in float64: the record at step t
    # of a longer run is that loss of the final skills of a run of t steps (the same draws), to the float64 sum
    short, long = (sweep_config(**{**SMALL.__dict__, "steps": n, "dense_until": n, "trace_until": n}) for n in (50, 60))
    p = np.stack([power_law_frequencies(SMALL.n_tasks, a) for a in SMALL.alphas])
    for simulate in (simulate_nonmodular, simulate_modular):
        ends, records = simulate(short, [(0, 10)]), simulate(long, [(0, 10)])
        for key, end in ends.items():
            loss = (p * -torch.log(torch.as_tensor(end["final_skills"])).double().numpy()).sum(axis=1)
            np.testing.assert_allclose(end["final_loss"], loss, rtol=1e-13, atol=0, err_msg=f"{key}")
            np.testing.assert_allclose(records[key]["loss"][:, 50], loss.astype(np.float32), rtol=0, atol=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_the_captured_cuda_graph_equals_eager_cuda_steps():
    # on a GPU: the replayed graph advances the state (an empty graph would leave every loss at its start) and
    # computes what the eager steps compute, on every variant
    cfg, cells = PROGRAM_CFG, PROGRAM_CELLS
    for simulate in (simulate_nonmodular, simulate_modular):
        eager = simulate(cfg, cells, device="cuda", graph=False)
        graph = simulate(cfg, cells, device="cuda", graph=True)
        for key, cell in eager.items():
            assert np.all(graph[key]["loss"][:, -1] < graph[key]["loss"][:, 0])
            for name in ("loss", "final_loss", "final_skills"):
                np.testing.assert_allclose(graph[key][name], cell[name], rtol=5e-6, atol=1e-7, err_msg=f"{key}")


def test_the_table_search_holds_more_tasks_than_int16_counts():
    # the bucket table stores counts up to K: int16 only while K < 2^15, int32 beyond
    batches = BatchCounts([0], (0.5,), 40_000, 4096, "cpu")
    u = batches.uniforms(0).reshape(-1)
    assert torch.equal(batches.indices(u, "table"), batches.indices(u, "searchsorted"))


@pytest.mark.parametrize("rng", ["original", "counter"])
def test_the_single_kernel_search_equals_the_table_search(rng):
    batches = BatchCounts([0, 5], (0.5, 1.0, 2.0), 1000, 1024, "cpu", rng=rng)
    for step in range(3):
        u = batches.uniforms(step).reshape(-1)
        assert torch.equal(batches.indices(u, "searchsorted"), batches.indices(u, "table"))


@pytest.mark.parametrize("search", ["table", "searchsorted"])
def test_a_draw_on_a_cdf_boundary_goes_to_the_next_task(search):
    # NumPy's choice places a uniform u at #{k: cdf_k <= u}: a draw exactly on a boundary belongs to the task above it
    batches = BatchCounts([0], (1.0, 2.0), 50, 8, "cpu")
    u = torch.cat([batches.cdf[0, :-1], batches.cdf[1, :20]])          # every boundary below 1 of alpha 1, some of 2
    expected = (batches.cdf[:, None, :] <= u[None, :, None]).sum(dim=2)
    assert torch.equal(batches.indices(u, search), expected)


def test_the_table_search_holds_exactly_2_to_the_15_tasks():
    # K = 2^15 tasks: the table's last row holds the count K, one more than int16 holds; a draw just below 1 reads it
    # (under alpha = 1 the last bucket of the table holds several task boundaries, so the search must decide there)
    batches = BatchCounts([0], (1.0,), 2 ** 15, 4, "cpu")
    u = torch.tensor([1 - 1e-9, 1 - 2 ** -17], dtype=torch.float64)
    expected = (batches.cdf[:, None, :] <= u[None, :, None]).sum(dim=2).clamp(max=2 ** 15 - 1)
    assert torch.equal(batches.indices(u, "table"), expected)
