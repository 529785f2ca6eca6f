"""The optimizers' default hyperparameters: Adam and AdamW equal torch's defaults, Lion and AdEMAMix their stated
ones; SGD and the registry."""
import pytest
import torch

from skill_physics.optim import SGD, Adam, AdamW, AdEMAMix, Lion, SignGD, make_optimizer, per_run


def trajectory(opt, x, n_steps=6, seed=0):
    """x after n_steps of opt on fixed random gradients (float64, shape of x)."""
    gen = torch.Generator().manual_seed(seed)
    for _ in range(n_steps):
        x = opt.step(x, torch.randn(x.shape, generator=gen, dtype=torch.float64))
    return x


def torch_trajectory(cls, x, n_steps=6, seed=0, **kw):
    """The same gradients through a torch.optim optimizer with its own defaults."""
    gen = torch.Generator().manual_seed(seed)
    p = torch.nn.Parameter(x.clone())
    opt = cls([p], **kw)
    for _ in range(n_steps):
        p.grad = torch.randn(x.shape, generator=gen, dtype=torch.float64)
        opt.step()
    return p.detach()


X0 = torch.linspace(-1, 1, 8, dtype=torch.float64).reshape(2, 4)


@pytest.mark.parametrize("ours,theirs", [(Adam, torch.optim.Adam), (AdamW, torch.optim.AdamW)])
def test_adam_defaults_are_torch_defaults(ours, theirs):
    got = trajectory(ours(X0, lr=0.01), X0)
    torch.testing.assert_close(got, torch_trajectory(theirs, X0, lr=0.01), rtol=1e-12, atol=1e-14)
    # gradients of the size of the default eps (1e-8), where eps matters
    gen = torch.Generator().manual_seed(1)
    g = 1e-8 * torch.randn(X0.shape, generator=gen, dtype=torch.float64)
    p = torch.nn.Parameter(X0.clone())
    ref = theirs([p], lr=0.01)
    p.grad = g.clone()
    ref.step()
    torch.testing.assert_close(ours(X0, lr=0.01).step(X0, g), p.detach(), rtol=1e-12, atol=1e-14)


def test_lion_and_ademamix_defaults():
    torch.testing.assert_close(trajectory(Lion(X0, lr=0.01), X0),
                               trajectory(Lion(X0, lr=0.01, betas=(0.9, 0.99), weight_decay=0.0), X0),
                               rtol=0, atol=0)
    explicit = AdEMAMix(X0, lr=0.01, betas=(0.9, 0.999, 0.9999), alpha=2.0, eps=1e-8, weight_decay=0.0)
    torch.testing.assert_close(trajectory(AdEMAMix(X0, lr=0.01), X0), trajectory(explicit, X0), rtol=0, atol=0)
    # and the defaults matter: other values give other trajectories
    assert not torch.equal(trajectory(AdEMAMix(X0, lr=0.01, alpha=5.0), X0), trajectory(explicit, X0))
    assert not torch.equal(trajectory(Lion(X0, lr=0.01, weight_decay=0.1), X0), trajectory(Lion(X0, lr=0.01), X0))


def test_ademamix_eps_default_matters_for_tiny_gradients():
    g = torch.full(X0.shape, 1e-8, dtype=torch.float64)
    step = AdEMAMix(X0, lr=1.0).step(X0, g) - X0
    # t = 1: update = (1 + alpha (1 - b3)) g / (|g| + eps) = 1.0002 / 2 with g = eps = 1e-8
    torch.testing.assert_close(step, torch.full(X0.shape, -1.0002 / 2, dtype=torch.float64), rtol=1e-9, atol=0)


def test_signgd_is_adam_without_moments():
    torch.testing.assert_close(trajectory(SignGD(X0, lr=0.01), X0),
                               trajectory(make_optimizer("adam", X0, 0.01, betas=(0.0, 0.0)), X0), rtol=0, atol=0)


def test_sgd_and_per_run_learning_rates():
    g = torch.ones_like(X0)
    torch.testing.assert_close(SGD(X0, [0.1, 0.2]).step(X0, g), X0 - torch.tensor([[0.1], [0.2]], dtype=X0.dtype))
    lr = per_run(0.5, X0)
    assert lr.shape == (2, 1) and lr.dtype == X0.dtype
    assert per_run([1.0, 2.0], X0).tolist() == [[1.0], [2.0]]
    with pytest.raises(RuntimeError):
        per_run([1.0, 2.0, 3.0], X0)             # one learning rate per run, or one for all


def test_lion_leaves_a_coordinate_with_zero_gradient_and_momentum_in_place():
    x = torch.tensor([[0.5, -0.5]], dtype=torch.float64)
    new = Lion(x, lr=0.1).step(x, torch.tensor([[0.0, 2.0]], dtype=torch.float64))
    torch.testing.assert_close(new, torch.tensor([[0.5, -0.6]], dtype=torch.float64), rtol=0, atol=1e-15)


def test_hyperparameters_live_on_the_parameters_device_and_dtype():
    # the meta device computes shapes only, and refuses to mix with CPU tensors
    x = torch.zeros(3, 4, dtype=torch.float64, device="meta")
    for value in (0.1, [0.1, 0.2, 0.3]):
        t = per_run(value, x)
        assert t.device.type == "meta" and t.dtype == torch.float64 and t.shape == (3, 1)
    for name in ("sgd", "adam", "signgd", "adamw", "lion", "ademamix"):
        assert make_optimizer(name, x, 0.01).step(x, x).device.type == "meta"


@pytest.mark.parametrize("betas", [(0.9, 1.0), (1.0, 0.999), (-0.1, 0.9)])
def test_betas_of_one_or_below_zero_are_refused(betas):
    with pytest.raises(ValueError, match=r"^betas must lie in \[0, 1\), got "):
        Adam(X0, lr=0.01, betas=betas)


def test_signgd_and_adamw_use_the_eps_they_are_given():
    """A large eps shrinks the step to lr g / (|g| + eps); torch's AdamW with the same eps agrees."""
    g = torch.tensor([[0.5, -2.0]], dtype=torch.float64)
    x = torch.zeros_like(g)
    assert torch.allclose(SignGD(x, 0.1, eps=1.0).step(x, g), -0.1 * g / (g.abs() + 1.0))
    ours = trajectory(AdamW(X0, 0.1, eps=0.5), X0)
    assert torch.allclose(ours, torch_trajectory(torch.optim.AdamW, X0, lr=0.1, eps=0.5))
    assert not torch.allclose(ours, torch_trajectory(torch.optim.AdamW, X0, lr=0.1))
