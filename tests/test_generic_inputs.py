"""Each transformation on inputs without the paper's symmetries: 3-cycles, not involutions; non-symmetric rotations,
not Hadamard matrices; unnormalised frequencies; K != N, R != K and per-run batch sizes. On the paper's settings an
inverse and a permutation, a transpose and a rotation, p and p / sum(p) give the same numbers; here they do not,
and each result is checked against a reference written plainly below."""
import numpy as np
import pytest
import torch

from skill_physics import resource_model, sparse_parity, train_geometry
from skill_physics.fits import fit_skills
from skill_physics.geometry import combine, project
from skill_physics.paper.parity_backprop import FusedBackprop
from skill_physics.paper.replay.parity import figure_experiment
from skill_physics.quadratic import train_quadratic
from skill_physics.rng import CounterRNG
from skill_physics.sparse_parity import parity_experiment

P3 = np.array([3.0, 1.0, 0.5])          # unnormalised: sums to 4.5


def rotation(n, seed):
    """A random orthogonal matrix that is neither symmetric nor an involution."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(n, n)))
    assert not np.allclose(q, q.T) and not np.allclose(q @ q, np.eye(n))
    return q


def test_quadratic_under_non_symmetric_rotations_matches_plain_sgd():
    """train_quadratic applies u = R theta and the gradient 2 R^T (c u), per run, with R not symmetric."""
    rots = np.stack([rotation(3, 1), rotation(3, 2)])
    c, theta0, lr, steps = np.array([1.0, 0.5, 0.2]), np.array([0.3, -0.7, 1.1]), np.array([0.1, 0.05]), 4
    rec = train_quadratic(rots, c, theta0, steps=steps, lr=lr, optimizer="sgd", dtype=torch.float64)
    for r in range(2):
        theta = theta0.copy()
        for t in range(steps + 1):
            u = np.array([sum(rots[r, i, j] * theta[j] for j in range(3)) for i in range(3)])
            np.testing.assert_allclose(rec.components[t, r], u ** 2, rtol=1e-12, atol=1e-14)
            if t < steps:
                grad = np.array([sum(2 * rots[r, i, j] * c[i] * u[i] for i in range(3)) for j in range(3)])
                theta = theta - lr[r] * grad
        np.testing.assert_allclose(rec.theta[r], theta, rtol=1e-12)


@pytest.mark.parametrize("K,N", [(3, 5), (4, 4)])
def test_project_and_combine_on_uneven_non_orthogonal_vectors(K, N):
    """project: z_{r,k} = sum_i v_{r,k,i} x_{r,i}; combine: g_{r,i} = sum_k w_{r,k} v_{r,k,i}; shared and per run."""
    gen = np.random.default_rng(3)
    R = 2
    V, Vr = gen.normal(size=(K, N)), gen.normal(size=(R, K, N))
    x, w = gen.normal(size=(R, N)), gen.normal(size=(R, K))
    for vec, per_run in ((V, np.broadcast_to(V, (R, K, N))), (Vr, Vr)):
        z = project(torch.as_tensor(vec), torch.as_tensor(x)).numpy()
        g = combine(torch.as_tensor(vec), torch.as_tensor(w)).numpy()
        for r in range(R):
            for k in range(K):
                assert z[r, k] == pytest.approx(sum(per_run[r, k, i] * x[r, i] for i in range(N)), rel=1e-12)
            for i in range(N):
                assert g[r, i] == pytest.approx(sum(w[r, k] * per_run[r, k, i] for k in range(K)), rel=1e-12)


def test_train_geometry_per_run_vectors_frequencies_and_rates_match_a_plain_loop():
    """R = 2 runs of K = 3 tasks in N = 5 dimensions, each with its own vectors, frequencies and rate: exact MSE
    gradient descent x <- x + lr 2 sum_k p_k (1 - v_k.x) v_k."""
    gen = np.random.default_rng(4)
    V = gen.normal(size=(2, 3, 5))
    p = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3]])
    lr, steps = np.array([0.05, 0.02]), 3
    rec = train_geometry(V, p, steps=steps, lr=lr, optimizer="sgd", gradient="expected", dtype=torch.float64)
    for r in range(2):
        x = np.zeros(5)
        for t in range(steps + 1):
            z = V[r] @ x
            np.testing.assert_allclose(rec.skills[t, r], z, rtol=1e-12, atol=1e-15)
            assert rec.loss[t, r] == pytest.approx(np.sum(p[r] * (1 - z) ** 2), rel=1e-12)
            x = x + lr[r] * 2 * sum(p[r, k] * (1 - z[k]) * V[r, k] for k in range(3))
    np.testing.assert_allclose(rec.x, np.stack([x_final(V[r], p[r], lr[r], steps) for r in range(2)]), rtol=1e-12)


def x_final(V, p, lr, steps):
    x = np.zeros(V.shape[1])
    for _ in range(steps):
        x = x + lr * 2 * V.T @ (p * (1 - V @ x))
    return x


def test_train_geometry_refuses_unnormalised_frequencies():
    """train_geometry documents frequencies whose rows sum to 1: [3, 1, 0.5] is refused, not silently renormalised."""
    with pytest.raises(ValueError, match="sum to 1"):
        train_geometry(np.eye(3, 4), P3, steps=1, lr=0.1)


def test_resource_model_uses_unnormalised_frequencies_as_given_with_a_non_symmetric_overlap():
    """resource_model's p 'need not sum to 1' and is used as given; C acts as flow_k = sum_j C_kj c_j (not C^T)."""
    C = np.array([[1.0, 0.3, 0.0], [0.0, 1.0, 0.6], [0.2, 0.0, 1.0]])
    eta, n0, steps = np.array([0.3, 0.1]), 0.2, 5
    rec = resource_model(P3, eta_eff=eta, n0=n0, steps=steps, overlap=C)
    assert rec.skills.shape == (steps + 1, 2, 3)
    for r in range(2):
        lres = np.ones(3)
        for t in range(1, steps + 1):
            c = P3 * lres
            flow = np.array([sum(C[k, j] * c[j] for j in range(3)) for k in range(3)])
            lres = np.maximum(lres - eta[r] * flow / (c.sum() + n0), 0.0)
            np.testing.assert_allclose(rec.skills[t, r], 1 - lres, rtol=1e-12)
        assert rec.loss[-1, r] == pytest.approx(np.sum(P3 * lres ** 2), rel=1e-12)


def test_fit_skills_sorts_and_normalises_unnormalised_frequencies():
    """fit_skills reads frequencies (K,) in column order, any scale: it orders columns by decreasing p and
    normalises p to sum 1, so that the skills it reports are the input's columns in that order."""
    steps = np.arange(60.0)
    rates = np.array([0.1, 0.05, 0.3])
    skills = 1 - np.exp(-np.outer(steps, rates))             # column 2 is the frequent one
    fit = fit_skills(skills, steps, frequencies=[1.0, 0.5, 3.0], n0_grid=[0.1, 1.0])
    assert fit.order.tolist() == [2, 0, 1]                    # a 3-cycle: its inverse is [1, 2, 0]
    np.testing.assert_allclose(fit.frequencies, np.array([3.0, 1.0, 0.5]) / 4.5, rtol=1e-15)
    np.testing.assert_allclose(fit.frequency_ratio, [3.0, 2.0], rtol=1e-12)
    first_above = [steps[np.argmax(skills[:, k] >= 0.9)] for k in (2, 0, 1)]
    np.testing.assert_array_equal(fit.completion[0], first_above)


def test_counter_rng_normalises_frequencies_and_counts_per_run_batch_sizes():
    """cdf divides the cumulative sum by the total; a run of batch size B counts its own first B uniforms of the
    step (counter stride B), stacked with runs of other sizes or alone."""
    rng = CounterRNG([5, 6])
    p = torch.tensor(np.stack([P3, P3[::-1]]), dtype=torch.float64)
    cdf = rng.cdf(p)
    np.testing.assert_allclose(cdf.numpy(), np.cumsum(p.numpy(), 1) / 4.5, rtol=1e-15)
    sizes = [3, 7]
    for step in (0, 2):
        counts = rng.categorical_counts(step, cdf, torch.tensor(sizes)).numpy()
        for r, (seed, size) in enumerate(zip([5, 6], sizes)):
            u = CounterRNG(seed).uniform("batch", step, size, torch.float64).numpy()[0]
            tasks = [int(np.sum(cdf[r].numpy() <= ui)) for ui in u]
            assert counts[r].tolist() == [tasks.count(k) for k in range(3)]


def test_parity_output_order_under_a_three_cycle():
    """figure_experiment with output_order (1, 2, 0): output j learns tasks[order[j]] at frequencies[order[j]], and
    record column k is task k's, i.e. output j lands in column order[j] (an inverse, not the permutation itself)."""
    tasks, freqs, order = ((0, 1), (2, 3), (4, 5, 6)), np.array([1.0, 0.5, 0.25]), (1, 2, 0)
    kw = dict(steps=3, n_samples=40)
    ours = figure_experiment([2], tasks, rng="counter", frequencies=freqs, output_order=order, **kw)
    outputs = parity_experiment([2], [tasks[k] for k in order], frequencies=freqs[list(order)],
                                 backprop=FusedBackprop, **kw)
    accuracy = outputs.correct[1:] / outputs.n_train
    assert not np.array_equal(accuracy[..., 0], accuracy[..., 1])     # columns tell the outputs apart
    for j in range(3):
        np.testing.assert_array_equal(ours["accuracy"][..., order[j]], accuracy[..., j])
        np.testing.assert_array_equal(ours["test_accuracy"][..., order[j]], outputs.test_accuracy[..., j])


def test_train_geometry_batch_gradient_with_per_run_batch_sizes():
    """gradient='batch', batch sizes 4 and 9, K = 3 tasks in N = 2 dimensions: each run's step is
    -lr 2 sum_k (n_k / B_r) (1 - z_k) v_k with its own B_r and its own draws n_k, as when it runs alone."""
    V = np.array([[1.0, 0.5], [-0.3, 1.0], [0.7, -0.2]])
    p = np.array([[0.5, 0.3, 0.2], [0.1, 0.3, 0.6]])
    sizes, seeds, lr, steps = np.array([4, 9]), np.array([11, 12]), 0.1, 3
    rec = train_geometry(V, p, steps=steps, lr=lr, optimizer="sgd", gradient="batch", batch_size=sizes, seeds=seeds,
                         dtype=torch.float64)
    for r in range(2):
        rng, cdf = CounterRNG(int(seeds[r])), np.cumsum(p[r])
        x = np.zeros(2)
        for t in range(steps):
            u = rng.uniform("batch", t, int(sizes[r]), torch.float64).numpy()[0]
            n = np.bincount([int(np.sum(cdf <= ui)) for ui in u], minlength=3)
            assert n.sum() == sizes[r]
            x = x + lr * 2 * sum(n[k] / sizes[r] * (1 - V[k] @ x) * V[k] for k in range(3))
        np.testing.assert_allclose(rec.x[r], x, rtol=1e-12)


def test_frequency_mask_under_a_three_cycle():
    """frequency_mask: row orders[j] carries task k iff j < counts[k]; the rank of a row is the inverse permutation,
    which a 3-cycle tells apart from the permutation itself."""
    orders = torch.tensor([[1, 2, 0, 3]])                   # 0 -> 1 -> 2 -> 0, row 3 fixed
    counts = torch.tensor([[1, 2, 4]])
    mask = sparse_parity.frequency_mask(orders, counts).numpy()[0]
    want = np.zeros((4, 3))
    for j, row in enumerate(orders[0].tolist()):
        for k in range(3):
            want[row, k] = float(j < counts[0, k])
    np.testing.assert_array_equal(mask, want)
