"""The scaling-law sweep of the Geometry model (arXiv 2501.12391, Sec. 5, Figs 10, 11, 18), fast and resumable.

``settings`` (the grid), ``engine`` (one job as one tensor program; CUDA graphs on a GPU), ``jobs`` (the plan of
jobs, on CPU processes or a GPU), ``cells`` (cell files and the committed summary), ``cli`` (``scripts/sweep.py``).
The names the figure scripts use are gathered here.
"""
from .cells import at_steps, done_cells, export_summary, gather, is_complete, load_cell, load_summary, summary_path
from .engine import ENGINE_VERSION
from .jobs import plan, run_sweep
from .settings import FIT_DIMS, FIT_STEPS, PAPER, QUICK, VARIANTS, SweepConfig, grid_cells, record_steps, sweep_config

__all__ = ["ENGINE_VERSION", "FIT_DIMS", "FIT_STEPS", "PAPER", "QUICK", "VARIANTS", "SweepConfig", "at_steps",
           "done_cells", "export_summary", "gather", "grid_cells", "is_complete", "load_cell", "load_summary", "plan",
           "record_steps", "run_sweep", "summary_path", "sweep_config"]
