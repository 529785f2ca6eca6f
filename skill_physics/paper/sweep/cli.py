"""The sweep's command line (``scripts/sweep.py``): run the scaling-law sweep of Figs 10, 11, 18, or a shard of it,
list its plan, or export its summary.
"""
import argparse
import sys
import time

import torch

from ...util import check_choice
from .. import kernels, paths
from ..figure import check_device, check_threads, exit_on_signals
from ..store import CacheError, WriteError, writable_folder
from .cells import export_summary, shown
from .jobs import plan, run_sweep
from .settings import PAPER, QUICK, VARIANTS, grid_cells, parse_shard


def sweep_cli(argv=None):
    """``scripts/sweep.py``: compute (and cache) the sweep or one shard of it. Returns the exit code."""
    if argv is None:
        kernels.ensure_pinned()
    parser = argparse.ArgumentParser(prog="sweep.py", description="Run the scaling-law sweep of the Geometry model "
                                     "(Figs 10, 18); every finished cell is cached in results/sweep/.")
    parser.add_argument("--quick", action="store_true", help="the reduced grid of the figure scripts' --quick")
    parser.add_argument("--shard", default="0/1", help="K/N: run every N-th grid cell, starting at cell K")
    parser.add_argument("--device", default="cpu", help="torch device: cpu (default) or cuda")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), help=f"subset of {' '.join(VARIANTS)}")
    parser.add_argument("--jobs", type=int, default=paths.usable_cores(),
                        help="processes that run the jobs side by side on a CPU (default: the cores this process "
                             "may use)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads per process (default 1)")
    parser.add_argument("--no-graph", action="store_true", help="on CUDA, run the steps eagerly instead of "
                        "replaying each as a captured CUDA graph")
    parser.add_argument("--plan", action="store_true", help="only list the jobs that would run")
    parser.add_argument("--export-summary", action="store_true",
                        help="write the summary of the complete cache to data/ (what Figs 10 and 18 read; committed)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    with exit_on_signals("sweep"):
        return _run(args)


def _run(args):
    """The sweep of the parsed command line; returns the exit code."""
    try:
        for v in args.variants:
            check_choice("--variants", v, VARIANTS)
        shard = parse_shard(args.shard)
        if args.jobs < 1 or args.threads < 1:
            raise ValueError(f"--jobs and --threads must be at least 1, got {args.jobs} and {args.threads}")
        check_threads("--jobs", args.jobs, least=1)
        check_threads("--threads", args.threads, least=1)
        check_device(args.device)
        torch.set_num_threads(args.threads)
        cfg = QUICK if args.quick else PAPER
        jobs = plan(cfg, args.variants, shard, args.device)
        cells = len(grid_cells(cfg)[shard[0]::shard[1]])
        print(f"sweep {shown(cfg.folder)}: shard {args.shard} holds {cells} of "
              f"{len(grid_cells(cfg))} grid cells; {len(jobs)} jobs to run", flush=True)
        if args.export_summary:
            if kernels.native():
                raise ValueError(f"--export-summary writes the committed summary, which the pinned CPU kernels make; "
                                 f"unset {kernels.NATIVE}")
            writable_folder(paths.DATA, "the summary folder", "make it writable")
            path, done, total = export_summary(cfg)
            print(f"sweep: wrote {shown(path)}: {done} of {total} cells computed")
            return 0
        if args.plan:
            for family, job_cells, vs in jobs:
                print(f"  {family:10s} {'+'.join(vs):12s} {len(job_cells):3d} cells: {job_cells}")
            return 0
        if jobs:      # where the cells will be cached, before computing them
            writable_folder(cfg.folder, "the results folder", "make it writable or set SKILL_PHYSICS_RESULTS to a "
                            "writable folder")
        start = time.perf_counter()
        written = run_sweep(cfg, args.variants, shard, args.device, progress=not args.no_progress,
                            workers=args.jobs, threads=args.threads, graph=False if args.no_graph else None)
    except (ValueError, CacheError, WriteError) as err:
        print(f"sweep: error: {err}", file=sys.stderr)
        return 2
    print(f"sweep: wrote {written} cell files in {time.perf_counter() - start:.0f} s")
    return 0


