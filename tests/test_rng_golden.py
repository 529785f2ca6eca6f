"""Golden draws of the package's counter streams: any change to a stream (its key, counter, stride or conversion)
changes these exact values, so it is a decision made in this file, never an accident."""
import pytest
import torch

from skill_physics.rng import STREAMS, CounterRNG

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
