"""rng='original' in the Geometry engine: the original code's runs, replayed.

Each reference below writes the original's algorithm out plainly for one run: seed both generators, the setup
draws, then a Python loop in the original's call order (skills, loss, ``np.random.choice``, autograd, noise
``torch.randn``, optimizer step). The engine computes the same quantities in another order of float32 operations
(counts times residuals instead of autograd's sums over the batch), so skills are compared to a stated relative
tolerance; the draws themselves are compared bit for bit.
"""
import numpy as np
import pytest
import torch

from skill_physics.geometry import train_geometry
from skill_physics.paper.replay import streams as replay
from skill_physics.paper.replay.geometry import (
    MIMIC,
    OriginalGeometryDraws,
    original_fit_updates,
    original_orthogonal_rows,
    original_record,
    original_start,
    original_vectors,
)
from skill_physics.paper.replay.streams import original_power_law


def lion_step(x, grad, state, lr, betas=(0.9, 0.99)):
    """Lion as the original's optimizer file updates (weight decay 0): sign of the interpolation, then momentum."""
    m = state.setdefault("m", torch.zeros_like(x))
    x.add_(torch.sign(m * betas[0] + grad * (1 - betas[0])), alpha=-lr)
    m.mul_(betas[1]).add_(grad, alpha=1 - betas[1])


def ademamix_step(x, grad, state, lr, betas=(0.9, 0.999, 0.9999), alpha=2.0, eps=1e-8):
    """AdEMAMix as the original's optimizer file updates (no warm-ups, weight decay 0)."""
    t = state["t"] = state.get("t", 0) + 1
    for name in ("fast", "slow", "sq"):
        state.setdefault(name, torch.zeros_like(x))
    state["fast"].mul_(betas[0]).add_(grad, alpha=1 - betas[0])
    state["slow"].mul_(betas[2]).add_(grad, alpha=1 - betas[2])
    state["sq"].mul_(betas[1]).addcmul_(grad, grad, value=1 - betas[1])
    denom = (state["sq"].sqrt() / np.sqrt(1 - betas[1] ** t)).add_(eps)
    x.add_(-lr * ((state["fast"] / (1 - betas[0] ** t) + alpha * state["slow"]) / denom))


def original_run(seed, n_tasks, n_dim, alpha, batch_size, noise, lr, optimizer, steps, vector_kind, loss="ce",
                 noise_draws=True):
    """One run of the original's autograd loop: CE (Figs 8 bottom, 15; noise drawn every step) or MSE (Fig 8 top;
    no noise drawn). Returns skills (steps, K), loss (steps,), and the batch indices and noise it drew."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.randn(n_dim, n_dim)                    # drawn and never used
    u = torch.randn(n_tasks, n_dim)
    u = u / torch.norm(u, dim=1, keepdim=True) if vector_kind == "random_unit" else u / torch.sqrt(
        torch.tensor(n_dim))
    prob = 1 / (np.arange(n_tasks) + 1) ** alpha
    prob /= np.sum(prob)
    x = torch.nn.Parameter(torch.zeros(n_dim))
    if optimizer == "adam":
        opt, state = torch.optim.Adam([x], lr=lr, betas=(0.9, 0.95)), None
    elif optimizer == "signgd":
        opt, state = torch.optim.Adam([x], lr=lr, betas=(0.0, 0.0)), None
    else:
        opt, state = None, {}
    skills, losses, ids, xis = [], [], [], []
    for _ in range(steps):
        if opt is not None:
            opt.zero_grad()
        else:
            x.grad = None
        s = torch.sigmoid(u @ x) if loss == "ce" else u @ x
        skills.append(s.detach().numpy())
        per_task = -np.log(s.detach().numpy()) if loss == "ce" else (1 - s.detach().numpy()) ** 2
        losses.append(np.sum(per_task * prob))
        idx = np.random.choice(n_tasks, batch_size, p=prob)
        torch.mean(-torch.log(s[idx]) if loss == "ce" else (1 - s[idx]) ** 2).backward()
        ids.append(idx)
        if noise_draws:
            xi = torch.randn(n_dim)             # drawn at every step, sigma = 0 included
            x.grad.data += noise * xi
            xis.append(xi.numpy())
        if opt is not None:
            opt.step()
        else:
            with torch.no_grad():
                (lion_step if optimizer == "lion" else ademamix_step)(x.data, x.grad, state, lr)
    return np.array(skills), np.array(losses), np.array(ids), np.array(xis)


def engine_runs(seed, task_numbers, n_dim, alpha, batch_size, noises, lr, optimizer, steps, vector_kind, loss="ce",
                noise_draws=True):
    """The same runs, stacked, through ``train_geometry(rng='original')``; K padded to max(task_numbers)."""
    k_max = max(task_numbers)
    vectors = np.zeros((len(task_numbers), k_max, n_dim), dtype=np.float32)
    freqs = np.zeros((len(task_numbers), k_max))
    pairs = []
    for r, K in enumerate(task_numbers):
        pair, v = original_start(seed, vector_kind, K, n_dim, discard=(n_dim, n_dim))
        vectors[r, :K], freqs[r, :K] = v.numpy(), original_power_law(K, alpha)
        pairs.append(pair)
    options = {"adam": {"betas": (0.9, 0.95)}, "lion": {"betas": (0.9, 0.99)}, "signgd": {},
               "ademamix": {"betas": (0.9, 0.999, 0.9999), "alpha": 2.0}}[optimizer]
    streams = OriginalGeometryDraws(pairs, batch_size, noise_size=n_dim if noise_draws else 0)
    return train_geometry(vectors, freqs, steps=steps, lr=lr, optimizer=optimizer, loss=loss, gradient="batch",
                          batch_size=batch_size, noise=np.asarray(noises, dtype=float), optimizer_options=options,
                          record=original_record(steps), draws=streams, rounded_sigmoid=True)


FIG15 = dict(seed=7, n_dim=10, alpha=2, batch_size=128, lr=0.01, vector_kind="random_scaled")


def test_streams_are_the_original_draws_bit_for_bit():
    """Indices of ``choice`` and the noise of ``torch.randn(10)`` (scalar path) equal the original loop's draws."""
    steps = 300
    _, _, ids, xis = original_run(n_tasks=10, noise=0.0, optimizer="adam", steps=steps, **FIG15)
    pair, _ = original_start(7, "random_scaled", 10, 10, discard=(10, 10))
    streams = OriginalGeometryDraws([pair], 128, noise_size=10, block=64)     # blocks that do not divide the steps
    cdf = torch.as_tensor(replay.choice_cdf(original_power_law(10, 2)))[None]
    for t in range(steps):
        expected = np.bincount(ids[t], minlength=10)
        assert np.array_equal(streams.categorical_counts(t, cdf, 128)[0].numpy(), expected)
        assert np.array_equal(streams.normal("noise", t, 10)[0].numpy(), xis[t])


@pytest.mark.parametrize("optimizer", ["adam", "ademamix", "lion"])
def test_engine_replays_the_original_fig15_loop(optimizer):
    """Fig 15 (K = 10 and 40, sigma = 0.2 and 1): the engine's replay tracks the original loop over 300 steps."""
    steps = 300
    rec = engine_runs(task_numbers=[10, 40], noises=[0.2, 1.0], optimizer=optimizer, steps=steps, **FIG15)
    for r, (K, sigma) in enumerate([(10, 0.2), (40, 1.0)]):
        skills, loss, _, _ = original_run(n_tasks=K, noise=sigma, optimizer=optimizer, steps=steps, **FIG15)
        # float32 rounding of two orders of summation; a different batch or noise draw moves skills by ~1e-2
        np.testing.assert_allclose(rec.skills[:, r, :K], skills, rtol=2e-5, atol=2e-6)
        np.testing.assert_allclose(rec.loss[:, r], loss, rtol=2e-5)


FIG8 = {"mse": dict(seed=2, n_dim=10, alpha=2, batch_size=128, lr=1e-3, vector_kind="random_unit", loss="mse",
                   noise_draws=False),
        "ce": dict(seed=7, n_dim=10, alpha=2, batch_size=1024, lr=1e-2, vector_kind="random_unit")}


@pytest.mark.parametrize("loss", ["mse", "ce"])
def test_engine_replays_the_original_fig8_loop(loss):
    """Fig 8 (SignGD, re-seeded per K; MSE draws no noise, CE a randn(10) scaled by 0): 300 steps at K = 5, 40."""
    steps, args = 300, FIG8[loss]
    rec = engine_runs(task_numbers=[5, 40], noises=[0.0, 0.0], optimizer="signgd", steps=steps, **args)
    for r, K in enumerate([5, 40]):
        skills, losses, _, _ = original_run(n_tasks=K, noise=0.0, optimizer="signgd", steps=steps, **args)
        # SignGD moves every coordinate by lr: a flipped sign would show as an error of 2 lr = 2e-3 or more
        np.testing.assert_allclose(rec.skills[:, r, :K], skills, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(rec.loss[:, r], losses, rtol=1e-5)


def test_stacked_replay_equals_one_by_one_replay():
    """Each run draws from its own generators: stacked runs (other K, sigma, padding) see the draws they see alone,
    bit for bit, and train alike (to 1e-6: BLAS sums a (3, 40) matrix product in another order than a (1, 10) one)."""
    args = dict(optimizer="lion", steps=200, **FIG15)
    settings = [(10, 0.0), (40, 0.2), (40, 1.0)]
    stacked = engine_runs(task_numbers=[10, 40, 40], noises=[0.0, 0.2, 1.0], **args)
    starts = [original_start(7, "random_scaled", K, 10, discard=(10, 10))[0] for K, _ in settings]
    together = OriginalGeometryDraws(starts, [64, 128, 128], noise_size=10, block=50)
    apart = [OriginalGeometryDraws([pair], B, noise_size=10, block=70) for pair, B in zip(starts, [64, 128, 128])]
    cdf = torch.as_tensor(np.stack([replay.choice_cdf(original_power_law(40, 2))] * 3))
    for t in range(120):
        counts, noise = together.categorical_counts(t, cdf, 128), together.normal("noise", t, 10)
        for r, streams in enumerate(apart):
            assert torch.equal(counts[r], streams.categorical_counts(t, cdf[r:r + 1], 128)[0])
            assert torch.equal(noise[r], streams.normal("noise", t, 10)[0])
    for r, (K, sigma) in enumerate(settings):
        alone = engine_runs(task_numbers=[K], noises=[sigma], **args)
        np.testing.assert_allclose(stacked.skills[:, r, :K], alone.skills[:, 0], rtol=0, atol=1e-6)
        np.testing.assert_allclose(stacked.loss[:, r], alone.loss[:, 0], rtol=0, atol=1e-6)


def test_advance_continues_the_stream_as_a_loop_does():
    """A second run of a loop starts where the first left the generators (uniform blocks, per-step normals)."""
    pair = replay.generators(3)
    replay.advance(pair, 50, 16, 10)
    gen, state = replay.generators(3)
    for _ in range(50):
        state.random_sample(16)
        torch.randn(10, generator=gen)
    assert replay.state_key(pair) == replay.state_key((gen, state))


def test_the_draws_must_hold_every_run():
    v, p = np.eye(2, dtype=np.float32), np.array([0.5, 0.5])
    pair = replay.generators(0)
    with pytest.raises(ValueError, match=r"^draws hold 2 runs, the other arguments 1$"):
        train_geometry(v, p, steps=2, lr=0.1, draws=OriginalGeometryDraws([pair, pair], 128))


def original_mimic_loop(seed, n_dim, p1, lrs, steps, batch_size=128):
    """The original's two-task loop (Fig 4 grid): seed once, rows of U of the SVD of a float32 randn(N, N), then
    one run per optimizer in ``lrs`` (Adam, SGD, SignGD), each continuing NumPy's stream; the gradient is set by
    hand to minus the batch mean of v (1 - s). Returns {optimizer: skills (steps, 2)}."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    u, _, _ = torch.svd(torch.randn(n_dim, n_dim))
    v, prob = u[:2], [p1, 1 - p1]
    out = {}
    for name, lr in lrs.items():
        x = torch.nn.Parameter(torch.zeros(n_dim))
        opt = {"adam": lambda: torch.optim.Adam([x], lr=lr), "sgd": lambda: torch.optim.SGD([x], lr=lr),
               "signgd": lambda: torch.optim.Adam([x], lr=lr, betas=(0.0, 0.0))}[name]()
        skills = []
        for _ in range(steps):
            opt.zero_grad()
            s = v @ x
            skills.append(s.detach().numpy())
            idx = np.random.choice(2, batch_size, p=prob)
            residual = (1 - s[idx]).detach()[:, None]
            x.grad = -torch.mean(v[idx] * residual, dim=0)
            opt.step()
        out[name] = np.array(skills)
    return out


def test_engine_replays_the_original_fig4_grid_loop():
    """Fig 4's grid (N = 100 here): the three optimizers' runs continue one NumPy stream; 300 steps each."""
    lrs, steps = {"adam": 3e-4, "sgd": 3e-2, "signgd": 3e-4}, 300
    expected = original_mimic_loop(2, 100, 0.9, lrs, steps)
    starts = replay.loop_starts(replay.generators(2), 3, steps, 128)
    vectors = original_orthogonal_rows(replay.generators(2)[0], 2, 100)
    for pair, (name, lr) in zip(starts, lrs.items()):
        rec = train_geometry(vectors, [0.9, 0.1], steps=steps, lr=lr, optimizer=name, **MIMIC,
                             record=original_record(steps), draws=OriginalGeometryDraws([pair], 128))
        # SignGD: a flipped sign would move a skill by ~lr sqrt(N) = 3e-3 per step
        np.testing.assert_allclose(rec.skills[:, 0], expected[name], rtol=1e-5, atol=1e-5)


def test_skills_do_not_depend_on_the_signs_lapack_gives_singular_vectors():
    """Flipping columns of U (what another LAPACK may do) flips coordinates of both task vectors; the element-wise
    optimizers commute with that, so the skills are the same bits."""
    vectors = original_orthogonal_rows(replay.generators(2)[0], 2, 100)
    flips = torch.where(torch.rand(100, generator=torch.Generator().manual_seed(0)) < 0.5, -1.0, 1.0)
    for name in ("adam", "sgd", "signgd"):
        runs = [train_geometry(v, [0.9, 0.1], steps=200, lr=3e-3, optimizer=name, **MIMIC,
                               draws=OriginalGeometryDraws([replay.generators(2)], 128))
                for v in (vectors, vectors * flips)]
        assert np.array_equal(runs[0].skills, runs[1].skills)


def original_signgd_run(v, prob, steps, lr, batch_size, gradient):
    """One SignGD run of the original's MSE loops on the global generators: each step records the skills v x,
    draws ``choice(K, B, p)`` and lets ``gradient(x, s, idx)`` set x.grad (drawing its noise). Returns (steps, K)."""
    x = torch.nn.Parameter(torch.zeros(v.shape[1]))
    opt = torch.optim.Adam([x], lr=lr, betas=(0.0, 0.0))
    skills = []
    for _ in range(steps):
        opt.zero_grad()
        s = v @ x
        skills.append(s.detach().numpy())
        gradient(x, s, np.random.choice(len(prob), batch_size, p=prob))
        opt.step()
    return np.array(skills)


def test_a_later_run_of_a_seeded_loop_replays_the_original_fig5_loop():
    """Fig 5's loop (N = 100 here): each run draws its own Gaussian matrix, then per step a batch and a randn(N)
    scaled by 0 (torch's vectorised path, N >= 16); the second run's vectors and batches depend on all of that."""
    N, K, steps, lr = 100, 3, 200, 1e-3
    prob = original_power_law(K, 2.0)
    torch.manual_seed(2)
    np.random.seed(2)
    for _ in range(2):                          # the original's loop; the second run is compared
        v = torch.svd(torch.randn(N, N))[0][:K]

        def mimic(x, s, idx):
            x.grad = -torch.mean(v[idx] * (1 - s[idx]).detach()[:, None], dim=0) + torch.randn(N) * 0.0

        skills = original_signgd_run(v, prob, steps, lr, 128, mimic)
    pair = replay.generators(2)
    original_orthogonal_rows(pair[0], K, N)     # run 1's matrix
    replay.advance(pair, steps, 128, N)         # run 1's batches and zero-scaled noise
    vectors = original_orthogonal_rows(pair[0], K, N)
    rec = train_geometry(vectors, prob, steps=steps, lr=lr, optimizer="signgd", **MIMIC,
                         record=original_record(steps), draws=OriginalGeometryDraws([pair], 128))
    np.testing.assert_allclose(rec.skills[:, 0], skills, rtol=1e-5, atol=1e-5)


def test_stacked_points_of_a_noisy_sweep_replay_the_original_fig7_loop():
    """Fig 7 bottom (N = 100, K = 10 here): one seed for the sweep; each point draws an unused N x N matrix, unit
    vectors, then per step a batch and randn(N) (vectorised path) times its sigma. Points with other batch sizes,
    noise and noise sizes are stacked; each equals the original loop written out."""
    N, K, steps, lr = 100, 10, 200, 1e-3
    points = [(64, 0.0, N), (128, 0.1, N), (32, 0.3, N)]      # (B, sigma, normals per step)
    prob = original_power_law(K, 2)
    torch.manual_seed(2)
    np.random.seed(2)
    expected = []
    for B, sigma, _ in points:
        torch.randn(N, N)
        u = torch.randn(K, N)
        u = u / torch.norm(u, dim=1, keepdim=True)

        def autograd_noisy(x, s, idx, sigma=sigma):
            torch.mean((1 - s[idx]) ** 2).backward()
            x.grad.data += sigma * torch.randn(N)

        expected.append(original_signgd_run(u, prob, steps, lr, B, autograd_noisy))
    pair, vectors, starts = replay.generators(2), [], []
    for B, _, n in points:
        vectors.append(original_vectors(pair[0], "random_unit", K, N, discard=(N, N)))
        starts.append(replay.clone(pair))
        replay.advance(pair, steps, B, n)
    B, sigma, n = (np.array(c) for c in zip(*points))
    rec = train_geometry(torch.stack(vectors), prob, steps=steps, lr=lr, optimizer="signgd", gradient="batch",
                         batch_size=B, noise=sigma, record=original_record(steps),
                         draws=OriginalGeometryDraws(starts, B, noise_size=n))
    for r in range(len(points)):
        np.testing.assert_allclose(rec.skills[:, r], expected[r], rtol=1e-5, atol=1e-5)


def test_runs_with_fewer_noise_draws_get_theirs_then_zeros():
    """Fig 7 top stacks a row with N = 100 among rows with N = 1000: each run draws its own randn(N_r)."""
    pairs = [replay.generators(1), replay.generators(1), replay.generators(5)]
    together = OriginalGeometryDraws(pairs, [8, 8, 16], noise_size=[10, 20, 20], block=7)
    apart = [OriginalGeometryDraws([p], b, noise_size=n) for p, b, n in zip(pairs, [8, 8, 16], [10, 20, 20])]
    for t in range(20):
        noise = together.normal("noise", t, 20)
        for r, streams in enumerate(apart):
            n = streams.noise_size
            assert torch.equal(noise[r, :n], streams.normal("noise", t, n)[0])
            assert not noise[r, n:].any()


def test_record_t_meets_the_resource_model_after_t_plus_one_updates():
    np.testing.assert_array_equal(original_fit_updates(4), [1, 2, 3, 4])
    assert len(original_fit_updates(1)) == 1


def test_advance_draws_the_same_stream_as_one_call_per_step_beyond_one_block():
    steps, batch = 5000, 3                                       # more steps than one block of 4096
    pair = replay.advance(replay.generators(7), steps, batch, 0)
    gen, state = replay.generators(7)
    for _ in range(steps):
        state.random_sample(batch)
    assert replay.state_key(pair) == replay.state_key((gen, state))       # no normals drawn without noise


def test_loop_starts_draw_no_noise_by_default_and_start_each_run_where_the_last_ended():
    pair = replay.generators(4)
    starts = replay.loop_starts(pair, 3, 20, 5)
    reference = replay.generators(4)
    for start in starts:
        assert replay.state_key(start) == replay.state_key(reference)
        replay.advance(reference, 20, 5, 0)
    assert replay.state_key(pair) == replay.state_key(reference)
    assert torch.equal(pair[0].get_state(), torch.Generator().manual_seed(4).get_state())


def test_state_key_tells_apart_numpy_states_that_differ_only_in_position_or_cached_normal():
    gen, state = replay.generators(1)
    name, words, pos, has_gauss, gauss = state.get_state()
    keys = set()
    for changed in ((pos, 0, 0.0), (pos - 1, 0, 0.0), (pos, 1, 0.5), (pos, 1, 0.25)):
        other = np.random.RandomState()
        other.set_state((name, words, *changed))
        keys.add(replay.state_key((gen, other)))
    assert len(keys) == 4


def test_choice_cdf_is_a_float64_cumulative_table_of_any_weights():
    np.testing.assert_array_equal(replay.choice_cdf([1, 1, 2]), [0.25, 0.5, 1.0])          # integer weights
    weights = np.array([0.1, 0.2, 0.3], np.float32)
    expected = np.cumsum(weights.astype(np.float64))           # summed and divided in float64, as NumPy's choice does
    expected /= expected[-1]
    cdf = replay.choice_cdf(weights)
    assert cdf.dtype == np.float64
    np.testing.assert_array_equal(cdf, expected)


def test_loop_starts_with_noise_draw_the_normals_of_each_run():
    pair = replay.generators(6)
    starts = replay.loop_starts(pair, 2, 5, 3, noise_size=2)
    reference = replay.advance(replay.generators(6), 5, 3, 2)
    assert replay.state_key(starts[1]) == replay.state_key(reference)
