#!/bin/bash
# Example SLURM job array for the scaling-law sweep (Figs 10, 18): every array task runs one shard, i.e. every N-th
# grid cell (N = the array size), and caches each finished cell in results/sweep/ (one .npz per variant and cell,
# written atomically). The repository must sit on a filesystem that all nodes share.
#
#   sbatch scripts/sweep_slurm.sh                        # 50 CPU tasks (about 5-10 min each at paper settings)
#   sbatch --array=0-7 --gres=gpu:1 --export=ALL,DEVICE=cuda scripts/sweep_slurm.sh   # or 8 GPU tasks
#   # when all have finished (or chain with --dependency=afterok:<jobid>), gather the cache into the figures:
#   python scripts/Fig10_scaling_laws.py && python scripts/Fig18_modularity_scaling.py
#
# A task that dies (time limit, pre-emption) is simply resubmitted: finished cells are skipped, and the figure
# scripts compute any cell that is still missing before they plot.
#SBATCH --job-name=skill-sweep
#SBATCH --array=0-49
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --time=01:00:00
#SBATCH --output=sweep_%A_%a.log
set -euo pipefail
cd "${SLURM_SUBMIT_DIR:-.}"
PYTHON=${PYTHON:-.venv/bin/python}
"$PYTHON" scripts/sweep.py --shard "${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}" \
    --device "${DEVICE:-cpu}" --no-progress
