"""Known answers for the vectorised helpers."""

import numpy as np
import pytest

from model.arrays import as_bits, draw_categories, first_k_per_group, stochastic_round


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


@pytest.mark.parametrize("shares", [[1.0], [0.2, 0.0, 0.8], [0.05] * 20, [0.7, 0.2, 0.1, 0.0]])
def test_draw_categories_draws_what_numpy_choice_draws(shares):
    """The same categories as ``rng.choice(len(shares), n, p=shares)`` from
    the same stream, which is left at the same place."""
    ours, numpys = np.random.default_rng(11), np.random.default_rng(11)
    assert np.array_equal(draw_categories(ours, shares, 5000), numpys.choice(len(shares), 5000, p=shares))
    assert ours.random() == numpys.random()


def test_draw_categories_refuses_shares_that_are_not_a_distribution():
    rng = np.random.default_rng(0)
    for bad in ([0.5, 0.6], [1.2, -0.2], []):
        with pytest.raises(ValueError, match="shares"):
            draw_categories(rng, bad, 3)


def test_as_bits_sets_one_bit_per_code_and_tests_membership():
    bits = as_bits([0, 2, 2, 5])  # a repeated code sets its bit once
    assert bits == 0b100101
    assert [(bits >> c) & 1 for c in range(7)] == [1, 0, 1, 0, 0, 1, 0]
