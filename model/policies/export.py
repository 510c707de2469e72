"""Moving labour out (输出转移): the Jiangsu base, job fairs and follow-up.

The case: a labour-export base in Jiangsu; the Spring Breeze Action job fairs,
online and offline; follow-up services after placement.

Rules:

* **Placements.**  The base places at most ``placements_per_year / 12``
  people a month (at the model's scale, times the departure disruption's
  ``factor`` while it lasts) with its
  employers: idle full labour within the export age window, each willing
  with probability ``willingness``.  Job-fair sign-ups count against the same
  quota, so that export stays at the case's scale (2,558 placed, cumulative).
* **Job fairs.**  The Spring Breeze Action (春风行动) holds a share
  ``spring_breeze_share_of_fairs`` of the year's fairs in
  ``spring_breeze_months``; the rest are spread over the other months.  With
  *n* fairs this month a seeker attends with probability
  ``1 - (1 - job_fair_reach) ** n``.  Attendees get one more round of local
  matching, and the willing among them sign with the Jiangsu employers first.
* **Follow-up.**  With ``follow_up`` on, exported workers separate
  ``follow_up_separation_reduction`` less often, at a cost per worker-month.
"""

from __future__ import annotations

import numpy as np

from ..arrays import bernoulli_positions, first_k_per_group, stochastic_round
from ..kernels import people as people_kernels
from ..population import Channel, Skill
from ..schema import SECTORS

EXPORT_SECTOR = SECTORS.index("export_employer")


def _willing(model, people: np.ndarray) -> np.ndarray:
    pop, b = model.pop, model.p.behaviour.export
    people = people_kernels.idle_full_labour(
        np.asarray(people, np.int64), pop.channel, pop.capacity, pop.age, pop.skill,
        float(b.age_min_years), float(b.age_max_years), int(Skill.UNSKILLED),
    )
    return people[model.rng.random(len(people)) < b.willingness]


def place(model, people: np.ndarray, limit: int | None = None) -> np.ndarray:
    """Place people with the Jiangsu employers, up to their vacancies (and ``limit``)."""
    if len(people) == 0:
        return people
    firms = np.flatnonzero(model.firms.sector == EXPORT_SECTOR)
    vac = model.market.vacancies()
    room = int(vac[firms].sum())
    n = min(len(people), room if limit is None else min(room, limit))
    if n <= 0:
        return people[:0]
    chosen = model.rng.choice(people, size=n, replace=False)
    # spread over employers in proportion to their vacancies
    firm = model.rng.choice(firms, size=n, p=vac[firms] / room)
    take = first_k_per_group(firm, model.rng.random(n), vac)
    chosen, firm = chosen[take], firm[take]
    model.market.hire(chosen, firm)
    model.pop.followed_up[chosen] = model.p.levers.export.follow_up
    model.ledger.add("export", float(model.pop.weight[chosen].sum()) * model.p.levers.export.subsidy_yuan_per_placement)
    model.stats["export_placements"] += float(model.pop.weight[chosen].sum())
    return chosen


def fairs_this_month(model) -> float:
    """Expected fairs this month under the Spring Breeze calendar."""
    e = model.p.levers.export
    months = set(e.spring_breeze_months)
    if model.calendar_month() in months:
        return e.job_fairs_per_year * e.spring_breeze_share_of_fairs / len(months)
    rest = 12 - len(months)
    return e.job_fairs_per_year * (1.0 - e.spring_breeze_share_of_fairs) / rest if rest else 0.0


def disruption_factor(model) -> float:
    """Departures relative to normal under the departure disruption (COVID-19 in Feb-Apr 2020); 1 outside it."""
    d = model.p.uncertainties.departure_disruption
    return d.factor if d.start_month <= model.month < d.start_month + d.duration_months else 1.0


def monthly_quota(model) -> int:
    """Placements the base can make this month (at the model's scale): a
    twelfth of the year's, so that ``placements_per_year`` is what a normal
    year places at most."""
    per_month = model.p.levers.export.placements_per_year * model.scale / 12.0
    return int(stochastic_round(per_month * disruption_factor(model), model.rng))


def recruit(model, seekers: np.ndarray) -> None:
    """This month's fairs, then the base's own placements, within one quota."""
    b = model.p.behaviour.export
    quota = monthly_quota(model)
    fairs = int(stochastic_round(fairs_this_month(model), model.rng))
    model.ledger.add("export", fairs * b.job_fair_cost_yuan)
    if fairs:
        reach = 1.0 - (1.0 - b.job_fair_reach) ** fairs
        idle = seekers[model.pop.channel[seekers] == Channel.NONE]
        attendees = idle[bernoulli_positions(len(idle), reach, model.rng)]
        quota -= len(place(model, _willing(model, attendees), limit=quota))
        model.market.match(attendees, rounds=1)
    if quota > 0:
        place(model, _willing(model, seekers), limit=quota)


def follow_up_cost(model) -> None:
    """The month's follow-up of export workers (counted by the month-end pass,
    :meth:`~model.model.EmploymentModel.update_income`)."""
    cost = model.tally.followed_export * model.p.behaviour.export.follow_up_cost_yuan_per_worker_month
    model.ledger.add("export", float(cost))
