"""Public posts as a safety net (公岗兜底).

The case: maintenance posts for rural infrastructure (the "1+7", later
"1+10" scheme) go first to weak and over-age labour (优先聘用脱贫"弱劳力"和
"超龄劳力"); service posts in public agencies (公益专岗) are set "因事设岗、
以岗定人、按需定员" and reserved for the poverty-alleviated; every
administrative village has cleaning, greening and elderly-care posts.

Rules:

* **Finite supply.**  Each village holds ``village_posts_per_village`` and
  ``maintenance_posts_per_village`` posts; agency posts are held by counties
  in proportion to their poverty-alleviated people.  Clearing posts, opened
  only to clear zero-employment households (:mod:`.monitoring`), are what
  ``clearing_budget_yuan_per_year`` pays for at ``monthly_pay_yuan``, held by
  counties in the same proportion.  Fractional quotas are rounded per place
  with a fixed draw, so totals are right on average and stable month to
  month.  When no post is free, nobody gets one.
* **Eligibility.**  Regular posts are a safety net: they go to able people
  who are idle and either in a zero-employment household, of weak, half or
  over-age labour, or unemployed for ``eligibility_unemployed_months``.
* **Priority.**  ``weak_labour_first``: weak, half and over-age labour, then
  zero-employment households, then the rest; ``zero_employment_first``: the
  reverse of the first two; ``lottery``: at random.  Maintenance posts go
  first to weak and over-age labour whatever the rule (the case's one stated
  priority).  Ties are broken at random.
* **Term.**  A holder leaves after ``max_term_months`` (and may re-qualify).
  Posts filled in month 0 stand for posts held before January 2020, so their
  elapsed term is drawn uniformly from ``[0, max_term_months)``.
"""

from __future__ import annotations

import functools

import numpy as np

from ..arrays import as_bits, lookup
from ..kernels import posts as posts_kernels
from ..population import COUNTY_POSTS, POST_CHANNELS, Capacity, Channel

WEAK_LABOUR = (Capacity.HALF, Capacity.WEAK, Capacity.OVER_AGE)
MAINTENANCE_FIRST = (Capacity.WEAK, Capacity.OVER_AGE)
_WEAK_BITS = as_bits(WEAK_LABOUR)
REGULAR_POSTS = (Channel.MAINTENANCE_POST, Channel.VILLAGE_POST, Channel.AGENCY_POST)
CLEARING_ORDER = (Channel.VILLAGE_POST, Channel.MAINTENANCE_POST, Channel.AGENCY_POST, Channel.CLEARING_POST)


def clearing_posts_total(p) -> float:
    """Clearing posts the budget pays for (full scale)."""
    pp = p.levers.public_posts
    if pp.monthly_pay_yuan <= 0:
        return 0.0
    return pp.clearing_budget_yuan_per_year / (12.0 * pp.monthly_pay_yuan)


def quotas(model) -> dict[Channel, np.ndarray]:
    """Posts per village (village, maintenance) and per county (agency, clearing)."""
    pp = model.p.levers.public_posts
    u_v, u_c = model.post_draw_village, model.post_draw_county

    def per(x: np.ndarray | float, u: np.ndarray) -> np.ndarray:
        return (np.floor(x) + (u < x - np.floor(x))).astype(np.int64)

    county_share = model.county_people_share / model.pop.county_weight
    return {
        Channel.VILLAGE_POST: per(pp.village_posts_per_village, u_v[0]),
        Channel.MAINTENANCE_POST: per(pp.maintenance_posts_per_village, u_v[1]),
        Channel.AGENCY_POST: per(pp.agency_posts_total * county_share, u_c[0]),
        Channel.CLEARING_POST: per(clearing_posts_total(model.p) * county_share, u_c[1]),
    }


def holder_place(model, channel: Channel) -> np.ndarray:
    """Village (or county, for agency and clearing posts) of each person, as the post's place."""
    return model.pop.county if channel in COUNTY_POSTS else model.pop.village


def _first_of_place(model, channel: Channel) -> np.ndarray:
    """The first person of each village (or county): people are contiguous by place."""
    key = "county" if channel in COUNTY_POSTS else "village"
    cache = getattr(model, "_first_of_place", None)
    if cache is None:
        cache = model._first_of_place = {}
    if key not in cache:
        where = holder_place(model, channel)
        n = len(model.pop.county_x) if key == "county" else len(model.pop.village_x)
        cache[key] = np.searchsorted(where, np.arange(n + 1)).astype(np.int64)
    return cache[key]


def post_holders(model) -> np.ndarray:
    """Everyone on a public post (one pass over the population)."""
    return np.flatnonzero(lookup(model.pop.channel, POST_CHANNELS, len(Channel)))


def vacancies(model, channel: Channel, quota: np.ndarray, holders: np.ndarray | None = None) -> np.ndarray:
    """Vacant posts of one kind per village (or county): counted from
    ``holders`` (from :func:`post_holders`), or by default from the market's
    count of posts held (:meth:`~model.labour_market.LabourMarket.posts_held`)."""
    if holders is None:
        held = model.market.posts_held()[channel, : len(quota)]
    else:
        mine = holders[model.pop.channel[holders] == channel]
        held = np.bincount(holder_place(model, channel)[mine], minlength=len(quota))
    return np.maximum(0, quota - held)


def priority_tier(model, people: np.ndarray, channel: Channel) -> np.ndarray:
    """Tier of each candidate under the priority rule; lower tiers are served first.

    For maintenance posts the case's own priority comes first: the rule's
    tiers are kept, and everyone not of weak or over-age labour is moved
    behind all of them.
    """
    pop = model.pop
    zero = model.zero_employment_hh[pop.hh[people]]
    return _tiers(model.p.levers.public_posts.priority, channel, zero, pop.capacity[people])


def _tiers(rule: str, channel: Channel, zero: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """:func:`priority_tier` from each candidate's zero-employment flag and capacity."""
    weak = lookup(capacity, WEAK_LABOUR, len(Capacity))
    if rule == "zero_employment_first":
        tier = np.where(zero, 0, np.where(weak, 1, 2))
    elif rule == "weak_labour_first":
        tier = np.where(weak, 0, np.where(zero, 1, 2))
    else:
        tier = np.zeros(len(zero), np.int64)
    if channel == Channel.MAINTENANCE_POST and len(tier):
        behind = int(tier.max()) + 1  # past every tier of the rule
        tier = tier + behind * ~lookup(capacity, MAINTENANCE_FIRST, len(Capacity))
    return tier


def tier_table(model, channel: Channel, ordered: bool = True) -> np.ndarray:
    """:func:`priority_tier` of every (zero-employment household, capacity)
    as a table, ``[zero, capacity]`` (all 0 unless ``ordered``): the same
    order of service, for :func:`model.kernels.posts.take_for_posts`."""
    return _tier_table(model.p.levers.public_posts.priority if ordered else None, Channel(channel))


@functools.lru_cache(maxsize=64)
def _tier_table(rule: str | None, channel: Channel) -> np.ndarray:
    zero, capacity = np.meshgrid([False, True], np.arange(len(Capacity)), indexing="ij")
    if rule is None:
        return np.zeros(zero.shape, np.int64)
    return _tiers(rule, channel, zero.ravel(), capacity.ravel()).reshape(zero.shape).astype(np.int64)


def candidates(model) -> np.ndarray:
    """Idle able people who qualify for a regular post (one pass, :func:`model.kernels.posts.candidates`)."""
    pop = model.pop
    qualifies = np.empty(pop.n_people, bool)
    posts_kernels.candidates(
        pop.channel, model.able, pop.capacity, pop.unemployed_months, pop.hh_start, pop.hh_size,
        model.zero_employment_hh, _WEAK_BITS, model.p.levers.public_posts.eligibility_unemployed_months, qualifies,
    )
    return np.flatnonzero(qualifies)


def assign(
    model, people: np.ndarray, channel: Channel, quota: np.ndarray, holders: np.ndarray | None = None,
    ordered: bool = True, idle_only: bool = False, ascending: bool = False,
) -> np.ndarray:
    """Fill vacant posts of one kind from ``people`` (``idle_only``: those
    of them still idle): in priority order, or (``ordered=False``) at random
    among them (:func:`vacancies` for ``holders``).  ``ascending``: the
    people are in ascending order, so only those of places with a vacancy
    need be looked at."""
    vac = vacancies(model, channel, quota, holders)
    if len(people) == 0 or not vac.any():
        return np.asarray(people)[:0]
    pop = model.pop
    place = holder_place(model, channel)
    place_first = _first_of_place(model, channel) if ascending else np.zeros(0, np.int64)
    n_uniforms = min(len(people), int(vac.sum()))
    take = posts_kernels.take_for_posts(
        np.asarray(people, np.int64), idle_only, pop.channel, pop.hh, model.zero_employment_hh, pop.capacity,
        place, vac, tier_table(model, channel, ordered), model.rng.random(n_uniforms), place_first,
    )
    chosen = people[take]
    model.market.start_work(chosen, channel)
    if model.month == 0 and len(chosen):
        # posts filled in the first month stand for posts already held in Jan
        # 2020: their elapsed term is uniform, so terms do not all end at once
        term = model.p.levers.public_posts.max_term_months
        model.pop.tenure[chosen] = model.rng.integers(0, term, len(chosen))
    return chosen


def expire_terms(model, due: np.ndarray | None = None) -> None:
    """Holders whose term is up leave their post (``due``: those holders, if
    the model's pass has found them this month)."""
    if due is None:
        holders = post_holders(model)
        due = holders[model.pop.tenure[holders] >= model.p.levers.public_posts.max_term_months]
    model.market.release(due)


def fill(model) -> np.ndarray:
    """Villages and counties fill their vacant regular posts; returns who got one."""
    q = quotas(model)
    people = candidates(model)
    placed = [assign(model, people, channel, q[channel], idle_only=True, ascending=True) for channel in REGULAR_POSTS]
    return np.concatenate(placed)


def place_for_clearing(model, people: np.ndarray) -> np.ndarray:
    """Put ``people`` (one per household being cleared) on any free post:
    village, maintenance and agency posts first, then clearing posts."""
    q = quotas(model)
    placed = [assign(model, people, channel, q[channel], ordered=False, idle_only=True) for channel in CLEARING_ORDER]
    return np.concatenate(placed)


def pay(model) -> None:
    """Pay the month's post holders (counted by the month-end pass,
    :meth:`~model.model.EmploymentModel.update_income`)."""
    held = model.tally.by_channel[list(POST_CHANNELS)].sum()
    model.ledger.add("public_posts", float(held) * model.p.levers.public_posts.monthly_pay_yuan)
