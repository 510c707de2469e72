"""Services that keep people in work (服务稳岗): monitoring and dynamic clearing.

The case: village labour-security assistants keep a real-name ledger; every
month each village checks employment; for households at risk of returning to
poverty and zero-employment households (零就业家庭) they "落实技能培训、务工信息
推送、公益岗位安置"; the rule is dynamic clearing (动态清零): no household may
stay at zero employment.

Rules:

* **Coverage.**  A village is monitored if it has an assistant; a fixed draw
  per village gives a share ``coverage`` of villages one.
* **Detection.**  In monitoring months (every ``interval_months``), covered
  villages flag zero-employment households and households whose income per
  head is under the monitoring line (防返贫监测).
* **Response**, ``response_delay_months`` after detection, if the household
  is still flagged, the case's measures in ``clearing_order`` (by default
  push, training, post; the case lists 技能培训、务工信息推送、公益岗位安置
  without saying which comes first), each able to fail:

  1. a job-information push: a priority application for the household's
     strongest idle member, now and in the month's matching until hired; it
     clears the household only if matching finds that member a job;
  2. a training offer: a free seat at the county centre or the college, for
     a member within the course's age window and capacities, taken up with
     ``training_offer_uptake``;
  3. with ``dynamic_clearing`` on, a public post, if one is free (village,
     maintenance, agency, then clearing posts), for the member that
     ``clearing_post_member`` allows: a member able to work (the case's
     definition of zero employment), or any idle member.

  A zero-employment household not cleared waits, is counted as waiting at
  the month end, and is served again the next month.  A household only
  under the monitoring line gets the push and the offer once per spell.
* **Accounting.**  A household cleared by a measure is counted by the
  measure that cleared it; it relapses if monitoring finds it at zero
  employment again within ``relapse_window_months``.
"""

from __future__ import annotations

import numpy as np

from ..kernels import households as household_kernels
from . import public_posts, training


def covered_villages(model) -> np.ndarray:
    return model.monitor_draw_village < model.p.levers.monitoring.coverage


def detect(model) -> None:
    """Flag households in covered villages (in monitoring months); note relapses."""
    mon = model.p.levers.monitoring
    if model.month % mon.interval_months:
        return
    found = household_kernels.monitoring_detect(
        model.zero_employment_hh, model.below_line_hh, model.pop.hh_village, covered_villages(model),
        model.flagged_month, model.awaiting_clearance, model.month,
    )
    model.clearing.note_relapses(found, model.month)
    model.ledger.add(
        "monitoring",
        float((covered_villages(model) * model.pop.county_weight[model.pop.village_county]).sum())
        * mon.assistant_stipend_yuan_per_month
        * mon.interval_months,
    )


def _one_member(model, households: np.ndarray, strongest: bool, skip_over_age: bool = False) -> np.ndarray:
    """One able, idle member of each of ``households`` (if it has one): the
    strongest (or weakest) by capacity, at random among equals; over-age
    members left out with ``skip_over_age`` (:func:`model.kernels.households.one_idle_member`)."""
    pop = model.pop
    households = np.asarray(households, np.int64)
    return household_kernels.one_idle_member(
        households, pop.hh_start, pop.hh_size, model.able, pop.channel, pop.capacity, skip_over_age, strongest,
        model.rng.random(len(households)),
    )


def _idle_members(model, households: np.ndarray) -> np.ndarray:
    """The able, idle members of ``households``."""
    pop = model.pop
    households = np.asarray(households, np.int64)
    return household_kernels.idle_members(households, pop.hh_start, pop.hh_size, model.able, pop.channel)


def clearing_candidates(model, households: np.ndarray) -> np.ndarray:
    """Members a clearing post may go to, one per household, under ``clearing_post_member``.

    ``able_member``: a member who is able to work in the sense of the
    zero-employment definition (not over-age); ``any_idle_member``: any idle
    member able to work at all, the weakest first (over-age labour included).
    """
    if model.p.levers.public_posts.clearing_post_member == "able_member":
        return _one_member(model, households, strongest=True, skip_over_age=True)
    return _one_member(model, households, strongest=False)


def _cleared(model, households: np.ndarray) -> np.ndarray:
    """Those of ``households`` no longer at zero employment (flags brought up to date)."""
    model.refresh_touched()
    return households[~model.zero_employment_hh[households]]


def respond(model) -> None:
    """Serve flagged households whose response is due (push, training, post).

    A zero-employment household is served every month until it is cleared; a
    household that is only under the monitoring line is served once per spell
    (a job push and a training offer), and stays on the ledger until its
    income recovers.
    """
    mon = model.p.levers.monitoring
    # Households that left zero employment since the last response leave the
    # queue: cleared by an earlier push if a firm hired the pushed member (the
    # push's priority application), else by other means (not counted as
    # cleared by a measure).  Flagged households neither at zero nor under
    # the line are resolved on their own.  The due are the rest whose
    # response delay has passed, at zero or not yet served in this spell.
    # One pass over the households: model.kernels.households.monitoring_due.
    by_earlier_push, households, zero = household_kernels.monitoring_due(
        model.awaiting_clearance, model.zero_employment_hh, model.below_line_hh, model.flagged_month, model.served,
        model.pushed_member, model.pop.firm, model.month, mon.response_delay_months,
    )
    cleared = {"job": by_earlier_push, "training": zero[:0], "post": zero[:0]}
    for name in mon.clearing_order:
        record, measure = MEASURES[name]
        done = measure(model, households, zero)
        cleared[record] = np.union1d(cleared[record], done)
        zero = np.setdiff1d(zero, done, assume_unique=True)
    model.clearing.record(model, cleared)
    for done in cleared.values():
        model.awaiting_clearance[done] = False
        model.pushed_member[done] = -1
    model.served[households] = True


def push_jobs(model, households: np.ndarray, zero: np.ndarray) -> np.ndarray:
    """Job-information push: a priority application for each household's
    strongest idle member; returns the zero-employment households it cleared."""
    pop = model.pop
    pushed = _one_member(model, households, strongest=True)
    pop.priority[pushed] = True
    model.pushed_member[pop.hh[pushed]] = pushed
    model.market.match(pushed, rounds=1)
    return _cleared(model, zero)


def offer_training(model, households: np.ndarray, zero: np.ndarray) -> np.ndarray:
    """Training offer, where a seat is free; returns the households it cleared."""
    offered = training.offer_seats(model, _idle_members(model, households))
    return _cleared(model, zero) if len(offered) else zero[:0]


def offer_post(model, households: np.ndarray, zero: np.ndarray) -> np.ndarray:
    """A public post, if one is free and dynamic clearing is on; returns the households it cleared."""
    if not (model.p.levers.monitoring.dynamic_clearing and len(zero)):
        return zero[:0]
    public_posts.place_for_clearing(model, clearing_candidates(model, zero))
    return _cleared(model, zero)


MEASURES = {
    "job_push": ("job", push_jobs),
    "training_offer": ("training", offer_training),
    "public_post": ("post", offer_post),
}
"""Clearing measures by their name in ``clearing_order``: (the outcome they
are counted under, the rule)."""
