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
    capacity, ill, age, channel, tenure, unemployed, able, employed_channel, post_channel,
    working_age_min, exit_age, post_term,
):
    """The end of ``_people_month``: tenure of the employed, who is able to
    work (:meth:`model.population.Population.able`), unemployment spells of
    the able and idle.  Returns the post holders whose term is up
    (:func:`model.policies.public_posts.expire_terms`) and the trainees
    (:func:`model.policies.training.progress`); neither changes before those
    rules act on them this month.
    """
    n = len(channel)
    due = np.empty(n, np.int64)
    trainees = np.empty(n, np.int64)
    n_due = 0
    n_trainees = 0
    for i in range(n):  # branch-free: & and | on booleans, lists written always
        ch = np.uint8(channel[i])  # unsigned: table look-ups need no wraparound test
        tenure[i] += employed_channel[ch]
        a = (capacity[i] < NO_CAPACITY) & (not ill[i]) & (age[i] >= working_age_min) & (age[i] < exit_age)
        able[i] = a
        unemployed[i] += a & (ch == IDLE)
        due[n_due] = i
        n_due += post_channel[ch] & (tenure[i] >= post_term)
        trainees[n_trainees] = i
        n_trainees += ch == TRAINING
    return due[:n_due], trainees[:n_trainees]


@njit(cache=True)
def selections(
    able, channel, capacity, age, skill, graduated_month, in_pool, post_channel, month,
    short_course_age_max, train_age_min, train_age_max, window, lag,
):
    """The month's selections, after training's completions, in one pass.

    Returns, as index lists:

    * the short-course pool: able, unskilled, under ``short_course_age_max``
      (:func:`model.policies.training.short_courses`);
    * the training pool: able, in the course's age window, full or half
      labour, not certified (:func:`model.policies.training.eligible_pool`);
      ``in_pool`` is set to its mask;
    * who may search: able and idle, or full labour on a public post
      (:meth:`model.labour_market.LabourMarket.seekers`, before its draw);
    * graduates in their placement window, idle and able
      (:func:`model.policies.training.referrals`, before its draw);
    * the cohort whose placement is measured this month
      (graduated ``lag`` months ago, :func:`model.policies.training.measure_placement`).
    """
    n = len(channel)
    short = np.empty(n, np.int64)
    pool = np.empty(n, np.int64)
    search = np.empty(n, np.int64)
    recent = np.empty(n, np.int64)
    cohort = np.empty(n, np.int64)
    n_short = n_pool = n_search = n_recent = n_cohort = 0
    for i in range(n):  # branch-free: & and | on booleans, lists written always
        a = able[i]
        ch = np.uint8(channel[i])  # unsigned: table look-ups need no wraparound test
        cap = capacity[i]
        x = age[i]
        g = graduated_month[i]
        idle = ch == IDLE
        cohort[n_cohort] = i
        n_cohort += g == month - lag
        short[n_short] = i
        n_short += a & (skill[i] == UNSKILLED) & (x < short_course_age_max)
        trainable = a & (x >= train_age_min) & (x <= train_age_max) & (cap <= HALF) & (skill[i] < CERTIFIED)
        in_pool[i] = trainable
        pool[n_pool] = i
        n_pool += trainable
        search[n_search] = i
        n_search += a & (idle | (post_channel[ch] & (cap == FULL)))
        recent[n_recent] = i
        n_recent += a & idle & (month - g <= window)
    return short[:n_short], pool[:n_pool], search[:n_search], recent[:n_recent], cohort[:n_cohort]


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
def zero_employment_of(people, hh, hh_start, hh_size, able, capacity, channel, employed_channel, zero):
    """Bring the zero-employment flag of the households of ``people`` up to date.

    :class:`model.agents.Household`: some member able to work (able, not
    over-age, not in training) and no member employed, a post included.
    """
    for k in range(len(people)):
        h = hh[people[k]]
        any_able = False
        any_work = False
        for i in range(hh_start[h], hh_start[h] + hh_size[h]):
            ch = channel[i]
            if employed_channel[ch]:
                any_work = True
                break
            if able[i] and capacity[i] != OVER_AGE and ch != TRAINING:
                any_able = True
        zero[h] = any_able and not any_work


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
def count_in_channel_by(channel, code, key, n_keys):
    """People in one channel, counted by ``key`` (trainees by institution)."""
    out = np.zeros(n_keys + 1, np.int64)
    for i in range(len(channel)):
        inside = channel[i] == code
        out[key[i] * inside + n_keys * (not inside)] += 1  # the others land in a spare slot
    return out[:n_keys]
