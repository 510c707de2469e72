"""Each lever's rule, with a known-answer case."""

import math

import numpy as np
import pytest

from model import EmploymentModel
from model.policies import parks, public_posts, training
from model.population import Capacity, Channel
from model.schema import SECTORS


def _logistic(x):
    return 1 / (1 + math.exp(-x))


# ---------------------------------------------------------------- training
def test_takeup_probability_is_the_documented_logit(baseline):
    b = baseline.behaviour.training
    expected = _logistic(b.takeup_logit_intercept + b.takeup_logit_per_100_yuan_allowance * 0.5 + b.takeup_logit_fee_waiver + b.takeup_logit_online_platform)
    assert training.takeup_probability(baseline.params) == pytest.approx(expected)
    no_allowance = baseline.with_overrides({"levers.training.daily_allowance_yuan": 0})
    assert training.takeup_probability(no_allowance.params) < training.takeup_probability(baseline.params)


def test_dropout_falls_with_the_allowance(baseline):
    rich = baseline.with_overrides({"levers.training.daily_allowance_yuan": 150})
    assert training.dropout_probability(rich.params) < training.dropout_probability(baseline.params)


@pytest.mark.parametrize("rate, share", [(0.3, 0.6), (0.55, 0.8), (0.7, 1.0)])
def test_tiered_subsidy_pays_by_placement_rate(baseline, rate, share):
    assert training.subsidy_share(baseline.params, rate) == share


def test_flat_subsidy_pays_in_full(baseline):
    flat = baseline.with_overrides({"levers.training.tiered_institution_subsidy": False})
    assert training.subsidy_share(flat.params, 0.1) == 1.0
    assert training.placement_effort(flat.params) < training.placement_effort(baseline.params)


def test_only_the_age_window_enters_training(baseline):
    m = EmploymentModel(baseline, rng=4, scale=0.03, overrides={"levers.training.mid_term_seats_per_year": 20000})
    t = baseline.levers.training
    entered = 0
    for _ in range(7):
        before = m.pop.channel == Channel.TRAINING
        m.step()
        new = (m.pop.channel == Channel.TRAINING) & ~before
        entered += new.sum()
        ages_at_entry = m.pop.age[new] - 1 / 12  # entry happened before this month's ageing ended
        assert ((ages_at_entry >= t.age_min - 1 / 12) & (m.pop.age[new] <= t.age_max + 1 / 12)).all()
    assert entered > 0


def test_graduates_are_certified(baseline):
    m = EmploymentModel(baseline, rng=4, scale=0.03, overrides={"levers.training.mid_term_seats_per_year": 20000})
    m.run(5)
    graduates = m.pop.graduated_month >= 0
    assert graduates.any()
    assert (m.pop.skill[graduates] == 2).all()


# ------------------------------------------------------------ public posts
def test_post_quotas_round_to_the_lever_on_average(baseline):
    m = EmploymentModel(baseline, rng=5, scale=0.2, overrides={"levers.public_posts.village_posts_per_village": 2.5})
    q = public_posts.quotas(m)[Channel.VILLAGE_POST]
    assert set(np.unique(q)) <= {2, 3}
    assert abs(q.mean() - 2.5) < 0.1


def test_no_posts_when_the_lever_is_zero(baseline):
    none = {
        "levers.public_posts.village_posts_per_village": 0,
        "levers.public_posts.maintenance_posts_per_village": 0,
        "levers.public_posts.agency_posts_total": 0,
        "levers.public_posts.clearing_reserve_posts_per_village": 0,
    }
    m = EmploymentModel(baseline, rng=5, scale=0.02, overrides=none)
    m.run(3)
    assert m.rows[-1]["on_public_posts"] == 0
    assert m.rows[-1]["fiscal_cost_public_posts_yuan"] == 0


def test_posts_never_exceed_quotas(small_model):
    small_model.run(4)
    q = public_posts.quotas(small_model)
    for channel in (Channel.VILLAGE_POST, Channel.MAINTENANCE_POST, Channel.RESERVE_POST, Channel.AGENCY_POST):
        assert (public_posts.vacancies(small_model, channel, q[channel]) >= 0).all()
        place = public_posts.holder_place(small_model, channel)
        held = np.bincount(place[small_model.pop.channel == channel], minlength=len(q[channel]))
        assert (held <= q[channel]).all()


def test_priority_rule_orders_tiers(small_model):
    m = small_model
    pop = m.pop
    people = np.flatnonzero(m.able)[:400]
    zero_hh = np.zeros(pop.n_households, bool)
    zero_hh[pop.hh[people[:100]]] = True
    m.zero_employment_hh = zero_hh
    tier = public_posts.priority_tier(m, people, Channel.VILLAGE_POST)
    zero = zero_hh[pop.hh[people]]
    assert zero.any() and (~zero).any()
    assert tier[zero].max() < tier[~zero].min()  # zero-employment households first


def test_maintenance_posts_go_first_to_weak_and_over_age(small_model):
    m = small_model
    pop = m.pop
    people = np.flatnonzero(m.able)[:500]
    tier = public_posts.priority_tier(m, people, Channel.MAINTENANCE_POST)
    weak = np.isin(pop.capacity[people], [Capacity.WEAK, Capacity.OVER_AGE])
    assert weak.any() and (~weak).any()
    assert tier[weak].max() < tier[~weak].min()


# -------------------------------------------------------------------- parks
def test_park_growth_adds_the_documented_jobs(baseline):
    m = EmploymentModel(baseline, rng=1, scale=1.0, overrides={"uncertainties.job_destruction_rate": 0.0})
    s = SECTORS.index("industrial_park")
    before = m.firms.capacity[m.firms.sector == s].sum()
    parks.grow(m)
    added = m.firms.capacity[m.firms.sector == s].sum() - before
    per_year = baseline.levers.parks.industrial_jobs_added_per_year * baseline.levers.parks.share_open_to_poverty_alleviated
    assert added == pytest.approx(per_year / 12)


def test_retention_subsidy_halving(baseline):
    p = baseline.with_overrides({"levers.parks.retention_subsidy_yuan_per_worker_month": 300, "levers.parks.retention_subsidy_halving_yuan": 300})
    assert parks.retention_saved_share(p.params) == pytest.approx(0.5)
    zero = baseline.with_overrides({"levers.parks.retention_subsidy_yuan_per_worker_month": 0})
    assert parks.retention_saved_share(zero.params) == 0


def test_demand_shock_cuts_capacity_and_recovers(baseline):
    shock = {"uncertainties.demand_shock.size": 0.5, "uncertainties.demand_shock.start_month": 2, "uncertainties.demand_shock.duration_months": 2, "levers.parks.retention_subsidy_yuan_per_worker_month": 0}
    m = EmploymentModel(baseline, rng=1, scale=0.05, overrides=shock)
    s = SECTORS.index("industrial_park")
    factors = []
    for _ in range(5):
        m.step()
        factors.append(m.firms.shock_factor[m.firms.sector == s].mean())
    assert factors == pytest.approx([1.0, 1.0, 0.5, 0.5, 1.0])


# ------------------------------------------------------------------- export
def test_export_placements_follow_the_quota_and_flag_follow_up(baseline):
    over = {"levers.export.placements_per_year": 12000, "levers.export.job_fairs_per_year": 0}
    m = EmploymentModel(baseline, rng=1, scale=0.1, overrides=over)
    m.step()
    placed = m.stats["export_placements"]
    assert 0 < placed <= 12000 / 12 * 1.25
    exported = m.pop.channel == Channel.EXPORT
    assert m.pop.followed_up[exported & (m.pop.tenure == 0)].all()


def test_posts_fill_lower_tiers_first_and_at_random_within_a_tier(small_model):
    """One village, two posts, candidates in tiers 0 and 1: tier 0 takes both when it can."""
    m = small_model
    pop = m.pop
    v = 0
    people = np.flatnonzero((pop.village == v) & m.able & (pop.channel == Channel.NONE))[:6]
    assert len(people) == 6
    zero_hh = np.zeros(pop.n_households, bool)
    zero_hh[pop.hh[people[:3]]] = True  # three candidates in tier 0 (if their households differ)
    m.zero_employment_hh = zero_hh
    pop.capacity[people] = Capacity.FULL  # nobody is weak labour: others are tier 2
    quota = np.zeros(len(pop.village_x), np.int64)
    quota[v] = 2 + np.bincount(pop.village[pop.channel == Channel.VILLAGE_POST], minlength=len(quota))[v]
    chosen = public_posts.assign(m, people, Channel.VILLAGE_POST, quota)
    assert len(chosen) == 2
    assert set(chosen.tolist()) <= set(people[zero_hh[pop.hh[people]]].tolist())
