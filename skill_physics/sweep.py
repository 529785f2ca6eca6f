"""The scaling-law sweep of the Geometry model (arXiv 2501.12391, Sec. 5 and Figs 10, 11, 18), fast and resumable.

Every run is GM-CE with K tasks, p_k ∝ k^-alpha, a batch of B task draws per step, lr 0.01 and x0 = 0;
``losses[t]`` is the population loss after t updates, computed as the paper's code does (sigmoid and log in
float32, the p-weighted sum in float64). The random numbers are the paper code's own (``rng='original'``: per seed,
task vectors from PyTorch's generator, batches from NumPy's legacy ``choice``), or counter-based ones
(``rng='counter'``). Three variants:

* ``adam`` and ``signgd`` (non-modular): ``random_unit`` task vectors in R^d;
* ``modular``: ``basis_zero`` vectors: task k <= d owns coordinate k, tasks k > d stay at skill 1/2.

The grid is alpha x n_dim x seed. A *grid cell* is one (seed, n_dim) point; it holds every variant and alpha, and each
variant of it is cached in its own file ``results/sweep/<settings hash>/<variant>/seed<s>_d<dddd>.npz``, written
atomically, so an interrupted sweep resumes where it stopped. ``--shard k/n`` takes every n-th cell.

Why it is fast (the model is exactly ``geometry.train_geometry`` with ``gradient='autograd', loss='ce'``, tested):

* runs that share task vectors (same seed and n_dim: every alpha, both non-modular optimizers) are rows of one
  matrix X, so a step is two matmuls, X V^T and W V, for all of them; cells of equal n_dim are stacked further (bmm);
* the batch enters only through per-task counts, drawn once per (seed, alpha) and step and shared by every n_dim
  and optimizer (in the paper's code the uniforms of a step depend on the seed only; the counter RNG likewise);
* the modular variant needs no matmul: its logits are z_k = x_k for k <= d and 0 beyond, its gradient is the weight
  vector masked to k <= d; all its cells run as one element-wise program;
* the loss is recorded only on a schedule (every step where a figure reads it, log-spaced elsewhere).
"""
import contextlib
import hashlib
import json
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch

from . import paths
from .geometry import population_loss
from .optim import Adam
from .replay import check_rng, choice_cdf, power_law, random_unit_vectors
from .rng import CounterRNG
from .store import CacheError, load_arrays, save_arrays
from .tasks import check_choice, power_law_frequencies, task_vectors

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
        return paths.RESULTS / "sweep" / self.key()


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


def cell_path(cfg, variant, seed, n_dim):
    return cfg.folder / variant / f"seed{seed}_d{n_dim:04d}.npz"


def is_cached(cfg, variant, seed, n_dim):
    """Whether the cell's file exists and can be read. A damaged file is set aside (renamed ``*.damaged``, with a
    message on stderr), so that the cell counts as missing and is computed again."""
    path = cell_path(cfg, variant, seed, n_dim)
    if not path.exists():
        return False
    try:
        load_arrays(path)
    except CacheError as err:
        import sys
        path.replace(path.with_name(path.name + ".damaged"))
        print(f"sweep: {err}; set aside as {path.name}.damaged, the cell will be computed again", file=sys.stderr)
        return False
    return True


def shown(path):
    """``path`` relative to the repository when it lies inside it, else absolute (a cluster's shared results)."""
    return path.relative_to(paths.ROOT) if path.is_relative_to(paths.ROOT) else path


# ----------------------------------------------------------------------------------------------------------- engine

class BatchCounts:
    """Per-task counts of the batch of every (seed, alpha) at a step.

    ``rng='original'``: the paper code's draws. Each seed has its own NumPy legacy stream (``np.random.seed(s)``)
    and each step takes ``choice(K, B, p)`` from it: B uniforms of ``random_sample``, placed in cumsum(p) /
    cumsum(p)[-1]. The uniforms depend on the seed only, so every alpha, n_dim and optimizer of a seed shares them.
    They are drawn in blocks of ``block`` steps, so steps must be asked for in order.
    ``rng='counter'``: equal to ``CounterRNG.categorical_counts`` of each seed.

    ``torch.searchsorted`` of every draw costs more than the rest of a small CPU step, so the inverse CDF is read from
    a table first: the draw u lies in bucket j = floor(u M), and count(u) = #{k: cdf_k <= u} lies between the counts
    at the bucket's two ends; where they agree (almost every draw) that is the answer, elsewhere an exact binary
    search between them decides. On CUDA one ``searchsorted`` kernel does it all, without a host round-trip.
    """

    buckets = 2 ** 16
    block = 500

    def __init__(self, seeds, alphas, n_tasks, batch_size, device, rng="counter"):
        check_rng(rng)
        self.rng = rng
        self.seeds = [int(s) for s in seeds]
        self.device = torch.device(device)
        if rng == "original":
            p = np.stack([power_law(n_tasks, a) for a in alphas])
            cdf = np.stack([choice_cdf(q) for q in p])
            self.states = [np.random.RandomState(s) for s in self.seeds]
            self.next_block = 0                                                       # the next block to draw
        else:
            p = np.stack([power_law_frequencies(n_tasks, a) for a in alphas])
            cdf = torch.cumsum(torch.as_tensor(p), dim=1)                             # as CounterRNG's callers
            cdf = cdf / cdf[:, -1:]
            self.counter = CounterRNG(self.seeds, device)
        self.p = torch.as_tensor(p, device=device)                                   # (A, K) float64
        self.cdf = torch.as_tensor(cdf, device=device).contiguous()                   # (A, K) float64
        edges = torch.arange(self.buckets + 1, device=device, dtype=torch.float64) / self.buckets
        table = torch.searchsorted(self.cdf, edges.expand(len(alphas), -1).contiguous(), right=True)
        # (M + 1, A): a draw reads one short row (index_select along dim 0 is many times faster than along dim 1)
        self.table = table.T.contiguous().to(torch.int16 if n_tasks < 2 ** 15 else torch.int32)
        self.offset = (torch.arange(len(alphas), device=device) * n_tasks)[:, None]  # row a of the flat cdf
        self.shape = (len(alphas), len(seeds), n_tasks)
        self.batch_size = batch_size
        self._first = self._block = None                                              # the block uniforms() holds

    def block_uniforms(self, first):
        """The batch uniforms of every seed at steps first .. first + block - 1, (block, S, B) float64. Under
        rng='original' blocks must be asked for in order (each continues the seeds' NumPy streams)."""
        if self.rng == "counter":
            return torch.stack([self.counter.uniform("batch", t, self.batch_size, torch.float64)
                                for t in range(first, first + self.block)])
        if first != self.next_block:
            raise ValueError(f"rng='original' draws steps in order: block {first} asked after block "
                             f"{self.next_block - self.block}")
        self.next_block += self.block
        u = np.stack([state.random_sample((self.block, self.batch_size)) for state in self.states], axis=1)
        return torch.as_tensor(u, device=self.device)

    def uniforms(self, step):
        """The batch uniforms of every seed at ``step``, (S, B) float64 (steps in order under rng='original')."""
        if self.rng == "counter":
            return self.counter.uniform("batch", step, self.batch_size, torch.float64)
        first = step - step % self.block
        if self._first != first:
            self._block, self._first = self.block_uniforms(first), first
        return self._block[step - first]

    def indices(self, u, search=None):
        """Task index of every draw u (S * B,), (A, S * B) int64: ``searchsorted(cdf, u, right=True)`` clamped to
        K - 1. ``search``: 'table' (CPU default: the bucket table, then an exact binary search where it is unsure)
        or 'searchsorted' (CUDA default: one kernel, no host round-trip, so that a CUDA graph can capture it)."""
        search = search or ("searchsorted" if self.device.type == "cuda" else "table")
        if search == "searchsorted":
            flat = u.expand(self.shape[0], -1).contiguous()
            return torch.searchsorted(self.cdf, flat, right=True).clamp_(max=self.shape[2] - 1)
        j = (u * self.buckets).long()                                                  # exact: M is a power of 2
        lo = self.table.index_select(0, j).T.contiguous().long()                       # (A, S * B)
        hi = self.table.index_select(0, j + 1).T.contiguous().long()
        unsure = (lo != hi).view(-1)
        where = unsure.nonzero()[:, 0]
        if where.numel():
            flat_lo = lo.view(-1)
            value = u.take(where % u.numel())
            row = self.offset.view(-1)[where // u.numel()]
            low, high = flat_lo[where], hi.view(-1)[where]
            cdf = self.cdf.view(-1)
            while bool((low < high).any()):                                            # invariant: low <= count <= high
                mid = (low + high + 1) // 2
                below = cdf.take(row + mid - 1) <= value                               # count >= mid
                low, high = torch.where(below, mid, low), torch.where(below, high, mid - 1)
            flat_lo[where] = low
        return lo.clamp_(max=self.shape[2] - 1)

    def counts(self, step, u=None, search=None):
        """(S, A, K) float32 counts at ``step`` (or of the uniforms u, (S * B,)), each row summing to B."""
        A, S, K = self.shape
        u = self.uniforms(step).reshape(-1) if u is None else u
        idx = self.indices(u, search).view(A * S, self.batch_size)
        counts = torch.zeros((A * S, K), dtype=torch.float32, device=idx.device)
        counts.scatter_add_(1, idx, torch.ones(idx.shape, dtype=torch.float32, device=idx.device))
        return counts.view(A, S, K).transpose(0, 1)


class _SignGD:
    """``optim.Adam`` with betas (0, 0) in five operations instead of fifteen, bit for bit: its m is g, its v is g * g
    and both bias corrections are 1, so its update is x - (lr * g) / (sqrt(g * g) + eps)."""

    def __init__(self, x, lr, eps=1e-8):
        self.lr = torch.tensor(lr, dtype=x.dtype, device=x.device)
        self.eps = eps

    def step_(self, x, g, t):
        x.copy_(x - (self.lr * g) / (torch.sqrt(g * g) + self.eps))


class _Adam(Adam):
    """``optim.Adam`` updated in place (x, m, v keep their memory, as a captured CUDA graph needs), bit for bit.

    ``step_(x, g, t)`` takes the step number t (1, 2, ...) as a Python int, or as a device tensor (1,): then the bias
    corrections are read from a table of each distinct beta, so that every replay of a captured step uses its own t.
    """

    def __init__(self, x, lr, betas, steps):
        super().__init__(x, lr, betas=betas)
        self.tables = []
        for b in (self.b1, self.b2):
            distinct, which = torch.unique(b, return_inverse=True)                     # (U,), (R, 1)
            # rows to max(steps, 3): the capture's warm-up runs three steps whatever the job's length
            exponents = torch.arange(max(steps, 3) + 1, device=b.device, dtype=b.dtype)
            powers = distinct[None, :] ** exponents[:, None]
            self.tables.append((1 - powers, which.view(-1)))                            # (T + 1, U), (R,)

    def step_(self, x, g, t):
        if isinstance(t, int):
            corrections = 1 - self.b1 ** t, 1 - self.b2 ** t
        else:
            corrections = [table.index_select(0, t).view(-1)[which, None] for table, which in self.tables]
        m, v = self.m, self.v
        x.copy_(self.step_corrected(x, g, *corrections))
        m.copy_(self.m)
        v.copy_(self.v)
        self.m, self.v = m, v


def _optimizer(x, variants, n_alpha, lr, steps):
    """The optimizer of the stacked rows (cell-major, then variant, then alpha): Adam with each row's betas (SignGD
    rows have betas (0, 0)), or the short form of SignGD when every row is SignGD."""
    if all(BETAS[v] == (0.0, 0.0) for v in variants):
        return _SignGD(x, lr)
    betas = np.repeat(np.array([BETAS[v] for v in variants]), n_alpha, axis=0)
    return _Adam(x, lr, np.tile(betas, (x.shape[0] // len(betas), 1)), steps)


class _Steps:
    """The step loop of one job as a fixed program on fixed tensors: x, the optimizer's state, a block of batch
    uniforms and the counters live on the device and are updated in place, so that one step can be captured as a
    CUDA graph and replayed (``graph=True``; on a CPU the same program runs uncaptured), or run as it is
    (``graph=False``: plain eager steps).

    ``graph`` mode reads the uniforms of step t from the block by a device counter, searches the inverse CDF with one
    ``searchsorted`` kernel and takes the optimizer's step number from a device tensor: no host round-trip. Records
    are written by a second program (record, then step) into a device buffer, by a device slot counter.
    """

    def __init__(self, cfg, batches, which_seed, n_variants, x, opt, logits, gradient, all_tasks, p, active,
                 records, graph):
        self.cfg, self.batches, self.which_seed, self.n_variants = cfg, batches, which_seed, n_variants
        self.x, self.opt, self.logits, self.gradient, self.all_tasks = x, opt, logits, gradient, all_tasks
        self.p, self.active, self.records, self.graph = p, active, records, graph
        device = x.device
        S, B = len(batches.seeds), batches.batch_size
        self.block = torch.zeros((batches.block, S, B), dtype=torch.float64, device=device)
        self.k = torch.zeros(1, dtype=torch.long, device=device)        # step within the block
        self.t = torch.zeros(1, dtype=torch.long, device=device)        # updates done (the optimizer's step - 1)
        self.slot = torch.zeros(1, dtype=torch.long, device=device)     # the next record (graph mode)
        self.next_slot = 0                                               # the same in plain mode
        self.graphs = None

    def _update(self, z, t):
        """x <- the optimizer's step from the logits z of x at step t (a Python int, or None: the device counters)."""
        if t is None:
            u = self.block.index_select(0, self.k).view(-1)
            counts = self.batches.counts(None, u, search="searchsorted")
            self.k += 1
            self.t += 1
            step = self.t
        else:
            counts, step = self.batches.counts(t), t + 1
        counts = counts[self.which_seed, :, :self.active].repeat(1, self.n_variants, 1)   # (G, R, active)
        # autograd_ce: d/dz of mean_b -log sigmoid(z_{k_b}) is -(n_k / B) sigmoid(-z_k); written as in geometry.py
        w = -1.0 * (counts / float(self.cfg.batch_size)) * torch.sigmoid(-z)
        self.opt.step_(self.x, self.gradient(w), step)

    def _record(self, z, plain):
        """Write the loss of the logits z into the next record: by the Python slot counter (``plain``) or by the
        device one, and advance that counter."""
        loss = population_loss(self.all_tasks(z), self.p, "ce", original=True)        # (G, R) float64
        if plain:
            self.records[self.next_slot] = loss
            self.next_slot += 1
        else:
            self.records.index_copy_(0, self.slot, loss[None])
            self.slot += 1

    def step(self, recorded, t=None):
        """One update, after a record of the loss where ``recorded``; t: the step (plain mode), or None: the device
        counters (the program a graph captures)."""
        z = self.logits(self.x)
        if recorded:
            self._record(z, plain=t is not None)
        self._update(z, t)

    def run(self, t, recorded):
        """Step t (an update after a record of the loss, where ``recorded``): plain, or a replay of the graph."""
        if not self.graph:
            self.step(recorded, t)
            return
        if t % self.batches.block == 0:                                 # between replays: the next block of draws
            self.block.copy_(self.batches.block_uniforms(t))
            self.k.zero_()
        if not self.x.is_cuda:                                          # the same program, uncaptured (tests)
            self.step(recorded)
            return
        if self.graphs is None:
            self.graphs = self._capture()
        self.graphs[recorded].replay()

    def _capture(self):
        """CUDA graphs of ``step(False)`` and ``step(True)``, after warm-up steps on a side stream whose effects are
        undone (capturing runs nothing)."""
        state = [self.x, self.k, self.t, self.slot, self.records] + (
            [self.opt.m, self.opt.v] if isinstance(self.opt, _Adam) else [])
        saved = [tensor.clone() for tensor in state]
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for recorded in (False, True, False):
                self.step(recorded)
        torch.cuda.current_stream().wait_stream(side)
        graphs = {}
        for recorded in (False, True):
            graphs[recorded] = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graphs[recorded]):
                self.step(recorded)
        for tensor, value in zip(state, saved):
            tensor.copy_(value)
        return graphs


def _simulate(cfg, cells, variants, device, bar, logits, gradient, width, active, graph=None):
    """The shared step loop of one group of cells.

    ``logits(x)`` -> z (G, R, active) of the first ``active`` tasks (the others have z = 0 and no gradient) and
    ``gradient(w)`` -> g (G * R, width) define the variant family; rows are (variant, alpha) per cell. ``graph``
    (default: on CUDA) replays each step as a captured CUDA graph (``_Steps``).
    Returns {(variant, seed, n_dim): cell data}.
    """
    A, K, G = len(cfg.alphas), cfg.n_tasks, len(cells)
    R = len(variants) * A
    seeds = sorted({s for s, _ in cells})
    batches = BatchCounts(seeds, cfg.alphas, K, cfg.batch_size, device, cfg.rng)
    which_seed = torch.as_tensor([seeds.index(s) for s, _ in cells], device=device)
    p = batches.p.repeat(len(variants), 1)                                          # (R, K) float64

    # every cell records on the union of the schedules, into a buffer on the device that is copied to the host once:
    # no host round-trip inside the step loop (each would stall a GPU)
    schedules = [record_steps(cfg, s, d) for s, d in cells]
    union = np.unique(np.concatenate(schedules))
    recorded = np.zeros(cfg.steps + 1, bool)
    recorded[union] = True
    records = torch.empty((len(union), G, R), dtype=torch.float64, device=device)

    x = torch.zeros((G * R, width), dtype=torch.float32, device=device)
    opt = _optimizer(x, variants, A, cfg.lr, cfg.steps)

    def all_tasks(z):
        return torch.nn.functional.pad(z, (0, K - active)) if active < K else z

    steps = _Steps(cfg, batches, which_seed, len(variants), x, opt, logits, gradient, all_tasks, p, active, records,
                   device_kind(device) == "cuda" if graph is None else graph)
    # CUDA graphs capture and replay on the current device's streams: make it the device of the job
    with torch.cuda.device(x.device) if x.is_cuda else contextlib.nullcontext():
        for t in range(cfg.steps):
            steps.run(t, bool(recorded[t]))
            if (t + 1) % 1000 == 0 or t == cfg.steps - 1:
                bar.update((t % 1000 + 1) * G)
    z = all_tasks(logits(x))
    records[-1] = population_loss(z, p, "ce", original=True)                       # the last record: step cfg.steps
    final_loss = records[-1].cpu().numpy()                                          # (G, R)
    final_skills = torch.sigmoid(z).cpu().numpy()                                   # (G, R, K)
    records = records.cpu().numpy().astype(np.float32)                              # (T, G, R)
    out = {}
    for g, (seed, d) in enumerate(cells):
        losses = records[np.searchsorted(union, schedules[g]), g].T                 # (R, T_g)
        for v, variant in enumerate(variants):
            rows = slice(v * A, (v + 1) * A)
            out[(variant, seed, d)] = {
                "alphas": np.asarray(cfg.alphas, float), "steps": schedules[g],
                "loss": losses[rows], "final_loss": final_loss[g, rows], "final_skills": final_skills[g, rows]}
    return out


def simulate_nonmodular(cfg, cells, variants=NONMODULAR, device="cpu", bar=None, graph=None):
    """Non-modular cells (``random_unit`` vectors drawn with each cell's seed), all alphas and the given optimizers,
    as one tensor program: z = X V^T and g = W V by batched matmul.

    Cells of different n_dim are padded with zero columns to the largest (exact: a coordinate whose gradient is
    always 0 never moves under Adam or SignGD).

    Returns {(variant, seed, n_dim): {'alphas', 'steps', 'loss' (A, T), 'final_loss' (A,), 'final_skills' (A, K)}}.
    """
    width = max(d for _, d in cells)
    G, R = len(cells), len(variants) * len(cfg.alphas)
    V = torch.zeros((G, cfg.n_tasks, width), dtype=torch.float32)
    for g, (seed, d) in enumerate(cells):
        V[g, :, :d] = (random_unit_vectors(seed, cfg.n_tasks, d) if cfg.rng == "original" else
                       task_vectors("random_unit", cfg.n_tasks, d, seed=seed))
    V = V.to(device)                                                                 # (G, K, width)
    Vt = V.transpose(1, 2)

    def logits(x):
        return torch.bmm(x.view(G, R, width), Vt)

    def gradient(w):
        return torch.bmm(w, V).view(G * R, width)

    return _simulate(cfg, cells, variants, device, bar or _NoBar(), logits, gradient, width, cfg.n_tasks, graph)


def simulate_modular(cfg, cells, device="cpu", bar=None, graph=None):
    """Modular cells (``basis_zero`` vectors), any n_dims, as one element-wise program.

    Task k < d has logit z_k = x_k exactly (= x @ eye(K, d).T), tasks k >= d have z_k = 0, and the gradient is the
    weight vector w of tasks k < d (= w @ eye(K, d)). The runs of a job share x of the largest n_dim, D; a run of
    dimension d < D keeps its coordinates k >= d at 0 by masking their gradient (Adam and SignGD leave a coordinate
    with zero gradient in place).
    """
    A, G = len(cfg.alphas), len(cells)
    width = max(d for _, d in cells)
    owned = torch.arange(width, device=device)[None, :] < torch.as_tensor([d for _, d in cells], device=device)[:, None]
    mask = owned[:, None, :].expand(G, A, width).to(torch.float32)                  # (G, A, D)

    def logits(x):
        return x.view(G, A, width)

    def gradient(w):
        return (w * mask).view(G * A, width)

    return _simulate(cfg, cells, ("modular",), device, bar or _NoBar(), logits, gradient, width, width, graph)


class _NoBar:
    def update(self, n):
        pass


# ------------------------------------------------------------------------------------------------------------ sweep

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


def device_kind(device):
    """'cuda' or 'cpu': which ``JOB_LIMITS`` a torch device uses."""
    return "cuda" if str(device).startswith("cuda") else "cpu"


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
        done = {v: done_cells(cfg, v, use_summary) for v in members if v in variants}
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


def run_job(cfg, job, device="cpu", bar=None, graph=None):
    """Compute one job of ``plan`` (family, cells, variants) and cache its cells. Returns the number of files
    written."""
    family, cells, vs = job
    if family == "modular":
        result = simulate_modular(cfg, cells, device, bar, graph)
    else:
        result = simulate_nonmodular(cfg, cells, vs, device, bar, graph)
    for (variant, seed, d), data in result.items():
        save_arrays(cell_path(cfg, variant, seed, d), data)
    return len(result)


class _QueueBar:
    """A progress bar of a worker process: forwards its updates to the parent's bar through a queue."""

    def __init__(self, queue):
        self.queue = queue

    def update(self, n):
        self.queue.put(n)


def _worker_job(cfg, job, device, queue, threads, results):
    torch.set_num_threads(threads)
    paths.RESULTS = results          # the parent's cache folder, wherever it was set
    return run_job(cfg, job, device, _QueueBar(queue))


def _run_parallel(cfg, jobs, device, bar, workers, threads):
    """Run ``jobs`` on ``workers`` processes, in plan order (each worker takes the next job when it is free);
    the first error cancels the jobs not started and is raised. Returns the number of files written."""
    import multiprocessing
    import queue as queues
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    context = multiprocessing.get_context("spawn")     # torch's thread pools do not survive a fork
    with context.Manager() as manager, ProcessPoolExecutor(workers, mp_context=context) as pool:
        updates = manager.Queue()
        pending = {pool.submit(_worker_job, cfg, job, device, updates, threads, paths.RESULTS) for job in jobs}
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
    from .store import progress as progress_bar
    jobs = plan(cfg, variants, shard, device, use_summary)
    total = sum(len(cells) * cfg.steps for _, cells, _ in jobs)
    parallel = workers > 1 and len(jobs) > 1 and device_kind(device) == "cpu"
    desc = f"sweep ({len(jobs)} jobs{f' on {workers} processes' if parallel else ''})"
    with progress_bar(total=total, desc=desc, enabled=progress and total > 0) as bar:
        if parallel:
            return _run_parallel(cfg, jobs, device, bar, workers, threads)
        return sum(run_job(cfg, job, device, bar, graph) for job in jobs)


def load_cell(cfg, variant, seed, n_dim):
    """A cached cell's arrays, or None if it is not computed yet."""
    path = cell_path(cfg, variant, seed, n_dim)
    if not path.exists():
        return None
    try:
        data = load_arrays(path)
    except CacheError as err:
        raise CacheError(f"sweep cell {path} is damaged ({err.__cause__}); run scripts/sweep.py (it sets damaged "
                         "cells aside and computes them again)") from err
    if not np.allclose(data["alphas"], cfg.alphas):
        raise CacheError(f"cache file {path} holds alphas {data['alphas']}, expected {cfg.alphas}")
    return data


def at_steps(cell, steps):
    """A cell's losses (A, len(steps)) at exactly these record steps; CacheError if the cell did not record one."""
    recorded = cell["steps"]
    at = np.searchsorted(recorded, steps).clip(max=len(recorded) - 1)
    if not np.array_equal(recorded[at], steps):
        missing = np.setdiff1d(steps, recorded)
        raise CacheError(f"a sweep cell lacks the record steps {missing[:5].tolist()}{' ...' * (len(missing) > 5)}")
    return cell["loss"][:, at]


TABLES = ("final_loss", "fit_loss", "trace", "early", "done")   # what ``gather`` collects of a variant


def _blank_tables(cfg):
    A, D, S = len(cfg.alphas), len(cfg.dims), len(cfg.seeds)
    T, T0 = min(cfg.trace_until, cfg.steps) + 1, min(cfg.dense_until, cfg.steps) + 1
    return {"final_loss": np.full((A, D, S), np.nan), "fit_loss": np.full((A, D, S, len(FIT_STEPS)), np.nan),
            "trace": np.full((A, T), np.nan), "early": np.full((A, S, T0), np.nan), "done": np.zeros((D, S), bool)}


def gather(cfg, variants=None, use_summary=True):
    """Collect the sweep into the tables the figures read: the committed summary (``load_summary``, unless
    ``use_summary`` is False), overlaid with every cell of the cache; missing cells are NaN.

    Returns
    -------
    dict with 'alphas' (A,), 'dims' (D,), 'seeds' (S,), 'trace_steps' (T,), 'early_steps' (T0,), 'from_summary'
    (how many cell files the summary stood in for) and per variant a dict:
    'final_loss' (A, D, S), 'median_loss' (A, D) (median over seeds, NaN if a seed is missing), 'trace' (A, T)
    (loss of the trace cell at every step to ``trace_until``), 'fit_loss' (A, D, S, 2) (the loss at the alpha_S
    fit steps ``FIT_STEPS`` of every cell), 'early' (A, S, T0) (every seed's loss at n_dim = ``trace_dim`` at the
    steps 'early_steps' = 0 .. ``dense_until``, which every cell records), 'done' (D, S) bool.
    """
    variants = variants or cfg.variants
    trace_steps = np.arange(min(cfg.trace_until, cfg.steps) + 1)
    early_steps = np.arange(min(cfg.dense_until, cfg.steps) + 1)
    out = {"alphas": np.asarray(cfg.alphas, float), "dims": np.asarray(cfg.dims), "seeds": np.asarray(cfg.seeds),
           "trace_steps": trace_steps, "early_steps": early_steps}
    summary = load_summary(cfg) if use_summary else None
    from_summary = 0
    for v in variants:
        tables = {k: summary[v][k].copy() for k in TABLES} if summary and v in summary else _blank_tables(cfg)
        for i, d in enumerate(cfg.dims):
            for j, s in enumerate(cfg.seeds):
                cell = load_cell(cfg, v, s, d)
                if cell is None:
                    from_summary += int(tables["done"][i, j])
                    continue
                tables["final_loss"][:, i, j], tables["done"][i, j] = cell["final_loss"], True
                if max(FIT_STEPS) <= cfg.steps:
                    tables["fit_loss"][:, i, j] = at_steps(cell, FIT_STEPS)
                if d == cfg.trace_dim:
                    tables["early"][:, j] = at_steps(cell, early_steps)
                if (s, d) == (cfg.trace_seed, cfg.trace_dim):
                    tables["trace"] = at_steps(cell, trace_steps)
        out[v] = {**tables, "median_loss": np.median(tables["final_loss"], axis=2)}
    out["from_summary"] = np.asarray(from_summary)
    return out


# ---------------------------------------------------------------------------------------------------------- summary

CELL_CODE = ("sweep.py", "replay.py", "rng.py", "optim.py", "tasks.py")   # the modules a cell's numbers depend on


def code_stamp():
    """Hash of the modules that compute a cell (``CELL_CODE``)."""
    from pathlib import Path
    digest = hashlib.sha1()
    for name in CELL_CODE:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:12]


def summary_path(cfg):
    """data/sweep_<settings hash>.npz: what Figs 10 and 18 read of a complete sweep, committed."""
    return paths.DATA / f"sweep_{cfg.key()}.npz"


def export_summary(cfg):
    """Write ``gather(cfg)`` (the committed summary overlaid with the cache) to ``summary_path(cfg)``, stamped with the
    settings hash and ``code_stamp()``: the final loss of every run, the loss at the fit steps and the trace, not the
    final skills (~3 MB instead of ~40 MB). Cells not computed yet stay NaN with done = False, so a partial sweep
    can be committed and resumed elsewhere. Returns (path, cells done, cells in the grid)."""
    data = gather(cfg)
    data.pop("from_summary")
    done = sum(int(data[v]["done"].sum()) for v in cfg.variants)
    path = summary_path(cfg)
    save_arrays(path, {**data, "settings_key": np.asarray(cfg.key()), "code": np.asarray(code_stamp())})
    return path, done, len(cfg.variants) * len(grid_cells(cfg))


def load_summary(cfg):
    """The committed summary of the sweep ``cfg`` as ``gather`` returns it, or None if there is none for this grid.
    Its 'code' entry says which code computed it (compare with ``code_stamp()``)."""
    path = summary_path(cfg)
    if not path.exists():
        return None
    data = load_arrays(path)
    if str(data.pop("settings_key")) != cfg.key():
        raise CacheError(f"{path} holds another sweep than its name says")
    same_grid = all(np.array_equal(data[k], np.asarray(getattr(cfg, k))) for k in ("alphas", "dims", "seeds"))
    return data if same_grid else None


def done_cells(cfg, variant, use_summary=True):
    """The (seed, n_dim) cells of ``variant`` that are computed: in the cache or in the committed summary."""
    summary = load_summary(cfg) if use_summary else None
    if summary and variant in summary:
        done = summary[variant]["done"]
        from_summary = {(s, d) for i, d in enumerate(cfg.dims) for j, s in enumerate(cfg.seeds) if done[i, j]}
    else:
        from_summary = set()
    return from_summary | {c for c in grid_cells(cfg) if c not in from_summary and is_cached(cfg, variant, *c)}


def is_complete(cfg, variants=None, use_summary=True):
    """Whether every cell of ``variants`` (default all) is computed (cache or summary)."""
    return all(len(done_cells(cfg, v, use_summary)) == len(grid_cells(cfg)) for v in (variants or cfg.variants))


def sweep_config(**overrides):
    """A SweepConfig with the paper's defaults and the given fields replaced (lists become tuples)."""
    return replace(SweepConfig(), **{k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()})


PAPER = SweepConfig()
# reduced grid for smoke tests: the paper's K, B and lr, 3 alphas, the fit dimensions, 2 seeds, 600 steps
QUICK = SweepConfig(alphas=(1.0, 1.6, 2.0), dims=(20, 40, 100, 220), seeds=(0, 1), steps=600, n_log=60,
                    trace_until=600)


def sweep_cli(argv=None):
    """``python -m skill_physics.sweep`` / ``scripts/sweep.py``: compute (and cache) the sweep or one shard of it."""
    import argparse
    import sys
    import time
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
    try:
        for v in args.variants:
            check_choice("--variants", v, VARIANTS)
        shard = parse_shard(args.shard)
        if args.jobs < 1 or args.threads < 1:
            raise ValueError(f"--jobs and --threads must be at least 1, got {args.jobs} and {args.threads}")
        if args.device.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError("--device cuda was requested but torch sees no CUDA device")
        torch.set_num_threads(args.threads)
        cfg = QUICK if args.quick else PAPER
        jobs = plan(cfg, args.variants, shard, args.device)
        cells = len(grid_cells(cfg)[shard[0]::shard[1]])
        print(f"sweep {shown(cfg.folder)}: shard {args.shard} holds {cells} of "
              f"{len(grid_cells(cfg))} grid cells; {len(jobs)} jobs to run", flush=True)
        if args.export_summary:
            path, done, total = export_summary(cfg)
            print(f"sweep: wrote {shown(path)}: {done} of {total} cells computed")
            return 0
        if args.plan:
            for family, job_cells, vs in jobs:
                print(f"  {family:10s} {'+'.join(vs):12s} {len(job_cells):3d} cells: {job_cells}")
            return 0
        start = time.perf_counter()
        written = run_sweep(cfg, args.variants, shard, args.device, progress=not args.no_progress,
                            workers=args.jobs, threads=args.threads, graph=False if args.no_graph else None)
    except (ValueError, CacheError) as err:
        print(f"sweep: error: {err}", file=sys.stderr)
        return 2
    print(f"sweep: wrote {written} cell files in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(sweep_cli())
