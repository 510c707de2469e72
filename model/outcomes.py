"""Monthly aggregates and run-level metrics (DESIGN.md "Outcomes").

Every count is of the model's population, the poverty-alleviated, at
full-scale equivalents (weighted).  ``park_jobs`` is the number of
poverty-alleviated people working in industrial parks and key projects, not
all jobs there.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .population import POST_CHANNELS, SECTOR_CHANNELS, Channel, Skill, is_employed, is_market_work

LEVERS = ("training", "public_posts", "parks", "export", "monitoring")

CHANNEL_COLUMNS = {
    "park_jobs": Channel.INDUSTRIAL_PARK,
    "agricultural_jobs": Channel.AGRICULTURAL_PARK,
    "village_factory_jobs": Channel.VILLAGE_FACTORY,
    "home_piecework_jobs": Channel.HOME_PIECEWORK,
    "local_services_jobs": Channel.LOCAL_SERVICES,
    "domestic_service_jobs": Channel.DOMESTIC_SERVICE,
    "ecommerce_jobs": Channel.ECOMMERCE,
    "exported": Channel.EXPORT,
    "migrant": Channel.MIGRANT,
    "self_employed": Channel.SELF_EMPLOYED,
    "on_village_posts": Channel.VILLAGE_POST,
    "on_maintenance_posts": Channel.MAINTENANCE_POST,
    "on_agency_posts": Channel.AGENCY_POST,
    "on_clearing_posts": Channel.CLEARING_POST,
    "in_training": Channel.TRAINING,
}
"""Monthly columns that count people by what they do."""

EMPLOYMENT_CHANNELS = [k for k in CHANNEL_COLUMNS if k != "in_training"]

RELAPSE_WINDOW_MONTHS = 12
"""A cleared household relapses if found at zero employment again within
this many months (the "12m" of ``relapse_share_12m``)."""

CLEARING_MEASURES = ("job", "training", "post")


class ClearingRecord:
    """What dynamic clearing did: households cleared by each measure, and
    relapses (weighted, full-scale equivalents), after the warm-up."""

    def __init__(self, n_households: int, hh_weight: np.ndarray, warmup: int) -> None:
        self.hh_weight = hh_weight
        self.warmup = warmup
        self.last_cleared = np.full(n_households, -1, np.int32)
        self.by_measure = dict.fromkeys(CLEARING_MEASURES, 0.0)
        self.cleared_in: dict[int, float] = defaultdict(float)  # clearance month -> households
        self.relapsed_in: dict[int, float] = defaultdict(float)  # clearance month -> of them relapsed

    def record(self, model, cleared: dict[str, np.ndarray]) -> None:
        """Households each measure cleared this month."""
        for measure, households in cleared.items():
            self.last_cleared[households] = model.month
            weight = float(self.hh_weight[households].sum())
            self.cleared_in[model.month] += weight
            if model.month >= self.warmup:
                self.by_measure[measure] += weight

    def note_relapses(self, households: np.ndarray, month: int) -> None:
        """Households newly found at zero employment: relapses of a recent clearance."""
        last = self.last_cleared[households]
        back = households[(last >= 0) & (month - last <= RELAPSE_WINDOW_MONTHS)]
        for cleared_month, weight in zip(*_sum_by(self.last_cleared[back], self.hh_weight[back])):
            self.relapsed_in[int(cleared_month)] += weight
        self.last_cleared[back] = -1

    def metrics(self, last_month: int) -> dict[str, float]:
        total = sum(self.by_measure.values())
        out = {f"cleared_by_{k}_share": (v / total if total else math.nan) for k, v in self.by_measure.items()}
        # only clearances whose whole window was observed
        months = [c for c in self.cleared_in if self.warmup <= c <= last_month - RELAPSE_WINDOW_MONTHS]
        cleared = sum(self.cleared_in[c] for c in months)
        relapsed = sum(self.relapsed_in.get(c, 0.0) for c in months)
        out["relapse_share_12m"] = float(relapsed / cleared) if cleared else math.nan
        return out


def _sum_by(keys: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    unique, inverse = np.unique(keys, return_inverse=True)
    return unique, np.bincount(inverse, weights=weights, minlength=len(unique))


class Ledger:
    """Fiscal cost of the month by lever family (yuan, full-scale equivalent)."""

    def __init__(self) -> None:
        self.month: dict[str, float] = defaultdict(float)

    def add(self, lever: str, yuan: float) -> None:
        if lever not in LEVERS:
            raise KeyError(f"unknown lever family {lever!r}")
        self.month[lever] += float(yuan)

    def close(self) -> dict[str, float]:
        out = {f"fiscal_cost_{k}_yuan": self.month.get(k, 0.0) for k in LEVERS}
        self.month = defaultdict(float)
        return out


def income_table(model) -> tuple[np.ndarray, np.ndarray]:
    """Monthly pay by (certified in the job's trade, channel), and the trade
    of each channel's jobs (-1 where a certificate earns no premium)."""
    p = model.p
    growth = (1.0 + p.uncertainties.wage_growth) ** (model.month / 12.0)
    lm, t = p.labour_market, p.levers.training
    by_channel = np.zeros(len(Channel))
    by_channel[SECTOR_CHANNELS] = model.market.sector_wage * growth
    by_channel[Channel.MIGRANT] = lm.migrant_wage_yuan_per_month * growth
    by_channel[Channel.SELF_EMPLOYED] = lm.self_employed_income_yuan_per_month * growth
    by_channel[list(POST_CHANNELS)] = p.levers.public_posts.monthly_pay_yuan
    by_channel[Channel.TRAINING] = t.daily_allowance_yuan * p.behaviour.training.training_days_per_month
    # firms pay a premium for a certificate in their own trade
    table = np.stack([by_channel, by_channel])
    table[1, SECTOR_CHANNELS] *= 1.0 + lm.certified_wage_premium
    channel_trade = np.full(len(Channel), -1)
    channel_trade[SECTOR_CHANNELS] = model.market.sector_trade
    return table, channel_trade


def person_income(model) -> np.ndarray:
    """Monthly income of each person: wage, post pay, allowance, pension, transfer.

    The model computes it in its month-end pass
    (:func:`model.kernels.households.month_end`); this is the same rule in numpy.
    """
    pop, inc = model.pop, model.p.income
    table, channel_trade = income_table(model)
    certified = (pop.skill == Skill.CERTIFIED) & (channel_trade[pop.channel] == pop.trade)
    income = table.ravel()[certified * len(Channel) + pop.channel]
    income += inc.transfer_yuan_per_person_month
    income += inc.pension_yuan_per_month * (pop.age >= inc.pension_age_years)
    return income


def household_income_per_head(pop, person_income: np.ndarray, farm_income: float) -> np.ndarray:
    """Household income per head: members' incomes plus the household's farm income, over its size."""
    return (pop.per_household(person_income) + farm_income) / pop.hh_size


def columns() -> tuple[str, ...]:
    """The columns of the monthly series, in order (what :func:`record` writes)."""
    return (
        "month", "date", *CHANNEL_COLUMNS, "employed", "market_employed", "able_to_work", "employment_rate",
        "on_public_posts", "post_share_of_employed", "migrant_and_export", "zero_employment_households",
        "zero_employment_households_sampled", "clearing_queue", "households_below_monitoring_line",
        "mean_income_per_head_yuan", *(f"fiscal_cost_{k}_yuan" for k in LEVERS), "fiscal_cost_yuan",
    )


@dataclass
class MonthTally:
    """Weighted sums of the month's end (full-scale equivalents), from the
    month-end pass (:func:`model.kernels.households.month_end`)."""

    by_channel: np.ndarray  # people by channel
    able: float  # people able to work
    followed_export: float  # export workers with follow-up
    zero: float  # zero-employment households
    queue: float  # of them, awaiting clearance
    below_line: float  # households under the monitoring line
    income_per_head: float  # sum of household income per head (weighted)
    households: float  # household weight
    zero_sampled: int  # zero-employment households in the sample


def record(model) -> dict[str, float]:
    """The month's row of the time series (from the month-end tally, ``model.tally``)."""
    tally: MonthTally = model.tally
    counts = tally.by_channel
    row: dict[str, float] = {"month": model.month, "date": model.date_label()}
    for name, ch in CHANNEL_COLUMNS.items():
        row[name] = float(counts[ch])
    employed = float(counts[is_employed(np.arange(len(Channel)))].sum())
    able = float(tally.able)
    row["employed"] = employed
    row["market_employed"] = float(counts[is_market_work(np.arange(len(Channel)))].sum())
    row["able_to_work"] = able
    row["employment_rate"] = employed / able if able else math.nan
    row["on_public_posts"] = float(counts[list(POST_CHANNELS)].sum())
    row["post_share_of_employed"] = row["on_public_posts"] / employed if employed else math.nan
    row["migrant_and_export"] = row["migrant"] + row["exported"]
    row["zero_employment_households"] = float(tally.zero)
    row["zero_employment_households_sampled"] = int(tally.zero_sampled)
    row["clearing_queue"] = float(tally.queue)
    row["households_below_monitoring_line"] = float(tally.below_line)
    row["mean_income_per_head_yuan"] = float(tally.income_per_head / tally.households)
    costs = model.ledger.close()
    row.update(costs)
    row["fiscal_cost_yuan"] = float(sum(costs.values()))
    assert tuple(row) == columns(), "record() and columns() must agree"
    return row


def run_metrics(
    rows: list[dict[str, float]], warmup: int, stats: dict[str, float], clearing: ClearingRecord,
    households: tuple[int, float],
) -> dict[str, float]:
    """Run-level metrics: the keys of ``simulate()`` and ``summary.json``.

    Sums, peaks and means run over the months after the warm-up; ``_end``
    metrics are the last month.  ``households`` is (households simulated,
    their full-scale equivalent), for what a sample can certify.
    """
    after = [r for r in rows if r["month"] >= warmup]
    if not after:
        raise ValueError(f"no month after the warm-up ({warmup} months) to measure")
    end = rows[-1]
    zero = np.array([r["zero_employment_households"] for r in after])
    queue = np.array([r["clearing_queue"] for r in after])
    out = {
        "zero_employment_households_end": end["zero_employment_households"],
        "zero_employment_households_peak": float(zero.max()),
        "zero_employment_household_months": float(zero.sum()),
        "employed_end": end["employed"],
        "employment_rate_end": end["employment_rate"],
        "fiscal_cost_total_yuan": float(sum(r["fiscal_cost_yuan"] for r in after)),
        "training_placement_rate": (
            stats["graduates_placed"] / stats["graduates_measured"] if stats["graduates_measured"] else math.nan
        ),
        "households_below_monitoring_line_end": end["households_below_monitoring_line"],
        "park_jobs_end": end["park_jobs"],
        "exported_end": end["exported"],
        "migrant_end": end["migrant"],
        "on_public_posts_end": end["on_public_posts"],
        "in_training_end": end["in_training"],
        "clearing_wait_household_months": float(queue.sum()),
        "clearing_queue_peak": float(queue.max()),
        "post_share_of_employed": float(np.mean([r["post_share_of_employed"] for r in after])),
        "market_employed_end": end["market_employed"],
        "migrant_and_export_end": end["migrant_and_export"],
        **clearing.metrics(int(end["month"])),
        "households_sampled": float(households[0]),
        "households_fullscale": float(households[1]),
        "zero_household_months_sampled": float(sum(r["zero_employment_households_sampled"] for r in after)),
        "months_after_warmup": float(len(after)),
    }
    for lever in LEVERS:
        key = f"fiscal_cost_{lever}_yuan"
        out[key] = float(sum(r[key] for r in after))
    return out
