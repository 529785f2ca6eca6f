"""Settings of the scaling-law sweep of the Geometry model (arXiv 2501.12391, Sec. 5, Figs 10, 11, 18).

Every run is GM-CE with K tasks, p_k ∝ k^-alpha, a batch of B task draws per step, lr 0.01 and x0 = 0, in three
variants: ``adam`` and ``signgd`` on random unit task vectors in R^d, and ``modular`` (task k <= d owns coordinate
k, the others stay at skill 1/2). The grid is alpha x n_dim x seed; a *grid cell* is one (seed, n_dim) point of
every variant and alpha.
"""
import hashlib
import json
from dataclasses import asdict, dataclass, replace

import numpy as np

from ...util import check_choice
from .. import kernels, paths
from ..replay import check_rng

VARIANTS = ("adam", "signgd", "modular")
NONMODULAR = ("adam", "signgd")
BETAS = {"adam": (0.9, 0.999), "signgd": (0.0, 0.0), "modular": (0.0, 0.0)}   # SignGD = Adam with betas (0, 0)
FIT_DIMS = (40, 220)          # the paper's two-point alpha_N window: these cells are computed early
FIT_STEPS = (80, 200)         # the paper's two-point alpha_S window (read from the trace cell)


@dataclass(frozen=True)
class SweepConfig:
    """Settings of the sweep (defaults: the paper's grid, arXiv 2501.12391 Figs 10 and 18).

    The fields above ``variants`` change what a cell file contains and name its cache folder; ``variants``,
    ``dims`` and ``seeds`` only choose which cells exist.
    """

    alphas: tuple = (0.5, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0)   # frequency exponents (every variant)
    n_tasks: int = 1000            # K
    batch_size: int = 1024         # B task draws per step
    lr: float = 0.01               # Adam and SignGD
    steps: int = 99_000            # updates; the final loss is losses[steps] (the original's last record)
    dense_until: int = 250         # every cell records every step up to here (fit points t = 80, 200)
    n_log: int = 300               # plus this many log-spaced records up to ``steps``
    trace_dim: int = 100           # the loss-vs-steps cell (d = 100, seed 0) records every step ...
    trace_seed: int = 0
    trace_until: int = 20_000      # ... up to here
    rng: str = "original"          # 'original': the paper code's streams (replay); 'counter': rng.CounterRNG
    variants: tuple = VARIANTS
    dims: tuple = tuple(range(20, 1001, 20))
    seeds: tuple = (0, 1, 2, 3)

    def __post_init__(self):
        check_rng(self.rng)
        for v in self.variants:
            check_choice("variant", v, VARIANTS)
        if not all(0 < d <= self.n_tasks for d in self.dims):
            raise ValueError(f"dims must lie in [1, n_tasks={self.n_tasks}], got {self.dims}")
        if not all(a >= 0 for a in self.alphas):
            raise ValueError(f"alphas must be >= 0, got {self.alphas}")
        if not (self.steps > 0 and self.batch_size > 0 and self.lr > 0):
            raise ValueError("steps, batch_size and lr must be positive")

    def key(self):
        """Hash of the fields that change a cell's content: the name of its cache folder."""
        content = {k: v for k, v in asdict(self).items() if k not in ("variants", "dims", "seeds")}
        return hashlib.sha1(json.dumps(content, sort_keys=True).encode()).hexdigest()[:12]

    @property
    def folder(self):
        # cells of other kernels than the pinned ones (an opt-out) are kept apart
        return paths.RESULTS / "sweep" / (self.key() + ("-native-kernels" if kernels.native() else ""))


def record_steps(cfg, seed, n_dim):
    """Record indices of one cell: every step to ``dense_until``, log-spaced to ``steps``, every step to
    ``trace_until`` in the trace cell; always includes ``steps`` (the final loss)."""
    log = np.unique(np.round(np.geomspace(1, cfg.steps, cfg.n_log)).astype(np.int64))
    dense = np.arange(min(cfg.dense_until, cfg.steps) + 1)
    parts = [dense, log, [cfg.steps]]
    if (seed, n_dim) == (cfg.trace_seed, cfg.trace_dim):
        parts.append(np.arange(min(cfg.trace_until, cfg.steps) + 1))
    return np.unique(np.concatenate(parts))


def _rank(cfg, cell):
    """0: the trace cell; 1: the alpha_N window (d = 40, 220); 2: the rest of the trace dimension; 3: the largest
    n_dim (the d = 1000 "cliff" claim); 4: a coarse grid (every fifth n_dim), so that the loss-vs-n_dim curves take
    shape early; 5: the others."""
    if cell == (cfg.trace_seed, cfg.trace_dim):
        return 0
    d = cell[1]
    if d in FIT_DIMS:
        return 1
    if d == cfg.trace_dim:
        return 2
    if d == max(cfg.dims):
        return 3
    return 4 if d in cfg.dims[::5] else 5


def grid_cells(cfg):
    """Every (seed, n_dim) cell, ordered so that the cells the claims read come first: the trace cell, the alpha_N
    window (d = 40, 220, every seed), the rest of the trace dimension, the largest n_dim, a coarse grid, then the
    others by n_dim."""
    cells = [(s, d) for d in cfg.dims for s in cfg.seeds]
    return sorted(cells, key=lambda c: (_rank(cfg, c), c[1], c[0]))


def parse_shard(text):
    """'k/n' -> (k, n) with 0 <= k < n."""
    try:
        k, n = (int(part) for part in str(text).split("/"))
    except ValueError:
        raise ValueError(f"--shard must look like K/N (e.g. 3/16), got {text!r}") from None
    if not 0 <= k < n:
        raise ValueError(f"--shard K/N needs 0 <= K < N, got {text!r}")
    return k, n



def sweep_config(**overrides):
    """A SweepConfig with the paper's defaults and the given fields replaced (lists become tuples)."""
    return replace(SweepConfig(), **{k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()})


PAPER = SweepConfig()
# reduced grid for smoke tests: the paper's K, B and lr, 3 alphas, the fit dimensions, 2 seeds, 600 steps
QUICK = SweepConfig(alphas=(1.0, 1.6, 2.0), dims=(20, 40, 100, 220), seeds=(0, 1), steps=600, n_log=60,
                    trace_until=600)

