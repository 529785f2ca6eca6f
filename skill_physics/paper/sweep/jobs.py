"""The plan of the sweep's jobs (arXiv 2501.12391, Figs 10, 11, 18): which missing cells compute together, on CPU
processes or as one CUDA-graph job per family, and running them.
"""
import multiprocessing
import os
import queue as queues
import signal
import sys
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

import torch

from ...util import progress as progress_bar
from ..store import WriteError, remove_temporaries, save_arrays
from .cells import cell_path, done_cells
from .engine import device_kind, simulate_modular, simulate_nonmodular
from .settings import NONMODULAR, _rank, grid_cells

# Limits of one job, per device kind and family: (max cells, max padded columns, max padding factor, slack columns
# per cell). On a CPU the work grows with the padded columns, so jobs are bands of similar n_dim: bigger jobs gain
# nothing once the per-step cost that does not grow with n_dim is shared, and a job is cached only when it ends. A
# modular step is cheap per column, so a shared batch draw is worth more padding. On a GPU a step of small kernels
# costs their launches, whatever their size: one job per family holds every cell (padded to the largest n_dim).
JOB_LIMITS = {"cpu": {"nonmodular": (20, 2000, 1.25, 100), "modular": (50, 25_000, 1.25, 400)},
              "cuda": {"nonmodular": (10_000, 10 ** 9, None, 0), "modular": (10_000, 10 ** 9, None, 0)}}


def _fits(cells, cell, max_cells, max_columns, padding, slack):
    """Whether ``cell`` may join a job: at most ``max_cells`` cells and ``max_columns`` padded columns, and padding
    every cell to the largest n_dim costs at most ``padding`` (None: any) times the unpadded work plus ``slack``
    columns per cell (the per-step cost that does not grow with n_dim, such as the batch draws, is paid once per
    job)."""
    dims = [d for _, d in cells] + [cell[1]]
    padded = len(dims) * max(dims)
    cheap = padding is None or padded <= padding * sum(dims) + slack * len(dims)
    return len(dims) <= max_cells and padded <= max_columns and cheap


def plan(cfg, variants=None, shard=(0, 1), device="cpu", use_summary=True):
    """The jobs that compute the missing cells of a shard on ``device``, in priority order.

    Returns a list of (family, cells, variants). A job holds cells that miss the same variants, consecutive in
    priority order within the device's ``JOB_LIMITS`` (``_fits``); on a CPU a non-modular job keeps to one priority
    rank (``grid_cells``), so that the claim cells are cached early.
    """
    variants = tuple(v for v in (variants or cfg.variants) if v in cfg.variants)
    kind = device_kind(device)
    k, n = shard
    mine = grid_cells(cfg)[k::n]
    rank = {c: _rank(cfg, c) for c in mine}
    jobs = []
    for family, members in (("nonmodular", NONMODULAR), ("modular", ("modular",))):
        done = {v: done_cells(cfg, v, use_summary, cells=mine) for v in members if v in variants}   # this shard's
        todo = [(c, tuple(v for v in done if c not in done[v])) for c in mine]
        todo = [(c, vs) for c, vs in todo if vs]
        limits = JOB_LIMITS[kind][family]
        while todo:
            first, vs = todo[0]
            cells, rest = [], []
            for c, w in todo:
                same_rank = family == "modular" or kind == "cuda" or rank[c] == rank[first]
                joins = w == vs and same_rank and (not cells or (not rest and _fits(cells, c, *limits)))
                (cells.append(c) if joins else rest.append((c, w)))
            jobs.append((mine.index(first), family, cells, vs))
            todo = rest
    jobs.sort(key=lambda job: (job[0], job[1] == "modular"))
    return [job[1:] for job in jobs]


def run_job(cfg, job, device="cpu", bar=None, graph=None, folder=None):
    """Compute one job of ``plan`` (family, cells, variants) and cache its cells in ``folder`` (default
    ``cfg.folder``). Returns the number of files written."""
    family, cells, vs = job
    if family == "modular":
        result = simulate_modular(cfg, cells, device, bar, graph)
    else:
        result = simulate_nonmodular(cfg, cells, vs, device, bar, graph)
    problems = []
    for (variant, seed, d), data in result.items():
        try:
            save_arrays(cell_path(cfg, variant, seed, d, folder), data)
        except WriteError as err:       # kept elsewhere (said); the job's other cells are still written or kept
            print(f"sweep: {err}", file=sys.stderr, flush=True)
            problems.append(err)
    if problems:
        raise WriteError(f"{len(problems)} of the job's {len(result)} cell files could not be written to "
                         f"{cell_path(cfg, *next(iter(result)), folder).parent.parent}; each is kept where said above")
    return len(result)


class _QueueBar:
    """A progress bar of a worker process: forwards its updates to the parent's bar through a queue."""

    def __init__(self, queue):
        self.queue = queue

    def update(self, n):
        self.queue.put(n)


def _stop_worker(signum, frame):
    remove_temporaries()
    os._exit(128 + signum)


def _worker_init():
    """A worker ignores Ctrl-C (its parent stops it) and, on SIGTERM, removes the file it is writing and exits."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)


def stop_children():
    """Terminate this process's children (the workers and the queue's manager) and wait for them."""
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    for child in children:
        child.join(10)
        if child.is_alive():
            child.kill()


def _worker_job(cfg, job, device, queue, threads, folder):
    torch.set_num_threads(threads)
    return run_job(cfg, job, device, _QueueBar(queue), folder=folder)


def _run_parallel(cfg, jobs, device, bar, workers, threads):
    """Run ``jobs`` on ``workers`` processes, in plan order (each worker takes the next job when it is free), writing
    into the parent's ``cfg.folder``; the first error cancels the jobs not started and is raised. Returns the number
    of files written."""
    context = multiprocessing.get_context("spawn")     # torch's thread pools do not survive a fork
    with context.Manager() as manager, ProcessPoolExecutor(workers, mp_context=context,
                                                           initializer=_worker_init) as pool:
        try:
            return _collect(pool, manager.Queue(), cfg, jobs, device, bar, threads)
        except BaseException:       # an error, Ctrl-C or SIGTERM: no process outlives the command
            stop_children()
            raise


def _collect(pool, updates, cfg, jobs, device, bar, threads):
    """Submit ``jobs`` to ``pool`` and wait for them, forwarding the progress ``updates``; the first error cancels the
    jobs not started and is raised. Returns the number of files written."""
    pending = {pool.submit(_worker_job, cfg, job, device, updates, threads, cfg.folder) for job in jobs}
    written = 0
    while pending:
        finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
        while True:
            try:
                bar.update(updates.get_nowait())
            except queues.Empty:
                break
        for future in finished:
            if future.exception() is not None:
                for other in pending:
                    other.cancel()
                raise future.exception()
            written += future.result()
    return written


def run_sweep(cfg, variants=None, shard=(0, 1), device="cpu", progress=True, use_summary=True, workers=1,
              threads=1, graph=None):
    """Compute and cache every cell of the shard (``variants`` default: ``cfg.variants``) that is in neither the
    cache nor (when ``use_summary``) the committed summary.

    ``workers`` > 1 runs the jobs on as many processes (each with ``threads`` torch threads), in plan order; a GPU
    always runs them in this process, each step replayed as a captured CUDA graph unless ``graph`` is False.
    Returns the number of cell files written.
    """
    jobs = plan(cfg, variants, shard, device, use_summary)
    total = sum(len(cells) * cfg.steps for _, cells, _ in jobs)
    parallel = workers > 1 and len(jobs) > 1 and device_kind(device) == "cpu"
    desc = f"sweep ({len(jobs)} jobs{f' on {workers} processes' if parallel else ''})"
    with progress_bar(total=total, desc=desc, enabled=progress and total > 0) as bar:
        if parallel:
            return _run_parallel(cfg, jobs, device, bar, workers, threads)
        return sum(run_job(cfg, job, device, bar, graph) for job in jobs)


