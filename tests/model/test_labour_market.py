"""The matching rule and the market's bookkeeping."""

import numpy as np

from model import EmploymentModel
from model.labour_market import EXPORT
from model.population import Capacity, Channel
from model.schema import SECTORS


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
        assert (pop.skill[here] >= spec.min_skill).all(), name
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
    assert (m.pop.channel != Channel.EXPORT).sum() == m.pop.n_people - (m.pop.channel == Channel.EXPORT).sum()
    assert (m.pop.channel == Channel.EXPORT).sum() == 0
    assert (m.market.base[:, EXPORT::len(SECTORS)] == 0).all()


def test_best_applicant_wins_a_single_vacancy(small_model):
    """Two idle seekers apply to the same one-vacancy firm: the certified one with the trade is hired."""
    m = small_model
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
    pop.skill[a], pop.trade[a] = 2, 1  # certified, manufacturing: matches the park
    pop.skill[b], pop.trade[b] = 1, 0
    m.p.labour_market  # score noise (1.0) is smaller than the gap (1 skill + 1 trade)
    hired = m.market.match(np.array([a, b]), rounds=1)
    assert hired.tolist() == [a]
    assert pop.firm[a] == firm and pop.channel[b] == Channel.NONE
