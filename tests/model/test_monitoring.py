"""Zero-employment households, monitoring and dynamic clearing."""

import numpy as np
import pytest

from model import EmploymentModel
from model.outcomes import ClearingRecord
from model.policies import monitoring, public_posts, training
from model.population import Capacity, Channel, is_employed

NO_REGULAR_POSTS = {
    "levers.public_posts.village_posts_per_village": 0,
    "levers.public_posts.maintenance_posts_per_village": 0,
    "levers.public_posts.agency_posts_total": 0,
}
AMPLE_BUDGET = {"levers.public_posts.clearing_budget_yuan_per_year": 1.2e9}
"""About 167,000 clearing posts at 600 yuan: more than there are zero-employment
households, so the budget does not bind."""
NOBODY_SEARCHES = {"labour_market.search_share_by_capacity": {"full": 0, "half": 0, "weak": 0, "over_age": 0}}


def _two_worker_household(m):
    """A household whose only two workers are both employed at firms (nobody
    over-age, everyone of working age for the next year)."""
    pop = m.pop
    for h in range(pop.n_households):
        members = np.arange(pop.hh_start[h], pop.hh_start[h] + pop.hh_size[h])
        working = members[pop.firm[members] >= 0]
        employed = is_employed(pop.channel[members]).sum()
        adults = ((pop.age[members] > 18) & (pop.age[members] < 58)).all()
        if len(working) == 2 and employed == 2 and adults and (pop.capacity[members] != Capacity.OVER_AGE).all():
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
    """Found in month t, still waiting at the end of t, cleared by a post in t + 1.

    Nobody searches, there are no regular posts and no seats, so the
    household can leave zero employment only through the clearing post."""
    only_clearing = {
        "levers.monitoring.response_delay_months": 1,
        "levers.monitoring.clearing_order": ["public_post"],
        "levers.training.mid_term_seats_per_year": 0,
        "uncertainties.illness_rate": 0.0,
        **NO_REGULAR_POSTS, **AMPLE_BUDGET, **NOBODY_SEARCHES,
    }
    m = EmploymentModel(baseline, rng=11, scale=0.02, overrides=only_clearing)
    m.run(2)
    h = _make_new_zero_household(m)
    members = m.pop.members_of(np.array([h]))
    m.step()  # found by this month's monitoring round; the response is due next month
    found = m.month - 1
    assert m.flagged_month[h] == found
    assert m.zero_employment_hh[h] and m.awaiting_clearance[h]  # waiting: the delay holds
    m.step()
    assert not m.zero_employment_hh[h]
    assert (m.pop.channel[members] == Channel.CLEARING_POST).sum() == 1
    assert m.clearing.last_cleared[h] == found + 1  # cleared by the measure, not on its own


@pytest.mark.parametrize("rule, gets_post", [("able_member", 40.0), ("any_idle_member", 65.0)])
def test_clearing_post_goes_to_the_member_the_rule_allows(baseline, rule, gets_post):
    """A household built by hand: an idle able member aged 40 and an idle
    over-age member aged 65, at zero employment and detected; only clearing
    posts are free.  The case's rule places the member able to work; only
    ``any_idle_member`` may place the over-age member (the weakest first)."""
    m = EmploymentModel(baseline, rng=5, scale=0.02, overrides={
        "levers.public_posts.clearing_post_member": rule,
        "levers.monitoring.clearing_order": ["public_post"],
        "levers.public_posts.clearing_budget_yuan_per_year": 36e6,
        **NO_REGULAR_POSTS,
    })
    pop = m.pop
    h = int(np.flatnonzero(pop.hh_size == 2)[0])
    younger, older = pop.hh_start[h], pop.hh_start[h] + 1
    m.market.release(np.array([younger, older]))
    pop.age[[younger, older]] = [40.0, 65.0]
    pop.capacity[[younger, older]] = [Capacity.FULL, Capacity.OVER_AGE]
    pop.ill[[younger, older]] = False
    m.able = m._able()
    m.update_household_flags()
    assert m.zero_employment_hh[h]
    county = pop.county[younger]
    assert public_posts.quotas(m)[Channel.CLEARING_POST][county] > 0  # a clearing post is free
    assert not np.isin(pop.channel, [Channel.VILLAGE_POST, Channel.MAINTENANCE_POST, Channel.AGENCY_POST]).any()
    m.flagged_month[h] = m.month  # detected by monitoring
    m.awaiting_clearance[h] = True
    monitoring.respond(m)
    placed = younger if gets_post == 40.0 else older
    other = older if placed == younger else younger
    assert pop.channel[placed] == Channel.CLEARING_POST
    assert pop.channel[other] == Channel.NONE
    assert not m.zero_employment_hh[h]


def test_with_no_free_post_detected_households_wait():
    """Clearing budget 0 and no regular posts: detected households that the
    push and the training offer do not clear wait, and the wait is counted.
    With a budget that does not bind nobody waits at a month end."""
    from model import simulate

    none = simulate(seed=2, scale=0.02, months=16, **NO_REGULAR_POSTS,
                    **{"levers.public_posts.clearing_budget_yuan_per_year": 0})
    ample = simulate(seed=2, scale=0.02, months=16, **NO_REGULAR_POSTS, **AMPLE_BUDGET)
    assert none["on_public_posts_end"] == 0
    assert none["clearing_wait_household_months"] > 0
    assert none["clearing_queue_peak"] > 0
    assert ample["clearing_wait_household_months"] == 0
    assert ample["zero_employment_households_peak"] == 0
    assert ample["on_public_posts_end"] > 0


def test_undetected_households_do_not_wait():
    """The wait counts detected households only: with no monitoring there are
    zero-employment households but no queue."""
    from model import simulate

    off = simulate(seed=2, scale=0.02, months=14, **{"levers.monitoring.coverage": 0.0})
    assert off["zero_employment_household_months"] > 0
    assert off["clearing_wait_household_months"] == 0


@pytest.mark.parametrize("order, measure", [(["public_post"], "post"), (["job_push"], "job")])
def test_clearances_are_counted_under_the_measure_that_made_them(order, measure):
    from model import simulate

    out = simulate(seed=4, scale=0.02, months=14, **AMPLE_BUDGET, **{"levers.monitoring.clearing_order": order})
    assert out[f"cleared_by_{measure}_share"] == 1.0
    others = {"job", "training", "post"} - {measure}
    assert all(out[f"cleared_by_{k}_share"] == 0.0 for k in others)


def test_training_seat_share_splits_the_seats_between_monitoring_and_the_intake(monkeypatch):
    """With no seat share, monitoring's offers clear nobody and the general
    intake takes every seat; with all of it, monitoring's offers (which come
    first) leave the intake almost nothing at this scale, where flagged
    households outnumber the free seats (a seat stays free only in a county
    where no flagged household has an eligible member)."""
    from model import simulate

    intake = []
    original = training.intake
    monkeypatch.setattr(training, "intake", lambda m, inst, seats: intake.append(len(original(m, inst, seats))) or np.zeros(0, np.int64))
    seats = {"levers.training.mid_term_seats_per_year": 5000}
    counts = {}
    for share in (0.0, 1.0):
        intake.clear()
        out = simulate(seed=4, scale=0.05, months=14, **seats, **{"levers.monitoring.training_seat_share": share})
        counts[share] = (out["cleared_by_training_share"], sum(intake))
    assert counts[0.0][0] == 0.0 and counts[0.0][1] > 0, counts
    assert counts[1.0][0] > 0.0 and counts[1.0][1] < counts[0.0][1] / 10, counts


def test_relapse_share_counts_households_back_at_zero_within_a_year():
    """Hand-worked: households of weight 1 and 3 cleared in month 12; the
    second is found at zero again in month 20 (within 12 months): 3 / 4."""

    class Month:
        month = 12

    rec = ClearingRecord(3, np.array([1.0, 3.0, 5.0]), warmup=12)
    rec.record(Month, {"job": np.array([0]), "training": np.array([], np.int64), "post": np.array([1])})
    rec.note_relapses(np.array([1]), month=20)
    assert rec.metrics(last_month=30)["relapse_share_12m"] == pytest.approx(0.75)
    assert rec.metrics(last_month=30)["cleared_by_post_share"] == pytest.approx(0.75)
    late = ClearingRecord(3, np.array([1.0, 3.0, 5.0]), warmup=12)
    late.record(Month, {"job": np.array([0, 1]), "training": np.array([], np.int64), "post": np.array([], np.int64)})
    late.note_relapses(np.array([1]), month=25)  # 13 months on: a new spell, not a relapse
    assert late.metrics(last_month=30)["relapse_share_12m"] == 0.0


def test_with_one_month_delay_new_cases_wait_a_month(baseline):
    m = EmploymentModel(baseline, rng=11, scale=0.03, overrides={
        "levers.monitoring.response_delay_months": 1, "run.months": 16, **AMPLE_BUDGET})
    m.run()
    after = [r["zero_employment_households"] for r in m.rows[baseline.run.warmup_months :]]
    assert min(after) > 0  # each month's new cases are still open at month end


def test_zero_stays_zero_after_warmup_when_the_budget_does_not_bind(baseline):
    m = EmploymentModel(baseline, rng=3, scale=0.03, overrides={"run.months": 20, **AMPLE_BUDGET})
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
