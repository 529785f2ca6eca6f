"""Lion, AdEMAMix and AdamW of skill_physics.optim against their published update equations written out step by step."""
import math

import numpy as np
import pytest
import torch

from skill_physics.optim import AdamW, AdEMAMix, Lion, make_optimizer


def random_gradients(n_steps, shape, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=gen, dtype=torch.float64) for _ in range(n_steps)]


def lion_reference(x, grads, lr, b1, b2, wd):
    """Lion: decay, then x -= lr sign(b1 m + (1 - b1) g), and only then m <- b2 m + (1 - b2) g; scalar loops."""
    x, m = list(x), [0.0] * len(x)
    for g in grads:
        for i, gi in enumerate(g):
            x[i] *= 1 - lr * wd
            c = b1 * m[i] + (1 - b1) * gi
            x[i] -= lr * (c > 0) - lr * (c < 0)
            m[i] = b2 * m[i] + (1 - b2) * gi
    return x


def ademamix_reference(x, grads, lr, b1, b2, b3, alpha, eps, wd):
    """AdEMAMix: bias-corrected fast EMA m1 and second moment v, slow EMA m2 NOT bias-corrected; scalar loops."""
    x = list(x)
    m1, m2, v = [0.0] * len(x), [0.0] * len(x), [0.0] * len(x)
    for t, g in enumerate(grads, start=1):
        for i, gi in enumerate(g):
            m1[i] = b1 * m1[i] + (1 - b1) * gi
            m2[i] = b3 * m2[i] + (1 - b3) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            update = (m1[i] / (1 - b1 ** t) + alpha * m2[i]) / (math.sqrt(v[i]) / math.sqrt(1 - b2 ** t) + eps)
            x[i] -= lr * (update + wd * x[i])
    return x


def run(opt, x, grads):
    for g in grads:
        x = opt.step(x, g)
    return x


@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_lion_matches_spec_equations(wd):
    x0 = torch.randn(3, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    grads = random_gradients(6, (3, 5))
    got = run(Lion(x0, lr=0.01, betas=(0.9, 0.99), weight_decay=wd), x0, grads)
    for r in range(3):
        want = lion_reference(x0[r].tolist(), [g[r].tolist() for g in grads], 0.01, 0.9, 0.99, wd)
        np.testing.assert_allclose(got[r].numpy(), want, rtol=0, atol=1e-12)


def test_lion_update_uses_old_momentum():
    # step 1: m = 0, so the update is sign(g1); step 2 with g2 = -g1 / 2: interpolation 0.9 m + 0.1 g2 with
    # m = 0.01 g1 (after step 1) has the sign of g2, whereas the new momentum would keep g1's sign
    x = torch.zeros(1, 1, dtype=torch.float64)
    opt = Lion(x, lr=1.0, betas=(0.9, 0.99))
    x = opt.step(x, torch.tensor([[1.0]], dtype=torch.float64))
    assert x.item() == -1.0
    assert opt.m.item() == pytest.approx(0.01)
    x = opt.step(x, torch.tensor([[-0.5]], dtype=torch.float64))
    assert x.item() == 0.0


@pytest.mark.parametrize("betas,wd", [((0.9, 0.999, 0.9999), 0.0), ((0.0, 0.99, 0.999), 0.05)])
def test_ademamix_matches_spec_equations(betas, wd):
    x0 = torch.randn(2, 4, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    grads = random_gradients(7, (2, 4), seed=3)
    got = run(AdEMAMix(x0, lr=0.01, betas=betas, alpha=2.0, weight_decay=wd), x0, grads)
    for r in range(2):
        want = ademamix_reference(x0[r].tolist(), [g[r].tolist() for g in grads], 0.01, *betas, 2.0, 1e-8, wd)
        np.testing.assert_allclose(got[r].numpy(), want, rtol=1e-12, atol=1e-14)


def test_ademamix_first_step_shows_m2_is_not_bias_corrected():
    # t = 1: m1_hat = g, m2 = (1 - b3) g, v_hat = g^2  ->  update = (1 + alpha (1 - b3)) sign(g) (eps aside)
    x = torch.zeros(1, 3, dtype=torch.float64)
    g = torch.tensor([[2.0, -0.5, 3.0]], dtype=torch.float64)
    x = AdEMAMix(x, lr=1.0, betas=(0.9, 0.999, 0.9999), alpha=2.0, eps=0.0).step(x, g)
    np.testing.assert_allclose(x.numpy(), -(1 + 2.0 * 1e-4) * np.sign(g.numpy()), rtol=1e-12)


def test_per_run_hyperparameters_equal_runs_one_by_one():
    x0 = torch.randn(3, 4, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    grads = random_gradients(5, (3, 4), seed=5)
    lrs, alphas = [0.01, 0.02, 0.03], [1.0, 2.0, 5.0]
    betas = [(0.9, 0.999, 0.9999), (0.8, 0.99, 0.999), (0.0, 0.9, 0.99)]
    stacked = run(AdEMAMix(x0, lr=lrs, betas=betas, alpha=alphas), x0, grads)
    lion_betas = [(0.9, 0.99), (0.5, 0.9), (0.0, 0.0)]
    lion = run(Lion(x0, lr=lrs, betas=lion_betas), x0, grads)
    for r in range(3):
        alone = run(AdEMAMix(x0[r:r + 1], lr=lrs[r], betas=betas[r], alpha=alphas[r]), x0[r:r + 1],
                    [g[r:r + 1] for g in grads])
        np.testing.assert_array_equal(stacked[r:r + 1].numpy(), alone.numpy())
        alone = run(Lion(x0[r:r + 1], lr=lrs[r], betas=lion_betas[r]), x0[r:r + 1], [g[r:r + 1] for g in grads])
        np.testing.assert_array_equal(lion[r:r + 1].numpy(), alone.numpy())


@pytest.mark.parametrize("betas", [(0.0, 0.0), (0.9, 0.999)])
def test_adamw_matches_torch(betas):
    x0 = torch.randn(1, 6, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    grads = random_gradients(8, (1, 6), seed=7)
    got = run(AdamW(x0, lr=0.01, betas=betas, weight_decay=0.03), x0, grads)
    p = torch.nn.Parameter(x0.clone())
    ref = torch.optim.AdamW([p], lr=0.01, betas=betas, weight_decay=0.03)
    for g in grads:
        p.grad = g.clone()
        ref.step()
    np.testing.assert_allclose(got.numpy(), p.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_registry_names():
    x = torch.zeros(2, 3)
    assert isinstance(make_optimizer("lion", x, 0.01), Lion)
    assert isinstance(make_optimizer("ademamix", x, 0.01), AdEMAMix)
    with pytest.raises(ValueError, match="optimizer='focus' is not allowed"):
        make_optimizer("focus", x, 0.01)
