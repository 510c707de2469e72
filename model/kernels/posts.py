"""Kernels of public posts (:mod:`model.policies.public_posts`)."""

from __future__ import annotations

import numpy as np
from numba import njit

from .people import take_at_random

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
def candidates(channel, able, capacity, unemployed, hh_start, hh_size, zero, weak_bits, eligibility_months, out):
    """Sets ``out`` to who qualifies for a regular post
    (:func:`~model.policies.public_posts.candidates`: able, idle, and in a
    zero-employment household, of weak, half or over-age labour (capacities
    as bits, ``weak_bits``), or unemployed ``eligibility_months``)."""
    for i in range(len(channel)):  # branch-free: the loop vectorises
        weak = ((weak_bits >> np.int64(capacity[i])) & 1) != 0
        out[i] = (channel[i] == IDLE) & able[i] & (weak | (unemployed[i] >= eligibility_months))
    for h in range(len(zero)):  # members of zero-employment households (a few)
        if zero[h]:
            for i in range(hh_start[h], hh_start[h] + hh_size[h]):
                out[i] |= (channel[i] == IDLE) & able[i]


@njit(cache=True)
def take_for_posts(people, idle_only, channel, hh, zero, capacity, place, vacant, tier_table, u, place_first):
    """Positions (into ``people``) of those each place takes
    (:func:`~model.policies.public_posts.assign`): up to its vacant posts,
    tier by tier (lower first), at random within a tier, by a partial
    Fisher-Yates shuffle driven by ``u`` (at most one uniform per post).

    A person's tier is ``tier_table[zero household, capacity]``
    (:func:`~model.policies.public_posts.tier_table`).  People in places
    with no vacancy, and (``idle_only``) people not idle, are passed over.
    With ``people`` in ascending order and ``place_first`` the first person
    of each place (people contiguous by place), only the people of places
    with a vacancy are looked at.
    """
    n_tiers = np.int64(tier_table.max()) + 1
    n_keys = len(vacant) * n_tiers
    # the people looked at (positions into ``people``) and their keys: place
    # and tier
    look = np.empty(len(people), np.int64)
    key = np.empty(len(people), np.int64)
    start = np.zeros(n_keys + 1, np.int64)
    n_look = 0
    if len(place_first):  # place by place: no need to read each person's place
        for pl in range(len(vacant)):
            if vacant[pl] > 0:
                a = np.searchsorted(people, place_first[pl])
                b = np.searchsorted(people, place_first[pl + 1])
                for k in range(a, b):
                    i = people[k]
                    if idle_only and channel[i] != IDLE:
                        continue
                    look[n_look] = k
                    key[n_look] = pl * n_tiers + tier_table[np.uint8(zero[hh[i]]), np.uint8(capacity[i])]
                    start[key[n_look] + 1] += 1
                    n_look += 1
    else:
        for k in range(len(people)):
            i = people[k]
            pl = place[i]
            if vacant[pl] <= 0 or (idle_only and channel[i] != IDLE):
                continue
            look[n_look] = k
            key[n_look] = pl * n_tiers + tier_table[np.uint8(zero[hh[i]]), np.uint8(capacity[i])]
            start[key[n_look] + 1] += 1
            n_look += 1
    for j in range(n_keys):
        start[j + 1] += start[j]
    fill = start[:-1].copy()
    grouped = np.empty(start[n_keys], np.int64)
    for j in range(n_look):
        grouped[fill[key[j]]] = look[j]
        fill[key[j]] += 1
    out = np.empty(start[n_keys], np.int64)
    n = 0
    used = 0
    for pl in range(len(vacant)):
        left = vacant[pl]
        for t in range(n_tiers):
            if left <= 0:
                break
            a, b = start[pl * n_tiers + t], start[pl * n_tiers + t + 1]
            if b - a <= left:
                for j in range(a, b):
                    out[n] = grouped[j]
                    n += 1
                left -= b - a
                continue
            n, used = take_at_random(grouped, a, b, left, u, used, out, n)
            left = 0
    return out[:n]
