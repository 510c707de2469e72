"""Public posts as a safety net (公岗兜底).

The case: maintenance posts for rural infrastructure (the "1+7", later
"1+10" scheme) go first to weak and over-age labour; service posts in public
agencies (公益专岗) are reserved for the poverty-alleviated; every
administrative village has cleaning, greening and elderly-care posts.

Rules:

* **Quotas.**  Each village holds ``village_posts_per_village`` and
  ``maintenance_posts_per_village`` posts; agency posts are held by counties
  in proportion to their poverty-alleviated people.  Fractional quotas are
  rounded per village with a fixed draw, so totals are right on average and
  stable month to month.  ``clearing_reserve_posts_per_village`` more exist
  only for dynamic clearing (:mod:`.monitoring`).
* **Eligibility.**  Posts are a safety net: they go to able people who are
  idle and either in a zero-employment household, of weak, half or over-age
  labour, or unemployed for ``eligibility_unemployed_months``.
* **Priority.**  ``zero_employment_first``: zero-employment households, then
  weak labour, then the rest; ``weak_labour_first``: the reverse of the first
  two; ``lottery``: at random.  Maintenance posts always go first to weak and
  over-age labour.  Ties are broken at random.
* **Term.**  A holder leaves after ``max_term_months`` (and may re-qualify).
  Posts filled in month 0 stand for posts held before January 2020, so their
  elapsed term is drawn uniformly from ``[0, max_term_months)``.
"""

from __future__ import annotations

import numpy as np

from ..arrays import lookup, sample_per_group
from ..population import POST_CHANNELS, Capacity, Channel

WEAK_LABOUR = (Capacity.HALF, Capacity.WEAK, Capacity.OVER_AGE)


def quotas(model) -> dict[Channel, np.ndarray]:
    """Posts per village (village, maintenance, reserve) and per county (agency)."""
    pp = model.p.levers.public_posts
    u_v, u_c = model.post_draw_village, model.post_draw_county

    def per(x: float, u: np.ndarray) -> np.ndarray:
        return (np.floor(x) + (u < x - np.floor(x))).astype(np.int64)

    county_share = model.county_people_share / model.pop.county_weight
    return {
        Channel.VILLAGE_POST: per(pp.village_posts_per_village, u_v[0]),
        Channel.MAINTENANCE_POST: per(pp.maintenance_posts_per_village, u_v[1]),
        Channel.RESERVE_POST: per(pp.clearing_reserve_posts_per_village, u_v[2]),
        Channel.AGENCY_POST: np.floor(pp.agency_posts_total * county_share + u_c).astype(np.int64),
    }


def holder_place(model, channel: Channel) -> np.ndarray:
    """Village (or county, for agency posts) of each person, as the post's place."""
    return model.pop.county if channel == Channel.AGENCY_POST else model.pop.village


def post_holders(model) -> np.ndarray:
    """Everyone on a public post (one pass over the population)."""
    return np.flatnonzero(lookup(model.pop.channel, POST_CHANNELS, len(Channel)))


def vacancies(model, channel: Channel, quota: np.ndarray, holders: np.ndarray | None = None) -> np.ndarray:
    """Vacant posts of one kind per village (or county); ``holders`` from :func:`post_holders`."""
    holders = post_holders(model) if holders is None else holders
    mine = holders[model.pop.channel[holders] == channel]
    held = np.bincount(holder_place(model, channel)[mine], minlength=len(quota))
    return np.maximum(0, quota - held)


def priority_tier(model, people: np.ndarray, channel: Channel) -> np.ndarray:
    """Tier of each candidate under the priority rule; lower tiers are served first."""
    pop = model.pop
    rule = model.p.levers.public_posts.priority
    zero = model.zero_employment_hh[pop.hh[people]]
    weak = lookup(pop.capacity[people], WEAK_LABOUR, len(Capacity))
    if rule == "zero_employment_first":
        tier = np.where(zero, 0, np.where(weak, 1, 2))
    elif rule == "weak_labour_first":
        tier = np.where(weak, 0, np.where(zero, 1, 2))
    else:
        tier = np.zeros(len(people), np.int64)
    if channel == Channel.MAINTENANCE_POST:
        tier = tier + 3 * ~lookup(pop.capacity[people], (Capacity.WEAK, Capacity.OVER_AGE), len(Capacity))
    return tier


def candidates(model) -> np.ndarray:
    pop = model.pop
    pp = model.p.levers.public_posts
    idle = np.flatnonzero(model.able & (pop.channel == Channel.NONE))
    need = (
        model.zero_employment_hh[pop.hh[idle]]
        | lookup(pop.capacity[idle], WEAK_LABOUR, len(Capacity))
        | (pop.unemployed_months[idle] >= pp.eligibility_unemployed_months)
    )
    return idle[need]


def assign(model, people: np.ndarray, channel: Channel, quota: np.ndarray, holders: np.ndarray | None = None) -> np.ndarray:
    """Fill vacant posts of one kind from ``people`` in priority order."""
    vac = vacancies(model, channel, quota, holders)
    people = people[vac[holder_place(model, channel)[people]] > 0]
    if len(people) == 0:
        return people
    place = holder_place(model, channel)[people]
    tier = priority_tier(model, people, channel)
    chosen = []
    for t in np.unique(tier):  # tier by tier; at random within a tier
        mine = np.flatnonzero(tier == t)
        take = mine[sample_per_group(place[mine], vac, model.rng)]
        vac = vac - np.bincount(place[take], minlength=len(vac))
        chosen.append(people[take])
    chosen = np.concatenate(chosen)
    model.market.start_work(chosen, channel)
    if model.month == 0 and len(chosen):
        # posts filled in the first month stand for posts already held in Jan
        # 2020: their elapsed term is uniform, so terms do not all end at once
        term = model.p.levers.public_posts.max_term_months
        model.pop.tenure[chosen] = model.rng.integers(0, term, len(chosen))
    return chosen


def expire_terms(model) -> None:
    holders = post_holders(model)
    model.market.release(holders[model.pop.tenure[holders] >= model.p.levers.public_posts.max_term_months])


def fill(model) -> np.ndarray:
    """Villages and counties fill their vacant regular posts; returns who got one."""
    q = quotas(model)
    people = candidates(model)
    holders = post_holders(model)  # posts of one kind do not change while another is filled
    placed = []
    for channel in (Channel.MAINTENANCE_POST, Channel.VILLAGE_POST, Channel.AGENCY_POST):
        people = people[model.pop.channel[people] == Channel.NONE]
        placed.append(assign(model, people, channel, q[channel], holders))
    return np.concatenate(placed)


def pay(model) -> None:
    holders = post_holders(model)
    model.ledger.add("public_posts", float(model.pop.weight[holders].sum()) * model.p.levers.public_posts.monthly_pay_yuan)
