"""Element-wise optimizers on stacked parameters: row r of x is run r, with its own hyperparameters.

Because each update acts element by element, applying one to a (R, N) tensor is exactly R independent runs.
Hyperparameters may be scalars or per-run arrays of shape (R,). Spec: models.md §1.5.
"""
import torch

from .tasks import check_choice


def per_run(value, x):
    """A scalar or (R,) hyperparameter as an (R, 1) tensor that broadcasts against x of shape (R, N)."""
    t = torch.as_tensor(value, dtype=x.dtype, device=x.device).reshape(-1, 1)
    return t.expand(x.shape[0], 1)


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
        betas = torch.as_tensor(betas, dtype=torch.float64).reshape(-1, 2)
        self.lr = per_run(lr, x)
        self.b1, self.b2 = per_run(betas[:, 0], x), per_run(betas[:, 1], x)
        self.eps = eps
        self.m = torch.zeros_like(x)
        self.v = torch.zeros_like(x)
        self.t = 0

    def step(self, x, g):
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        correction1 = 1 - self.b1 ** self.t
        correction2 = 1 - self.b2 ** self.t
        return x - (self.lr / correction1) * self.m / (torch.sqrt(self.v) / torch.sqrt(correction2) + self.eps)


def SignGD(x, lr, eps=1e-8):
    """SignGD of the paper: Adam with betas (0, 0)."""
    return Adam(x, lr, betas=(0.0, 0.0), eps=eps)


# name -> constructor(x, lr, **hyperparameters); figure modules may register further element-wise optimizers
OPTIMIZERS = {"sgd": SGD, "adam": Adam, "signgd": SignGD}


def make_optimizer(name, x, lr, **hyper):
    """Build optimizer ``name`` (a key of OPTIMIZERS) for stacked parameters x of shape (R, N)."""
    check_choice("optimizer", name, tuple(OPTIMIZERS))
    return OPTIMIZERS[name](x, lr, **hyper)
