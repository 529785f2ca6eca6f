"""The stacked modular-addition MLP of Fig 13 against a plain PyTorch model, and its replay of the original's draws."""
import numpy as np
import pytest
import torch

from skill_physics.grokking import (
    init_parameters,
    mlp_logits,
    mlp_shapes,
    modular_addition_split,
    train_grokking,
    unflatten,
)
from skill_physics.paper.replay.grokking import grokking_streams, original_parameters, original_split


def init(shapes, rng, seed=0):
    """The initial parameters drawn under ``rng``."""
    return original_parameters(shapes, seed) if rng == "original" else init_parameters(shapes, seed)


def streams(rng, modulus, embed_dim, width, seed=0, **_):
    """The split and initialisation of ``train_grokking`` under ``rng``."""
    return grokking_streams(rng, modulus, 0.8, mlp_shapes(modulus, embed_dim, width), seed)


def test_split_sizes_and_labels():
    split = modular_addition_split(59, 0.8, seed=0)
    a, b, y = split["train"]
    assert len(a) == 2784 and len(split["test"][0]) == 697
    assert torch.equal(y, (a + b) % 59)
    pairs = set(zip(a.tolist(), b.tolist())) | set(zip(*[t.tolist() for t in split["test"][:2]]))
    assert len(pairs) == 59 * 59


def test_logits_equal_a_plain_embedding_mlp():
    shapes = mlp_shapes(7, 5, 6)
    theta = init_parameters(shapes, seed=1)[None]
    p = {k: v[0] for k, v in unflatten(theta, shapes).items()}
    a, b = torch.tensor([0, 3, 6]), torch.tensor([2, 2, 5])
    h = torch.cat([p["embedding"][a], p["embedding"][b]], dim=1)
    h = torch.nn.functional.silu(h @ p["w1"] + p["b1"])
    h = torch.nn.functional.silu(h @ p["w2"] + p["b2"])
    np.testing.assert_allclose(mlp_logits(unflatten(theta, shapes), a, b)[0], h @ p["w3"] + p["b3"], atol=1e-12)


@pytest.mark.parametrize("rng", ["original", "counter"])
def test_init_has_pytorch_default_bounds(rng):
    shapes = mlp_shapes(59, 128, 100)
    p = {k: v[0] for k, v in unflatten(init(shapes, rng)[None], shapes).items()}
    assert abs(p["embedding"].std().item() - 1) < 0.02
    for name, fan_in in (("w1", 256), ("b1", 256), ("w2", 100), ("w3", 100)):
        assert p[name].abs().max() <= 1 / np.sqrt(fan_in)
        assert p[name].abs().max() > 0.95 / np.sqrt(fan_in)


@pytest.mark.parametrize("rng", ["original", "counter"])
def test_stacked_runs_equal_runs_one_by_one(rng):
    kw = dict(steps=15, lr=0.01, modulus=11, embed_dim=8, width=16)
    kw.update(streams(rng, **kw))
    betas, wds = [(0.0, 0.0), (0.9, 0.999)], [0.03, 0.0]
    stacked = train_grokking(betas=betas, weight_decay=wds, **kw)
    for r in range(2):
        alone = train_grokking(betas=betas[r], weight_decay=wds[r], **kw)
        for key in ("train_loss", "test_loss", "train_acc", "test_acc"):
            np.testing.assert_array_equal(getattr(stacked, key)[:, r], getattr(alone, key)[:, 0])
    assert stacked.train_loss.shape == (16, 2)


def test_counter_and_original_streams_differ():
    shapes = mlp_shapes(7, 4, 5)
    assert not torch.equal(init(shapes, "original"), init(shapes, "counter"))
    assert grokking_streams("counter", 7, 0.8, shapes, 0) == {}
    with pytest.raises(ValueError, match=r"^rng='numpy' is not allowed"):
        grokking_streams("numpy", 7, 0.8, shapes, 0)


# ---- the original's algorithm, written out plainly: one run, nn.Linear layers, a Python loop ----------------------

def original_run(modulus, embed_dim, width, betas, weight_decay, steps, seed=0):
    """The paper code's run in its order of draws: manual_seed and np.random.seed, float64 default dtype, three
    nn.Linear layers, the embedding torch.normal(0, 1, (p, d)), the split np.random.choice(p^2, int(0.8 p^2),
    replace=False) with the rest (a set difference) as test set, then full-batch AdamW; losses before each update.

    Returns the initial parameters (name -> tensor, x @ W layout), the train and test pair numbers, and the per-step
    train and test losses (steps + 1,)."""
    with torch.random.fork_rng(devices=[]):
        previous = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)
        try:
            torch.manual_seed(seed)
            np_state = np.random.RandomState(seed)        # np.random.seed(seed) without touching the global state
            layers = [torch.nn.Linear(2 * embed_dim, width), torch.nn.Linear(width, width),
                      torch.nn.Linear(width, modulus)]
            embedding = torch.nn.Parameter(torch.normal(0, 1, size=(modulus, embed_dim)))
            n_pairs = modulus ** 2
            train_id = np_state.choice(n_pairs, int(n_pairs * 0.8), replace=False)
            test_id = np.array(list(set(np.arange(n_pairs)) - set(train_id)))
            grid_a, grid_b = np.meshgrid(np.arange(modulus), np.arange(modulus))
            pairs = np.transpose([grid_a.reshape(-1), grid_b.reshape(-1)])
            labels = torch.tensor((pairs[:, 0] + pairs[:, 1]) % modulus, dtype=torch.long)
            init = {"embedding": embedding.detach().clone()}
            for i, layer in enumerate(layers, 1):
                init[f"w{i}"], init[f"b{i}"] = layer.weight.detach().T.clone(), layer.bias.detach().clone()

            def loss(ids):
                x = torch.cat([embedding[pairs[ids][:, 0]], embedding[pairs[ids][:, 1]]], dim=1)
                x = torch.nn.functional.silu(layers[0](x))
                x = torch.nn.functional.silu(layers[1](x))
                return torch.nn.functional.cross_entropy(layers[2](x), labels[ids])

            params = [q for layer in layers for q in layer.parameters()] + [embedding]
            optimizer = torch.optim.AdamW(params, lr=0.01, weight_decay=weight_decay, betas=betas)
            train_losses, test_losses = [], []
            for _ in range(steps + 1):
                optimizer.zero_grad()
                train_loss = loss(train_id)
                train_losses.append(train_loss.item())
                test_losses.append(loss(test_id).item())
                train_loss.backward()
                optimizer.step()
        finally:
            torch.set_default_dtype(previous)
    return init, train_id, test_id, np.array(train_losses), np.array(test_losses)


def test_original_draws_replayed_bit_for_bit():
    modulus, embed_dim, width = 11, 8, 16
    init, train_id, test_id, *_ = original_run(modulus, embed_dim, width, (0.9, 0.999), 0.0, steps=0)
    shapes = mlp_shapes(modulus, embed_dim, width)
    ours = {k: v[0] for k, v in unflatten(original_parameters(shapes, seed=0)[None], shapes).items()}
    for name in shapes:
        assert torch.equal(ours[name], init[name]), name
    split = original_split(modulus, 0.8, seed=0)
    for part, ids in (("train", train_id), ("test", test_id)):
        assert np.array_equal(split[part][0].numpy(), ids % modulus)
        assert np.array_equal(split[part][1].numpy(), ids // modulus)


@pytest.mark.parametrize("betas, weight_decay", [((0.9, 0.999), 0.03), ((0.0, 0.0), 0.03), ((0.9, 0.999), 0.0)])
def test_original_run_replayed(betas, weight_decay):
    """The engine evaluates the first layer on the table rows and writes AdamW out element-wise, so its arithmetic
    differs from the plain run in the last bits: a relative 1e-12 over 30 steps (measured: below 2e-15). Longer, SignGD
    amplifies them (sign descent on tiny gradients): here a relative 0.2 by step 300, where Adam stays within 2e-14."""
    steps, kw = 30, dict(modulus=11, embed_dim=8, width=16)
    *_, train_ref, test_ref = original_run(betas=betas, weight_decay=weight_decay, steps=steps, **kw)
    ours = train_grokking(steps=steps, lr=0.01, betas=betas, weight_decay=weight_decay, **streams("original", **kw),
                          **kw)
    np.testing.assert_allclose(ours.train_loss[:, 0], train_ref, rtol=1e-12)
    np.testing.assert_allclose(ours.test_loss[:, 0], test_ref, rtol=1e-12)
    counter = train_grokking(steps=steps, lr=0.01, betas=betas, weight_decay=weight_decay, **kw)
    assert np.abs(counter.train_loss[:, 0] / train_ref - 1).max() > 1e-3   # the replay is not a coincidence


def test_fig13_step_labels_do_not_overlap_at_the_panel_joint():
    """The left column's last x label and the right column's first sit at the joint of the panels."""
    import importlib.util
    import pathlib

    import matplotlib
    matplotlib.use("Agg")
    path = pathlib.Path(__file__).parents[1] / "scripts" / "Fig13_grokking.py"
    found = importlib.util.spec_from_file_location("fig13", path)
    fig13 = importlib.util.module_from_spec(found)
    found.loader.exec_module(fig13)
    cfg = fig13.PAPER
    steps = np.arange(0, cfg["steps"] + 1, 100)
    curve = np.linspace(1, 0.5, len(steps))
    data = {"steps": steps, **{name: dict.fromkeys(fig13.LOG_KEYS, curve) for name in fig13.run_names(cfg)}}
    fig = fig13.plot_weight_decay(data, cfg, cfg["weight_decays"][0])
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    left, right = (ax.xaxis.get_ticklabels() for ax in fig.axes[2:4])
    last_left = max((t for t in left if t.get_text()), key=lambda t: t.get_position()[0])
    first_right = min((t for t in right if t.get_text()), key=lambda t: t.get_position()[0])
    assert last_left.get_text() == "10000"
    a, b = last_left.get_window_extent(renderer), first_right.get_window_extent(renderer)
    assert a.x1 < b.x0, (last_left.get_text(), first_right.get_text(), a, b)


def test_the_original_streams_draw_the_split_and_start_from_the_seed_given_else_zero():
    shapes = mlp_shapes(7, 3, 4)
    for seed in (0, 1):
        given = grokking_streams("original", 7, 0.8, shapes, seed)
        split = original_split(7, 0.8, seed)
        assert torch.equal(given["theta"], original_parameters(shapes, seed))
        assert all(torch.equal(a, b) for part in ("train", "test") for a, b in zip(given["split"][part], split[part]))
    assert torch.equal(original_parameters(shapes), original_parameters(shapes, 0))
    assert torch.equal(original_split(7, 0.8)["train"][2], original_split(7, 0.8, 0)["train"][2])
    assert not torch.equal(original_parameters(shapes, 1), original_parameters(shapes, 0))
