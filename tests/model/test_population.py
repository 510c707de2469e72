"""Population invariants of the synthetic Baoji population."""

import numpy as np

from model import EmploymentModel
from model.population import SECTOR_CHANNEL, Capacity
from model.schema import SECTORS


def test_households_are_contiguous_and_sized(small_model):
    pop = small_model.pop
    assert (pop.hh_size >= 1).all()
    assert pop.hh_start[0] == 0
    assert (np.diff(pop.hh_start) == pop.hh_size[:-1]).all()
    assert (pop.hh == np.repeat(np.arange(pop.n_households), pop.hh_size)).all()


def test_every_household_has_an_adult_head(small_model):
    pop = small_model.pop
    assert (pop.age[pop.hh_start] >= small_model.p.population.working_age_min_years).all()


def test_capacity_follows_age(small_model):
    pop, p = small_model.pop, small_model.p.population
    child = pop.age < p.working_age_min_years
    assert (pop.capacity[child] == Capacity.NONE).all()
    old = pop.age >= p.labour_exit_age_years
    assert (pop.capacity[old] == Capacity.NONE).all()
    overage = (pop.age >= p.overage_age_years) & (pop.age < p.labour_exit_age_years)
    assert np.isin(pop.capacity[overage], [Capacity.OVER_AGE, Capacity.NONE]).all()


def test_full_scale_equivalents_match_the_registered_population(baseline):
    m = EmploymentModel(baseline, rng=1, scale=0.05)
    people = m.pop.weight.sum()
    assert abs(people - baseline.population.people_total) / baseline.population.people_total < 0.03
    households = m.hh_weight.sum()
    assert 190_000 < households < 230_000  # about 210,000 at full scale


def test_every_county_is_sampled(small_model):
    pop = small_model.pop
    assert (np.bincount(pop.village_county, minlength=len(pop.county_x)) >= 1).all()


def test_people_age_one_month_per_step(small_model):
    before = small_model.pop.age.copy()
    small_model.step()
    assert np.allclose(small_model.pop.age - before, 1 / 12)


def test_children_get_a_capacity_when_they_come_of_age(baseline):
    m = EmploymentModel(baseline, rng=3, scale=0.3)
    p = baseline.population
    pop = m.pop
    near = np.flatnonzero((pop.age < p.working_age_min_years) & (pop.age > p.working_age_min_years - 1 / 12))
    assert len(near) > 50
    assert (pop.capacity[near] == Capacity.NONE).all()  # children cannot work
    m.step()
    able = (pop.capacity[near] != Capacity.NONE).mean()
    assert abs(able - (1 - p.capacity_shares.none)) < 0.08  # drawn from the working-age shares


def test_nobody_is_both_employed_and_without_a_firm_in_firm_channels(small_model):
    small_model.run(6)
    pop = small_model.pop
    firm_work = np.isin(pop.channel, list(SECTOR_CHANNEL.values()))
    assert (pop.firm[firm_work] >= 0).all()
    assert (pop.firm[~firm_work] == -1).all()


def test_a_job_counts_in_its_sector_channel(small_model):
    """Every worker of a firm is in the channel the map names for the firm's sector."""
    small_model.run(3)
    pop, firms = small_model.pop, small_model.firms
    workers = np.flatnonzero(pop.firm >= 0)
    for s, name in enumerate(SECTORS):
        mine = workers[firms.sector[pop.firm[workers]] == s]
        assert (pop.channel[mine] == SECTOR_CHANNEL[name]).all(), name
    assert set(SECTOR_CHANNEL) == set(SECTORS)
    assert len(set(SECTOR_CHANNEL.values())) == len(SECTORS)
