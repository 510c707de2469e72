"""Growing jobs (发展拓岗): parks, bases, village factories, home work, start-ups.

The case: 602 key projects and 50 industrial parks added 56,000 jobs by
Oct 2021, 42,000 of them taken by poverty-alleviated workers; 285 embedded
bases, 207 agricultural parks and 1,035 cooperatives gave 62,900 people stable
income; village factories turn "idle houses into workshops"; weak and half
labour do piecework and e-commerce at home; 12 county and 91 town
entrepreneurship centres support start-ups.  援企稳岗 support keeps firms
from shedding workers in a downturn.
"""

from __future__ import annotations

import numpy as np

from ..arrays import stochastic_round
from ..kernels import people as people_kernels
from ..population import Channel, Skill
from ..schema import SECTORS, Scenario


def retention_saved_share(p: Scenario) -> float:
    """Share of shock job losses the retention subsidy prevents.

    ``1 - 0.5 ** (subsidy / halving)``: a subsidy of ``retention_subsidy_halving_yuan``
    per worker-month saves half of the jobs a shock would destroy.
    """
    parks = p.levers.parks
    return 1.0 - 0.5 ** (parks.retention_subsidy_yuan_per_worker_month / parks.retention_subsidy_halving_yuan)


def jobs_added_per_year(p: Scenario) -> dict[str, float]:
    """Jobs open to the poverty-alleviated that each park lever adds per year."""
    parks = p.levers.parks
    return {
        "industrial_park": parks.industrial_jobs_added_per_year * parks.share_open_to_poverty_alleviated,
        "agricultural_park": parks.agricultural_jobs_added_per_year * parks.agricultural_share_open_to_poverty_alleviated,
        "village_factory": parks.village_factories_added_per_year * parks.jobs_per_village_factory,
        "home_piecework": parks.home_piecework_places_added_per_year,
    }


def grow(model) -> None:
    """Add a month's park capacity and pay the subsidies that go with it."""
    p, firms = model.p, model.firms
    parks = p.levers.parks
    for name, per_year in jobs_added_per_year(p).items():
        mask = firms.sector == SECTORS.index(name)
        firms.capacity[mask] += per_year / 12.0 * firms.growth_share[mask]
    # the per-job subsidy is paid on the full-scale jobs added (all of them, not
    # only those open to the poverty-alleviated)
    gross = parks.industrial_jobs_added_per_year + parks.agricultural_jobs_added_per_year
    model.ledger.add("parks", gross / 12.0 * parks.subsidy_yuan_per_job_added)
    if firms.shocked.any():  # set by the labour market's capacity update this month
        workers = np.r_[firms.shocked, False][model.pop.firm]  # firm -1 (none) maps to False
        cost = float(model.pop.weight[workers].sum()) * parks.retention_subsidy_yuan_per_worker_month
        model.ledger.add("parks", cost)


def start_businesses(model, seekers: np.ndarray) -> None:
    """Entrepreneurship centres turn idle full labour with some skill into the self-employed."""
    p, pop, rng = model.p, model.pop, model.rng
    parks = p.levers.parks
    expected = parks.entrepreneurship_centres * parks.business_starts_per_centre_per_year / 12.0 * model.scale
    n = int(stochastic_round(expected, rng))
    idle = people_kernels.idle_full_labour(
        np.asarray(seekers, np.int64), pop.channel, pop.capacity, pop.age, pop.skill, -np.inf, np.inf, int(Skill.BASIC),
    )
    if n == 0 or len(idle) == 0:
        return
    starters = rng.choice(idle, size=min(n, len(idle)), replace=False)
    model.market.start_work(starters, Channel.SELF_EMPLOYED)
    model.ledger.add("parks", float(pop.weight[starters].sum()) * parks.startup_subsidy_yuan)
