"""Behaviour of the baseline at scale 1.0 (issue "The simulation core", item 3)."""

import pytest

from model import EmploymentModel

from ..conftest import SCENARIOS

pytestmark = pytest.mark.slow


def _run(name, **overrides):
    m = EmploymentModel(SCENARIOS / f"{name}.yaml", rng=1, scale=1.0, overrides=overrides)
    m.run()
    return m


@pytest.fixture(scope="module")
def baseline_run():
    return _run("baoji_baseline")


def test_people_in_work_within_the_case_band(baseline_run):
    employed = [r["employed"] for r in baseline_run.rows]
    assert 200_000 <= min(employed) and max(employed) <= 320_000


def test_dynamic_clearing_keeps_zero_at_zero(baseline_run):
    warmup = baseline_run.p.run.warmup_months
    assert all(r["zero_employment_households"] == 0 for r in baseline_run.rows[warmup:])


@pytest.mark.parametrize("scenario", ["monitoring_off", "no_posts_demand_shock"])
def test_without_clearing_or_posts_zero_employment_returns(scenario):
    m = _run(scenario, **{"run.months": 36})
    warmup = m.p.run.warmup_months
    assert all(r["zero_employment_households"] > 0 for r in m.rows[warmup:])
