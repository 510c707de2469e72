"""Kernels of the matching rule (:meth:`model.labour_market.LabourMarket.match`).

Seekers who see the same pools with the same weights share a row
(:func:`seeker_rows`, once per matching call).  Each round,
:func:`row_weights` weighs each row's pools (``vacancies x
exp(-distance/commute_scale)`` over the pools within reach that admit the
row's capacity and skill, as ``LabourMarket.base`` and ``pattern_elig`` hold
them; sparse over the pools the village reaches), and :func:`apply_and_take`
sends each seeker with a non-empty row to a firm and lets each firm take its
best applicants up to its vacancies.  The firm within a pool is drawn
through an alias table (:func:`alias_table`): one comparison per draw,
where a search through cumulative vacancies stalls on its unpredictable
branches.
"""

from __future__ import annotations

import numpy as np
from numba import njit

BASIC = 1  # Skill.BASIC: a certificate outside its trade counts as basic skill


@njit(cache=True)
def bisect_cdf(cum, a, b, u):
    """The first ``j`` in ``[a, b)`` with ``cum[j] > u x total``, ``u`` in
    [0, 1) (``cum`` cumulative, the last entry the total): the draw of ``j``
    with probability proportional to its share.  Returns ``(j, u x total)``."""
    t = u * cum[b - 1]
    lo, hi = a, b - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if cum[mid] > t:
            hi = mid
        else:
            lo = mid + 1
    return lo, t


@njit(cache=True)
def alias_table(weight, a, b, keep, alias, small, large):
    """Walker's alias table for drawing an entry of ``[a, b)`` with
    probability proportional to ``weight``: entry ``j`` is drawn as itself
    with probability ``keep[j]`` and as ``alias[j]`` otherwise, so that a draw
    costs one comparison (:func:`alias_draw`).  ``small`` and ``large`` are
    scratch space of at least ``b - a`` entries.  Built by Vose's method."""
    n = b - a
    total = 0.0
    for j in range(a, b):
        total += weight[j]
    n_small = n_large = 0
    for j in range(a, b):
        keep[j] = weight[j] * n / total
        alias[j] = j
        if keep[j] < 1.0:
            small[n_small] = j
            n_small += 1
        else:
            large[n_large] = j
            n_large += 1
    while n_small > 0 and n_large > 0:
        n_small -= 1
        s = small[n_small]
        g = large[n_large - 1]
        alias[s] = g  # s's missing share comes from g
        keep[g] -= 1.0 - keep[s]
        if keep[g] < 1.0:
            n_large -= 1
            small[n_small] = g
            n_small += 1
    for k in range(n_large):  # rounding leaves these at (nearly) one
        keep[large[k]] = 1.0
    for k in range(n_small):
        keep[small[k]] = 1.0


@njit(cache=True)
def alias_draw(keep, alias, a, b, u):
    """An entry of ``[a, b)`` drawn through an :func:`alias_table` with ``u``
    in [0, 1): ``u`` picks a column, and where it falls within the column
    picks the entry or its alias."""
    x = u * (b - a)
    j = min(np.int64(x), b - a - 1)
    return a + j if x - j < keep[a + j] else alias[a + j]


@njit(cache=True)
def sift_down(slot, score, base, n, i):
    """Restore the heap ``slot[base:base + n]`` (applicants, the worst at the
    root) below place ``i``; ``score`` moves alongside.  Of two applicants the
    worse has the lower score or, at the same score, the later application."""
    while True:
        left = 2 * i + 1
        if left >= n:
            return
        w = base + left
        right = w + 1
        if left + 1 < n and (score[right] < score[w] or (score[right] == score[w] and slot[right] > slot[w])):
            w = right
        at = base + i
        if score[w] < score[at] or (score[w] == score[at] and slot[w] > slot[at]):
            slot[at], slot[w] = slot[w], slot[at]
            score[at], score[w] = score[w], score[at]
            i = w - base
        else:
            return


@njit(cache=True)
def seeker_rows(seekers, capacity, skill, trade, village, group_pattern, n_skills, n_trades, n_villages, directed):
    """The row of pool weights each seeker sees (``LabourMarket.match``):
    seekers of one eligibility pattern (and, ``directed``, trade) in one
    village share a row.  Returns ``(row, key_of_row)``; a row's key is
    ``kind x n_villages + village``.  Fixed for a matching call: a round
    only reweighs the rows (:func:`row_weights`).
    """
    n = len(seekers)
    n_kinds = (np.int64(group_pattern.max()) + 1) * (n_trades if directed else 1)
    row_of_key = np.full(n_kinds * n_villages, -1, np.int64)
    key_of_row = np.empty(min(n, n_kinds * n_villages), np.int64)
    row = np.empty(n, np.int64)
    n_rows = 0
    for k in range(n):
        s = seekers[k]
        kind = group_pattern[np.int64(capacity[s]) * n_skills + skill[s]]
        if directed:
            kind = kind * n_trades + trade[s]
        key = kind * n_villages + village[s]
        r = row_of_key[key]
        if r < 0:
            r = n_rows
            row_of_key[key] = r
            key_of_row[r] = key
            n_rows += 1
        row[k] = r
    return row, key_of_row[:n_rows]


@njit(cache=True)
def row_weights(key_of_row, n_trades, directed, vp_start, vp_pool, vp_base, pattern_elig, pool_trade, pool_vac):
    """Each row's pools and cumulative weights this round (the choice of
    pool, ``LabourMarket.match``): ``vacancies x exp(-distance/commute_scale)``
    over the pools the village reaches whose sector admits the pattern
    (``directed``: only pools in the row's trade).  Returns ``(row_start,
    row_pool, row_cum)``: row ``r`` holds pools ``row_pool[row_start[r]:row_start[r + 1]]``
    with cumulative weights ``row_cum`` (the last is the row's total); a
    row with no pool that has a vacancy is empty.
    """
    n_rows = len(key_of_row)
    n_villages = len(vp_start) - 1
    # first, per village, the pools within reach that have a vacancy and their
    # weights (after the first round of a month, few pools have one)
    open_start = np.zeros(n_villages + 1, np.int64)
    open_pool = np.empty(len(vp_pool), np.int64)
    open_w = np.empty(len(vp_pool), np.float64)
    width = 0
    n_open = 0
    for v in range(n_villages):
        for j in range(vp_start[v], vp_start[v + 1]):
            pool = vp_pool[j]
            if pool_vac[pool] > 0:
                open_pool[n_open] = pool
                open_w[n_open] = vp_base[j] * pool_vac[pool]
                n_open += 1
        open_start[v + 1] = n_open
        width = max(width, n_open - open_start[v])
    row_start = np.zeros(n_rows + 1, np.int64)
    row_pool = np.empty(n_rows * width, np.int64)
    row_cum = np.empty(n_rows * width, np.float64)
    m = 0
    for r in range(n_rows):
        kind, v = key_of_row[r] // n_villages, key_of_row[r] % n_villages
        pattern = kind // n_trades if directed else kind
        cum = 0.0
        for j in range(open_start[v], open_start[v + 1]):
            pool = open_pool[j]
            if directed and pool_trade[pool] != kind % n_trades:
                continue
            w = open_w[j] * pattern_elig[pattern, pool]
            if w > 0:
                cum += w
                row_pool[m] = pool
                row_cum[m] = cum
                m += 1
        row_start[r + 1] = m
    return row_start, row_pool[:m], row_cum[:m]


@njit(cache=True)
def apply_and_take(
    seekers, row, row_start, row_pool, row_cum, u,
    firm_order, pool_first, vac, firm_sector, sector_trade, sector_age_max,
    skill, trade, priority, age, trade_match_bonus, priority_bonus, score_noise,
):
    """Applications and each firm's choice (``LabourMarket.match``).

    Seekers whose row is empty do not apply; the others, in order, use two
    uniforms each, a row of ``u``.  The first picks a pool with probability
    proportional to its weight and, through where it falls within that
    pool's share, a firm of the pool in proportion to its vacancies (the
    pool's alias table; one draw of the two-step choice: P(firm) = P(pool) x
    vacancies / pool vacancies).
    The second is the score noise.  A firm rejects applicants over its
    sector's age limit and takes the best-scoring of the rest, up to its
    vacancies (of equal scores, the earlier application).  Returns the
    positions (into ``seekers``) of those taken and their firms.
    """
    n = len(seekers)
    n_firms = len(vac)
    # each pool's firms with vacancies, drawn in proportion to them
    vacant = np.empty(len(firm_order), np.int64)
    vacant_n = np.empty(len(firm_order), np.float64)
    vacant_keep = np.empty(len(firm_order), np.float64)
    vacant_alias = np.empty(len(firm_order), np.int64)
    small = np.empty(len(firm_order), np.int64)
    large = np.empty(len(firm_order), np.int64)
    vacant_start = np.zeros(len(pool_first), np.int64)
    m = 0
    for p in range(len(pool_first) - 1):
        for j in range(pool_first[p], pool_first[p + 1]):
            f = firm_order[j]
            if vac[f] > 0:
                vacant[m] = f
                vacant_n[m] = vac[f]
                m += 1
        vacant_start[p + 1] = m
        if m > vacant_start[p]:
            alias_table(vacant_n, vacant_start[p], m, vacant_keep, vacant_alias, small, large)
    # each firm keeps its best applicants so far, up to its vacancies, in a
    # heap whose root is the worst held (a full firm compares a newcomer with
    # the root only)
    slot_start = np.zeros(n_firms + 1, np.int64)
    for f in range(n_firms):
        slot_start[f + 1] = slot_start[f] + max(vac[f], 0)
    slot = np.empty(slot_start[n_firms], np.int64)
    slot_score = np.empty(slot_start[n_firms], np.float64)
    held = np.zeros(n_firms, np.int64)
    d = -1  # the row of u in use
    for k in range(n):
        r = row[k]
        if row_start[r + 1] == row_start[r]:  # no pool with a vacancy: no application
            continue
        d += 1
        lo, t = bisect_cdf(row_cum, row_start[r], row_start[r + 1], u[d, 0])
        pool = row_pool[lo]
        before = row_cum[lo - 1] if lo > row_start[r] else 0.0
        frac = (t - before) / (row_cum[lo] - before)  # uniform again, given the pool
        frac = min(max(frac, 0.0), 1.0 - 1e-16)
        j = alias_draw(vacant_keep, vacant_alias, vacant_start[pool], vacant_start[pool + 1], frac)
        f = vacant[j]
        s = seekers[k]
        sec = firm_sector[f]
        if age[s] > sector_age_max[sec]:
            continue
        in_trade = trade[s] == sector_trade[sec]
        eff = skill[s] if in_trade else min(skill[s], BASIC)
        score = eff + trade_match_bonus * in_trade + priority_bonus * priority[s] + score_noise * u[d, 1]
        base = slot_start[f]
        k_f = slot_start[f + 1] - base
        if held[f] < k_f:
            slot[base + held[f]] = k
            slot_score[base + held[f]] = score
            held[f] += 1
            if held[f] == k_f:
                for i in range(k_f // 2 - 1, -1, -1):
                    sift_down(slot, slot_score, base, k_f, i)
        elif score > slot_score[base]:  # an equal score does not displace an earlier applicant
            slot[base] = k
            slot_score[base] = score
            sift_down(slot, slot_score, base, k_f, 0)
    taken = np.empty(slot_start[n_firms], np.int64)
    taken_firm = np.empty(slot_start[n_firms], np.int64)
    m = 0
    for f in range(n_firms):
        for j in range(slot_start[f], slot_start[f] + held[f]):
            taken[m] = slot[j]
            taken_firm[m] = f
            m += 1
    return taken[:m], taken_firm[:m]
