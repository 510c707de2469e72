"""Wengang (稳岗): an agent-based model of the policies that keep households
that have left poverty in stable work.  Default case: Baoji, Shaanxi.

Public face:

* :class:`EmploymentModel` - the Mesa model (``EmploymentModel(scenario, rng=SEED)``)
* :func:`simulate` - one run, returning the run-level metrics
* :func:`load_scenario` - the typed, validated scenario
* the agents :class:`Household`, :class:`Firm`, :class:`TrainingInstitution`, :class:`Village`
"""

from __future__ import annotations

from typing import Any

from .agents import Firm, Household, TrainingInstitution, Village
from .model import EmploymentModel
from .scenario import LoadedScenario, load_scenario
from .validation import InputError, split_path

__version__ = "0.1.0"


def simulate(
    scenario: Any = None,
    *,
    seed: int = 0,
    scale: float | None = None,
    months: int | None = None,
    **overrides: Any,
) -> dict[str, float]:
    """Run one simulation and return the run-level metrics.

    ``scenario`` is a path, a loaded scenario or ``None`` (the Baoji baseline).
    Overrides are full key paths with dots or double underscores, e.g.
    ``simulate(levers__training__daily_allowance_yuan=80)`` or
    ``simulate(**{"levers.training.daily_allowance_yuan": 80})``.
    """
    overrides = {".".join(split_path(k)): v for k, v in overrides.items()}
    if months is not None:
        overrides["run.months"] = int(months)
    model = EmploymentModel(scenario, rng=seed, scale=scale, overrides=_fit_warmup(scenario, overrides))
    model.run()
    return model.metrics()


def _fit_warmup(scenario: Any, overrides: dict[str, Any]) -> dict[str, Any]:
    """Keep the warm-up inside a shortened run (a short run still reports)."""
    months = overrides.get("run.months")
    if months is None or "run.warmup_months" in overrides:
        return overrides
    base = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    if base.params.run.warmup_months >= months:
        overrides = {**overrides, "run.warmup_months": max(0, int(months) - 1)}
    return overrides


__all__ = [
    "EmploymentModel",
    "Household",
    "Firm",
    "TrainingInstitution",
    "Village",
    "simulate",
    "load_scenario",
    "LoadedScenario",
    "InputError",
]
