"""Stacked multilayer perceptrons: R independent MLPs as batched tensors (the MLP experiments of Figs 2, 16, 19)."""
import math

import torch


def stacked_linear_init(seeds, widths, dtype=torch.float32):
    """PyTorch's default ``nn.Linear`` initialisation of R MLPs, run r drawn from ``Generator().manual_seed(seeds[r])``.

    Layer by layer each run draws the weight as nn.Linear stores it, (out, in), then the bias, both
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)): the numbers ``torch.manual_seed(seed)`` followed by building the nn.Linear
    layers would give.

    Parameters
    ----------
    seeds : sequence of int, length R
    widths : sequence of int
        Layer widths, input first.
    dtype : torch dtype

    Returns
    -------
    weights : list of tensors (R, in, out), one per layer (transposed for x @ W)
    biases : list of tensors (R, out)
    generators : list of R generators, advanced past the initialisation (a run draws its data from them next)
    """
    generators = [torch.Generator().manual_seed(int(s)) for s in seeds]
    weights, biases = [], []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        bound = 1 / math.sqrt(fan_in)
        draws = [(torch.empty(fan_out, fan_in, dtype=dtype).uniform_(-bound, bound, generator=g),
                  torch.empty(fan_out, dtype=dtype).uniform_(-bound, bound, generator=g)) for g in generators]
        weights.append(torch.stack([w.T for w, _ in draws]).contiguous())
        biases.append(torch.stack([b for _, b in draws]))
    return weights, biases, generators


def linear_init(generator, fan_in, fan_out, dtype=torch.float64):
    """``nn.Linear(fan_in, fan_out)``'s default initialisation drawn from ``generator``: the weight, then the bias.

    The weight comes from torch's own ``kaiming_uniform_(a=sqrt(5))``, whose bound sqrt(3) gain / sqrt(fan_in) lies
    one ulp below 1/sqrt(fan_in) in float64 for some fan_in (e.g. 100, 256); the bias is U(-1/sqrt(fan_in),
    1/sqrt(fan_in)). Returns weight (fan_out, fan_in), as nn.Linear stores it, and bias (fan_out,).
    """
    weight = torch.nn.init.kaiming_uniform_(torch.empty(fan_out, fan_in, dtype=dtype), a=math.sqrt(5),
                                            generator=generator)
    bound = 1 / math.sqrt(fan_in)
    bias = torch.empty(fan_out, dtype=dtype).uniform_(-bound, bound, generator=generator)
    return weight, bias


def stacked_forward(layers, x, activation, masks=None):
    """R stacked MLPs: Linear -> activation -> ... -> Linear, one batched matrix product per layer.

    Parameters
    ----------
    layers : sequence of (weight (R, in, out), bias (R, out) or (R, 1, out))
    x : tensor (R, n, in)
    activation : callable applied after every layer but the last (e.g. ``torch.relu``)
    masks : sequence of (in, out) or (R, in, out) 0/1 tensors, optional
        Fixed weight masks, multiplied in the forward pass (so masked weights get zero gradient); biases are unmasked.

    Returns
    -------
    tensor (R, n, out)
    """
    for i, (weight, bias) in enumerate(layers):
        if masks is not None:
            weight = weight * masks[i]
        x = torch.baddbmm(bias.view(bias.shape[0], 1, -1), x, weight)
        if i < len(layers) - 1:
            x = activation(x)
    return x
