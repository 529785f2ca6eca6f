"""Grokking on modular addition (arXiv 2501.12391, Sec. 6, Fig. 13), R runs as one tensor program.

A trainable embedding E (p x d); input concat(E[a], E[b]); MLP 2d -> w -> w -> p with SiLU; full-batch cross-entropy on
(a + b) mod p. A run's parameters are one flat row of a (R, P) tensor, trained by the element-wise AdamW of ``optim``;
every run shares one split and one initialisation."""
from dataclasses import dataclass

import numpy as np
import torch

from . import mlp
from .optim import make_optimizer
from .util import check_steps, record_indices
from .util import progress as progress_bar


def pair_operands(pairs, modulus):
    """Operands and labels (a, b, (a + b) mod p) of pair numbers k = a + p b, int64 tensors shaped like ``pairs``."""
    pairs = torch.as_tensor(np.asarray(pairs), dtype=torch.int64)
    a, b = pairs % modulus, pairs // modulus
    return a, b, (a + b) % modulus


def modular_addition_split(modulus, train_fraction, seed=0):
    """All p^2 pairs, {'train': (a, b, label), 'test': (a, b, label)} of int64 (n,): the first int(p^2 train_fraction)
    of a permutation drawn from ``seed`` train."""
    n_pairs = modulus * modulus
    perm = torch.randperm(n_pairs, generator=torch.Generator().manual_seed(seed))
    n_train = int(n_pairs * train_fraction)
    return split_pairs(perm[:n_train], perm[n_train:], modulus)


def split_pairs(train, test, modulus):
    """The split of ``modular_addition_split`` from the pair numbers that train and test."""
    return {"train": pair_operands(train, modulus), "test": pair_operands(test, modulus)}


def mlp_shapes(modulus, embed_dim, width):
    """Name -> shape of every parameter, in the order of the flat parameter row."""
    return {"embedding": (modulus, embed_dim),
            "w1": (2 * embed_dim, width), "b1": (width,),
            "w2": (width, width), "b2": (width,),
            "w3": (width, modulus), "b3": (modulus,)}


def init_parameters(shapes, seed=0, dtype=torch.float64):
    """A flat parameter row (P,) drawn in float64 from ``seed``: the embedding N(0, 1), then ``mlp.init_mlp``'s."""
    gen = torch.Generator().manual_seed(seed)
    embedding = torch.randn(shapes["embedding"], generator=gen, dtype=torch.float64)
    return flatten(embedding, mlp.init_mlp([gen], layer_widths(shapes), torch.float64), shapes).to(dtype)


def layer_widths(shapes):
    """The MLP's widths (2d, w, w, p) from its parameter shapes."""
    return [shapes["w1"][0], shapes["w2"][0], shapes["w3"][0], shapes["w3"][1]]


def flatten(embedding, layers, shapes):
    """One flat row (P,) in the order of ``shapes`` from the embedding (p, d) and ``mlp.init_mlp``'s one-run layers."""
    named = {"embedding": embedding}
    for i, (weight, bias) in enumerate(layers, 1):
        named[f"w{i}"], named[f"b{i}"] = weight[0], bias[0, 0]
    return torch.cat([named[name].reshape(-1) for name in shapes])


def unflatten(theta, shapes):
    """Views of the stacked flat parameters theta (R, P) as name -> (R, *shape)."""
    params, start = {}, 0
    for name, shape in shapes.items():
        size = int(np.prod(shape))
        params[name] = theta[:, start:start + size].reshape(theta.shape[0], *shape)
        start += size
    return params


def mlp_logits(params, a, b):
    """Logits (R, n, p) of the stacked MLPs on the pairs (a, b), each of shape (n,)."""
    E, W1 = params["embedding"], params["w1"]
    d = E.shape[-1]
    left, right = E @ W1[:, :d], E @ W1[:, d:]          # (R, p, w): first layer on the table rows
    h = torch.nn.functional.silu(left[:, a] + right[:, b] + params["b1"][:, None])
    h = torch.nn.functional.silu(h @ params["w2"] + params["b2"][:, None])
    return h @ params["w3"] + params["b3"][:, None]


def loss_and_accuracy(logits, labels):
    """Per-run mean cross-entropy and accuracy (argmax == label), each (R,)."""
    R, n, p = logits.shape
    loss = torch.nn.functional.cross_entropy(logits.reshape(R * n, p), labels.repeat(R), reduction="none")
    accuracy = (logits.argmax(-1) == labels).to(logits.dtype).mean(-1)
    return loss.reshape(R, n).mean(-1), accuracy


@dataclass
class GrokkingRun:
    """Records of R runs at the recorded steps; record t is the model after t updates."""

    steps: np.ndarray        # (T,) record indices in [0, steps]
    train_loss: np.ndarray   # (T, R) mean cross-entropy on the training pairs
    test_loss: np.ndarray    # (T, R)
    train_acc: np.ndarray    # (T, R) fraction of pairs with argmax logit == label
    test_acc: np.ndarray     # (T, R)


def train_grokking(*, steps, lr, betas, weight_decay, modulus=59, embed_dim=128, width=100, train_fraction=0.8,
                   seed=0, split=None, theta=None, record=None, dtype=torch.float64, device="cpu", progress=False):
    """Train R stacked runs of the modular-addition MLP with full-batch AdamW; same split and init in every run.

    Parameters
    ----------
    steps : int, the number of updates
    lr, weight_decay : float or array (R,); decoupled: theta <- theta (1 - lr wd) before each Adam step
    betas : array (2,) or (R, 2); (0, 0) is SignGD
    modulus, embed_dim, width : int; p = 59, d = 128, w = 100 in the paper
    seed : int, of the split and the initialisation where they are not given
    split, theta : as ``modular_addition_split`` and ``init_parameters`` return them, optional
    record : ints in [0, steps], optional; default every step

    Returns
    -------
    GrokkingRun
    """
    check_steps(steps)
    betas = np.asarray(betas, dtype=np.float64).reshape(-1, 2)
    R = max(len(betas), np.size(lr), np.size(weight_decay))
    steps_rec = record_indices(record, steps, default=np.arange(steps + 1))
    split = modular_addition_split(modulus, train_fraction, seed) if split is None else split
    data = {k: tuple(t.to(device) for t in v) for k, v in split.items()}
    shapes = mlp_shapes(modulus, embed_dim, width)
    theta = init_parameters(shapes, seed, dtype) if theta is None else theta.to(dtype)
    theta = theta.to(device).expand(R, -1).clone()
    opt = make_optimizer("adamw", theta, lr, betas=np.broadcast_to(betas, (R, 2)), weight_decay=weight_decay)

    out = {k: np.empty((len(steps_rec), R)) for k in ("train_loss", "test_loss", "train_acc", "test_acc")}
    row_of = {int(t): i for i, t in enumerate(steps_rec)}
    last = int(steps_rec[-1])
    for t in progress_bar(range(last + 1), desc="grokking", enabled=progress):
        theta.requires_grad_(True)
        params = unflatten(theta, shapes)
        a, b, y = data["train"]
        train_loss, train_acc = loss_and_accuracy(mlp_logits(params, a, b), y)
        row = row_of.get(t)
        if row is not None:
            with torch.no_grad():
                test_loss, test_acc = loss_and_accuracy(mlp_logits(params, *data["test"][:2]), data["test"][2])
            for key, value in (("train_loss", train_loss), ("test_loss", test_loss), ("train_acc", train_acc),
                               ("test_acc", test_acc)):
                out[key][row] = value.detach().cpu().double().numpy()
        if t == last:
            break
        # runs are independent, so the gradient of the sum is each run's own gradient
        (grad,) = torch.autograd.grad(train_loss.sum(), theta)
        theta = opt.step(theta.detach(), grad)
    return GrokkingRun(steps_rec, **out)
