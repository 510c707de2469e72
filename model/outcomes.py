"""Monthly aggregates and run-level metrics (DESIGN.md "Outcomes").

Every count is of the model's population, the poverty-alleviated, at
full-scale equivalents (weighted).  ``park_jobs`` is the number of
poverty-alleviated people working in industrial parks and key projects, not
all jobs there.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from .population import POST_CHANNELS, Channel

LEVERS = ("training", "public_posts", "parks", "export", "monitoring")

CHANNEL_COLUMNS = {
    "park_jobs": Channel.INDUSTRIAL_PARK,
    "agricultural_jobs": Channel.AGRICULTURAL_PARK,
    "village_factory_jobs": Channel.VILLAGE_FACTORY,
    "home_piecework_jobs": Channel.HOME_PIECEWORK,
    "local_services_jobs": Channel.LOCAL_SERVICES,
    "exported": Channel.EXPORT,
    "migrant": Channel.MIGRANT,
    "self_employed": Channel.SELF_EMPLOYED,
    "on_village_posts": Channel.VILLAGE_POST,
    "on_maintenance_posts": Channel.MAINTENANCE_POST,
    "on_agency_posts": Channel.AGENCY_POST,
    "on_reserve_posts": Channel.RESERVE_POST,
    "in_training": Channel.TRAINING,
}
"""Monthly columns that count people by what they do."""

EMPLOYMENT_CHANNELS = [k for k in CHANNEL_COLUMNS if k != "in_training"]


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


def person_income(model) -> np.ndarray:
    """Monthly income of each person: wage, post pay, allowance, pension, transfer."""
    p, pop = model.p, model.pop
    growth = (1.0 + p.uncertainties.wage_growth) ** (model.month / 12.0)
    lm, t = p.labour_market, p.levers.training
    by_channel = np.zeros(len(Channel))
    by_channel[Channel.INDUSTRIAL_PARK : Channel.EXPORT + 1] = model.market.sector_wage * growth
    by_channel[Channel.MIGRANT] = lm.migrant_wage_yuan_per_month * growth
    by_channel[Channel.SELF_EMPLOYED] = lm.self_employed_income_yuan_per_month * growth
    by_channel[list(POST_CHANNELS)] = p.levers.public_posts.monthly_pay_yuan
    by_channel[Channel.TRAINING] = t.daily_allowance_yuan * p.behaviour.training.training_days_per_month
    # one lookup on (channel, certified in the job's trade): firms pay a premium
    # for a certificate in their own trade
    table = np.stack([by_channel, by_channel])
    table[1, Channel.INDUSTRIAL_PARK : Channel.EXPORT + 1] *= 1.0 + lm.certified_wage_premium
    channel_trade = np.full(len(Channel), -1)
    channel_trade[Channel.INDUSTRIAL_PARK : Channel.EXPORT + 1] = model.market.sector_trade
    certified = (pop.skill == 2) & (channel_trade[pop.channel] == pop.trade)
    income = table.ravel()[certified * len(Channel) + pop.channel]
    inc = p.income
    income += inc.transfer_yuan_per_person_month
    income += inc.pension_yuan_per_month * (pop.age >= inc.pension_age_years)
    pop.wage = income
    return income


def household_income_per_head(model) -> np.ndarray:
    pop = model.pop
    total = pop.per_household(person_income(model)) + model.p.income.farm_income_yuan_per_household_month
    return total / pop.hh_size


def record(model) -> dict[str, float]:
    """The month's row of the time series."""
    pop = model.pop
    w = pop.weight
    hh_w = model.hh_weight
    counts = np.bincount(pop.channel, weights=w, minlength=len(Channel))
    row: dict[str, float] = {"month": model.month, "date": model.date_label()}
    for name, ch in CHANNEL_COLUMNS.items():
        row[name] = float(counts[ch])
    employed = float(counts[Channel.INDUSTRIAL_PARK : Channel.RESERVE_POST + 1].sum())
    able = float(w @ model.able)
    row["employed"] = employed
    row["able_to_work"] = able
    row["employment_rate"] = employed / able if able else math.nan
    row["on_public_posts"] = float(counts[list(POST_CHANNELS)].sum())
    row["zero_employment_households"] = float(hh_w @ model.zero_employment_hh)
    row["households_below_monitoring_line"] = float(hh_w @ model.below_line_hh)
    row["mean_income_per_head_yuan"] = float(hh_w @ model.income_per_head / hh_w.sum())
    costs = model.ledger.close()
    row.update(costs)
    row["fiscal_cost_yuan"] = float(sum(costs.values()))
    return row


def run_metrics(rows: list[dict[str, float]], warmup: int, stats: dict[str, float]) -> dict[str, float]:
    """Run-level metrics: the keys of ``simulate()`` and ``summary.json``."""
    after = [r for r in rows if r["month"] >= warmup] or rows[-1:]
    end = rows[-1]
    zero = np.array([r["zero_employment_households"] for r in after])
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
    }
    for lever in LEVERS:
        key = f"fiscal_cost_{lever}_yuan"
        out[key] = float(sum(r[key] for r in after))
    return out
