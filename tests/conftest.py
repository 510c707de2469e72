"""Shared fixtures: small, fast models of the Baoji baseline."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType

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


def under_ci() -> bool:
    """True under CI (``CI=true``), where a missing dependency is a failure, not a skip."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def need(available: bool, why: str, fix: str) -> None:
    """Go on if ``available``; else skip, or fail under CI (``why``: what is missing; ``fix``: how to get it).

    The one place that decides skip or fail for a missing dependency; usable at module level.
    """
    if available:
        return
    if under_ci():
        pytest.fail(f"{why}: CI must provide it ({fix})", pytrace=False)
    pytest.skip(f"{why}; {fix}", allow_module_level=True)


def require(module: str, fix: str = "pip install -e .[dev]") -> ModuleType:
    """Import ``module``; if it is missing, skip, or fail under CI (see :func:`need`)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        need(False, f"{module} is not installed ({exc})", fix)
        raise  # not reached: need() skipped or failed
