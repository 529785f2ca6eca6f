"""The Geometry model's gradient noise, measured by its statistics, and its CE forms away from z = 0, where a sign
error in sigmoid(+-z) does not cancel (arXiv 2501.12391, Sec. 3: g <- g + sigma xi, xi ~ N(0, I_N))."""
import numpy as np
import pytest
import torch

from skill_physics import power_law_frequencies, task_vectors, train_geometry
from skill_physics.geometry import gradient_weights, population_loss, residuals, skills_from_logits

N_NOISE = 20_000          # coordinates: the sample sd of sigma xi is sigma (1 +- 1 / sqrt(2 N)) = sigma (1 +- 0.5 %)


def one_sgd_step(noise, n_dim=N_NOISE, lr=0.01, seed=7):
    """Parameters after one SGD step from x = 0 of runs that share a seed (so the same batch), shape (R, N)."""
    V = task_vectors("random_unit", 4, n_dim, seed=1)
    return train_geometry(V, power_law_frequencies(4, 1.0), steps=1, lr=lr, optimizer="sgd", noise=noise,
                          gradient="batch", seeds=seed, batch_size=16, record=[1], dtype=torch.float64).x


@pytest.mark.parametrize("sigma", [0.3, 2.0])
def test_one_sgd_step_moves_by_lr_times_sigma_xi(sigma):
    lr = 0.01
    x = one_sgd_step(np.array([0.0, sigma]), lr=lr)
    xi = (x[1] - x[0]) / lr                     # = -sigma xi: the clean gradient is shared and cancels
    assert np.std(xi) == pytest.approx(sigma, rel=0.03)
    assert abs(np.mean(xi)) < 5 * sigma / np.sqrt(N_NOISE)
    assert np.mean(np.abs(xi) < sigma) == pytest.approx(0.6827, abs=0.015)   # Gaussian: 68 % within one sd


def test_noise_is_linear_in_sigma_and_differs_between_seeds():
    x = one_sgd_step(np.array([0.0, 0.3, 2.0]))
    np.testing.assert_allclose((x[2] - x[0]) / 2.0, (x[1] - x[0]) / 0.3, rtol=1e-9, atol=1e-12)
    other = one_sgd_step(np.array([0.0, 0.3]), seed=8)
    assert abs(np.corrcoef(x[1] - x[0], other[1] - other[0])[0, 1]) < 0.05


def test_population_loss_away_from_zero():
    z = torch.tensor([[-1.5, 0.3, 2.0]], dtype=torch.float32)
    p = torch.tensor([[0.5, 0.3, 0.2]], dtype=torch.float64)
    zz = z.double().numpy()[0]
    ce = (p.numpy()[0] * np.log1p(np.exp(-zz))).sum()              # -log sigmoid(z) = log(1 + e^-z)
    mse = (p.numpy()[0] * (1 - zz) ** 2).sum()
    assert population_loss(z, p, "ce").item() == pytest.approx(ce, rel=1e-12)
    assert population_loss(z, p, "mse").item() == pytest.approx(mse, rel=1e-12)
    assert population_loss(z, p, "ce").dtype == torch.float64


def test_skills_and_ce_weights_away_from_zero():
    z = torch.tensor([[-2.0, 0.5]], dtype=torch.float64)
    sig = 1 / (1 + np.exp(-z.numpy()))
    np.testing.assert_allclose(skills_from_logits(z, "ce").numpy(), sig)
    np.testing.assert_array_equal(skills_from_logits(z, "mse").numpy(), z.numpy())
    counts = torch.tensor([[3.0, 1.0]], dtype=torch.float64)
    p = torch.tensor([[0.75, 0.25]], dtype=torch.float64)
    w = gradient_weights(residuals(z, "ce"), p, counts, 4.0, "ce", "batch").numpy()
    np.testing.assert_allclose(w, -(counts.numpy() / 4) * (1 - sig))
    w = gradient_weights(residuals(z, "ce"), p, None, 4.0, "ce", "expected").numpy()
    np.testing.assert_allclose(w, -p.numpy() * (1 - sig))


@pytest.mark.parametrize("loss", ["mse", "ce"])
def test_the_expected_gradient_descends_the_loss_that_is_recorded(loss):
    z = torch.tensor([[-1.5, 0.3, 2.0]], dtype=torch.float64, requires_grad=True)
    p = torch.tensor([[0.6, 0.3, 0.1]], dtype=torch.float64)
    (dloss,) = torch.autograd.grad(population_loss(z, p, loss).sum(), z)
    w = gradient_weights(residuals(z.detach(), loss), p, None, 1.0, loss, "expected")
    np.testing.assert_allclose(w.numpy(), dloss.numpy(), rtol=1e-12)
