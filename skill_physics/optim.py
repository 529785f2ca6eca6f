"""Element-wise optimizers on stacked parameters: row r of x is run r, with its own hyperparameters.

Because each update acts element by element, applying one to a (R, N) tensor is exactly R independent runs.
Hyperparameters may be scalars or per-run arrays of shape (R,) (betas: (R, 2) or (R, 3)). The updates of the
paper's code (arXiv:2501.12391); Lion and AdEMAMix as used for its Fig. 15.
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
    """Bias-corrected Adam as in ``torch.optim.Adam`` (no weight decay); betas (0, 0) is SignGD.

    With betas = (0, 0) the update is x <- x - lr * g / (|g| + eps): sign descent, except that a coordinate with g = 0
    stays put.
    """

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
        """The step with its bias corrections 1 - b1^t and 1 - b2^t given, (R, 1) each (``step`` computes them from
        its step count; a captured CUDA graph reads them from a table instead)."""
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        return x - (self.lr / correction1) * self.m / (torch.sqrt(self.v) / torch.sqrt(correction2) + self.eps)


def SignGD(x, lr, eps=1e-8):
    """SignGD of the paper: Adam with betas (0, 0)."""
    return Adam(x, lr, betas=(0.0, 0.0), eps=eps)


class AdamW(Adam):
    """Adam with decoupled weight decay as in ``torch.optim.AdamW``: x <- x (1 - lr wd), then the Adam step."""

    def __init__(self, x, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(x, lr, betas=betas, eps=eps)
        self.wd = per_run(weight_decay, x)

    def step(self, x, g):
        return super().step(x * (1 - self.lr * self.wd), g)


class Lion:
    """Lion (Chen et al. 2023) with the update order of the paper's code (Fig. 15).

    x <- x (1 - lr wd);  x <- x - lr sign(b1 m + (1 - b1) g);  then m <- b2 m + (1 - b2) g (m starts at 0).
    The interpolation b1 that sets the update differs from the b2 that tracks the momentum.
    """

    def __init__(self, x, lr, betas=(0.9, 0.99), weight_decay=0.0):
        self.lr, self.wd = per_run(lr, x), per_run(weight_decay, x)
        self.b1, self.b2 = per_run_betas(betas, x, 2)
        self.m = torch.zeros_like(x)

    def step(self, x, g):
        update = torch.sign(self.b1 * self.m + (1 - self.b1) * g)
        self.m = self.b2 * self.m + (1 - self.b2) * g
        return x * (1 - self.lr * self.wd) - self.lr * update


class AdEMAMix:
    """AdEMAMix (Pagliardini, Ablin & Grangier 2024) without the optional alpha / beta3 warm-ups.

    m1 <- b1 m1 + (1 - b1) g;  m2 <- b3 m2 + (1 - b3) g;  v <- b2 v + (1 - b2) g^2;
    x <- x - lr [(m1 / (1 - b1^t) + alpha m2) / (sqrt(v) / sqrt(1 - b2^t) + eps) + wd x].
    The slow EMA m2 is not bias-corrected; betas are (b1, b2, b3) in that order.
    """

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
