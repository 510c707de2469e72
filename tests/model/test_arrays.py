"""Known answers for the vectorised helpers."""

import numpy as np

from model.arrays import first_k_per_group, stochastic_round


def test_first_k_per_group_takes_the_smallest_keys():
    group = np.array([0, 0, 0, 1, 1, 2])
    key = np.array([3.0, 1.0, 2.0, 5.0, 4.0, 9.0])
    k = np.array([2, 1, 0])
    chosen = sorted(first_k_per_group(group, key, k).tolist())
    assert chosen == [1, 2, 4]


def test_first_k_per_group_handles_more_room_than_members():
    group = np.array([1, 1])
    assert sorted(first_k_per_group(group, np.array([0.5, 0.1]), np.array([0, 5])).tolist()) == [0, 1]


def test_stochastic_round_is_unbiased():
    rng = np.random.default_rng(0)
    x = stochastic_round(np.full(100_000, 2.3), rng)
    assert set(np.unique(x)) == {2, 3}
    assert abs(x.mean() - 2.3) < 0.01
