"""The stacked modular-addition MLP of Fig 13 against a plain PyTorch model."""
import numpy as np
import torch

from skill_physics.grokking import (
    init_parameters,
    mlp_logits,
    mlp_shapes,
    modular_addition_split,
    train_grokking,
    unflatten,
)


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


def test_init_has_pytorch_default_bounds():
    shapes = mlp_shapes(59, 128, 100)
    p = {k: v[0] for k, v in unflatten(init_parameters(shapes, seed=0)[None], shapes).items()}
    assert abs(p["embedding"].std().item() - 1) < 0.02
    for name, fan_in in (("w1", 256), ("b1", 256), ("w2", 100), ("w3", 100)):
        assert p[name].abs().max() <= 1 / np.sqrt(fan_in)
        assert p[name].abs().max() > 0.95 / np.sqrt(fan_in)


def test_stacked_runs_equal_runs_one_by_one():
    kw = dict(steps=15, lr=0.01, modulus=11, embed_dim=8, width=16)
    betas, wds = [(0.0, 0.0), (0.9, 0.999)], [0.03, 0.0]
    stacked = train_grokking(betas=betas, weight_decay=wds, **kw)
    for r in range(2):
        alone = train_grokking(betas=betas[r], weight_decay=wds[r], **kw)
        for key in ("train_loss", "test_loss", "train_acc", "test_acc"):
            np.testing.assert_allclose(stacked[key][:, r], alone[key][:, 0], rtol=1e-9, atol=1e-12)
    assert stacked["train_loss"].shape == (16, 2)
