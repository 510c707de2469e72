"""Zero-employment households, monitoring and dynamic clearing."""

import numpy as np

from model import EmploymentModel
from model.population import Capacity, Channel


def _two_worker_household(m):
    """A household whose only two workers are both employed at firms (nobody over-age)."""
    pop = m.pop
    for h in range(pop.n_households):
        members = np.arange(pop.hh_start[h], pop.hh_start[h] + pop.hh_size[h])
        working = members[pop.firm[members] >= 0]
        employed = ((pop.channel[members] >= Channel.INDUSTRIAL_PARK) & (pop.channel[members] <= Channel.RESERVE_POST)).sum()
        if len(working) == 2 and employed == 2 and (pop.capacity[members] != Capacity.OVER_AGE).all():
            return h, working
    raise AssertionError("no such household")


def test_two_workers_one_laid_off_is_not_zero_employment(small_model):
    m = small_model
    h, workers = _two_worker_household(m)
    m.market.release(workers[:1])
    m.update_household_flags()
    assert not m.zero_employment_hh[h]
    m.market.release(workers[1:])
    m.update_household_flags()
    assert m.zero_employment_hh[h]


def test_household_with_nobody_able_is_not_zero_employment(small_model):
    m = small_model
    pop = m.pop
    h = 0
    members = np.arange(pop.hh_start[h], pop.hh_start[h] + pop.hh_size[h])
    m.market.release(members)
    pop.capacity[members] = Capacity.NONE
    m.able = m._able()
    m.update_household_flags()
    assert not m.zero_employment_hh[h]  # it falls to social assistance


def test_public_post_counts_as_employment(small_model):
    m = small_model
    h, workers = _two_worker_household(m)
    m.market.release(workers)
    m.market.start_work(workers[:1], Channel.VILLAGE_POST)
    m.update_household_flags()
    assert not m.zero_employment_hh[h]


def _make_new_zero_household(m):
    h, workers = _two_worker_household(m)
    m.market.release(workers)
    m.update_household_flags()
    assert m.zero_employment_hh[h]
    return h


def test_dynamic_clearing_with_one_month_delay_clears_by_the_next_month(baseline):
    m = EmploymentModel(baseline, rng=11, scale=0.02, overrides={"levers.monitoring.response_delay_months": 1})
    m.run(2)
    h = _make_new_zero_household(m)
    m.step()  # found by this month's monitoring round; the response is due next month
    assert m.flagged_month[h] == m.month - 1 or not m.zero_employment_hh[h]
    m.step()
    assert not m.zero_employment_hh[h]


def test_with_one_month_delay_new_cases_wait_a_month(baseline):
    m = EmploymentModel(baseline, rng=11, scale=0.03, overrides={"levers.monitoring.response_delay_months": 1, "run.months": 16})
    m.run()
    after = [r["zero_employment_households"] for r in m.rows[baseline.run.warmup_months :]]
    assert min(after) > 0  # each month's new cases are still open at month end


def test_zero_stays_zero_after_warmup_with_dynamic_clearing(baseline):
    m = EmploymentModel(baseline, rng=3, scale=0.03, overrides={"run.months": 20})
    m.run()
    after = [r["zero_employment_households"] for r in m.rows[baseline.run.warmup_months :]]
    assert max(after) == 0


def test_without_monitoring_zero_employment_households_persist(baseline):
    m = EmploymentModel(baseline, rng=3, scale=0.03, overrides={"run.months": 20, "levers.monitoring.coverage": 0.0, "levers.monitoring.dynamic_clearing": False})
    m.run()
    after = [r["zero_employment_households"] for r in m.rows[baseline.run.warmup_months :]]
    assert min(after) > 0


def test_uncovered_villages_are_not_monitored(baseline):
    m = EmploymentModel(baseline, rng=3, scale=0.03, overrides={"levers.monitoring.coverage": 0.0})
    m.run(3)
    assert (m.flagged_month == -1).all()
    assert m.rows[-1]["fiscal_cost_monitoring_yuan"] == 0


def test_incremental_flags_agree_with_a_full_recount(baseline, monkeypatch):
    """Flags are refreshed only for touched households; at every monitoring
    round and every month end they must equal a full recount."""
    from model.policies import monitoring

    m = EmploymentModel(baseline, rng=8, scale=0.03)
    checked = []
    real_detect = monitoring.detect

    def detect_and_check(model):
        incremental = model.zero_employment_hh.copy()
        model.update_household_flags()
        assert (incremental == model.zero_employment_hh).all()
        checked.append(model.month)
        real_detect(model)

    monkeypatch.setattr("model.model.monitoring.detect", detect_and_check)
    for _ in range(8):
        m.step()
        at_month_end = m.zero_employment_hh.copy()
        m.update_household_flags()
        assert (at_month_end == m.zero_employment_hh).all()
    assert len(checked) == 8
