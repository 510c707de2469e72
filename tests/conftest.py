"""Shared fixtures: small, fast models of the Baoji baseline."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baoji_baseline.yaml"
SMALL_SCALE = 0.02
RUN_METRICS = frozenset(
    {
        "zero_employment_households_end",
        "zero_employment_households_peak",
        "zero_employment_household_months",
        "employed_end",
        "employment_rate_end",
        "fiscal_cost_total_yuan",
        "training_placement_rate",
    }
)
"""The run-level metrics the contract (DESIGN.md) names."""


@pytest.fixture(scope="session")
def baseline():
    from model import load_scenario

    return load_scenario(BASELINE)


@pytest.fixture
def small_model():
    """A fresh baseline model at 2% of villages (about 4,000 households)."""
    from model import EmploymentModel

    return EmploymentModel(BASELINE, rng=7, scale=SMALL_SCALE)
