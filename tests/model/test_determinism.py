"""Same scenario and seed, same results; another seed, other results."""

import pandas as pd

from model import EmploymentModel, simulate

from ..conftest import RUN_METRICS

CLEARING_METRICS = frozenset(
    {
        "clearing_wait_household_months",
        "clearing_queue_peak",
        "cleared_by_job_share",
        "cleared_by_training_share",
        "cleared_by_post_share",
        "relapse_share_12m",
        "post_share_of_employed",
        "market_employed_end",
        "migrant_and_export_end",
    }
)
"""The run-level metrics DESIGN.md adds for how clearing works and what it costs (issue 8)."""


def _series(seed):
    m = EmploymentModel(None, rng=seed, scale=0.02, overrides={"run.months": 14})
    m.run()
    return m.timeseries()


def test_same_seed_same_timeseries():
    pd.testing.assert_frame_equal(_series(5), _series(5))


def test_other_seed_other_timeseries():
    assert not _series(5).equals(_series(6))


def test_simulate_accepts_dotted_and_double_underscore_overrides():
    a = simulate(seed=1, scale=0.02, months=14, levers__training__daily_allowance_yuan=80)
    b = simulate(seed=1, scale=0.02, months=14, **{"levers.training.daily_allowance_yuan": 80})
    assert a == b
    assert set(a) >= RUN_METRICS | CLEARING_METRICS
    assert all(isinstance(v, float) for v in a.values())
