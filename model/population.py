"""The synthetic population: counties -> villages -> households -> members.

The population is the poverty-alleviated (脱贫人口) of the scenario's counties.
People are spread over counties in proportion to their villages, with more per
village in the former national poverty counties (``poverty_county_weight``).

**Scale.** ``scale`` samples whole villages, stratified by county (at least
one per county), so that each sampled village keeps its full households and
its public posts.  Every person and household carries the weight
``villages in county / villages sampled``; outputs are weighted sums, i.e.
full-scale equivalents.

Members live in population-wide numpy arrays, contiguous by household; the
:class:`~model.agents.Household` agent is a handle on its rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from .arrays import as_bits, draw_categories
from .schema import CAPACITIES, SECTORS, SKILLS, Scenario


class Capacity(IntEnum):
    """Labour capacity; lower is stronger.  ``NONE`` cannot work."""

    FULL = 0
    HALF = 1
    WEAK = 2
    OVER_AGE = 3
    NONE = 4


class Skill(IntEnum):
    """Skill level: none, basic (a short course or experience), or a
    certificate in one trade (mid-term training)."""

    UNSKILLED = 0
    BASIC = 1
    CERTIFIED = 2


class Channel(IntEnum):
    """What a person does this month.  Every value from ``INDUSTRIAL_PARK`` to
    ``CLEARING_POST`` is employment."""

    NONE = 0
    INDUSTRIAL_PARK = 1
    AGRICULTURAL_PARK = 2
    VILLAGE_FACTORY = 3
    HOME_PIECEWORK = 4
    LOCAL_SERVICES = 5
    DOMESTIC_SERVICE = 6
    ECOMMERCE = 7
    EXPORT = 8
    MIGRANT = 9
    SELF_EMPLOYED = 10
    VILLAGE_POST = 11
    MAINTENANCE_POST = 12
    AGENCY_POST = 13
    CLEARING_POST = 14
    TRAINING = 15


SECTOR_CHANNEL = {
    "industrial_park": Channel.INDUSTRIAL_PARK,
    "agricultural_park": Channel.AGRICULTURAL_PARK,
    "village_factory": Channel.VILLAGE_FACTORY,
    "home_piecework": Channel.HOME_PIECEWORK,
    "local_services": Channel.LOCAL_SERVICES,
    "domestic_service": Channel.DOMESTIC_SERVICE,
    "ecommerce": Channel.ECOMMERCE,
    "export_employer": Channel.EXPORT,
}
"""The channel a job in each firm sector counts as (explicit, not by position)."""

SECTOR_CHANNELS = np.array([SECTOR_CHANNEL[s] for s in SECTORS], np.int8)
"""``SECTOR_CHANNELS[sector index]``: the channel of a job in that sector."""

POST_CHANNELS = (Channel.VILLAGE_POST, Channel.MAINTENANCE_POST, Channel.AGENCY_POST, Channel.CLEARING_POST)
EMPLOYMENT_CHANNELS = tuple(SECTOR_CHANNEL.values()) + (Channel.MIGRANT, Channel.SELF_EMPLOYED) + POST_CHANNELS

BAND_EDGES = {  # age band -> [low, high) in years
    "age_0_15": (0, 16),
    "age_16_29": (16, 30),
    "age_30_44": (30, 45),
    "age_45_59": (45, 60),
    "age_60_69": (60, 70),
    "age_70_84": (70, 85),
}


def _table(channels) -> np.ndarray:
    out = np.zeros(len(Channel), bool)
    out[list(channels)] = True
    return out


_EMPLOYED = _table(EMPLOYMENT_CHANNELS)
_ON_POST = _table(POST_CHANNELS)
_MARKET = _EMPLOYED & ~_ON_POST  # firms, export, migrant work, self-employment
EMPLOYED_BY_CHANNEL = _EMPLOYED
"""``EMPLOYED_BY_CHANNEL[channel]``: that channel is employment (for the kernels)."""
ON_POST_BY_CHANNEL = _ON_POST
"""``ON_POST_BY_CHANNEL[channel]``: that channel is a public post (for the kernels)."""
EMPLOYED_BITS = as_bits(EMPLOYMENT_CHANNELS)
"""The employment channels as bits, ``(EMPLOYED_BITS >> channel) & 1``
(:func:`model.arrays.as_bits`)."""
ON_POST_BITS = as_bits(POST_CHANNELS)
"""The public posts as bits (as :data:`EMPLOYED_BITS`)."""
COUNTY_POSTS = (Channel.AGENCY_POST, Channel.CLEARING_POST)
"""Posts held by counties; the other posts are held by villages (:mod:`model.policies.public_posts`)."""
COUNTY_POST_BY_CHANNEL = _table(COUNTY_POSTS)


def is_employed(channel: np.ndarray) -> np.ndarray:
    """In any employment, a public post included."""
    return _EMPLOYED[channel]


def is_on_post(channel: np.ndarray) -> np.ndarray:
    """On a public post of any kind."""
    return _ON_POST[channel]


def is_market_work(channel: np.ndarray) -> np.ndarray:
    """In employment other than a public post."""
    return _MARKET[channel]


@dataclass
class Population:
    """All state of places and people, as arrays (one row per entity)."""

    # counties
    county_weight: np.ndarray
    county_x: np.ndarray
    county_y: np.ndarray
    county_is_district: np.ndarray
    county_villages_sampled: np.ndarray
    # villages
    village_county: np.ndarray
    village_x: np.ndarray
    village_y: np.ndarray
    # households
    hh_village: np.ndarray
    hh_start: np.ndarray
    hh_size: np.ndarray
    # people (contiguous by household)
    hh: np.ndarray
    age: np.ndarray
    female: np.ndarray
    capacity: np.ndarray
    trade: np.ndarray
    skill: np.ndarray
    channel: np.ndarray
    weight: np.ndarray = field(init=False)
    village: np.ndarray = field(init=False)
    county: np.ndarray = field(init=False)
    ill: np.ndarray = field(init=False)
    firm: np.ndarray = field(init=False)
    income: np.ndarray = field(init=False)  # monthly income, set by the model each month
    tenure: np.ndarray = field(init=False)
    unemployed_months: np.ndarray = field(init=False)
    training_end: np.ndarray = field(init=False)
    ordered_firm: np.ndarray = field(init=False)
    graduated_month: np.ndarray = field(init=False)
    institution: np.ndarray = field(init=False)
    followed_up: np.ndarray = field(init=False)
    priority: np.ndarray = field(init=False)
    county_people: np.ndarray = field(init=False)  # first person of each county, then one past the last

    def __post_init__(self) -> None:
        n = len(self.hh)
        self.village = self.hh_village[self.hh]
        self.county = self.village_county[self.village]
        self.weight = self.county_weight[self.county].astype(np.float64)
        self.ill = np.zeros(n, bool)
        self.firm = np.full(n, -1, np.int32)
        self.income = np.zeros(n, np.float64)
        self.tenure = np.zeros(n, np.int32)
        self.unemployed_months = np.zeros(n, np.int32)
        self.training_end = np.full(n, -1, np.int32)
        self.ordered_firm = np.full(n, -1, np.int32)
        self.graduated_month = np.full(n, -10**6, np.int32)
        self.institution = np.full(n, -1, np.int32)
        self.followed_up = np.zeros(n, bool)
        self.priority = np.zeros(n, bool)
        if np.any(np.diff(self.county) < 0):  # the build lays villages out county by county
            raise ValueError("people must be ordered by county")
        self.county_people = np.searchsorted(self.county, np.arange(len(self.county_x) + 1))

    @property
    def n_people(self) -> int:
        return len(self.hh)

    @property
    def n_households(self) -> int:
        return len(self.hh_start)

    @property
    def hh_weight(self) -> np.ndarray:
        return self.county_weight[self.village_county[self.hh_village]]

    def employed(self) -> np.ndarray:
        return is_employed(self.channel)

    def able(self, working_age_min: float, exit_age: float, people: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Able to work: working age, some labour capacity, not ill (of everyone, or of ``people``)."""
        age = self.age[people]
        return (self.capacity[people] < Capacity.NONE) & ~self.ill[people] & (age >= working_age_min) & (age < exit_age)

    def members_of(self, households: np.ndarray) -> np.ndarray:
        """Indices of the members of ``households`` (in household order)."""
        sizes = self.hh_size[households]
        offsets = np.repeat(self.hh_start[households] - np.r_[0, np.cumsum(sizes)[:-1]], sizes)
        return offsets + np.arange(sizes.sum())

    def per_household(self, values: np.ndarray) -> np.ndarray:
        """Sum a per-person array over each household."""
        return np.bincount(self.hh, weights=values, minlength=self.n_households)


def _largest_remainder(total: float, weights: np.ndarray) -> np.ndarray:
    """Integer allocation of ``total`` proportional to ``weights``."""
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(np.int64)
    short = int(round(total)) - out.sum()
    if short > 0:
        out[np.argsort(out - raw)[:short]] += 1
    return out


def county_people(p: Scenario) -> np.ndarray:
    """People per county at full scale (villages x poverty-county weight)."""
    pop = p.population
    w = np.array(
        [c.villages * (pop.poverty_county_weight if c.poverty_county else 1.0) for c in pop.counties]
    )
    return pop.people_total * w / w.sum()


def build_population(p: Scenario, scale: float, rng: np.random.Generator) -> Population:
    """Draw the synthetic population for a scenario at ``scale``."""
    pop = p.population
    counties = pop.counties
    villages_full = np.array([c.villages for c in counties])
    sampled = np.maximum(1, np.rint(villages_full * scale)).astype(np.int64)
    sampled = np.minimum(sampled, villages_full)
    people_per_village = county_people(p) / villages_full

    village_county = np.repeat(np.arange(len(counties)), sampled)
    n_v = len(village_county)
    # uniform on a disc of radius 1.5 R has mean distance R from its centre
    r = 1.5 * pop.village_radius_km * np.sqrt(rng.random(n_v))
    theta = rng.random(n_v) * 2 * np.pi
    cx = np.array([c.x_km for c in counties], float)
    cy = np.array([c.y_km for c in counties], float)
    village_x = cx[village_county] + r * np.cos(theta)
    village_y = cy[village_county] + r * np.sin(theta)

    hh_per_village = rng.poisson(people_per_village[village_county] / pop.household_size_mean)
    hh_per_village = np.maximum(hh_per_village, 1)
    hh_village = np.repeat(np.arange(n_v), hh_per_village)
    n_h = len(hh_village)
    hh_size = 1 + rng.poisson(pop.household_size_mean - 1.0, n_h)
    hh_start = np.concatenate([[0], np.cumsum(hh_size)[:-1]])
    hh = np.repeat(np.arange(n_h), hh_size)
    n = len(hh)

    age = _draw_ages(pop, n, rng)
    first = hh_start
    adult = age[first] < pop.working_age_min_years
    # every household has an adult head: redraw heads among the adult bands
    while adult.any():
        idx = first[adult]
        age[idx] = _draw_ages(pop, len(idx), rng)
        adult = age[first] < pop.working_age_min_years

    capacity = _draw_capacity(pop, age, rng)
    trade = draw_categories(rng, list(pop.trade_shares.model_dump().values()), n).astype(np.int8)
    skill = draw_categories(rng, [getattr(pop.skill_shares, k) for k in SKILLS], n).astype(np.int8)
    child = age < pop.working_age_min_years
    trade[child] = 0
    skill[child] = Skill.UNSKILLED

    return Population(
        county_weight=(villages_full / sampled).astype(np.float64),
        county_x=cx,
        county_y=cy,
        county_is_district=np.array([c.district for c in counties]),
        county_villages_sampled=sampled,
        village_county=village_county,
        village_x=village_x,
        village_y=village_y,
        hh_village=hh_village,
        hh_start=hh_start,
        hh_size=hh_size,
        hh=hh,
        age=age,
        female=rng.random(n) < pop.female_share,
        capacity=capacity,
        trade=trade,
        skill=skill,
        channel=np.zeros(n, np.int8),
    )


def _draw_ages(pop, n: int, rng: np.random.Generator) -> np.ndarray:
    bands = pop.age_bands.model_dump()
    names = list(bands)
    shares = np.array([bands[k] for k in names])
    which = draw_categories(rng, shares, n)
    lo = np.array([BAND_EDGES[k][0] for k in names], float)[which]
    hi = np.array([BAND_EDGES[k][1] for k in names], float)[which]
    return lo + (hi - lo) * rng.random(n)


def working_age_capacity(pop, n: int, rng: np.random.Generator) -> np.ndarray:
    """Capacity of ``n`` people of working age, drawn with ``capacity_shares``
    (at the build, and for those who come of working age)."""
    shares = pop.capacity_shares
    codes = np.array([Capacity.FULL, Capacity.HALF, Capacity.WEAK, Capacity.NONE], np.int8)
    return codes[draw_categories(rng, [shares.full, shares.half, shares.weak, shares.none], n)]


def _draw_capacity(pop, age: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Capacity by age: working-age shares; over-age after 60; none after exit age."""
    capacity = working_age_capacity(pop, len(age), rng)
    old = age >= pop.overage_age_years
    capacity[old] = np.where(
        rng.random(old.sum()) < pop.overage_able_share, Capacity.OVER_AGE, Capacity.NONE
    )
    capacity[(age >= pop.labour_exit_age_years) | (age < pop.working_age_min_years)] = Capacity.NONE
    return capacity


assert tuple(c.name.lower() for c in list(Capacity)[:4]) == CAPACITIES
assert tuple(s.name.lower() for s in Skill) == SKILLS
