"""Counter-based random numbers: every draw a pure function of (run seed, stream, step, index), SplitMix64-hashed.

A ``torch.Generator``'s draws depend on everything drawn before (and differ between CPU and CUDA), so a run stacked
with others would see other numbers than the run alone. Here a run's numbers depend on its own seed only.
"""
import math

import torch

_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB

# named streams, so that batch sampling and gradient noise never reuse a counter
STREAMS = {"batch": 1, "noise": 2, "init": 3, "data": 4}


def _int64(c):
    """An unsigned 64-bit constant as the int64 with the same bits."""
    return c - (1 << 64) if c >= (1 << 63) else c


def _shr(z, s):
    """Logical right shift of an int64 tensor (torch's >> is arithmetic)."""
    return (z >> s) & ((1 << (64 - s)) - 1)


def mix64(z):
    """SplitMix64 finaliser: a bijective avalanche hash of int64 tensors (multiplication wraps modulo 2^64)."""
    z = (z ^ _shr(z, 30)) * _int64(_MIX1)
    z = (z ^ _shr(z, 27)) * _int64(_MIX2)
    return z ^ _shr(z, 31)


class CounterRNG:
    """Random numbers for R stacked runs, each a function of its own seed; ``seeds`` is an int or (R,) ints."""

    def __init__(self, seeds, device="cpu"):
        seeds = torch.as_tensor(seeds, dtype=torch.int64).reshape(-1).to(device)
        self.device = seeds.device
        self.keys = {name: mix64(mix64(seeds + _int64(_GOLDEN)) + _int64(s * _GOLDEN % (1 << 64)))
                     for name, s in STREAMS.items()}

    @property
    def n_runs(self):
        return self.keys["batch"].shape[0]

    def bits(self, stream, step, n, stride=None):
        """Hashed int64 words step * stride + j + 1, j < n, of each run's stream: shape (R, n).

        A per-run ``stride`` (R, 1) lets a run that uses only its first B_r words per step count with stride B_r, so
        that its draws do not depend on the batch sizes of the runs stacked with it.
        """
        stride = int(n) if stride is None else stride
        counter = step * stride + torch.arange(1, n + 1, device=self.device, dtype=torch.int64)[None, :]
        return mix64(self.keys[stream][:, None] + counter * _int64(_GOLDEN))

    def uniform(self, stream, step, n, dtype=torch.float32, stride=None):
        """Uniform numbers in [0, 1), shape (R, n), with 24 (float32) or 53 (float64) random bits."""
        nbits = 53 if dtype == torch.float64 else 24
        return _shr(self.bits(stream, step, n, stride), 64 - nbits).to(dtype) * (2.0 ** -nbits)

    def normal(self, stream, step, n, dtype=torch.float32):
        """Standard normal numbers (R, n) by Box-Muller in float64; they depend on n (padding changes the noise)."""
        u = self.uniform(stream, step, 2 * n, torch.float64)
        radius = torch.sqrt(-2.0 * torch.log1p(-u[:, :n]))  # 1 - u in (0, 1]: log is finite
        return (radius * torch.cos(2.0 * math.pi * u[:, n:])).to(dtype)

    def cdf(self, p):
        """The cumulative table (R, K) that ``categorical_counts`` reads: cumsum(p) / its last entry, in p's dtype."""
        cdf = torch.cumsum(p, dim=1)
        return cdf / cdf[:, -1:]

    def categorical_counts(self, step, cdf, batch_size):
        """Per-task counts (R, K) ~ Multinomial(B, p) of one batch per run at counter ``step``, in ``cdf``'s dtype.

        ``cdf`` (R, K) is ``self.cdf(p)``, float64 so that rare tasks keep their mass; ``batch_size`` B is an int or
        (R,): runs with a smaller B use the first B of the max(B) draws."""
        sizes = torch.as_tensor(batch_size, device=self.device).reshape(-1).expand(cdf.shape[0])
        b_max = int(sizes.max())
        u = self.uniform("batch", step, b_max, cdf.dtype, stride=sizes[:, None])
        idx = torch.searchsorted(cdf, u, right=True).clamp_(max=cdf.shape[1] - 1)
        keep = (torch.arange(b_max, device=self.device)[None, :] < sizes[:, None]).to(cdf.dtype)
        return torch.zeros_like(cdf).scatter_add_(1, idx, keep)
