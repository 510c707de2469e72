"""Services that keep people in work (服务稳岗): monitoring and dynamic clearing.

The case: village labour-security assistants keep a real-name ledger; every
month each village checks employment; households at risk of returning to
poverty and zero-employment households (零就业家庭) get training, job
information or a public post; the rule is dynamic clearing (动态清零): no
household may stay at zero employment.

Rules:

* **Coverage.**  A village is monitored if it has an assistant; a fixed draw
  per village gives a share ``coverage`` of villages one.
* **Detection.**  In monitoring months (every ``interval_months``), covered
  villages flag zero-employment households and households whose income per
  head is under the monitoring line (防返贫监测).
* **Response**, ``response_delay_months`` after detection, if the household
  is still flagged: (1) a job-information push, i.e. a priority application
  for its strongest idle member; (2) with ``dynamic_clearing`` on, a public
  post for a zero-employment household that is still at zero (village,
  maintenance, agency, then clearing-reserve posts); (3) a training offer for
  its other idle members.  A household not cleared stays flagged and is
  served again the next month.
"""

from __future__ import annotations

import numpy as np

from ..population import Channel
from . import public_posts


def covered_villages(model) -> np.ndarray:
    return model.monitor_draw_village < model.p.levers.monitoring.coverage


def detect(model) -> None:
    """Flag households in covered villages (in monitoring months)."""
    mon = model.p.levers.monitoring
    if model.month % mon.interval_months:
        return
    covered = covered_villages(model)[model.pop.hh_village]
    flagged = (model.zero_employment_hh | model.below_line_hh) & covered
    new = flagged & (model.flagged_month < 0)
    model.flagged_month[new] = model.month
    model.ledger.add(
        "monitoring",
        float((covered_villages(model) * model.pop.county_weight[model.pop.village_county]).sum())
        * mon.assistant_stipend_yuan_per_month
        * mon.interval_months,
    )


def _idle_members(model, households: np.ndarray) -> np.ndarray:
    members = model.pop.members_of(households)
    return members[model.able[members] & (model.pop.channel[members] == Channel.NONE)]


def _one_member(model, households: np.ndarray, weakest_first: bool) -> np.ndarray:
    """One idle able member per household: the strongest (or weakest) by capacity."""
    pop = model.pop
    members = _idle_members(model, households)
    if len(members) == 0:  # e.g. every pushed household found work this month
        return members
    cap = pop.capacity[members].astype(float)
    key = -cap if weakest_first else cap
    order = np.lexsort((model.rng.random(len(members)), key, pop.hh[members]))
    members = members[order]
    first = np.r_[True, pop.hh[members][1:] != pop.hh[members][:-1]]
    return members[first]


def respond(model) -> None:
    """Serve flagged households whose response is due.

    A zero-employment household is served every month until it is cleared; a
    household that is only under the monitoring line is served once per spell
    (a job push and a training offer), and stays on the ledger until its
    income recovers.
    """
    mon = model.p.levers.monitoring
    pending = model.flagged_month >= 0
    still = model.zero_employment_hh | model.below_line_hh
    model.flagged_month[pending & ~still] = -1  # resolved on their own
    model.served[pending & ~still] = False
    due = pending & still & (model.month - model.flagged_month >= mon.response_delay_months)
    due &= model.zero_employment_hh | ~model.served
    if not due.any():
        return
    households = np.flatnonzero(due)
    pop = model.pop
    pushed = _one_member(model, households, weakest_first=False)
    pop.priority[pushed] = True
    model.market.match(pushed, rounds=1)
    model.refresh_touched()
    if mon.dynamic_clearing:
        zero = households[model.zero_employment_hh[households]]
        people = _one_member(model, zero, weakest_first=True)
        quotas = public_posts.quotas(model)
        holders = public_posts.post_holders(model)
        for channel in (Channel.VILLAGE_POST, Channel.MAINTENANCE_POST, Channel.AGENCY_POST, Channel.RESERVE_POST):
            people = people[pop.channel[people] == Channel.NONE]
            placed = public_posts.assign(model, people, channel, quotas[channel], holders)
            model.stats["cleared_by_post"] += float(pop.weight[placed].sum())
        model.refresh_touched()
    pop.training_priority[_idle_members(model, households)] = True
    model.served[households] = True
