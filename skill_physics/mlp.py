"""Stacked multilayer perceptrons: R independent MLPs as batched tensors (the MLPs of Figs 2, 13, 16, 19)."""
import math

import torch


def init_mlp(generators, widths, dtype=torch.float32):
    """``nn.Linear``'s default initialisation of R stacked MLPs, [(weight (R, in, out), bias (R, 1, out)), ...] for
    layer widths ``widths`` (input first): run r draws from ``generators[r]``, layer by layer, weight then bias."""
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        drawn = [_linear(g, fan_in, fan_out, dtype) for g in generators]
        layers.append((torch.stack([w.T for w, _ in drawn]).contiguous(), torch.stack([b[None] for _, b in drawn])))
    return layers


def _linear(generator, fan_in, fan_out, dtype):
    """One ``nn.Linear(fan_in, fan_out)``: weight (fan_out, fan_in), then bias (fan_out,)."""
    # torch's own kaiming_uniform_: its bound can lie one ulp off 1/sqrt(fan_in), and nn.Linear's numbers use it
    weight = torch.nn.init.kaiming_uniform_(torch.empty(fan_out, fan_in, dtype=dtype), a=math.sqrt(5),
                                            generator=generator)
    bound = 1 / math.sqrt(fan_in)
    return weight, torch.empty(fan_out, dtype=dtype).uniform_(-bound, bound, generator=generator)


def forward(layers, x, activation, masks=None):
    """R stacked MLPs, Linear -> activation -> ... -> Linear: x (R, n, in) -> (R, n, out). ``masks``: fixed 0/1
    weight masks, (in, out) or (R, in, out) per layer, applied in the pass so that masked weights get no gradient."""
    for i, (weight, bias) in enumerate(layers):
        if masks is not None:
            weight = weight * masks[i]
        x = torch.baddbmm(bias.view(bias.shape[0], 1, -1), x, weight)
        if i < len(layers) - 1:
            x = activation(x)
    return x
