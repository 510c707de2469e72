"""Kernels of the person-level passes of a month (:mod:`model.model`, ``step``).

Each is one loop over the people that does what several numpy passes did:
the state changes of :meth:`model.model.EmploymentModel._people_month`, the
month's selections (who searches, who may train, ...), and the
zero-employment flags of the households whose members changed.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# codes of model.population.Capacity and Channel (checked in model.population)
FULL, HALF, WEAK, OVER_AGE, NO_CAPACITY = 0, 1, 2, 3, 4
IDLE, TRAINING = 0, 15
UNSKILLED, CERTIFIED = 0, 2


@njit(cache=True)
def age_and_find_ill(age, ill, months):
    """Everyone ages ``months`` (``_people_month``); returns who is ill now."""
    out = np.empty(len(age), np.int64)
    n = 0
    for i in range(len(age)):
        age[i] += months
        out[n] = i  # written always, kept if ill: no branch to mispredict
        n += ill[i]
    return out[:n]


@njit(cache=True)
def spells_and_ability(
    capacity, ill, age, channel, tenure, unemployed, able, employed_bits, post_bits,
    working_age_min, exit_age, post_term,
):
    """The end of ``_people_month``: tenure of the employed, who is able to
    work (:meth:`model.population.Population.able`), unemployment spells of
    the able and idle.  Returns the post holders whose term is up
    (:func:`model.policies.public_posts.expire_terms`) and the trainees
    (:func:`model.policies.training.progress`); neither changes before those
    rules act on them this month.  ``employed_bits`` and ``post_bits``:
    channel sets as bits (:data:`model.population.EMPLOYED_BITS`).
    """
    n = len(channel)
    for i in range(n):  # branch-free: the loop vectorises
        ch = np.int64(channel[i])
        tenure[i] += (employed_bits >> ch) & 1
        a = (capacity[i] < NO_CAPACITY) & (not ill[i]) & (age[i] >= working_age_min) & (age[i] < exit_age)
        able[i] = a
        unemployed[i] += a & (ch == IDLE)
    due = np.empty(n, np.int64)
    trainees = np.empty(n, np.int64)
    n_due = 0
    n_trainees = 0
    for i in range(n):  # the few: a seldom-taken branch
        ch = np.int64(channel[i])
        if ch >= TRAINING or ((post_bits >> ch) & 1):
            if ch == TRAINING:
                trainees[n_trainees] = i
                n_trainees += 1
            elif ((post_bits >> ch) & 1) and tenure[i] >= post_term:
                due[n_due] = i
                n_due += 1
    return due[:n_due], trainees[:n_trainees]


@njit(cache=True)
def selections(
    able, channel, capacity, age, skill, graduated_month, in_pool, short_pool, may_search, post_bits, month,
    short_course_age_max, train_age_min, train_age_max, window, lag,
):
    """The month's selections, after training's completions, in one pass.

    Sets, as masks over the people (lists are ``np.flatnonzero`` of them):

    * ``short_pool``, the short-course pool: able, unskilled, under
      ``short_course_age_max`` (:func:`model.policies.training.short_courses`);
    * ``in_pool``, the training pool: able, in the course's age window, full
      or half labour, not certified (:func:`model.policies.training.eligible_pool`);
    * ``may_search``: able and idle, or full labour on a public post
      (``post_bits``, :data:`model.population.ON_POST_BITS`;
      :meth:`model.labour_market.LabourMarket.seekers`, before its draw).

    Returns, as index lists, the few: graduates in their placement window,
    idle and able (:func:`model.policies.training.referrals`, before its
    draw), and the cohort whose placement is measured this month (graduated
    ``lag`` months ago, :func:`model.policies.training.measure_placement`).
    """
    n = len(channel)
    recent = np.empty(n, np.int64)
    cohort = np.empty(n, np.int64)
    n_recent = n_cohort = 0
    since = month - max(window, lag)
    for i in range(n):  # branch-free masks: the loop vectorises
        a = able[i]
        ch = np.int64(channel[i])
        cap = capacity[i]
        x = age[i]
        sk = skill[i]
        short_pool[i] = a & (sk == UNSKILLED) & (x < short_course_age_max)
        in_pool[i] = a & (x >= train_age_min) & (x <= train_age_max) & (cap <= HALF) & (sk < CERTIFIED)
        may_search[i] = a & ((ch == IDLE) | ((((post_bits >> ch) & 1) != 0) & (cap == FULL)))
    for i in range(n):  # the few who graduated lately: a seldom-taken branch
        g = graduated_month[i]
        if g >= since:
            if g == month - lag:
                cohort[n_cohort] = i
                n_cohort += 1
            if able[i] & (channel[i] == IDLE) & (month - g <= window):
                recent[n_recent] = i
                n_recent += 1
    return recent[:n_recent], cohort[:n_cohort]


@njit(cache=True)
def people_of_flagged_firms(firm, flagged):
    """People working at a firm with ``flagged[firm]`` (lay-offs, shocked workers)."""
    out = np.empty(len(firm), np.int64)
    n = 0
    for i in range(len(firm)):
        f = firm[i]
        out[n] = i
        n += (f >= 0) & flagged[max(f, 0)]
    return out[:n]


@njit(cache=True)
def count_channel(channel, code):
    """People in one channel."""
    n = 0
    for i in range(len(channel)):
        n += channel[i] == code
    return n


@njit(cache=True)
def _zero_employment_one(h, hh_start, hh_size, able, capacity, channel, employed_channel, zero):
    any_able = False
    any_work = False
    for i in range(hh_start[h], hh_start[h] + hh_size[h]):
        ch = np.uint8(channel[i])
        any_work |= employed_channel[ch]
        any_able |= able[i] & (capacity[i] != OVER_AGE) & (ch != TRAINING)
    zero[h] = any_able & (not any_work)


@njit(cache=True)
def zero_employment_of(people, hh, hh_start, hh_size, able, capacity, channel, employed_channel, zero):
    """Bring the zero-employment flag of the households of ``people`` up to date.

    :class:`model.agents.Household`: some member able to work (able, not
    over-age, not in training) and no member employed, a post included.
    Many people are first marked by household, so that each household is
    recomputed once and in order.
    """
    if len(people) < 2000:
        for k in range(len(people)):
            _zero_employment_one(hh[people[k]], hh_start, hh_size, able, capacity, channel, employed_channel, zero)
        return
    marked = np.zeros(len(hh_start), np.bool_)
    for k in range(len(people)):
        marked[hh[people[k]]] = True
    for h in range(len(hh_start)):
        if marked[h]:
            _zero_employment_one(h, hh_start, hh_size, able, capacity, channel, employed_channel, zero)


@njit(cache=True)
def zero_employment_all(hh, able, capacity, channel, employed_channel, zero):
    """The zero-employment flag of every household (a full recount, as in
    :func:`zero_employment_of`)."""
    any_able = np.zeros(len(zero), np.bool_)
    any_work = np.zeros(len(zero), np.bool_)
    for i in range(len(hh)):
        ch = np.uint8(channel[i])  # unsigned: table look-ups need no wraparound test
        h = np.uint64(hh[i])
        any_work[h] |= employed_channel[ch]
        any_able[h] |= able[i] & (capacity[i] != OVER_AGE) & (ch != TRAINING)
    for h in range(len(zero)):
        zero[h] = any_able[h] & (not any_work[h])


@njit(cache=True)
def categories_of(cdf, u):
    """For each uniform ``u[k]``, the number of entries of the cumulative
    shares ``cdf`` at or below it: the category it falls in (what
    ``np.searchsorted(cdf, u, side="right")`` gives, by a scan of the few
    categories; :func:`model.arrays.draw_categories`)."""
    out = np.empty(len(u), np.int64)
    for k in range(len(u)):
        c = 0
        for j in range(len(cdf)):
            c += cdf[j] <= u[k]
        out[k] = c
    return out


@njit(cache=True)
def still_available(people, in_pool, channel, channel_bits):
    """Those of ``people`` with ``in_pool`` set whose channel is one of
    ``channel_bits`` (channels as bits), in order, in one pass
    (:func:`model.policies.training._available_now`)."""
    out = np.empty(len(people) + 1, np.int64)  # one spare: the branch-free write's sink
    n = 0
    for k in range(len(people)):
        i = people[k]
        out[n] = i
        n += in_pool[i] & (((channel_bits >> np.int64(channel[i])) & 1) != 0)
    return out[:n]


@njit(cache=True)
def take_at_random(members, a, b, take, u, used, out, n):
    """Appends to ``out`` (from ``n``) ``take`` of ``members[a:b]`` chosen
    uniformly at random, by a partial Fisher-Yates shuffle of that slice in
    place driven by ``u`` from ``used`` on; returns the new ``n`` and ``used``."""
    for j in range(take):
        r = a + j + min(np.int64(u[used] * (b - a - j)), b - a - j - 1)
        used += 1
        members[a + j], members[r] = members[r], members[a + j]
        out[n] = members[a + j]
        n += 1
    return n, used


@njit(cache=True)
def sample_k_per_group(group, k, u):
    """Positions of a uniformly random ``k[g]``-subset of the members of each
    group ``g`` (all of them if fewer), by a partial Fisher-Yates shuffle
    driven by ``u`` (one uniform per member drawn; :func:`model.arrays.sample_per_group`)."""
    n_groups = len(k)
    start = np.zeros(n_groups + 1, np.int64)
    for j in range(len(group)):
        start[group[j] + 1] += 1
    for g in range(n_groups):
        start[g + 1] += start[g]
    fill = start[:-1].copy()
    members = np.empty(len(group), np.int64)
    for j in range(len(group)):
        members[fill[group[j]]] = j
        fill[group[j]] += 1
    out = np.empty(len(group), np.int64)
    n = 0
    used = 0
    for g in range(n_groups):
        a, b = start[g], start[g + 1]
        take = min(max(k[g], 0), b - a)
        if take == b - a:
            for j in range(a, b):
                out[n] = members[j]
                n += 1
            continue
        n, used = take_at_random(members, a, b, take, u, used, out, n)
    return out[:n]


@njit(cache=True)
def age_order(age):
    """The people in ascending order of age (``np.argsort(age)``; ties in any
    order): a counting sort into buckets of a day or so, then an insertion
    sort within each bucket (a handful of people)."""
    n = len(age)
    per_year = 12.0 * 32.0
    top = 0
    for i in range(n):
        top = max(top, np.int64(age[i] * per_year))
    start = np.zeros(top + 2, np.int64)
    for i in range(n):
        start[np.int64(age[i] * per_year) + 1] += 1
    for b in range(top + 1):
        start[b + 1] += start[b]
    fill = start[:-1].copy()
    order = np.empty(n, np.int64)
    key = np.empty(n, np.float64)  # the ages, carried along so the sort reads them in order
    for i in range(n):
        b = np.int64(age[i] * per_year)
        order[fill[b]] = i
        key[fill[b]] = age[i]
        fill[b] += 1
    for b in range(top + 1):
        for j in range(start[b] + 1, start[b + 1]):
            x, y = order[j], key[j]
            k = j - 1
            while k >= start[b] and key[k] > y:
                order[k + 1] = order[k]
                key[k + 1] = key[k]
                k -= 1
            order[k + 1] = x
            key[k + 1] = y
    return order


@njit(cache=True)
def searching(candidates, capacity, priority, share_by_capacity, u):
    """Those of ``candidates`` who search this month
    (:meth:`model.labour_market.LabourMarket.seekers`): with their
    capacity's search share (``u[k]`` each), or always with a priority."""
    out = np.empty(len(candidates), np.int64)
    n = 0
    for k in range(len(candidates)):
        i = candidates[k]
        out[n] = i
        n += (u[k] < share_by_capacity[np.uint8(capacity[i])]) | priority[i]
    return out[:n]


@njit(cache=True)
def idle_full_labour(people, channel, capacity, age, skill, age_min, age_max, skill_min):
    """Those of ``people`` who are idle full labour, aged ``age_min`` to
    ``age_max`` and of skill ``skill_min`` or more (the work open to
    seekers after matching: the export base, migrant work, start-ups), in
    their order; one pass instead of a gather per condition."""
    out = np.empty(len(people), np.int64)
    n = 0
    for k in range(len(people)):  # branch-free: whether a seeker fits is a coin toss
        i = people[k]
        out[n] = i
        n += (channel[i] == IDLE) & (capacity[i] == FULL) & (age[i] >= age_min) & (age[i] <= age_max) & (
            skill[i] >= skill_min
        )
    return out[:n]
