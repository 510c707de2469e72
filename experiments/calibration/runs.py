"""Runs of the model for the calibration, and the model's value of every target.

A run covers 2020-21 (:attr:`Calendar.months_to_run`), one month at a time,
so that the flow into park jobs can be counted and the training statistics
read as they stood in Oct 2021.
"""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from experiments.calibration.targets import END_2021, FIRST_MONTH, OCT_2021, YEAR_2020, Calendar, date_of

CONTEXT_KEYS = ("on_public_posts_2021", "migrant_2021", "migrant_and_export_change", "export_placements_2021",
                "post_share_min", "post_share_max", "zero_employment_households_dec_2021", "clearing_queue_dec_2021",
                "cleared_by_job_share", "cleared_by_training_share", "cleared_by_post_share")
"""Measured beside the targets, for the report; not targets."""


def measure(rows: list[dict], stats_oct_2021: dict, calendar: Calendar, park_entrants: float,
            clearing: dict[str, float] | None = None) -> dict[str, float]:
    """The model's value of every target (and of :data:`CONTEXT_KEYS`) from a run's monthly rows.

    ``rows`` carry a ``date`` (``YYYY-MM``); ``stats_oct_2021`` is the model's
    training statistics as they stood at the end of Oct 2021.
    """
    by_date = {r["date"]: r for r in rows}
    missing = [d for d in (YEAR_2020, OCT_2021, END_2021) if d not in by_date]
    if missing:
        raise ValueError(f"the run does not reach {', '.join(missing)} (it starts {calendar.start})")
    dec, octo, end = by_date[YEAR_2020], by_date[OCT_2021], by_date[END_2021]
    year_before = by_date.get(date_of(OCT_2021, -12))
    zero = [by_date[d]["zero_employment_households"] for d in calendar.dates(calendar.after_warmup, END_2021)]
    shares = [by_date[d]["post_share_of_employed"] for d in calendar.dates(FIRST_MONTH, END_2021)]
    measured = stats_oct_2021["graduates_measured"]
    out = {
        "market_employed_2020": dec["market_employed"],
        "market_employed_2021": octo["market_employed"],
        "training_placement_rate": stats_oct_2021["graduates_placed"] / measured if measured else math.nan,
        "market_employed_change": octo["market_employed"] / dec["market_employed"] - 1.0,
        "park_entrants": float(park_entrants),
        "agricultural_jobs_2021": octo["agricultural_jobs"],
        "village_factory_jobs_2020": dec["village_factory_jobs"],
        "post_share_of_employed": float(np.mean(shares)),
        "zero_employment_households_max": float(max(zero)) if zero else math.nan,
        # context
        "on_public_posts_2021": octo["on_public_posts"],
        "migrant_2021": octo["migrant"],
        "migrant_and_export_change": (octo["migrant_and_export"] / year_before["migrant_and_export"] - 1.0
                                      if year_before else math.nan),  # same calendar month: no season in it
        "export_placements_2021": stats_oct_2021["export_placements"],
        "post_share_min": float(min(shares)),
        "post_share_max": float(max(shares)),
        "zero_employment_households_dec_2021": end["zero_employment_households"],
        "clearing_queue_dec_2021": end["clearing_queue"],
    }
    for k in ("cleared_by_job_share", "cleared_by_training_share", "cleared_by_post_share"):
        out[k] = float((clearing or {}).get(k, math.nan))
    for d in calendar.dates(calendar.after_warmup, END_2021):  # the 2021 month-end counts, for the report
        out[f"zero@{d}"] = by_date[d]["zero_employment_households"]
    return out


def run_one(job: tuple[str | None, int, float, dict[str, Any]]) -> dict[str, float]:
    """One run through 2020-21; returns :func:`measure` (a process-pool task)."""
    from model import EmploymentModel
    from model.population import Channel

    scenario, seed, scale, overrides = job
    model = EmploymentModel(scenario, rng=seed, scale=scale, overrides=overrides)
    calendar = Calendar.of(model.p.run)
    pop = model.pop
    in_park = pop.channel == Channel.INDUSTRIAL_PARK
    entered = np.zeros(in_park.shape, bool)
    last_park_month = calendar.month(OCT_2021)
    stats_oct = None
    for month in range(calendar.months_to_run):
        model.step()
        now = pop.channel == Channel.INDUSTRIAL_PARK
        if month <= last_park_month:
            entered |= now & ~in_park  # took a park job this month (holders at the start do not count)
        in_park = now
        if month == last_park_month:
            stats_oct = dict(model.stats)
    return measure(model.rows, stats_oct, calendar, float(pop.weight[entered].sum()), model.clearing.metrics(model.month - 1))


def run_many(jobs: list, workers: int) -> list[dict[str, float]]:
    """:func:`run_one` for every job, in ``workers`` spawned processes (serially for one)."""
    if workers <= 1 or len(jobs) == 1:
        return [run_one(j) for j in jobs]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        return list(pool.map(run_one, jobs))


def evaluate(scenario=None, *, seeds=(1, 2, 3), scale=0.1, overrides=None, workers=1) -> dict[str, np.ndarray]:
    """Every target's model value for each seed: ``{key: array over seeds}``."""
    scenario = str(scenario) if scenario is not None else None
    out = run_many([(scenario, int(s), float(scale), dict(overrides or {})) for s in seeds], workers)
    return {k: np.array([o[k] for o in out]) for k in out[0]}
