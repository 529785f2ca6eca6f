"""The sweep's fast Geometry-model engine: one job of grid cells as one tensor program, on a CPU or as CUDA graphs.

It computes exactly ``geometry.train_geometry(..., loss='ce', gradient='batch')`` with the original's or the
counter draws, the loss recorded in the original's float32 (``rounded_sigmoid``; tests pin the equality), faster: runs
that share task vectors are rows of one matrix (a step is two batched matmuls), the batch enters through per-task
counts drawn once per (seed, alpha) and step, the modular variant is element-wise, and the loss is recorded on a
schedule. ``ENGINE_VERSION`` names its numbers.
"""
import contextlib

import numpy as np
import torch

from ...geometry import gradient_weights, population_loss, residuals
from ...optim import Adam
from ...rng import CounterRNG
from ...tasks import power_law_frequencies, task_vectors
from ...util import progress
from ..replay import check_rng
from ..replay.geometry import original_unit_vectors
from ..replay.streams import choice_cdf, original_power_law
from .settings import BETAS, NONMODULAR, record_steps

# The version of the numbers a cell holds: bump it by hand in a commit that means to change them. Cells and
# summaries of another version are not read.
ENGINE_VERSION = 1


def device_kind(device):
    """'cuda' or 'cpu': which ``JOB_LIMITS`` a torch device uses."""
    return "cuda" if str(device).startswith("cuda") else "cpu"


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
            p = np.stack([original_power_law(n_tasks, a) for a in alphas])
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
        w = gradient_weights(residuals(z, "ce"), None, counts, float(self.cfg.batch_size), "ce", "batch")
        self.opt.step_(self.x, self.gradient(w), step)

    def _record(self, z, plain):
        """Write the loss of the logits z into the next record: by the Python slot counter (``plain``) or by the
        device one, and advance that counter."""
        loss = population_loss(self.all_tasks(z), self.p, "ce", rounded_sigmoid=True)   # (G, R) float64
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
    bar = bar or progress(enabled=False)
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
    records[-1] = population_loss(z, p, "ce", rounded_sigmoid=True)               # the last record: step cfg.steps
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
                "loss": losses[rows], "final_loss": final_loss[g, rows], "final_skills": final_skills[g, rows],
                "engine_version": np.asarray(ENGINE_VERSION)}
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
        V[g, :, :d] = (original_unit_vectors(seed, cfg.n_tasks, d) if cfg.rng == "original" else
                       task_vectors("random_unit", cfg.n_tasks, d, seed=seed))
    V = V.to(device)                                                                 # (G, K, width)
    Vt = V.transpose(1, 2)

    def logits(x):
        return torch.bmm(x.view(G, R, width), Vt)

    def gradient(w):
        return torch.bmm(w, V).view(G * R, width)

    return _simulate(cfg, cells, variants, device, bar, logits, gradient, width, cfg.n_tasks, graph)


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

    return _simulate(cfg, cells, ("modular",), device, bar, logits, gradient, width, width, graph)


