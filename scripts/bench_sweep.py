"""Benchmark: run-steps per second of the sweep engine against a plain one-run-at-a-time loop.

The plain loop is written the way the original sweep was: per-sample task draws (torch.multinomial), a batch loss
over the drawn task vectors, autograd, ``torch.optim.Adam`` on one parameter vector, the population loss recorded
every step, one run after another in Python. The engine (skill_physics.sweep) runs all alphas and both non-modular
optimizers of 4 seeds of one n_dim as one tensor program, and the modular variant element-wise.

Usage: python scripts/bench_sweep.py [--dims 20 100 500 1000] [--steps 200] [--threads 1]
       python scripts/bench_sweep.py --device cuda [--steps 200]
The second form times the jobs of the device's plan (on CUDA one job per family holds all 200 cells): wall-clock
milliseconds per step, the bare float32 matmuls of the same shapes, their ratio and the projected paper sweep.
It also times the matmuls of one cell-step three ways (dense float32 as the engine, only the sampled tasks, dense
bfloat16): the evidence for why the engine stays dense float32 (README, "The scaling-law sweep").
Rates are per second of this process's CPU time (time.process_time), so that other programs on a shared machine
inflate them less than wall-clock rates would (caches and memory bandwidth are still shared: say so when you quote
them); the projection is in CPU-hours of one core.
"""
import argparse
import time
from dataclasses import replace

import numpy as np
import torch

from skill_physics.paper.figure import check_device, check_threads
from skill_physics.paper.sweep.engine import BatchCounts, device_kind, simulate_modular, simulate_nonmodular
from skill_physics.paper.sweep.settings import NONMODULAR, SweepConfig, grid_cells
from skill_physics.tasks import power_law_frequencies, task_vectors


def plain_run(V, p, steps, lr=0.01, batch_size=1024, betas=(0.9, 0.999)):
    """One run the original way; returns the per-step population losses."""
    x = torch.zeros(V.shape[1], requires_grad=True)
    opt = torch.optim.Adam([x], lr=lr, betas=betas)
    losses = []
    for _ in range(steps):
        with torch.no_grad():
            losses.append(float((p * -torch.nn.functional.logsigmoid(V @ x)).sum()))
        idx = torch.multinomial(p, batch_size, replacement=True)
        loss = -torch.nn.functional.logsigmoid(V[idx] @ x).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses


def time_plain(n_dim, steps, n_tasks=1000, alpha=1.0):
    V = task_vectors("random_unit", n_tasks, n_dim, seed=0)
    p = torch.as_tensor(power_law_frequencies(n_tasks, alpha), dtype=torch.float32)
    plain_run(V, p, 10)                                   # warm-up
    start = time.process_time()
    plain_run(V, p, steps)
    return steps / (time.process_time() - start)


def bench_config(steps):
    # the paper's run settings, few steps, few records (the trace cell is switched off with seed -1)
    return SweepConfig(steps=steps, dense_until=0, n_log=10, trace_seed=-1)


def time_engine(n_dim, steps, seeds=(0, 1, 2, 3)):
    cfg = bench_config(steps)
    cells = [(s, n_dim) for s in seeds]
    simulate_nonmodular(replace(cfg, steps=5), cells)     # warm-up
    start = time.process_time()
    simulate_nonmodular(cfg, cells)
    runs = len(cells) * len(NONMODULAR) * len(cfg.alphas)
    return runs * steps / (time.process_time() - start)


def time_modular(steps, n_cells=50):
    cfg = bench_config(steps)
    cells = [(s, d) for s in (0, 1, 2, 3) for d in cfg.dims][:n_cells]
    start = time.process_time()
    simulate_modular(cfg, cells)
    return len(cells) * len(cfg.alphas) * steps / (time.process_time() - start)


def time_alternatives(n_dim, steps=50, alphas=SweepConfig().alphas, n_tasks=1000, batch_size=1024):
    """The matmuls of one cell-step three ways, in microseconds: as the engine does them (14 runs x all K tasks in
    float32), only over the tasks each (seed, alpha) sampled at that step (gathered rows, 2 runs per alpha), and
    dense in bfloat16 (inputs rounded to 8 significant bits). Also returns the sampled fraction sum_a D_a / (A K)."""
    V = task_vectors("random_unit", n_tasks, n_dim, seed=0)
    R = len(NONMODULAR) * len(alphas)
    X, W = torch.randn(R, n_dim), torch.randn(R, n_tasks)
    counts = BatchCounts([0], alphas, n_tasks, batch_size, "cpu").counts(0)[0]          # (A, K)
    sampled = [c.nonzero()[:, 0] for c in counts]

    def dense():
        return X @ V.T, W @ V

    def sparse():
        for a, idx in enumerate(sampled):
            rows = V.index_select(0, idx)
            rows @ X[2 * a:2 * a + 2].T, W[2 * a:2 * a + 2, idx] @ rows

    V16 = V.bfloat16()

    def bf16():
        return X.bfloat16() @ V16.T, W.bfloat16() @ V16

    def micros(f):
        f()
        start = time.process_time()
        for _ in range(steps):
            f()
        return (time.process_time() - start) / steps * 1e6

    return micros(dense), micros(sparse), micros(bf16), sum(len(i) for i in sampled) / (len(alphas) * n_tasks)


def project_paper_sweep(rates, dims_measured, modular_rate, cfg=None):
    """CPU-hours for the paper grid: non-modular time per run-step interpolated linearly in n_dim; modular runs as
    measured on a job of 50 cells (their cost grows with n_dim too: this is the mean over the grid's n_dims)."""
    cfg = cfg or SweepConfig()
    per_run_step = np.interp(cfg.dims, dims_measured, [1 / rates[d] for d in dims_measured])
    runs_per_dim = len(cfg.seeds) * len(NONMODULAR) * len(cfg.alphas)
    nonmodular = float(np.sum(per_run_step) * runs_per_dim * cfg.steps)
    modular = len(cfg.seeds) * len(cfg.dims) * len(cfg.alphas) * cfg.steps / modular_rate
    return nonmodular / 3600, modular / 3600


def wall(f, device):
    """Wall-clock seconds of f(), the device's queue drained before and after."""
    sync = torch.cuda.synchronize if device_kind(device) == "cuda" else (lambda: None)
    sync()
    start = time.perf_counter()
    f()
    sync()
    return time.perf_counter() - start


def time_device_plan(device, steps, warmup=20):
    """Per-step wall time (s) of the paper grid as one job per family, as the CUDA plan runs it, by the difference
    of two runs (warmup and warmup + steps steps: set-up and copies cancel), and the bare float32 matmuls of the
    non-modular step. Returns {'nonmodular': s, 'modular': s (the default, captured on CUDA), 'nonmodular_eager': s,
    'modular_eager': s, 'matmul': s, 'cells': G, 'width': D}."""
    cfg = replace(bench_config(warmup), dense_until=warmup)
    cells = grid_cells(cfg)
    out = {"cells": len(cells), "width": max(d for _, d in cells)}
    for family, run in (("nonmodular", simulate_nonmodular), ("modular", simulate_modular)):
        for graph in (False, True):     # eager steps, then the steps replayed as a CUDA graph (the default there)
            short = wall(lambda: run(cfg, cells, device=device, graph=graph), device)
            long = wall(lambda: run(replace(cfg, steps=warmup + steps), cells, device=device, graph=graph), device)
            out[family + ("" if graph else "_eager")] = (long - short) / steps
    G, R, K, D = len(cells), len(NONMODULAR) * len(cfg.alphas), cfg.n_tasks, out["width"]
    V, X, W = (torch.randn(shape, device=device) for shape in ((G, K, D), (G, R, D), (G, R, K)))

    def matmuls():
        for _ in range(steps):
            torch.bmm(X, V.transpose(1, 2))
            torch.bmm(W, V)
    matmuls()
    out["matmul"] = wall(matmuls, device) / steps
    return out


def report_device_plan(device, steps, cfg=None):
    cfg = cfg or SweepConfig()
    t = time_device_plan(device, steps)
    name = torch.cuda.get_device_name() if device_kind(device) == "cuda" else "cpu"
    print(f"{name}: the paper grid as one job per family ({t['cells']} cells, padded to n_dim = {t['width']})")
    print(f"  non-modular step {t['nonmodular'] * 1e3:.3f} ms | its bare float32 matmuls {t['matmul'] * 1e3:.3f} ms "
          f"| ratio {t['nonmodular'] / t['matmul']:.2f}")
    print(f"  modular step {t['modular'] * 1e3:.3f} ms")
    print(f"  eager steps (--no-graph): non-modular {t['nonmodular_eager'] * 1e3:.3f} ms, modular "
          f"{t['modular_eager'] * 1e3:.3f} ms")
    total = (t["nonmodular"] + t["modular"]) * cfg.steps
    print(f"  projected paper sweep ({cfg.steps} steps): {total / 60:.1f} min wall "
          f"(non-modular {t['nonmodular'] * cfg.steps / 60:.1f}, modular {t['modular'] * cfg.steps / 60:.1f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[20, 100, 500, 1000])
    parser.add_argument("--steps", type=int, default=200, help="steps timed per measurement")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--device", default=None, help="time the device plan's jobs on this torch device instead "
                        "(cuda; cpu works but a step of 200 cells padded to n_dim = 1000 takes ~0.3 s there)")
    args = parser.parse_args()
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    n_tasks = SweepConfig().n_tasks
    if not all(1 <= d <= n_tasks for d in args.dims):
        parser.error(f"--dims must lie in 1..{n_tasks} (the number of tasks), got {' '.join(map(str, args.dims))}")
    try:
        check_threads("--threads", args.threads, least=1)
    except ValueError as err:
        parser.error(str(err))
    torch.set_num_threads(args.threads)
    if args.device:
        try:
            check_device(args.device)
        except ValueError as err:
            parser.error(str(err))
        report_device_plan(args.device, args.steps)
        return
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.steps} steps per measurement")
    print("run-steps per CPU-second; engine: 4 seeds x 7 alphas x 2 optimizers of one n_dim in one program")
    print(f"{'n_dim':>6} {'plain run-steps/s':>18} {'engine run-steps/s':>19} {'ratio':>7}")
    rates = {}
    for d in args.dims:
        plain = time_plain(d, args.steps)
        rates[d] = time_engine(d, args.steps)
        print(f"{d:>6} {plain:>18.0f} {rates[d]:>19.0f} {rates[d] / plain:>7.1f}")
    modular = time_modular(args.steps)
    plain_mod = time_plain(100, args.steps)
    print(f"modular (50 cells x 7 alphas, any n_dim): {modular:.0f} run-steps/s "
          f"({modular / plain_mod:.0f}x the plain loop at n_dim = 100)")
    print("matmuls of one cell-step (14 runs), microseconds: dense float32 (the engine) | only the sampled tasks "
          "(gathered rows) | dense bfloat16")
    for d in args.dims:
        dense, sparse, bf16, fraction = time_alternatives(d)
        print(f"{d:>6} {dense:>9.0f} {sparse:>9.0f} ({fraction:.0%} of the tasks sampled) {bf16:>9.0f}")
    if len(rates) >= 2:
        hours_nm, hours_mod = project_paper_sweep(rates, sorted(rates), modular)
        print(f"projected paper sweep: non-modular {hours_nm:.2f} + modular {hours_mod:.2f} = "
              f"{hours_nm + hours_mod:.2f} CPU-hours of one core")


if __name__ == "__main__":
    main()
