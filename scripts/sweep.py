"""Run the scaling-law sweep of the Geometry model (Figs 10, 18) or one shard of it; see skill_physics/paper/sweep/.

    python scripts/sweep.py [--quick] [--shard K/N] [--device cuda] [--variants adam signgd modular] [--plan]

Every finished grid cell is cached in results/sweep/<settings hash>/<variant>/seed<s>_d<dddd>.npz; an interrupted
sweep resumes, and the figure scripts (Fig10_scaling_laws.py, Fig18_modularity_scaling.py) read the same cache.
"""
from skill_physics.paper.sweep.cli import sweep_cli

if __name__ == "__main__":
    raise SystemExit(sweep_cli())
