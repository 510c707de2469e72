"""The labour market: firm capacity, separations, job search and matching.

Rules, all vectorised over people:

* **Capacity.**  Each firm has jobs open to the poverty-alleviated.  Job
  destruction erodes them (``uncertainties.job_destruction_rate``); a demand
  shock removes a share of them in the affected sectors while it lasts, less
  what the retention subsidy (援企稳岗, :mod:`model.policies.parks`) saves.  Workers above capacity are laid
  off at random.
* **Separations.**  Each month an employed person leaves with probability
  ``separation_rate x sector multiplier``; followed-up export workers
  separate less.  Migrants return home at ``migrant_return_rate``, rising by
  ``migrant_return_increase_per_year_of_age`` for each year of age over
  ``migrant_return_age_ref_years``, plus ``spring_festival_return_rate`` in
  the Spring Festival months.
* **Matching** (one documented rule, repeated ``search_rounds_per_month``
  times).  Local jobs are pooled by (county, sector).  A seeker in village
  *v* applies to one pool with probability proportional to
  ``vacancies x exp(-distance(v, county seat)/commute_scale)``, over pools
  within ``max_commute_km`` whose sector admits the seeker's capacity and
  skill (village-based sectors and home work only in the seeker's own
  county), then to a firm of that pool in proportion to its vacancies.  Each
  firm takes its best applicants up to its vacancies, ranked by
  ``skill + trade_match_bonus [trade fits] + priority_bonus [referred] +
  score_noise x U(0,1)``, where a certificate counts only in its own trade
  (elsewhere its holder has basic skill); it rejects applicants over the
  sector's age limit.
* **Migrant work** (外出务工) is found outside the model's firms by idle full
  labour up to ``migrant_age_max_years``, at ``migrant_job_finding_rate``
  (times ``departure_peak_multiplier`` in the months after the Spring
  Festival, and times the departure disruption's ``factor`` while it lasts),
  but only into the jobs left of a finite demand, ``migrant_demand_jobs``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrays import bernoulli_positions, sample_per_group
from .kernels import matching as kernels
from .kernels import people as people_kernels
from .policies import export, parks
from .kernels import posts as posts_kernels
from .population import (
    COUNTY_POST_BY_CHANNEL, ON_POST_BY_CHANNEL, SECTOR_CHANNELS, Capacity, Channel, Population, Skill, county_people,
    is_on_post,
)
from .schema import SECTORS, TRADES, Scenario

N_SECTORS = len(SECTORS)
N_SKILLS = len(Skill)
EXPORT = SECTORS.index("export_employer")


@dataclass
class Firms:
    """Firm state as arrays; :class:`~model.agents.Firm` agents are handles."""

    sector: np.ndarray
    county: np.ndarray  # -1 for Jiangsu
    capacity: np.ndarray  # jobs open to the poverty-alleviated (before any shock)
    pool: np.ndarray  # county * N_SECTORS + sector; export firms: a pool of their own
    growth_share: np.ndarray  # share of its sector's added jobs this firm receives
    shock_factor: np.ndarray  # 1 - share of capacity removed by a shock now
    shocked: np.ndarray  # in a sector a demand shock hits this month

    @property
    def n(self) -> int:
        return len(self.sector)

    def effective_capacity(self) -> np.ndarray:
        return self.capacity * self.shock_factor


def build_firms(p: Scenario, pop: Population, scale: float) -> Firms:
    """Allocate each sector's establishments and jobs over the counties.

    Counties get jobs in proportion to their poverty-alleviated people times
    the sector's ``district_weight`` in districts; at ``scale`` < 1 a county
    keeps at least one establishment and jobs in proportion to its sampled
    share.
    """
    people = county_people(p)
    n_c = len(people)
    sectors, counties, caps, growth = [], [], [], []
    for s, name in enumerate(SECTORS):
        spec = getattr(p.sectors, name)
        if spec.establishments == 0:
            continue
        if name == "export_employer":
            n = max(1, int(round(spec.establishments * scale)))
            sectors += [s] * n
            counties += [-1] * n
            caps += [spec.initial_jobs * scale / n] * n
            growth += [0.0] * n
            continue
        w = people * np.where(pop.county_is_district, spec.district_weight, 1.0)
        share = w / w.sum()
        for c in range(n_c):
            n = max(1, int(round(spec.establishments * share[c] * scale)))
            sampled_share = 1.0 / pop.county_weight[c]
            sectors += [s] * n
            counties += [c] * n
            caps += [spec.initial_jobs * share[c] * sampled_share / n] * n
            growth += [share[c] * sampled_share / n] * n
    sector = np.array(sectors, np.int16)
    county = np.array(counties, np.int32)
    pool = np.where(county >= 0, county * N_SECTORS + sector, n_c * N_SECTORS + EXPORT)
    return Firms(
        sector=sector,
        county=county,
        capacity=np.array(caps, float),
        pool=pool.astype(np.int64),
        growth_share=np.array(growth, float),
        shock_factor=np.ones(len(sector)),
        shocked=np.zeros(len(sector), bool),
    )


class LabourMarket:
    """Precomputed geometry and the market rules for one model."""

    def __init__(self, model) -> None:
        self.model = model
        p: Scenario = model.p
        pop: Population = model.pop
        firms: Firms = model.firms
        lm = p.labour_market
        n_c = len(pop.county_x)
        self.n_pools = (n_c + 1) * N_SECTORS
        specs = [getattr(p.sectors, s) for s in SECTORS]
        self.sector_trade = np.array([TRADES.index(s.trade) for s in specs])
        self.sector_age_max = np.array([s.age_max_years for s in specs], float)
        self.sector_wage = np.array([s.wage_yuan_per_month for s in specs], float)
        self.sector_sep = np.array([s.separation_multiplier for s in specs], float)
        # a course in a trade takes only the capacities some sector in that
        # trade hires (the export base places people; it does not hire by trade)
        self.trade_admits = np.zeros((len(TRADES), len(Capacity)), bool)
        for spec in specs:
            if spec.location != "jiangsu":
                for cap in spec.eligible_capacities:
                    self.trade_admits[TRADES.index(spec.trade), Capacity[cap.upper()]] = True
        # eligibility by (capacity, skill) group and pool
        elig_sector = np.zeros((len(Capacity) * N_SKILLS, N_SECTORS))
        for s, spec in enumerate(specs):
            for cap in spec.eligible_capacities:
                c = Capacity[cap.upper()]
                for skill in Skill:
                    if skill >= Skill[spec.min_skill.upper()]:
                        elig_sector[c * N_SKILLS + skill, s] = 1.0
        elig = np.tile(elig_sector, (1, n_c + 1))
        # groups with the same eligible sectors form one pattern (fewer rows to weigh)
        patterns, self.group_pattern = np.unique(elig, axis=0, return_inverse=True)
        self.group_pattern = self.group_pattern.ravel()
        self.pattern_elig = patterns
        # distance from each village to each county seat
        dx = pop.village_x[:, None] - pop.county_x[None, :]
        dy = pop.village_y[:, None] - pop.county_y[None, :]
        dist = np.hypot(dx, dy)
        reach = np.exp(-dist / lm.commute_scale_km) * (dist <= lm.max_commute_km)
        base = np.zeros((len(pop.village_x), self.n_pools))
        own = pop.village_county[:, None] == np.arange(n_c)[None, :]
        for s, spec in enumerate(specs):
            if s == EXPORT:
                continue
            w = reach if spec.location == "county_seat" else reach * own
            if spec.location == "home":
                w = own.astype(float)
            base[:, np.arange(n_c) * N_SECTORS + s] = w
        self.base = base
        # the same, sparse: the pools each village reaches (for the matching kernels)
        self.village_pool_start = np.r_[0, np.cumsum((base > 0).sum(axis=1))].astype(np.int64)
        self.village_pool = np.nonzero(base > 0)[1].astype(np.int64)
        self.village_pool_base = base[base > 0]
        self.reachable_pools = np.flatnonzero((base > 0).any(axis=0))
        self.pool_trade = np.tile(self.sector_trade, n_c + 1)
        # everyone ages alike, so the oldest stays the oldest (separate's thinning)
        self.oldest = np.argmax(pop.age, keepdims=True) if pop.n_people else np.zeros(1, np.int64)
        self.firm_order = np.argsort(firms.pool, kind="stable")
        self.pool_first = np.searchsorted(firms.pool[self.firm_order], np.arange(self.n_pools + 1)).astype(np.int64)
        self.recount()

    # ------------------------------------------------------------ state
    def recount(self) -> None:
        """Recount each firm's workers and the posts held from the people
        (hire, release and start_work keep both current)."""
        pop = self.model.pop
        f = pop.firm
        self._filled = np.bincount(f[f >= 0], minlength=self.model.firms.n)
        self._posts_held = posts_kernels.holders_by_place(
            pop.channel, pop.village, pop.county, ON_POST_BY_CHANNEL, COUNTY_POST_BY_CHANNEL,
            max(len(pop.village_x), len(pop.county_x)),
        )

    def filled(self) -> np.ndarray:
        return self._filled

    def posts_held(self) -> np.ndarray:
        """Public posts held, ``[channel, place]``: the place is the holder's
        village, or county for posts that counties hold."""
        return self._posts_held

    def vacancies(self) -> np.ndarray:
        cap = np.rint(self.model.firms.effective_capacity()).astype(np.int64)
        return np.maximum(0, cap - self.filled())

    def _leave_posts(self, people: np.ndarray) -> None:
        """Take those of ``people`` who hold a post off the count of posts held."""
        pop = self.model.pop
        channel = pop.channel[people]
        on = ON_POST_BY_CHANNEL[channel]
        if on.any():
            who, channel = people[on], channel[on]
            place = np.where(COUNTY_POST_BY_CHANNEL[channel], pop.county[who], pop.village[who])
            np.subtract.at(self._posts_held, (channel, place), 1)

    def hire(self, people: np.ndarray, firm: np.ndarray) -> None:
        pop = self.model.pop
        sector = self.model.firms.sector[firm]
        self.release(people[pop.firm[people] >= 0])
        self._leave_posts(people)
        self.model.touch(people)
        pop.channel[people] = SECTOR_CHANNELS[sector]
        pop.firm[people] = firm
        np.add.at(self._filled, firm, 1)
        pop.tenure[people] = 0
        pop.unemployed_months[people] = 0
        pop.priority[people] = False
        pop.followed_up[people] = False

    def release(self, people: np.ndarray) -> None:
        """End whatever job (or post) these people hold."""
        pop = self.model.pop
        firm = pop.firm[people]
        np.subtract.at(self._filled, firm[firm >= 0], 1)
        self._leave_posts(people)
        self.model.touch(people)
        pop.channel[people] = Channel.NONE
        pop.firm[people] = -1
        pop.tenure[people] = 0
        pop.followed_up[people] = False

    # ------------------------------------------------------------ rules
    def update_capacity(self) -> None:
        """Job destruction and demand shocks (one month); lays off any excess.

        Park growth is a lever and lives in :mod:`model.policies.parks`.
        """
        m = self.model
        p, firms, month = m.p, m.firms, m.month
        firms.capacity *= 1.0 - p.uncertainties.job_destruction_rate / 12.0
        shock = p.uncertainties.demand_shock
        active = shock.start_month <= month < shock.start_month + shock.duration_months
        firms.shocked[:] = bool(active and shock.size > 0) & np.isin(firms.sector, [SECTORS.index(s) for s in shock.sectors])
        firms.shock_factor[:] = 1.0
        firms.shock_factor[firms.shocked] = 1.0 - shock.size * (1.0 - parks.retention_saved_share(p))
        self._lay_off_excess()

    def _lay_off_excess(self) -> None:
        pop, rng = self.model.pop, self.model.rng
        cap = np.rint(self.model.firms.effective_capacity()).astype(np.int64)
        excess = np.maximum(0, self.filled() - cap)
        if not excess.any():
            return
        workers = people_kernels.people_of_flagged_firms(pop.firm, excess > 0)
        chosen = workers[sample_per_group(pop.firm[workers], excess, rng)]
        self.release(chosen)

    def separate(self) -> None:
        """Quits, dismissals and migrant returns (one month).

        Each person in market work leaves with their hazard: the sector's
        rate, the migrant return hazard of :meth:`migrant_return_probability`,
        less the follow-up reduction.  Drawn by thinning: candidates at the
        highest hazard anyone can have (the oldest person's as a migrant, or
        the highest sector rate), each kept with probability hazard / highest,
        so only a few per cent of the people are drawn for.
        """
        m = self.model
        p, pop, rng = m.p, m.pop, m.rng
        u = p.uncertainties
        lm = p.labour_market
        rate = np.zeros(len(Channel))
        rate[SECTOR_CHANNELS] = u.separation_rate * self.sector_sep
        rate[Channel.SELF_EMPLOYED] = u.separation_rate * lm.self_employed_separation_multiplier
        p_max = min(1.0, max(rate.max(), float(self.migrant_return_probability(self.oldest)[0])))
        leaving = np.zeros(0, np.int64)
        if p_max > 0:
            candidates = bernoulli_positions(pop.n_people, p_max, rng)
            channel = pop.channel[candidates]
            prob = rate[channel]
            migrant = channel == Channel.MIGRANT
            prob[migrant] = self.migrant_return_probability(candidates[migrant])
            prob[pop.followed_up[candidates]] *= 1.0 - p.behaviour.export.follow_up_separation_reduction
            leaving = candidates[rng.random(len(candidates)) * p_max < prob]
        shock = u.migrant_return_shock
        if shock.share > 0 and m.month == shock.month:
            migrants = np.flatnonzero(pop.channel == Channel.MIGRANT)
            leaving = np.union1d(leaving, migrants[rng.random(len(migrants)) < shock.share])
        self.release(leaving)

    def migrant_return_probability(self, migrants: np.ndarray) -> np.ndarray:
        """This month's return hazard of each migrant: the base rate rising
        with age, plus the Spring Festival returns in their months."""
        m = self.model
        lm = m.p.labour_market
        over = np.maximum(0.0, m.pop.age[migrants] - lm.migrant_return_age_ref_years)
        rate = lm.migrant_return_rate * (1.0 + lm.migrant_return_increase_per_year_of_age * over)
        if m.calendar_month() in lm.spring_festival_months:
            rate = rate + lm.spring_festival_return_rate
        return np.minimum(rate, 1.0)

    def departure_factor(self) -> float:
        """Departures this month relative to normal: the post-festival peak and
        any disruption (COVID-19 in Feb-Apr 2020)."""
        m = self.model
        lm = m.p.labour_market
        peak = lm.departure_peak_multiplier if m.calendar_month() in lm.departure_peak_months else 1.0
        return peak * export.disruption_factor(m)

    def seekers(self, able: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
        """People searching this month: idle able people (by capacity), and full
        labour on public posts, who keep looking for market work (a post is a
        safety net, not a career; moving on frees the post).

        ``candidates``: the able people who are idle or full labour on a post,
        if already selected this month (the model's selection pass).
        """
        m = self.model
        pop = m.pop
        share = m.p.labour_market.search_share_by_capacity
        by_cap = np.array([share[c] for c in ("full", "half", "weak", "over_age")] + [0.0])
        if candidates is None:
            on_post = is_on_post(pop.channel)
            full_on_post = on_post & (pop.capacity == Capacity.FULL)
            candidates = np.flatnonzero(able & ((pop.channel == Channel.NONE) | full_on_post))
        candidates = np.asarray(candidates, np.int64)
        return people_kernels.searching(candidates, pop.capacity, pop.priority, by_cap, m.rng.random(len(candidates)))

    def match(self, seekers: np.ndarray, rounds: int, directed: bool = False) -> np.ndarray:
        """Run the matching rule; returns the people hired.

        Each round weighs the pools each seeker may apply to, sends the
        seekers to firms and lets each firm take its best applicants
        (compiled in :mod:`model.kernels.matching`); hired seekers leave
        the next round.
        """
        m = self.model
        pop, firms, rng, lm = m.pop, m.firms, m.rng, m.p.labour_market
        hired_all = []
        seekers = np.asarray(seekers, np.int64)
        row = key_of_row = None
        for _ in range(rounds):
            if len(seekers) == 0:
                break
            vac = self.vacancies()
            pool_vac = np.bincount(firms.pool, weights=vac, minlength=self.n_pools)
            if pool_vac[self.reachable_pools].sum() == 0:  # no seeker could apply anywhere
                break
            if row is None:
                row, key_of_row = kernels.seeker_rows(
                    seekers, pop.capacity, pop.skill, pop.trade, pop.village, self.group_pattern, N_SKILLS,
                    len(TRADES), len(pop.village_x), directed,
                )
            row_start, row_pool, row_cum = kernels.row_weights(
                key_of_row, len(TRADES), directed, self.village_pool_start, self.village_pool,
                self.village_pool_base, self.pattern_elig, self.pool_trade, pool_vac,
            )
            applying = np.count_nonzero((np.diff(row_start) > 0)[row])
            if applying == 0:
                break
            taken, firm = kernels.apply_and_take(
                seekers, row, row_start, row_pool, row_cum, rng.random((applying, 2)),
                self.firm_order, self.pool_first, vac, firms.sector, self.sector_trade,
                self.sector_age_max, pop.skill, pop.trade, pop.priority, pop.age,
                lm.trade_match_bonus, lm.priority_bonus, lm.score_noise,
            )
            hired = seekers[taken]
            self.hire(hired, firm)
            hired_all.append(hired)
            keep = np.ones(len(seekers), bool)
            keep[taken] = False
            seekers, row = seekers[keep], row[keep]
        return np.concatenate(hired_all) if hired_all else np.zeros(0, np.int64)

    def effective_skill(self, people: np.ndarray, in_trade: np.ndarray) -> np.ndarray:
        """Skill as an employer sees it: a certificate counts only in its own
        trade; elsewhere its holder has basic skill."""
        skill = self.model.pop.skill[people]
        return np.where(in_trade, skill, np.minimum(skill, Skill.BASIC))

    def migrant_vacancies(self) -> int:
        """Migrant jobs left of the finite demand (at the model's scale)."""
        m = self.model
        demand = m.p.labour_market.migrant_demand_jobs * m.scale
        return max(0, int(round(demand)) - int(people_kernels.count_channel(m.pop.channel, int(Channel.MIGRANT))))

    def find_migrant_work(self, seekers: np.ndarray) -> None:
        """Seekers still idle may find migrant work on their own, into the
        jobs left of the demand."""
        m = self.model
        pop, lm = m.pop, m.p.labour_market
        idle = people_kernels.idle_full_labour(
            np.asarray(seekers, np.int64), pop.channel, pop.capacity, pop.age, pop.skill,
            -np.inf, float(lm.migrant_age_max_years), int(Skill.UNSKILLED),
        )
        rate = min(1.0, lm.migrant_job_finding_rate * self.departure_factor())
        found = idle[bernoulli_positions(len(idle), rate, m.rng)]
        room = self.migrant_vacancies()
        if len(found) > room:
            found = m.rng.choice(found, size=room, replace=False)
        self.start_work(found, Channel.MIGRANT)

    def start_work(self, people: np.ndarray, channel: Channel) -> None:
        """Start non-firm work: migrant, self-employment or a public post."""
        pop = self.model.pop
        self.release(people[pop.firm[people] >= 0])
        self._leave_posts(people)
        self.model.touch(people)
        if ON_POST_BY_CHANNEL[channel] and len(people):
            place = pop.county[people] if COUNTY_POST_BY_CHANNEL[channel] else pop.village[people]
            np.add.at(self._posts_held[channel], place, 1)
        pop.channel[people] = channel
        pop.firm[people] = -1
        pop.tenure[people] = 0
        pop.unemployed_months[people] = 0
        pop.priority[people] = False
