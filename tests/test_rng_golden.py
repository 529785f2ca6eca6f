"""Golden draws of the package's counter streams: any change to a stream (its key, counter, stride or conversion)
changes these exact values, so it is a decision made in this file, never an accident."""
import numpy as np
import pytest
import torch

from skill_physics.rng import STREAMS, CounterRNG, _int64

RNG = CounterRNG([0, 7])        # two stacked runs: seeds 0 and 7

BITS = {   # bits(stream, step=3, n=2)
    "batch": [[-2402630609154291398, 3190967181416491277], [-9112598177188153539, 2748144830755710640]],
    "noise": [[2640497176822935633, -7463795010184265424], [-1642807490053948882, -1926228749890352097]],
    "init": [[8514804844842150994, 3594453905033108138], [4294922657706630798, 3678413190601742145]],
    "data": [[6697258441455147990, 7245824838840302943], [6810843900203856318, -2485770197456309490]],
}


def test_each_stream_draws_its_golden_words():
    assert set(STREAMS) == set(BITS)
    for stream, words in BITS.items():
        assert RNG.bits(stream, 3, 2).tolist() == words, stream


def test_uniform_draws_are_golden_in_both_precisions():
    assert RNG.uniform("batch", 5, 3, torch.float64).tolist() == [
        [0.8943671335364322, 0.007263122769445074, 0.2682145929982621],
        [0.7246072607998237, 0.9928304000971083, 0.5478237571459946]]
    assert RNG.uniform("batch", 5, 3).tolist() == [
        [0.8943670988082886, 0.007263064384460449, 0.2682145833969116],
        [0.7246072292327881, 0.9928303956985474, 0.5478237271308899]]


def test_normal_draws_are_golden():
    # log and cos may round differently in their last bit on other CPUs: a changed stream moves them by O(1)
    assert RNG.normal("data", 2, 2, torch.float64).tolist() == [
        [pytest.approx(-0.5145146439130219, rel=1e-12), pytest.approx(-0.787319240108836, rel=1e-12)],
        [pytest.approx(1.2571207723003155, rel=1e-12), pytest.approx(0.33391255093933164, rel=1e-12)]]


def test_categorical_counts_are_golden_with_per_run_batch_sizes():
    p = torch.tensor([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]], dtype=torch.float64)
    assert RNG.categorical_counts(4, RNG.cdf(p), torch.tensor([10, 6])).tolist() == [[4.0, 5.0, 1.0], [0.0, 0.0, 6.0]]


def test_seeds_of_any_integer_type_give_the_same_words():
    for seeds in (np.array([0, 7], dtype=np.int32), torch.tensor([0, 7], dtype=torch.int16), (0, 7)):
        assert CounterRNG(seeds).bits("batch", 3, 2).tolist() == BITS["batch"]
    alone = CounterRNG(7)                                      # one int seed: one run
    assert alone.n_runs == 1 and alone.bits("noise", 3, 2).tolist() == BITS["noise"][1:]


def test_draws_live_on_the_generators_device():
    # the meta device computes shapes only, and refuses to mix with CPU tensors
    rng = CounterRNG([0, 7], device="meta")
    assert rng.device.type == "meta" and rng.keys["init"].device.type == "meta"
    for draw in (rng.bits("batch", 3, 2), rng.uniform("noise", 1, 5), rng.normal("data", 2, 3)):
        assert draw.device.type == "meta" and draw.shape[0] == 2


def test_normal_draws_are_float32_by_default():
    wide = RNG.normal("data", 2, 2, torch.float64)
    narrow = RNG.normal("data", 2, 2)
    assert narrow.dtype == torch.float32 and torch.equal(narrow, wide.to(torch.float32))


def test_a_draw_on_a_boundary_of_the_table_goes_to_the_task_above():
    # task k takes the draws u in [c_(k-1), c_k): put the boundary c_1 exactly on the first draw u_0 of the batch
    rng, batch = CounterRNG([5]), 6
    u = rng.uniform("batch", 2, batch, torch.float64)[0]
    p = torch.tensor([[u[0].item(), 1 - u[0].item()]], dtype=torch.float64)     # c = (u_0, 1), both exact
    counts = rng.categorical_counts(2, rng.cdf(p), batch)
    below = int((u < u[0]).sum())
    assert counts.tolist() == [[below, batch - below]]


def test_int64_reinterprets_the_bits_of_unsigned_constants():
    assert _int64(5) == 5 and _int64((1 << 63) - 1) == (1 << 63) - 1
    assert _int64(1 << 63) == -(1 << 63) and _int64((1 << 64) - 1) == -1
