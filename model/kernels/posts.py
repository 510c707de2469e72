"""Kernels of public posts (:mod:`model.policies.public_posts`)."""

from __future__ import annotations

import numpy as np
from numba import njit

IDLE = 0  # model.population.Channel.NONE


@njit(cache=True)
def holders_by_place(channel, village, county, post_channel, county_post, n_places):
    """Posts held by kind and place, ``held[channel, place]``: the place is
    the village, or the county for county posts (``county_post[channel]``)."""
    held = np.zeros((len(post_channel), n_places), np.int64)
    for i in range(len(channel)):
        ch = np.uint8(channel[i])  # unsigned: table look-ups need no wraparound test
        if post_channel[ch]:  # rare: a branch that is seldom taken costs little
            held[ch, county[i] if county_post[ch] else village[i]] += 1
    return held


@njit(cache=True)
def candidates(channel, able, capacity, unemployed, hh, zero, weak_labour, eligibility_months):
    """The people who qualify for a regular post
    (:func:`~model.policies.public_posts.candidates`: able, idle, and in a
    zero-employment household, of weak, half or over-age labour, or
    unemployed ``eligibility_months``)."""
    out = np.empty(len(channel), np.int64)
    n = 0
    for i in range(len(channel)):  # branch-free: & and | on booleans, the list written always
        out[n] = i
        n += (channel[i] == IDLE) & able[i] & (
            zero[np.uint64(hh[i])] | weak_labour[np.uint8(capacity[i])] | (unemployed[i] >= eligibility_months)
        )
    return out[:n]


@njit(cache=True)
def take_per_place(place, tier, vacant, n_tiers, u):
    """Positions of the candidates each place takes (``public_posts.assign``):
    up to its vacant posts, tier by tier (lower first), at random within a
    tier (a partial Fisher-Yates shuffle driven by ``u``; it uses at most one
    uniform per post filled).
    """
    n_keys = len(vacant) * n_tiers
    start = np.zeros(n_keys + 1, np.int64)
    for k in range(len(place)):
        start[place[k] * n_tiers + tier[k] + 1] += 1
    for key in range(n_keys):
        start[key + 1] += start[key]
    fill = start[:-1].copy()
    grouped = np.empty(len(place), np.int64)
    for k in range(len(place)):
        key = place[k] * n_tiers + tier[k]
        grouped[fill[key]] = k
        fill[key] += 1
    out = np.empty(len(place), np.int64)
    n = 0
    used = 0
    for p in range(len(vacant)):
        left = vacant[p]
        for t in range(n_tiers):
            if left <= 0:
                break
            a, b = start[p * n_tiers + t], start[p * n_tiers + t + 1]
            if b - a <= left:
                for j in range(a, b):
                    out[n] = grouped[j]
                    n += 1
                left -= b - a
                continue
            for j in range(left):
                r = a + j + min(np.int64(u[used] * (b - a - j)), b - a - j - 1)
                used += 1
                grouped[a + j], grouped[r] = grouped[r], grouped[a + j]
                out[n] = grouped[a + j]
                n += 1
            left = 0
    return out[:n]
