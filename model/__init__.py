"""Wengang (稳岗): an agent-based model of the policies that keep households
that have left poverty in stable work.  Default case: Baoji, Shaanxi.

Public face:

* :class:`EmploymentModel` - the Mesa model (``EmploymentModel(scenario, rng=SEED)``)
* :func:`simulate` - one run, returning the run-level metrics
* :func:`load_scenario` - the typed, validated scenario
* the agents :class:`Household`, :class:`Firm`, :class:`TrainingInstitution`, :class:`Village`
"""

from __future__ import annotations

import functools
from typing import Any

from .agents import Firm, Household, TrainingInstitution, Village
from .arguments import months_message
from .model import EmploymentModel
from .scenario import LoadedScenario, as_scenario, load_scenario
from .validation import InputError, Problem, split_path

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

    ``months`` must exceed the warm-up (``run.warmup_months``): a shorter run
    is refused with the override that fixes it, never shortened silently, so
    a metric always means the same months (docs/errors.md).
    """
    overrides = {".".join(split_path(k)): v for k, v in overrides.items()}
    if months is not None:
        overrides["run.months"] = int(months)
    length = {k: overrides.pop(k) for k in ["run.months"] if k in overrides}
    base = as_scenario(scenario, overrides)
    _check_months(length.get("run.months"), base.params.run.warmup_months)
    model = EmploymentModel(base, rng=seed, scale=scale, overrides=length)
    model.run()
    return model.metrics()


def _check_months(months: int | None, warmup: int) -> None:
    """Refuse a run with no month after the warm-up (see :func:`simulate`)."""
    if months is not None and months <= warmup:
        raise InputError([Problem("simulate", "months", months_message(months, warmup, style="python"))])


@functools.lru_cache(maxsize=1)
def _outcome_names() -> tuple[str, ...]:
    """The keys :func:`simulate` returns (from one month of the smallest sample)."""
    return tuple(simulate(scale=MIN_SCALE_PROBE, months=1, run__warmup_months=0))


#: Scale of the run that lists the outcome names (one village per county).
MIN_SCALE_PROBE = 1e-4
simulate.outcome_names = _outcome_names  # type: ignore[attr-defined]


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
