"""Stacked MLPs (``mlp.forward``): R runs at once equal each run alone, and weight masks cut connections."""
import torch

from skill_physics import mlp

WIDTHS = (4, 6, 5, 3)


def layers_of(n_runs, seed=0):
    return mlp.init_mlp([torch.Generator().manual_seed(seed + r) for r in range(n_runs)], WIDTHS, torch.float64)


def one_run(layers, r, x, activation, masks=None):
    """Run r alone, Linear -> activation -> ... -> Linear, written out: x (n, in) @ W (in, out) + b."""
    for i, (weight, bias) in enumerate(layers):
        w = weight[r] if masks is None else weight[r] * (masks[i][r] if masks[i].dim() == 3 else masks[i])
        x = x @ w + bias[r, 0]
        if i < len(layers) - 1:
            x = activation(x)
    return x


def test_stacked_runs_compute_each_run_alone():
    # three runs, seven inputs each (neither 1 nor the number of runs): every run uses its own weights and bias
    layers = layers_of(3)
    x = torch.randn(3, 7, WIDTHS[0], generator=torch.Generator().manual_seed(9), dtype=torch.float64)
    out = mlp.forward(layers, x, torch.tanh)
    assert out.shape == (3, 7, WIDTHS[-1])
    for r in range(3):
        torch.testing.assert_close(out[r], one_run(layers, r, x[r], torch.tanh))


def test_no_activation_after_the_last_layer():
    # with relu, an output below zero is only possible when the last layer is left linear
    layers = layers_of(2)
    x = torch.randn(2, 50, WIDTHS[0], generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert (mlp.forward(layers, x, torch.relu) < 0).any()


def test_masked_weights_cut_their_connections_and_get_no_gradient():
    layers = [[p.clone().requires_grad_() for p in layer] for layer in layers_of(2, seed=4)]
    g = torch.Generator().manual_seed(3)
    shared = [(torch.rand(a, b, generator=g) < 0.5).double() for a, b in zip(WIDTHS[:-1], WIDTHS[1:])]
    per_run = [torch.stack([m, 1 - m]) for m in shared]           # (R, in, out): run 1 keeps what run 0 drops
    x = torch.randn(2, 7, WIDTHS[0], generator=g, dtype=torch.float64)
    for masks in (shared, per_run):
        out = mlp.forward(layers, x, torch.tanh, masks)
        for r in range(2):
            torch.testing.assert_close(out[r], one_run(layers, r, x[r], torch.tanh, masks))
        grads = torch.autograd.grad(out.sum(), [w for w, _ in layers])
        for grad, m in zip(grads, masks):
            assert torch.all(grad[(m.expand_as(grad) == 0)] == 0)
            assert torch.all(torch.isfinite(grad))
