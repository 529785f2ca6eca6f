"""The figures' hand-written sparse-parity pass (paper.parity_backprop) against the core's autograd pass.

The two sum the same terms in another order (row blocks; the 2 / (n K) applied after the products), so they agree to
rounding, not bit for bit: float64 gradients to 1e-12 relative, and over a short run the same correct counts.
"""
import functools

import numpy as np
import torch

from skill_physics import mlp
from skill_physics import sparse_parity as sp
from skill_physics.paper.parity_backprop import FusedBackprop
from skill_physics.sparse_parity import COMPOSITION, TWO_PARITIES, parity_data, stack_data


def test_hand_written_gradient_equals_autograd():
    n = 37
    x, y = stack_data([parity_data(s, COMPOSITION, n_samples=n) for s in (0, 1)])
    orders = torch.stack([torch.randperm(n, generator=torch.Generator().manual_seed(s)) for s in (0, 1)])
    mask = sp.frequency_mask(orders, torch.tensor([[n, n, 10], [n, 5, n]]))
    generators = [torch.Generator().manual_seed(s) for s in (3, 4)]
    layers = [tuple(p.requires_grad_() for p in layer)
              for layer in mlp.init_mlp(generators, (32, 50, 3), torch.float64)]
    fused = FusedBackprop(layers, n, block_rows=8)                  # several blocks, a partial last one
    loss, correct = fused(layers, x, y, mask)
    fused_grads = [p.grad.clone() for layer in layers for p in layer]
    ref_loss, ref_correct = sp.autograd_pass(layers, x, y, mask)
    torch.testing.assert_close(loss, ref_loss, rtol=1e-12, atol=0)
    torch.testing.assert_close(correct, ref_correct, rtol=0, atol=0)
    for ours, ref in zip(fused_grads, (p.grad for layer in layers for p in layer), strict=True):
        torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-15)
    assert not all(torch.equal(g, 0 * g) for g in fused_grads)


def test_training_on_the_fast_pass_equals_training_on_autograd():
    seeds, freqs = [4, 4, 7], [[1.0, 0.5], [1.0, 0.1], [1.0, 1.0]]
    x, y = stack_data([parity_data(s, TWO_PARITIES, n_samples=100) for s in seeds])
    fast = sp.train_parity_mlps(x, y, seeds, freqs, steps=25, backprop=functools.partial(FusedBackprop, block_rows=32))
    plain = sp.train_parity_mlps(x, y, seeds, freqs, steps=25)
    np.testing.assert_array_equal(fast.correct, plain.correct)
    np.testing.assert_allclose(fast.train_rmse, plain.train_rmse, rtol=1e-10)
    assert len(np.unique(fast.correct)) > 10                          # the run moves


def small_layers(hidden, dtype=torch.float64, n_runs=2):
    generators = [torch.Generator().manual_seed(s) for s in range(n_runs)]
    return [tuple(p.requires_grad_() for p in layer) for layer in mlp.init_mlp(generators, (4, hidden, 3), dtype)]


def test_default_blocks_hold_about_8_mb_of_hidden_activations_and_at_least_64_rows():
    # R runs of h hidden units: 2**20 activations per block (8 MB of float64), never fewer than 64 rows, never more
    # rows than there are
    assert FusedBackprop(small_layers(50), 100_000).block == 2 ** 20 // (2 * 50)
    assert FusedBackprop(small_layers(50), 37).block == 37
    assert FusedBackprop(small_layers(10_000), 1_000).block == 64
    assert FusedBackprop(small_layers(50), 100, block_rows=1).block == 1
    assert FusedBackprop(small_layers(50), 100, block_rows=0).block == 100      # 0: the default


def test_the_buffers_follow_the_layers_dtype_and_are_the_parameters_grads():
    layers = small_layers(8, torch.float32)
    fused = FusedBackprop(layers, 16)
    assert fused.h.dtype == fused.out.dtype == torch.float32 and fused.h.shape == (2, 16, 8)
    assert fused.out.shape == (2, 16, 3)
    params = [p for layer in layers for p in layer]
    assert all(p.grad is g and p.grad.shape == p.shape for p, g in zip(params, fused.grads, strict=True))


def test_row_by_row_blocks_give_autograd_s_gradient():
    n = 9
    x, y = stack_data([parity_data(s, COMPOSITION, n_samples=n) for s in (0, 1)])
    generators = [torch.Generator().manual_seed(s) for s in (3, 4)]
    layers = [tuple(p.requires_grad_() for p in layer)
              for layer in mlp.init_mlp(generators, (32, 20, 3), torch.float64)]
    loss, _ = FusedBackprop(layers, n, block_rows=1)(layers, x, y)
    grads = [p.grad.clone() for layer in layers for p in layer]
    ref_loss, _ = sp.autograd_pass(layers, x, y, None)
    torch.testing.assert_close(loss, ref_loss, rtol=1e-12, atol=0)
    for ours, ref in zip(grads, (p.grad for layer in layers for p in layer), strict=True):
        torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-15)
