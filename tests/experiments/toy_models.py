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


# ------------------------------------------------ for `wengang compare` tests
#: Spread of the noise every scenario shares in a replication (drawn from the seed alone).
PAIRED_COMMON_SD = 10.0


def paired_toy(scenario_file: str, seed: int = 0) -> dict[str, float]:
    """A scenario with a known effect: ``y = effect + common + own``.

    The scenario file (YAML) gives ``effect``, ``own_sd`` and ``stream``.
    ``common`` ~ N(0, PAIRED_COMMON_SD) depends on the seed alone, so common
    random numbers cancel it; ``own`` ~ N(0, own_sd) is drawn from (seed,
    stream).  The true paired difference of B from A is effect_B - effect_A,
    with spread sqrt(own_sd_A^2 + own_sd_B^2).  Also returns a two-month path
    and a one-county table, shaped like :func:`experiments.compare.scenario_run`.
    """
    import numpy as np
    import yaml

    path = scenario_file.rpartition("#")[0] or scenario_file
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    common = np.random.default_rng(seed).normal(0.0, PAIRED_COMMON_SD)
    own = np.random.default_rng([seed, int(data["stream"])]).normal(0.0, float(data["own_sd"]))
    y = float(data["effect"]) + common + own
    return {"y": y, "path:employed:0": y, "path:employed:1": 2 * y, "county:north:employed": y}


# ----------------------------------------------- for `wengang optimize` tests
def zdt1(x1: float, x2: float, x3: float, x4: float, x5: float) -> dict[str, float]:
    """ZDT1 (Zitzler, Deb and Thiele 2000) with five variables on [0, 1].

    Both objectives are minimised; the true Pareto front is f2 = 1 - sqrt(f1)
    for f1 in [0, 1] (where x2..x5 = 0), whatever the number of variables.
    """
    g = 1.0 + 9.0 * (x2 + x3 + x4 + x5) / 4.0
    return {"f1": float(x1), "f2": float(g * (1.0 - (x1 / g) ** 0.5))}


def zdt1_in_worlds(x1: float, x2: float, x3: float, shock: float = 0.0,
                   seed: int = 0, run_seconds: float = 0.02) -> dict[str, float]:
    """ZDT1 (three variables) in an uncertain world: ``shock`` and seeded noise
    move f2; busy for ``run_seconds`` so that a search can be killed mid-run."""
    import time

    import numpy as np

    end = time.perf_counter() + run_seconds
    while time.perf_counter() < end:
        pass
    g = 1.0 + 9.0 * (x2 + x3) / 2.0
    noise = 0.01 * np.random.default_rng(seed).standard_normal()
    return {"f1": float(x1), "f2": float(g * (1.0 - (x1 / g) ** 0.5) + shock * x2 + noise)}
