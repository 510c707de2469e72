"""Training (培训赋能): mid-term courses, firm-ordered seats, tiered subsidies.

The case: about three months of mid-term training for poverty-alleviated
workers aged 16-45 at the Baoji Technician College and the county vocational
centres, in trades the market lacks; firm-ordered courses (校企订单、定向、定岗);
no tuition, lodging or book fees and 50 yuan a day for living and transport;
institutions paid in tiers by their graduates' employment rate; short courses
and the 职培云 online platform alongside.

Rules:

* **Seats and intake.** Each institution holds
  ``mid_term_seats_per_year x duration_months / 12`` seats at a time (its
  share of them) and takes trainees every month into the seats that are
  free, in the trade of its rotation that month.  Households found by
  monitoring have first call on free seats (:mod:`.monitoring` offers them
  before the month's general intake).
* **Take-up.** An invited eligible person enrols with probability
  ``logistic(b0 + b1 * allowance/100 + b2 * fee_waiver + b3 * online)``.
* **Dropout.** Each month a trainee drops out with probability
  ``logistic(d0 + d1 * allowance/100 + d2 * online)``.
* **Completion** certifies the trade (:attr:`Skill.CERTIFIED`).  A firm-ordered graduate is
  hired by the ordering firm with ``ordered_hire_probability`` if it has a
  vacancy (a share ``firm_ordered_share`` of each intake, drawn at random, is
  ordered by firms in the trade); other graduates get referrals from the institution for
  ``placement_window_months``: each month with probability equal to its
  placement effort, a directed, priority application to jobs in the trade.
  Under the tiered subsidy the institution's pay depends on its placement
  rate, so it works harder (``placement_effort_tiered`` vs ``_flat``).
* **Eligibility.** Age in ``[age_min, age_max]``, full or half labour, not
  yet certified, idle or on a public post or home piecework.  A trainee is
  not available for work, so a household whose working-age members are all
  in training is not counted as zero-employment: training is one of the
  case's clearing measures.
"""

from __future__ import annotations

import numpy as np

from ..arrays import as_bits, first_k_per_group, logistic, lookup, stochastic_round
from ..kernels import households as household_kernels
from ..kernels import people as people_kernels
from ..population import Capacity, Channel, Skill, is_market_work
from ..schema import SECTORS

UNDEREMPLOYED = (Channel.NONE, Channel.HOME_PIECEWORK, Channel.VILLAGE_POST, Channel.MAINTENANCE_POST)
_UNDEREMPLOYED_BITS = as_bits(UNDEREMPLOYED)


def takeup_probability(p) -> float:
    t, b = p.levers.training, p.behaviour.training
    return logistic(
        b.takeup_logit_intercept
        + b.takeup_logit_per_100_yuan_allowance * t.daily_allowance_yuan / 100.0
        + b.takeup_logit_fee_waiver * t.fee_waiver
        + b.takeup_logit_online_platform * t.online_platform
    )


def dropout_probability(p) -> float:
    t, b = p.levers.training, p.behaviour.training
    return logistic(
        b.dropout_logit_intercept
        + b.dropout_logit_per_100_yuan_allowance * t.daily_allowance_yuan / 100.0
        + b.dropout_logit_online_platform * t.online_platform
    )


def placement_effort(p) -> float:
    b = p.behaviour.training
    return b.placement_effort_tiered if p.levers.training.tiered_institution_subsidy else b.placement_effort_flat


def subsidy_share(p, placement_rate: float) -> float:
    """Share of the per-graduate subsidy paid at a placement rate (1 if not tiered)."""
    if not p.levers.training.tiered_institution_subsidy:
        return 1.0
    share = 0.0
    for threshold, tier_share in sorted(p.behaviour.training.subsidy_tiers):
        if placement_rate >= threshold:
            share = tier_share
    return share


TRAINABLE = (Capacity.FULL, Capacity.HALF)


def eligible_pool(model) -> np.ndarray:
    """People the courses may take this month: able, in the age window, full or
    half labour, not yet certified (computed once a month by the model)."""
    p, pop = model.p, model.pop
    t = p.levers.training
    ok = (
        model.able
        & (pop.age >= t.age_min)
        & (pop.age <= t.age_max)
        & lookup(pop.capacity, TRAINABLE, len(Capacity))
        & (pop.skill < Skill.CERTIFIED)
    )
    return np.flatnonzero(ok)


def free_seats(model, trainees: np.ndarray | None = None) -> np.ndarray:
    """Free seats of each institution now (its seats less its trainees).

    ``trainees``: a superset of the people in training now, if known (the
    month's trainees found before anyone could enrol), else all are looked at.
    """
    pop = model.pop
    if trainees is None:
        trainees = np.flatnonzero(pop.channel == Channel.TRAINING)
    trainees = trainees[pop.channel[trainees] == Channel.TRAINING]
    held = np.bincount(pop.institution[trainees], minlength=len(model.institutions))
    return np.maximum(0, model.training_seats - held)


def split_free_seats(model, trainees: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """This month's free seats of each institution: those its general intake
    may fill, and those held for monitoring's training offers
    (``levers.monitoring.training_seat_share`` of them).  ``trainees``: as
    for :func:`free_seats`."""
    free = free_seats(model, trainees)
    held = stochastic_round(free * model.p.levers.monitoring.training_seat_share, model.rng)
    return free - held, held


def available_for_intake(model) -> np.ndarray:
    """Who of the month's training pool the intake may invite now (found once a month)."""
    return _available_now(model, model.training_pool)


def _available_now(model, people: np.ndarray) -> np.ndarray:
    """Those of ``people`` still in the month's pool and not enrolled meanwhile."""
    return people_kernels.still_available(
        np.asarray(people, np.int64), model.in_training_pool, model.pop.channel, _UNDEREMPLOYED_BITS,
    )


def _enrol(model, institution, chosen: np.ndarray) -> None:
    """Start a course: trainees leave what they did, in the institution's trade of the month."""
    p, pop, rng = model.p, model.pop, model.rng
    model.market.release(chosen)
    pop.channel[chosen] = Channel.TRAINING
    pop.training_end[chosen] = model.month + p.levers.training.duration_months
    pop.institution[chosen] = institution.index
    pop.trade[chosen] = institution.trade_this_month()
    pop.ordered_firm[chosen] = -1
    ordered = chosen[rng.random(len(chosen)) < p.levers.training.firm_ordered_share]
    if len(ordered):
        firms = _ordering_firms(model, institution.trade_this_month(), institution.county)
        if len(firms):
            pop.ordered_firm[ordered] = rng.choice(firms, len(ordered))


def _admitted(model, institution, people: np.ndarray) -> np.ndarray:
    """Those of ``people`` the institution's course this month may take: of
    a capacity that some sector in the course's trade hires
    (以用工市场需求紧俏的专业为主导: courses lead to jobs), so that no
    certificate is earned where nobody could use it."""
    capacity = model.pop.capacity[people]
    return people[model.market.trade_admits[institution.trade_this_month(), capacity]]


def _catchment(model, institution) -> np.ndarray:
    """The month's intake pool in the institution's county (all of it for
    the college): a slice, since people are ordered by county."""
    pool = model.intake_pool
    if institution.county < 0:
        return pool
    first, end = model.pop.county_people[institution.county:institution.county + 2]
    return pool[np.searchsorted(pool, first):np.searchsorted(pool, end)]


def intake(model, institution, seats: int) -> np.ndarray:
    """The month's general intake: invite eligible people at random; the
    willing fill the free seats."""
    if seats <= 0:
        return np.zeros(0, np.int64)
    pool = _admitted(model, institution, _available_now(model, _catchment(model, institution)))
    willing = pool[model.rng.random(len(pool)) < takeup_probability(model.p)]
    chosen = willing[model.rng.permutation(len(willing))[:seats]]
    _enrol(model, institution, chosen)
    return chosen


def offer_seats(model, people: np.ndarray) -> np.ndarray:
    """Offer free seats to members of households found by monitoring (one
    offer per household, at its county centre, else the college), into the
    seats the month's general intake left for them
    (:func:`split_free_seats`); returns who enrolled."""
    rng = model.rng
    free = model.seats_for_monitoring  # held by the intake, so free; used up as they are taken
    if not free.any():  # no seat to offer: nobody is asked
        return np.zeros(0, np.int64)
    people = _available_now(model, people)
    people = people[rng.random(len(people)) < model.p.behaviour.monitoring.training_offer_uptake]
    if len(people) == 0:
        return people
    # one member per household: a willing one at random
    if len(people) > 1 and (np.diff(people) < 0).any():
        people = np.sort(people)  # people are contiguous by household
    n_households = 1 + int(np.count_nonzero(np.diff(model.pop.hh[people])))
    people = household_kernels.one_per_household(people, model.pop.hh, rng.random(n_households))
    people = people[rng.permutation(len(people))]  # households at random: scarce seats favour no index
    enrolled = []
    by_county = [i for i in model.institutions if i.county >= 0] + [i for i in model.institutions if i.county < 0]
    for inst in by_county:
        if free[inst.index] == 0 or len(people) == 0:
            continue
        mine = people if inst.county < 0 else people[model.pop.county[people] == inst.county]
        chosen = _admitted(model, inst, mine)[: free[inst.index]]
        _enrol(model, inst, chosen)
        free[inst.index] -= len(chosen)
        enrolled.append(chosen)
        people = people[model.pop.channel[people] != Channel.TRAINING]  # the chosen are enrolled now
    return np.concatenate(enrolled) if enrolled else people[:0]


def _ordering_firms(model, trade: int, county: int) -> np.ndarray:
    firms = model.firms
    ok = (model.market.sector_trade[firms.sector] == trade) & (firms.capacity > 0)
    ok &= firms.sector != SECTORS.index("export_employer")
    if county >= 0:
        ok &= firms.county == county
    return np.flatnonzero(ok)


def progress(model, trainees: np.ndarray | None = None) -> None:
    """Dropouts, completions, ordered hires and the month's costs.

    ``trainees``: everyone in training, if the model's pass has found them
    this month.  Placement is measured after (:func:`measure_placement`).
    """
    p, pop, rng = model.p, model.pop, model.rng
    t, b = p.levers.training, p.behaviour.training
    if trainees is None:
        trainees = np.flatnonzero(pop.channel == Channel.TRAINING)
    w = pop.weight
    model.ledger.add("training", float(w[trainees].sum()) * t.daily_allowance_yuan * b.training_days_per_month)
    if t.fee_waiver:
        model.ledger.add("training", float(w[trainees].sum()) * b.course_fee_yuan_per_month)
    drop = trainees[rng.random(len(trainees)) < dropout_probability(p)]
    model.market.release(drop)
    pop.training_end[drop] = -1
    done = trainees[(pop.training_end[trainees] <= model.month) & (pop.channel[trainees] == Channel.TRAINING)]
    model.market.release(done)
    pop.skill[done] = Skill.CERTIFIED
    pop.training_end[done] = -1
    pop.graduated_month[done] = model.month
    model.stats["graduates"] += float(w[done].sum())
    for inst in model.institutions:
        mine = done[pop.institution[done] == inst.index]
        share = subsidy_share(p, inst.placement_rate)
        model.ledger.add("training", float(w[mine].sum()) * b.institution_subsidy_yuan_per_graduate * share)
    # firm-ordered graduates go straight to the ordering firm when it has room
    ordered = done[pop.ordered_firm[done] >= 0]
    ordered = ordered[rng.random(len(ordered)) < b.ordered_hire_probability]
    if len(ordered):
        vac = model.market.vacancies()
        firm = pop.ordered_firm[ordered]
        take = first_k_per_group(firm, rng.random(len(firm)), vac)
        model.market.hire(ordered[take], firm[take])
    pop.ordered_firm[done] = -1


def referrals(model, idle: np.ndarray | None = None) -> np.ndarray:
    """Graduates the institutions refer to employers in their trade this month.

    ``idle``: the graduates in their placement window who are idle and able,
    if the model's selection pass has found them.
    """
    p, pop = model.p, model.pop
    if idle is None:
        window = p.behaviour.training.placement_window_months
        recent = (model.month - pop.graduated_month) <= window
        idle = np.flatnonzero(recent & (pop.channel == Channel.NONE) & model.able)
    referred = idle[model.rng.random(len(idle)) < placement_effort(p)]
    pop.priority[referred] = True
    return referred


def measure_placement(model, cohort: np.ndarray | None = None) -> None:
    """Placement = in market work (not a public post) some months after completion.

    Measured after the month's completions and ordered hires; ``cohort``:
    the graduates of ``placement_measured_after_months`` ago, if already found.
    """
    p, pop = model.p, model.pop
    lag = p.behaviour.training.placement_measured_after_months
    if cohort is None:
        cohort = np.flatnonzero(pop.graduated_month == model.month - lag)
    if len(cohort) == 0:
        return
    placed = is_market_work(pop.channel[cohort])
    w = pop.weight[cohort]
    model.stats["graduates_measured"] += float(w.sum())
    model.stats["graduates_placed"] += float(w[placed].sum())
    for inst in model.institutions:
        mine = pop.institution[cohort] == inst.index
        inst.record_placements(float(w[mine].sum()), float(w[mine & placed].sum()))


def seats_held(model, institution_share: float) -> int:
    """Seats an institution holds at a time (at the model's scale): a year's
    seats times the share of a year one course lasts."""
    t = model.p.levers.training
    expected = t.mid_term_seats_per_year * institution_share * model.scale * t.duration_months / 12.0
    return int(stochastic_round(expected, model.rng))


def short_courses(model, pool: np.ndarray | None = None) -> None:
    """Short practical courses lift unskilled working-age adults to basic skill.

    ``pool``: the able unskilled under ``overage_age_years``, if the model's
    selection pass has found them.
    """
    p, pop, rng = model.p, model.pop, model.rng
    places = int(stochastic_round(p.levers.training.short_course_places_per_year * model.scale / 12.0, rng))
    if places == 0:
        return
    if pool is None:
        pool = np.flatnonzero(model.able & (pop.skill == Skill.UNSKILLED) & (pop.age < p.population.overage_age_years))
    chosen = rng.choice(pool, size=min(places, len(pool)), replace=False) if len(pool) else pool
    pop.skill[chosen] = Skill.BASIC
    model.ledger.add("training", float(pop.weight[chosen].sum()) * p.behaviour.training.short_course_cost_yuan)
