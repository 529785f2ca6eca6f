"""Element-wise optimizers on stacked parameters x (R, N): a step on the stack is exactly R independent steps.

Hyperparameters are scalars or per-run arrays (R,) (betas: (R, 2) or (R, 3)); Fig. 15 of arXiv:2501.12391 compares
Adam, Lion and AdEMAMix.
"""
import numpy as np
import torch

from .util import check_choice


def per_run(value, x):
    """A scalar or (R,) hyperparameter as an (R, 1) tensor that broadcasts against x of shape (R, N)."""
    t = torch.as_tensor(value, dtype=x.dtype, device=x.device).reshape(-1, 1)
    return t.expand(x.shape[0], 1)


def per_run_betas(betas, x, n):
    """n betas, shared (n,) or per run (R, n), as a list of n (R, 1) tensors."""
    values = np.array(betas, dtype=np.float64)
    if not np.all((values >= 0) & (values < 1)):
        raise ValueError(f"betas must lie in [0, 1), got {betas!r}")
    betas = torch.as_tensor(values).reshape(-1, n)
    return [per_run(betas[:, i], x) for i in range(n)]


class SGD:
    """x <- x - lr * g."""

    def __init__(self, x, lr):
        self.lr = per_run(lr, x)

    def step(self, x, g):
        return x - self.lr * g


class Adam:
    """Bias-corrected Adam as in ``torch.optim.Adam``, without weight decay; betas (0, 0) give SignGD."""

    def __init__(self, x, lr, betas=(0.9, 0.999), eps=1e-8):
        self.lr = per_run(lr, x)
        self.b1, self.b2 = per_run_betas(betas, x, 2)
        self.eps = eps
        self.m = torch.zeros_like(x)
        self.v = torch.zeros_like(x)
        self.t = 0

    def step(self, x, g):
        self.t += 1
        return self.step_corrected(x, g, 1 - self.b1 ** self.t, 1 - self.b2 ** self.t)

    def step_corrected(self, x, g, correction1, correction2):
        """The step with its bias corrections 1 - b1^t, 1 - b2^t (R, 1) given, as a captured CUDA graph reads them."""
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        return x - (self.lr / correction1) * self.m / (torch.sqrt(self.v) / torch.sqrt(correction2) + self.eps)


def SignGD(x, lr, eps=1e-8):
    """SignGD: x <- x - lr g / (|g| + eps), Adam with betas (0, 0); a coordinate with g = 0 stays in place."""
    return Adam(x, lr, betas=(0.0, 0.0), eps=eps)


class AdamW(Adam):
    """Adam with decoupled weight decay as in ``torch.optim.AdamW``: x <- x (1 - lr wd), then the Adam step."""

    def __init__(self, x, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(x, lr, betas=betas, eps=eps)
        self.wd = per_run(weight_decay, x)

    def step(self, x, g):
        return super().step(x * (1 - self.lr * self.wd), g)


class Lion:
    """Lion (Chen et al. 2023): weight decay, then a signed step on the b1-interpolation of m and g; m tracks g with
    b2."""

    def __init__(self, x, lr, betas=(0.9, 0.99), weight_decay=0.0):
        self.lr, self.wd = per_run(lr, x), per_run(weight_decay, x)
        self.b1, self.b2 = per_run_betas(betas, x, 2)
        self.m = torch.zeros_like(x)

    def step(self, x, g):
        update = torch.sign(self.b1 * self.m + (1 - self.b1) * g)
        self.m = self.b2 * self.m + (1 - self.b2) * g
        return x * (1 - self.lr * self.wd) - self.lr * update


class AdEMAMix:
    """AdEMAMix (Pagliardini, Ablin & Grangier 2024), betas (b1, b2, b3), without the alpha / b3 warm-ups; the slow
    EMA m2 (rate b3) is not bias-corrected."""

    def __init__(self, x, lr, betas=(0.9, 0.999, 0.9999), alpha=2.0, eps=1e-8, weight_decay=0.0):
        self.lr, self.alpha, self.wd = per_run(lr, x), per_run(alpha, x), per_run(weight_decay, x)
        self.b1, self.b2, self.b3 = per_run_betas(betas, x, 3)
        self.eps = eps
        self.m1, self.m2, self.v = torch.zeros_like(x), torch.zeros_like(x), torch.zeros_like(x)
        self.t = 0

    def step(self, x, g):
        self.t += 1
        self.m1 = self.b1 * self.m1 + (1 - self.b1) * g
        self.m2 = self.b3 * self.m2 + (1 - self.b3) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        denominator = torch.sqrt(self.v) / torch.sqrt(1 - self.b2 ** self.t) + self.eps
        update = (self.m1 / (1 - self.b1 ** self.t) + self.alpha * self.m2) / denominator + self.wd * x
        return x - self.lr * update


# name -> constructor(x, lr, **hyperparameters); figure modules may register further element-wise optimizers
OPTIMIZERS = {"sgd": SGD, "adam": Adam, "signgd": SignGD, "adamw": AdamW, "lion": Lion, "ademamix": AdEMAMix}


def make_optimizer(name, x, lr, **hyper):
    """Build optimizer ``name`` (a key of OPTIMIZERS) for stacked parameters x of shape (R, N)."""
    check_choice("optimizer", name, tuple(OPTIMIZERS))
    return OPTIMIZERS[name](x, lr, **hyper)
