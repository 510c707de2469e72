"""Small models for runner tests (importable in worker processes as
``tests.experiments.toy_models``)."""

from __future__ import annotations

import os

LOADS: list[str] = []  # paths loaded by load_scenario in this process


def load_scenario(path):
    """Stands in for model.load_scenario: a loaded scenario is a dict here."""
    LOADS.append(str(path))
    return {"loaded_from": str(path), "pid": os.getpid()}


def with_scenario(x1: float, scenario=None, seed: int = 0) -> dict[str, float]:
    """Reports whether it got a loaded scenario (1) or a path (0)."""
    return {"y": x1, "preloaded": float(isinstance(scenario, dict))}


def no_seed(x1: float, **kwargs) -> dict[str, float]:
    """Takes no seed argument: it must not receive one (nor scale, months)."""
    return {"y": x1, "extra_arguments": float(len(kwargs))}


def returns_list(x1: float) -> list[float]:
    return [x1]


def returns_too_little(x1: float) -> dict[str, float]:
    return {"other": x1}
