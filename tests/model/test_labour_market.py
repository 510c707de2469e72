"""The matching rule and the market's bookkeeping."""

import numpy as np
import pytest

from model import EmploymentModel
from model.labour_market import EXPORT
from model.population import Capacity, Channel, Skill
from model.schema import SECTORS, TRADES


def test_no_firm_exceeds_its_capacity(small_model):
    for _ in range(6):
        small_model.step()
        cap = np.rint(small_model.firms.effective_capacity())
        assert (small_model.market.filled() <= cap).all()


def test_filled_counts_stay_in_step_with_people(small_model):
    small_model.run(4)
    kept = small_model.market.filled().copy()
    small_model.market.recount()
    assert (kept == small_model.market.filled()).all()


def test_matching_respects_eligibility(small_model):
    """Everyone hired meets the sector's capacity, skill and age rules at hiring."""
    m = small_model
    m.run(2)
    pop = m.pop
    workers = np.flatnonzero((pop.firm >= 0) & (pop.channel != Channel.EXPORT))
    m.market.release(workers[::10])  # open vacancies: the month's search has just filled them
    seekers = m.market.seekers(m.able)
    hired = m.market.match(seekers, rounds=2)
    assert len(hired) > 0
    sector = m.firms.sector[pop.firm[hired]]
    for s, name in enumerate(SECTORS):
        spec = getattr(m.p.sectors, name)
        here = hired[sector == s]
        allowed = [Capacity[c.upper()] for c in spec.eligible_capacities]
        assert np.isin(pop.capacity[here], allowed).all(), name
        assert (pop.skill[here] >= Skill[spec.min_skill.upper()]).all(), name
        assert (pop.age[here] <= spec.age_max_years).all(), name


def test_village_sectors_hire_only_their_own_county(small_model):
    m = small_model
    m.run(3)
    pop = m.pop
    for name in ("agricultural_park", "village_factory", "home_piecework"):
        s = SECTORS.index(name)
        workers = np.flatnonzero((pop.firm >= 0) & (m.firms.sector[np.maximum(pop.firm, 0)] == s))
        assert (m.firms.county[pop.firm[workers]] == pop.county[workers]).all()


def test_local_search_never_reaches_jiangsu(baseline):
    m = EmploymentModel(baseline, rng=2, scale=0.02, overrides={"levers.export.placements_per_year": 0, "levers.export.job_fairs_per_year": 0})
    m.run(4)
    assert (m.pop.channel == Channel.EXPORT).sum() == 0
    assert (m.market.base[:, EXPORT::len(SECTORS)] == 0).all()


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_best_applicant_wins_a_single_vacancy(baseline, seed):
    """Two idle seekers apply to the same one-vacancy firm: the one certified
    in the firm's trade scores 2 + 1 (trade bonus), the other 1; with score
    noise U(0, 1.5) the gap of 2 always decides, whatever the seed."""
    m = EmploymentModel(baseline, rng=seed, scale=0.02, overrides={
        "labour_market.score_noise": 1.5, "labour_market.trade_match_bonus": 1.0})
    pop, firms = m.pop, m.firms
    s = SECTORS.index("industrial_park")
    firm = int(np.flatnonzero(firms.sector == s)[0])
    # make exactly one vacancy at this firm and none elsewhere
    filled = m.market.filled().astype(float)
    firms.capacity[:] = filled
    firms.capacity[firm] = filled[firm] + 1
    county_villages = np.flatnonzero(pop.village_county == firms.county[firm])
    idle = np.flatnonzero((pop.channel == Channel.NONE) & np.isin(pop.village, county_villages) & (pop.age < 50) & (pop.age > 20))[:2]
    assert len(idle) == 2
    a, b = idle
    pop.capacity[[a, b]] = Capacity.FULL
    pop.ill[[a, b]] = False
    manufacturing, general = TRADES.index("manufacturing"), TRADES.index("general")
    pop.skill[a], pop.trade[a] = Skill.CERTIFIED, manufacturing  # the park's trade
    pop.skill[b], pop.trade[b] = Skill.BASIC, general
    hired = m.market.match(np.array([a, b]), rounds=1)
    assert hired.tolist() == [a]
    assert pop.firm[a] == firm and pop.channel[b] == Channel.NONE


# ------------------------------------------------------------ migrant work
SMALL_DEMAND = {
    "labour_market.migrant_demand_jobs": 5000,
    "population.initial_migrant_share": 0.0,
    "labour_market.migrant_job_finding_rate": 1.0,
}


def test_migrant_work_fills_a_small_demand_and_never_exceeds_it(baseline):
    """5,000 migrant jobs at full scale is 5,000 x the sample's share of
    people here.  With nobody away at the start and every idle fit seeker
    finding migrant work, the first month fills it exactly; no month
    exceeds it."""
    m = EmploymentModel(baseline, rng=3, scale=0.02, overrides=SMALL_DEMAND)
    cap = round(5000 * m.scale)
    counts = []
    for _ in range(14):
        m.step()
        counts.append(int((m.pop.channel == Channel.MIGRANT).sum()))
    assert counts[0] == cap
    assert max(counts) <= cap, counts


def test_initial_migrants_respect_the_demand(baseline):
    m = EmploymentModel(baseline, rng=3, scale=0.02, overrides={"labour_market.migrant_demand_jobs": 5000})
    assert (m.pop.channel == Channel.MIGRANT).sum() <= round(5000 * m.scale)


def test_migrant_job_finding_rate_sets_departures(baseline):
    """Nobody away at the start, demand that does not bind: no finding, no
    migrants; a higher rate, more migrants after three months."""
    common = {"population.initial_migrant_share": 0.0}
    away = {}
    for rate in (0.0, 0.03, 0.12):
        m = EmploymentModel(baseline, rng=3, scale=0.02, overrides={**common, "labour_market.migrant_job_finding_rate": rate})
        m.run(3)
        away[rate] = int((m.pop.channel == Channel.MIGRANT).sum())
    assert away[0.0] == 0
    assert 0 < away[0.03] < away[0.12], away


def test_without_migrant_job_finding_market_work_and_labour_export_fall():
    """The calibrated figure (market work) and the case's goal (劳务输出不减)
    both fall when migrants who return never find migrant work again."""
    from model import simulate

    on = simulate(seed=3, scale=0.02, months=14)
    off = simulate(seed=3, scale=0.02, months=14, **{"labour_market.migrant_job_finding_rate": 0.0})
    assert off["migrant_and_export_end"] < 0.9 * on["migrant_and_export_end"]
    assert off["market_employed_end"] < on["market_employed_end"]


def _return_hazards(baseline, slope: float) -> tuple[float, float, int]:
    """Share of migrant-months ending in a return over two years, at ages
    18-35 and 50-60 (when the month starts), and the smaller exposure."""
    m = EmploymentModel(baseline, rng=2, scale=0.03, overrides={"labour_market.migrant_return_increase_per_year_of_age": slope})
    bands = {"young": (18, 35), "old": (50, 60)}
    exposure = dict.fromkeys(bands, 0)
    returns = dict.fromkeys(bands, 0)
    prev = m.pop.channel == Channel.MIGRANT
    for _ in range(24):
        age = m.pop.age.copy()
        m.step()
        now = m.pop.channel == Channel.MIGRANT
        for band, (lo, hi) in bands.items():
            inband = prev & (age >= lo) & (age < hi)
            exposure[band] += inband.sum()
            returns[band] += (inband & ~now).sum()
        prev = now
    return returns["young"] / exposure["young"], returns["old"] / exposure["old"], min(exposure.values())


def test_older_migrants_return_more_often(baseline):
    """The return hazard rises with age over the reference age (40): at the
    top of the slope's range (0.15 a year) a migrant of 55 returns more than
    three times as often outside the festival as one under 40, so at 50-60
    the hazard is well above that at 18-35; with no slope the two agree."""
    young, old, n = _return_hazards(baseline, 0.15)
    assert n > 2000
    assert old > 1.5 * young, (old, young)
    young, old, _ = _return_hazards(baseline, 0.0)
    assert 0.75 < old / young < 1.33, (old, young)
