"""Kernels over households: the month-end pass and choosing members.

People are contiguous by household (``hh_start``, ``hh_size``), so a loop
over households and their members reads the person arrays in order.
"""

from __future__ import annotations

import numpy as np
from numba import njit

IDLE, EXPORT = 0, 8  # model.population.Channel
OVER_AGE = 3  # model.population.Capacity
CERTIFIED = 2  # model.population.Skill


@njit(cache=True)
def month_end(
    hh, hh_size, channel, skill, trade, age, weight, hh_weight, able, zero, awaiting, followed_up,
    income_table, channel_trade, transfer, pension, pension_age, farm_income, line,
    income, income_per_head, below_line,
):
    """Incomes and the month's weighted tallies, in one pass.

    Writes each person's income (:func:`model.outcomes.person_income`: the
    channel's pay, with the certified premium in the job's own trade, plus
    transfer and pension), each household's income per head
    (:func:`model.outcomes.household_income_per_head`) and whether it is
    under the monitoring ``line``.  Returns the sums that the month's row
    (:func:`model.outcomes.record`) and the month's costs need: weighted
    people by channel, weighted able people, weighted followed-up export
    workers, and weighted households at zero employment, at zero and
    awaiting clearance, under the line, the weighted sum of income per head,
    the total household weight and the unweighted count at zero.
    """
    # four interleaved partial sums break the chains of dependent additions
    by_channel = np.zeros((4, income_table.shape[1]), np.float64)
    able_w = np.zeros(4)
    followed_w = 0.0
    for i in range(len(channel)):  # people, in household order; branch-free
        ch = np.uint8(channel[i])  # unsigned: table look-ups need no wraparound test
        certified = (skill[i] == CERTIFIED) & (channel_trade[ch] == trade[i])
        x = income_table[np.uint8(certified), ch] + transfer
        x += pension * (age[i] >= pension_age)
        income[i] = x
        w = weight[i]
        lane = np.uint64(i & 3)
        by_channel[lane, ch] += w
        able_w[lane] += w * able[i]
        if ch == EXPORT:  # rare
            followed_w += w * followed_up[i]
        income_per_head[np.uint64(hh[i])] += x  # the household's total, for now
    zero_w = queue_w = below_w = income_w = hh_w = 0.0
    zero_n = 0
    for h in range(len(hh_size)):
        per_head = (income_per_head[h] + farm_income) / hh_size[h]
        income_per_head[h] = per_head
        below = per_head < line
        below_line[h] = below
        hw = hh_weight[h]
        hh_w += hw
        income_w += hw * per_head
        zero_w += hw * zero[h]
        zero_n += zero[h]
        queue_w += hw * (zero[h] & awaiting[h])
        below_w += hw * below
    return by_channel.sum(axis=0), able_w.sum(), followed_w, zero_w, queue_w, below_w, income_w, hh_w, zero_n


@njit(cache=True)
def idle_members(households, hh_start, hh_size, able, channel):
    """The able, idle members of ``households`` (``monitoring._idle_members``)."""
    n = 0
    for h in households:
        n += hh_size[h]
    out = np.empty(n, np.int64)
    n = 0
    for h in households:
        for i in range(hh_start[h], hh_start[h] + hh_size[h]):
            if able[i] and channel[i] == IDLE:
                out[n] = i
                n += 1
    return out[:n]


@njit(cache=True)
def one_idle_member(households, hh_start, hh_size, able, channel, capacity, skip_over_age, strongest, u):
    """One able, idle member per household (``monitoring._one_member``): the
    strongest by capacity (or the weakest), at random among equals (``u[k]``
    picks among household ``k``'s equals).  ``skip_over_age`` leaves over-age
    members out.  Households with no such member are skipped.
    """
    out = np.empty(len(households), np.int64)
    n = 0
    for k in range(len(households)):
        h = households[k]
        a, b = hh_start[h], hh_start[h] + hh_size[h]
        best = 0
        ties = 0
        for i in range(a, b):
            if not able[i] or channel[i] != IDLE or (skip_over_age and capacity[i] == OVER_AGE):
                continue
            key = np.int64(capacity[i]) if strongest else -np.int64(capacity[i])
            if ties == 0 or key < best:
                best = key
                ties = 1
            elif key == best:
                ties += 1
        if ties == 0:
            continue
        pick = min(np.int64(u[k] * ties), ties - 1)
        for i in range(a, b):
            if not able[i] or channel[i] != IDLE or (skip_over_age and capacity[i] == OVER_AGE):
                continue
            key = np.int64(capacity[i]) if strongest else -np.int64(capacity[i])
            if key == best:
                if pick == 0:
                    out[n] = i
                    n += 1
                    break
                pick -= 1
    return out[:n]


@njit(cache=True)
def monitoring_due(awaiting, zero, below_line, flagged_month, served, pushed_member, firm, month, delay):
    """The start of :func:`model.policies.monitoring.respond`, in one pass over
    the households.

    A household awaiting clearance that is no longer at zero employment
    leaves the queue (``awaiting`` and its ``pushed_member`` reset); it
    counts as cleared by its earlier job push if the pushed member now
    works for a firm.  A flagged household that is neither at zero nor
    under the line is resolved (flag and ``served`` reset).  A flagged
    household is due if it still is at zero or under the line, its flag is
    at least ``delay`` months old, and it is at zero or not yet served in
    this spell.  Returns (cleared by an earlier push, due, due at zero),
    each in household order.
    """
    n = len(zero)
    by_push = np.empty(n, np.int64)
    due = np.empty(n, np.int64)
    due_zero = np.empty(n, np.int64)
    n_push = n_due = n_zero = 0
    for h in range(n):
        z = zero[h]
        if awaiting[h] and not z:  # seldom: left zero employment since the last response
            member = pushed_member[h]
            if member >= 0 and firm[member] >= 0:
                by_push[n_push] = h
                n_push += 1
            awaiting[h] = False
            pushed_member[h] = -1
        # the rest branch-free (on the ledger or not is a coin toss for the predictor)
        pending = flagged_month[h] >= 0
        still = z | below_line[h]
        resolved = pending & (not still)
        flagged_month[h] = -1 if resolved else flagged_month[h]
        served[h] = served[h] & (not resolved)
        is_due = pending & still & (month - flagged_month[h] >= delay) & (z | (not served[h]))
        due[n_due] = h
        n_due += is_due
        due_zero[n_zero] = h
        n_zero += is_due & z
    return by_push[:n_push], due[:n_due], due_zero[:n_zero]


@njit(cache=True)
def one_per_household(people, hh, u):
    """One of ``people`` (in household order) per household, uniformly at
    random (``u[j]`` for the ``j``-th household present): as taking the
    first of each household after a random permutation."""
    out = np.empty(len(people), np.int64)
    n = 0
    a = 0
    while a < len(people):
        b = a + 1
        while b < len(people) and hh[people[b]] == hh[people[a]]:
            b += 1
        out[n] = people[a + min(np.int64(u[n] * (b - a)), b - a - 1)]
        n += 1
        a = b
    return out[:n]


@njit(cache=True)
def monitoring_detect(zero, below_line, hh_village, covered_village, flagged_month, awaiting, month):
    """:func:`model.policies.monitoring.detect` in one pass: households of
    covered villages at zero employment or under the line are flagged (from
    this month, unless flagged already); those at zero not yet awaiting
    clearance start to await it.  Returns the latter (found this month)."""
    found = np.empty(len(zero), np.int64)
    n = 0
    for h in range(len(zero)):  # branch-free: being flagged is a coin toss for the predictor
        z = zero[h]
        flagged = (z | below_line[h]) & covered_village[hh_village[h]]
        flagged_month[h] = month if flagged & (flagged_month[h] < 0) else flagged_month[h]
        is_found = flagged & z & (not awaiting[h])
        awaiting[h] = awaiting[h] | is_found
        found[n] = h
        n += is_found
    return found[:n]
