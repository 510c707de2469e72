"""Training (培训赋能): mid-term courses, firm-ordered seats, tiered subsidies.

The case: about three months of mid-term training for poverty-alleviated
workers aged 16-45 at the Baoji Technician College and the county vocational
centres, in trades the market lacks; firm-ordered courses (校企订单、定向、定岗);
no tuition, lodging or book fees and 50 yuan a day for living and transport;
institutions paid in tiers by their graduates' employment rate; short courses
and the 职培云 online platform alongside.

Rules:

* **Take-up.** An invited eligible person enrols with probability
  ``logistic(b0 + b1 * allowance/100 + b2 * fee_waiver + b3 * online)``.
* **Dropout.** Each month a trainee drops out with probability
  ``logistic(d0 + d1 * allowance/100 + d2 * online)``.
* **Completion** certifies the trade (skill 2).  A firm-ordered graduate is
  hired by the ordering firm with ``ordered_hire_probability`` if it has a
  vacancy; other graduates get referrals from the institution for
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

from ..arrays import first_k_per_group, logistic, lookup, stochastic_round
from ..population import Capacity, Channel, is_market_work
from ..schema import SECTORS, TRADES

UNDEREMPLOYED = (Channel.NONE, Channel.HOME_PIECEWORK, Channel.VILLAGE_POST, Channel.MAINTENANCE_POST)


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


def eligible(model, institution_county: int) -> np.ndarray:
    """People an institution may enrol this month (in its county, if a county centre)."""
    p, pop = model.p, model.pop
    t = p.levers.training
    cached = getattr(model, "_training_pool", None)
    if cached is None or cached[0] != model.month:  # one population pass a month
        ok = (
            model.able
            & (pop.age >= t.age_min)
            & (pop.age <= t.age_max)
            & ((pop.capacity == Capacity.FULL) | (pop.capacity == Capacity.HALF))
            & (pop.skill < 2)
        )
        model._training_pool = cached = (model.month, np.flatnonzero(ok))
    pool = cached[1]
    pool = pool[lookup(pop.channel[pool], UNDEREMPLOYED, len(Channel))]  # not enrolled meanwhile
    if institution_county >= 0:
        pool = pool[pop.county[pool] == institution_county]
    return pool


def enrol(model, institution, candidates: np.ndarray, seats: int, trade: int) -> np.ndarray:
    """Invite candidates (monitoring referrals first) until the seats are full."""
    p, pop, rng = model.p, model.pop, model.rng
    accepts = rng.random(len(candidates)) < takeup_probability(p)
    referred = pop.training_priority[candidates]
    accepts |= referred & (rng.random(len(candidates)) < p.behaviour.monitoring.training_offer_uptake)
    willing = candidates[accepts]
    order = np.lexsort((rng.random(len(willing)), ~pop.training_priority[willing]))
    chosen = willing[order[:seats]]
    model.market.release(chosen)
    pop.channel[chosen] = Channel.TRAINING
    pop.training_end[chosen] = model.month + p.levers.training.duration_months
    pop.institution[chosen] = institution.index
    pop.trade[chosen] = trade
    pop.training_priority[chosen] = False
    pop.ordered_firm[chosen] = -1
    n_ordered = int(round(len(chosen) * p.levers.training.firm_ordered_share))
    if n_ordered:
        firms = _ordering_firms(model, trade, institution.county)
        if len(firms):
            pop.ordered_firm[chosen[:n_ordered]] = rng.choice(firms, n_ordered)
    return chosen


def _ordering_firms(model, trade: int, county: int) -> np.ndarray:
    firms = model.firms
    sector_trade = np.array([TRADES.index(getattr(model.p.sectors, s).trade) for s in SECTORS])
    ok = (sector_trade[firms.sector] == trade) & (firms.capacity > 0)
    ok &= firms.sector != SECTORS.index("export_employer")
    if county >= 0:
        ok &= firms.county == county
    return np.flatnonzero(ok)


def progress(model) -> None:
    """Dropouts, completions, ordered hires, referrals and the month's costs."""
    p, pop, rng = model.p, model.pop, model.rng
    t, b = p.levers.training, p.behaviour.training
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
    pop.skill[done] = 2
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
    _measure_placement(model)


def referrals(model) -> np.ndarray:
    """Graduates the institutions refer to employers in their trade this month."""
    p, pop = model.p, model.pop
    window = p.behaviour.training.placement_window_months
    recent = (model.month - pop.graduated_month) <= window
    idle = np.flatnonzero(recent & (pop.channel == Channel.NONE) & model.able)
    referred = idle[model.rng.random(len(idle)) < placement_effort(p)]
    pop.priority[referred] = True
    return referred


def _measure_placement(model) -> None:
    """Placement = in market work (not a public post) some months after completion."""
    p, pop = model.p, model.pop
    lag = p.behaviour.training.placement_measured_after_months
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


def seats_per_cohort(model, institution_share: float) -> int:
    t = model.p.levers.training
    expected = t.mid_term_seats_per_year * institution_share * model.scale * t.duration_months / 12.0
    return int(stochastic_round(expected, model.rng))


def short_courses(model) -> None:
    """Short practical courses lift unskilled working-age adults to basic skill."""
    p, pop, rng = model.p, model.pop, model.rng
    places = int(stochastic_round(p.levers.training.short_course_places_per_year * model.scale / 12.0, rng))
    if places == 0:
        return
    pool = np.flatnonzero(model.able & (pop.skill == 0) & (pop.age < p.population.overage_age_years))
    chosen = rng.choice(pool, size=min(places, len(pool)), replace=False) if len(pool) else pool
    pop.skill[chosen] = 1
    model.ledger.add("training", float(pop.weight[chosen].sum()) * p.behaviour.training.short_course_cost_yuan)
