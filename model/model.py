"""EmploymentModel: the wiring and the order of a month.

One step is one month, in this order (docs/ODD.md, "Process overview"):

1. people age, fall ill or recover; capacity declines with age;
2. firms lose jobs to destruction and shocks (lay-offs), parks add jobs;
3. separations and migrant returns; public-post terms end;
4. training: dropouts, completions, firm-ordered hires; short courses;
5. job search: institution referrals, then local matching, job fairs and the
   export base, migrant work, start-ups;
6. villages fill vacant public posts;
7. monitoring detects and responds (dynamic clearing: job push, training
   offer, public post);
8. training institutions take their month's intake into the seats left;
9. income, flags and fiscal costs are recorded.
"""

from __future__ import annotations

import datetime as _dt
from functools import partial
from typing import Any

import mesa
from mesa.agent import AgentSet
import numpy as np

from . import outcomes
from .arrays import bernoulli_positions
from .agents import Firm, Household, TrainingInstitution, Village
from .labour_market import LabourMarket, build_firms
from .kernels import households as household_kernels
from .kernels import people as people_kernels
from .population import (
    EMPLOYED_BITS, EMPLOYED_BY_CHANNEL, ON_POST_BITS, Capacity, Channel, build_population, county_people,
    is_employed, is_on_post, working_age_capacity,
)
from .policies import export, monitoring, parks, public_posts, training
from .scenario import LoadedScenario, as_scenario
from .schema import CAPACITIES, TRADES


def _reporter(model: EmploymentModel, column: str) -> float:
    """DataCollector reporter: a column of the month's row."""
    return model.month_row[column]


class EmploymentModel(mesa.Model):
    """Stable employment of Baoji's poverty-alleviated under a scenario's levers.

    ``EmploymentModel(scenario, rng=SEED)``: ``scenario`` is a path, a
    :class:`~model.scenario.LoadedScenario` or ``None`` for the Baoji baseline.
    ``scale`` overrides ``run.scale``; ``overrides`` are dotted key paths.
    """

    def __init__(
        self,
        scenario: Any = None,
        *,
        rng: int | None = None,
        scale: float | None = None,
        overrides: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(rng=rng)
        # not `self.scenario`: Mesa 3.5's Model reserves that name
        self.spec: LoadedScenario = as_scenario(scenario, overrides)
        self.p = self.spec.params
        self.month = 0
        self.month_row: dict[str, float] = {}
        self.ledger = outcomes.Ledger()
        self.stats = {k: 0.0 for k in ("graduates", "graduates_measured", "graduates_placed", "export_placements")}
        requested = self.p.run.scale if scale is None else float(scale)
        if not 0 < requested <= 1:
            raise ValueError(f"scale must lie in (0, 1], not {requested}")

        self.pop = build_population(self.p, requested, self.rng)
        self._age0_order = people_kernels.age_order(self.pop.age)
        self._age0_sorted = self.pop.age[self._age0_order]
        self.scale = self.pop.n_people / float(self.pop.weight.sum())
        self.hh_weight = self.pop.hh_weight
        people = county_people(self.p)
        self.county_people_share = people / people.sum()
        self.firms = build_firms(self.p, self.pop, requested)
        self.market = LabourMarket(self)
        n_v = len(self.pop.village_x)
        self.post_draw_village = self.rng.random((2, n_v))
        self.post_draw_county = self.rng.random((2, len(self.pop.county_x)))
        self.monitor_draw_village = self.rng.random(n_v)
        self.flagged_month = np.full(self.pop.n_households, -1, np.int32)
        self.served = np.zeros(self.pop.n_households, bool)  # helped in this spell
        self.awaiting_clearance = np.zeros(self.pop.n_households, bool)  # found at zero, not yet cleared
        self.pushed_member = np.full(self.pop.n_households, -1, np.int64)  # member given a job push
        self.clearing = outcomes.ClearingRecord(self.pop.n_households, self.hh_weight, self.p.run.warmup_months)
        self._touched: list[np.ndarray] = []  # people whose state changed since the last flag update

        self.villages = [Village(self, v) for v in range(n_v)]
        self.firm_agents = [Firm(self, f) for f in range(self.firms.n)]
        self.institutions = self._institutions()
        self.training_seats = np.array([training.seats_held(self, i.seat_share) for i in self.institutions])
        # the agents that act each month, stepped through an AgentSet
        self.acting_agents = AgentSet(self.institutions, random=self.random)
        self._households_registered = False  # see agents_by_type
        self.training_pool = np.zeros(0, np.int64)  # set each month (training.eligible_pool)
        self.intake_pool = self.training_pool  # those of it available for the intake (training.available_for_intake)
        self.in_training_pool = np.zeros(self.pop.n_people, bool)
        self.training_free_seats = self.training_seats.copy()
        self.seats_for_monitoring = np.zeros_like(self.training_seats)  # set each month (training.split_free_seats)

        self._initialise_employment()
        # the one record of the monthly series (timeseries() reads it)
        self.datacollector = mesa.DataCollector(
            model_reporters={c: partial(_reporter, column=c) for c in outcomes.columns()}
        )

    # ----------------------------------------------------------- set-up
    def _institutions(self) -> list[TrainingInstitution]:
        b = self.p.behaviour.training
        college = [TRADES.index(t) for t in b.college_trades]
        centre = [TRADES.index(t) for t in b.county_centre_trades]
        out = [TrainingInstitution(self, 0, -1, college, b.college_seat_share)]
        for c, share in enumerate(self.county_people_share):
            out.append(TrainingInstitution(self, c + 1, c, centre, (1 - b.college_seat_share) * share))
        return out

    def _initialise_employment(self) -> None:
        """Month-0 state: initial migrants, jobs filled by matching, posts filled."""
        pop, lm = self.pop, self.p.labour_market
        self.able = self._able()
        fit = self.able & (pop.capacity == Capacity.FULL) & (pop.age <= lm.migrant_age_max_years)
        migrants = np.flatnonzero(fit)
        migrants = migrants[self.rng.random(len(migrants)) < self.p.population.initial_migrant_share]
        if len(migrants) > (room := self.market.migrant_vacancies()):  # the demand is finite from month 0
            migrants = self.rng.choice(migrants, room, replace=False)
        self.market.start_work(migrants, Channel.MIGRANT)
        idle = np.flatnonzero(self.able & (pop.channel == Channel.NONE))
        self.market.match(idle, rounds=lm.initial_matching_rounds)
        self.update_household_flags(income=True)
        public_posts.fill(self)
        self.update_household_flags(income=True)
        self.ledger.close()

    # ----------------------------------------------------------- agents
    def _register_households(self) -> None:
        """Create the ~210,000 Household agents, in one bulk step, the first
        time anyone asks for the model's agents.

        Households have no ``step`` (their state is the model's arrays), and a
        run never reads them, so a sweep never pays for creating them; the
        dashboard, notebooks and agent reporters see them as usual.
        """
        if not self._households_registered:
            self._households_registered = True
            Household.create_agents(self, self.pop.n_households, index=list(range(self.pop.n_households)))

    @property
    def agents(self):
        self._register_households()
        return super().agents

    @property
    def agents_by_type(self):
        self._register_households()
        return super().agents_by_type

    @property
    def households(self):
        """The Household agents (created on first access)."""
        return self.agents_by_type[Household]

    # ---------------------------------------------------------- helpers
    def _able(self, people: np.ndarray | slice = slice(None)) -> np.ndarray:
        pop = self.p.population
        return self.pop.able(pop.working_age_min_years, pop.labour_exit_age_years, people)

    def _available(self, people: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Able to work in the sense of the zero-employment definition.

        Of working age and available: over-age labour may work but does not
        make a household zero-employment, and a trainee is in a measure (the
        case lists training among the clearing measures).
        """
        pop = self.pop
        return self.able[people] & (pop.capacity[people] != Capacity.OVER_AGE) & (pop.channel[people] != Channel.TRAINING)

    def update_household_flags(self, income: bool = False) -> None:
        """Recount zero-employment flags over all households (and, with
        ``income``, income per head and the monitoring line)."""
        pop = self.pop
        self._touched = []
        self.zero_employment_hh = np.zeros(pop.n_households, bool)
        people_kernels.zero_employment_all(
            pop.hh, self.able, pop.capacity, pop.channel, EMPLOYED_BY_CHANNEL, self.zero_employment_hh
        )
        if income:
            self.update_income()

    def update_income(self) -> None:
        """Each person's income, income per head of every household, and the
        monitoring-line flags; and the month-end tally (``self.tally``) that
        the month's row and costs read.  One pass over the households
        (:func:`model.kernels.households.month_end`)."""
        pop, inc = self.pop, self.p.income
        # new arrays each month, as before: a reader may keep last month's
        pop.income = np.empty(pop.n_people)
        self.income_per_head = np.zeros(pop.n_households)  # the pass adds up each household's income here
        self.below_line_hh = np.empty(pop.n_households, bool)
        table, channel_trade = outcomes.income_table(self)
        sums = household_kernels.month_end(
            pop.hh, pop.hh_size, pop.channel, pop.skill, pop.trade, pop.age, pop.weight, self.hh_weight,
            self.able, self.zero_employment_hh, self.awaiting_clearance, pop.followed_up, table, channel_trade,
            float(inc.transfer_yuan_per_person_month), float(inc.pension_yuan_per_month), float(inc.pension_age_years),
            float(inc.farm_income_yuan_per_household_month),
            self.p.levers.monitoring.monitoring_line_yuan_per_head_year / 12.0,
            pop.income, self.income_per_head, self.below_line_hh,
        )
        self.tally = outcomes.MonthTally(*sums)

    def touch(self, people: np.ndarray) -> None:
        """Note people whose work or availability changed (their household flags are stale)."""
        self._touched.append(np.asarray(people))

    def refresh_touched(self) -> None:
        """Bring the zero-employment flags of touched households up to date."""
        if self._touched:
            people = np.concatenate(self._touched) if len(self._touched) > 1 else self._touched[0]
            self._touched = []
            self.refresh_zero_employment(people=people)

    def refresh_zero_employment(self, households: np.ndarray | None = None, people: np.ndarray | None = None) -> None:
        """Recompute the zero-employment flag of a few households only (given
        as ``households``, or as ``people``: their households)."""
        pop = self.pop
        if people is None:
            people = pop.hh_start[np.asarray(households, np.int64)]
        people_kernels.zero_employment_of(
            np.asarray(people, np.int64), pop.hh, pop.hh_start, pop.hh_size, self.able, pop.capacity, pop.channel,
            EMPLOYED_BY_CHANNEL, self.zero_employment_hh,
        )

    def _months_since_year_0(self) -> int:
        start = _dt.date.fromisoformat(self.p.run.start + "-01")
        return start.year * 12 + start.month - 1 + self.month

    def date_label(self) -> str:
        months = self._months_since_year_0()
        return f"{months // 12:04d}-{months % 12 + 1:02d}"

    def calendar_month(self) -> int:
        """This month's calendar month, 1 (January) to 12."""
        return self._months_since_year_0() % 12 + 1

    # ------------------------------------------------------------ month
    def _crossing(self, threshold: float) -> np.ndarray:
        """People whose age passes ``threshold`` during this month.

        Everyone ages alike, so the order by age never changes: the people
        crossing a threshold are a slice of the month-0 age order.
        """
        lo = threshold - (self.month + 1) / 12.0
        hi = threshold - self.month / 12.0
        i, j = np.searchsorted(self._age0_sorted, [lo, hi], side="left")
        return self._age0_order[i:j]

    def _people_month(self) -> None:
        """Ageing, capacity decline, illness; tenure and unemployment spells.

        Two passes over the people (:mod:`model.kernels.people`): ageing, and
        at the end tenure, ability and spells; the second also finds the post
        terms that are up and the trainees, for the rules that act on them
        later this month.
        """
        pop, p, rng = self.pop, self.p.population, self.rng
        turned_adult = self._crossing(p.working_age_min_years)
        gone_over_age = self._crossing(p.overage_age_years)
        exit_ = self._crossing(p.labour_exit_age_years)
        ill = people_kernels.age_and_find_ill(pop.age, pop.ill, 1.0 / 12.0)
        pop.capacity[turned_adult] = working_age_capacity(p, len(turned_adult), rng)
        gone_over_age = gone_over_age[pop.capacity[gone_over_age] < Capacity.NONE]
        pop.capacity[gone_over_age] = Capacity.OVER_AGE
        pop.capacity[exit_] = Capacity.NONE
        for changed in (turned_adult, gone_over_age, exit_):
            self.touch(changed)
        self.market.release(exit_[is_employed(pop.channel[exit_]) | (pop.channel[exit_] == Channel.TRAINING)])
        # capacity declines with age: Bernoulli draws only where they can land
        first_old = np.searchsorted(self._age0_sorted, p.capacity_decline_age_years - (self.month + 1) / 12.0)
        older = self._age0_order[first_old:]
        decline = older[bernoulli_positions(len(older), p.capacity_decline_rate_per_year / 12.0, rng)]
        decline = decline[pop.capacity[decline] <= Capacity.HALF]
        pop.capacity[decline] += 1
        # illness: onset among the able, recovery among the ill (those ill before and the new)
        sick = bernoulli_positions(pop.n_people, self.p.uncertainties.illness_rate, rng)
        sick = sick[self._able(sick)]
        pop.ill[sick] = True
        self.touch(sick)
        self.market.release(sick[pop.channel[sick] != Channel.NONE])
        ill = np.concatenate([ill, sick])
        recovered = ill[rng.random(len(ill)) < self.p.labour_market.illness_recovery_rate]
        pop.ill[recovered] = False
        self.touch(recovered)
        self._post_terms_due, self._trainees = people_kernels.spells_and_ability(
            pop.capacity, pop.ill, pop.age, pop.channel, pop.tenure, pop.unemployed_months, self.able,
            EMPLOYED_BITS, ON_POST_BITS, p.working_age_min_years, p.labour_exit_age_years,
            self.p.levers.public_posts.max_term_months,
        )

    def _selections(self) -> tuple[np.ndarray, ...]:
        """The month's selections, in one pass after training's completions
        (:func:`model.kernels.people.selections`): short-course pool,
        training pool (and ``in_training_pool``), who may search, graduates
        who may be referred, the cohort whose placement is measured."""
        pop, t, b = self.pop, self.p.levers.training, self.p.behaviour.training
        short_pool = np.empty(pop.n_people, bool)
        may_search = np.empty(pop.n_people, bool)
        graduates, cohort = people_kernels.selections(
            self.able, pop.channel, pop.capacity, pop.age, pop.skill, pop.graduated_month, self.in_training_pool,
            short_pool, may_search, ON_POST_BITS, self.month, float(self.p.population.overage_age_years),
            float(t.age_min), float(t.age_max), b.placement_window_months, b.placement_measured_after_months,
        )
        pool = np.flatnonzero(self.in_training_pool)
        return np.flatnonzero(short_pool), pool, np.flatnonzero(may_search), graduates, cohort

    def step(self) -> None:
        """Advance one month."""
        self._people_month()
        self.market.update_capacity()
        parks.grow(self)
        self.market.separate()
        public_posts.expire_terms(self, self._post_terms_due)  # found by _people_month's pass
        training.progress(self, self._trainees)
        short_pool, self.training_pool, may_search, graduates, cohort = self._selections()
        training.measure_placement(self, cohort)
        training.short_courses(self, short_pool)

        seekers = self.market.seekers(self.able, may_search)
        self.market.match(training.referrals(self, graduates), rounds=1, directed=True)
        self.market.match(seekers, rounds=self.p.labour_market.search_rounds_per_month)
        export.recruit(self, seekers)
        self.market.find_migrant_work(seekers)
        parks.start_businesses(self, seekers)

        self.refresh_touched()
        public_posts.fill(self)
        # nobody enrols before the intake, so the month's trainees (found by
        # _people_month's pass) hold every seat taken
        self.training_free_seats, self.seats_for_monitoring = training.split_free_seats(self, self._trainees)
        self.intake_pool = training.available_for_intake(self)
        self.acting_agents.do("step")  # the general intake, before detection: a household it leaves at zero is found this month
        self.refresh_touched()
        monitoring.detect(self)  # the income test reads last month's incomes
        monitoring.respond(self)
        self.refresh_touched()  # flags stay exact through the month (tested against a full recount)
        self.update_income()

        public_posts.pay(self)
        export.follow_up_cost(self)
        self.month_row = outcomes.record(self)
        self.datacollector.collect(self)
        self.month += 1

    def run(self, months: int | None = None) -> None:
        for _ in range(self.p.run.months if months is None else months):
            self.step()

    # ---------------------------------------------------------- results
    @property
    def rows(self) -> list[dict[str, float]]:
        """The monthly rows recorded so far (from the DataCollector)."""
        series = self.datacollector.model_vars
        return [dict(zip(series, values)) for values in zip(*series.values())]

    def timeseries(self):
        """The monthly rows as a pandas DataFrame (one row per month)."""
        return self.datacollector.get_model_vars_dataframe().reset_index(drop=True)

    def metrics(self) -> dict[str, float]:
        households = (self.pop.n_households, float(self.hh_weight.sum()))
        return outcomes.run_metrics(self.rows, self.p.run.warmup_months, self.stats, self.clearing, households)

    def county_table(self):
        """Employment, zero-employment households and posts by county (full-scale equivalents)."""
        import pandas as pd

        pop = self.pop
        w = pop.weight
        n_c = len(pop.county_x)
        emp = np.bincount(pop.county, weights=w * is_employed(pop.channel), minlength=n_c)
        able = np.bincount(pop.county, weights=w * self.able, minlength=n_c)
        hh_c = pop.village_county[pop.hh_village]
        zero = np.bincount(hh_c, weights=self.hh_weight * self.zero_employment_hh, minlength=n_c)
        posts = np.bincount(pop.county, weights=w * is_on_post(pop.channel), minlength=n_c)
        return pd.DataFrame(
            {
                "county": [c.name for c in self.p.population.counties],
                "employed": emp,
                "able_to_work": able,
                "employment_rate": np.divide(emp, able, out=np.zeros(n_c), where=able > 0),
                "zero_employment_households": zero,
                "on_public_posts": posts,
            }
        )


__all__ = ["EmploymentModel", "CAPACITIES"]
