"""Same scenario and seed, same results; another seed, other results."""

import pandas as pd

from model import EmploymentModel, simulate


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
    assert set(a) >= {
        "zero_employment_households_end",
        "zero_employment_households_peak",
        "zero_employment_household_months",
        "employed_end",
        "employment_rate_end",
        "fiscal_cost_total_yuan",
        "training_placement_rate",
    }
    assert all(isinstance(v, float) for v in a.values())
