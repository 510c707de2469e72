"""What the calibration compares: the case's figures as read in ``docs/ODD.md``
(section 8.1), the calendar that places them in a run, and the free parameters.

A target names calendar months (``"2020-12"``), never month numbers: a run's
month numbers come from the scenario's ``run.start`` and ``run.warmup_months``
(:class:`Calendar`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Dates of the case's figures, as the calibration reads them.
YEAR_2020 = "2020-12"  # "2020" is read as the stock at the end of the year it reports
OCT_2021 = "2021-10"  # "to Oct 2021"
END_2021 = "2021-12"  # the end of 2020-21, the window of the post-share check and the zero count
FIRST_MONTH = "2020-01"  # the start of 2020-21


def month_number(start: str, date: str) -> int:
    """Months from ``start`` to ``date`` (both ``YYYY-MM``): ``month_number("2020-01", "2020-12") == 11``."""
    y0, m0 = (int(x) for x in start.split("-"))
    y1, m1 = (int(x) for x in date.split("-"))
    return (y1 - y0) * 12 + (m1 - m0)


def date_of(start: str, month: int) -> str:
    """The calendar month (``YYYY-MM``) of month number ``month`` of a run that starts at ``start``."""
    y0, m0 = (int(x) for x in start.split("-"))
    n = y0 * 12 + m0 - 1 + month
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


@dataclass(frozen=True)
class Calendar:
    """Where the case's dates fall in a run (from ``run.start`` and ``run.warmup_months``)."""

    start: str
    warmup_months: int

    @classmethod
    def of(cls, run) -> Calendar:
        """The calendar of a scenario's ``run`` section."""
        return cls(str(run.start), int(run.warmup_months))

    def month(self, date: str) -> int:
        m = month_number(self.start, date)
        if m < 0:
            raise ValueError(f"{date} is before the run's start ({self.start})")
        return m

    @property
    def months_to_run(self) -> int:
        """Months a run needs to reach the last date the targets read."""
        return self.month(END_2021) + 1

    @property
    def after_warmup(self) -> str:
        """The first calendar month after the warm-up (where outcomes start to count)."""
        return date_of(self.start, self.warmup_months)

    def dates(self, first: str, last: str) -> list[str]:
        """Calendar months from ``first`` to ``last`` inclusive, clipped to the run's start."""
        lo = max(0, month_number(self.start, first))
        return [date_of(self.start, m) for m in range(lo, self.month(last) + 1)]


@dataclass(frozen=True)
class Target:
    """A figure of the case and the band the model's value must lie in.

    ``fitted`` targets steer the fit; the others are checks the fit never sees.
    """

    key: str
    label: str
    value: float
    lower: float
    upper: float
    source: str
    measured_as: str
    fitted: bool = True

    @property
    def tolerance(self) -> str:
        if self.lower == self.upper:
            return f"exactly {fmt(self.value)}"
        if self.upper == math.inf:
            return f"at least {fmt(self.lower)}"
        if self.lower in (0, -math.inf) and self.upper == self.value:
            return f"at most {fmt(self.upper)}"
        if self.lower > 0 and math.isclose(self.value - self.lower, self.upper - self.value):
            return f"±{(self.upper / self.value - 1) * 100:.0f} %"
        return f"[{fmt(self.lower)}, {fmt(self.upper)}]"

    def met(self, x: float) -> bool:
        return self.lower - 1e-9 <= x <= self.upper + 1e-9


def fmt(x: float) -> str:
    """A number as the report prints it: shares with three decimals, counts with separators."""
    if x != x:
        return "n/a"
    if abs(x) == math.inf:
        return "∞" if x > 0 else "-∞"
    if abs(x) < 2 and x != int(x):
        return f"{x:.3f}"
    return f"{x:,.0f}"


def _band(key, label, value, rel, source, measured_as, fitted) -> Target:
    return Target(key, label, value, (1 - rel) * value, (1 + rel) * value, source, measured_as, fitted)


#: The post-share check of the State Council poverty office, 30 Sep 2020 (not fitted; never loosened).
POSTS_ON_30_SEP_2020, AWAY_ON_30_SEP_2020 = 4.9486e6, 29.3441e6
POST_SHARE_BAND = (0.08, 0.20)

TARGETS: tuple[Target, ...] = (
    _band("market_employed_2020", "Poverty-alleviated people in wage work off the home farm, 2020", 258_000, 0.10,
          "domain README (2020): 建档立卡贫困劳动力外出务工",
          f"`market_employed` (not a post), {YEAR_2020}", True),
    _band("market_employed_2021", "Poverty-alleviated people in wage work off the home farm, Oct 2021", 261_900, 0.10,
          "domain README; case (to Oct 2021)", f"`market_employed` (not a post), {OCT_2021}", True),
    Target("training_placement_rate", "Employment after mid-term training", 0.70, 0.65, 0.77,
           "domain README (>65 %, 2021)",
           f"graduates in market work 3 months after completion, all cohorts measured by {OCT_2021}"),
    Target("market_employed_change", "Change of wage work off the farm, 2020 to Oct 2021", 261_900 / 258_000 - 1,
           0.0, 2 * (261_900 / 258_000 - 1), "domain README (258,000 to 261,900; 就业规模稳定)",
           f"`market_employed` {OCT_2021} over {YEAR_2020}, minus 1: the sign and size of the case's change",
           fitted=False),
    _band("park_entrants", "Poverty-alleviated who took industrial-park and key-project jobs", 42_000, 0.25,
          "case (吸纳4.2万脱贫人口就业, by Oct 2021; period not stated)",
          f"distinct people entering a park job from {FIRST_MONTH} to {OCT_2021} (a flow)", False),
    Target("agricultural_jobs_2021", "Wage jobs in agricultural parks, bases, cooperatives", 62_900, 0.0, 62_900,
           "case (带动6.29万脱贫人口稳定增收, 2017-Oct 2021)",
           f"`agricultural_jobs`, {OCT_2021}: at most the people whose income rose (wages, dividends, rent)",
           fitted=False),
    _band("village_factory_jobs_2020", "In village and community factories", 4_455, 0.10,
          "domain README (~2020)", f"`village_factory_jobs`, {YEAR_2020}", False),
    Target("post_share_of_employed", "People on public posts over people in work, 2020-21",
           POSTS_ON_30_SEP_2020 / (POSTS_ON_30_SEP_2020 + AWAY_ON_30_SEP_2020), *POST_SHARE_BAND,
           "State Council poverty office, 30 Sep 2020 (4.9486 M on posts, 29.3441 M working away)",
           f"`post_share_of_employed`, every month {FIRST_MONTH} to {END_2021} (the mean is shown)", False),
    Target("zero_employment_households_max", "Zero-employment households left at a month end, 2021", 0.0, 0.0, 0.0,
           "case (动态清零, dynamic clearing)",
           f"max of `zero_employment_households` from the end of the warm-up to {END_2021}", False),
)
TARGET_BY_KEY = {t.key: t for t in TARGETS}
FITTED_KEYS = tuple(t.key for t in TARGETS if t.fitted)


@dataclass(frozen=True)
class FreeParameter:
    """A parameter the calibration fits, within the baseline's documented ``range``.

    ``tied`` parameters move with it at a fixed ratio (their prior ratio), so
    that a contrast the model relies on survives the fit.
    """

    path: str
    prior: float  # the stated (assumption) value before any calibration
    informs: tuple[str, ...]  # the targets it mainly moves
    decimals: int  # rounding of the written value (negative: to tens, hundreds, ...)
    why: str
    tied: tuple[tuple[str, float], ...] = ()

    def rounded(self, x: float) -> float | int:
        r = round(float(x), self.decimals)
        return int(r) if self.decimals <= 0 else r


_LEVEL = ("market_employed_2020", "market_employed_2021")
FREE_PARAMETERS: tuple[FreeParameter, ...] = (
    FreeParameter("sectors.industrial_park.initial_jobs", 24_000, _LEVEL, -2,
                  "the stock of park jobs held by the poverty-alleviated in Jan 2020 is not published (the case's "
                  "42,000 is a flow); the growth lever keeps its stated value"),
    FreeParameter("sectors.agricultural_park.initial_jobs", 56_000, _LEVEL, -2,
                  "wage jobs in agricultural parks in Jan 2020 are not published (the case's 62,900 is not a "
                  "head-count)"),
    FreeParameter("sectors.local_services.initial_jobs", 40_000, _LEVEL, -2,
                  "local construction, shop and service jobs of the poverty-alleviated are not published; "
                  "with the parks they set the level of market work"),
    FreeParameter("labour_market.score_noise", 1.0, ("training_placement_rate",), 2,
                  "how much an employer's choice depends on things other than skill is not observed"),
    FreeParameter("behaviour.training.placement_effort_tiered", 0.5, ("training_placement_rate",), 2,
                  "how hard institutions work to place graduates is not observed; the flat-subsidy effort "
                  "is tied to it at its prior ratio (0.4), so the tiered-subsidy lever keeps its contrast",
                  tied=(("behaviour.training.placement_effort_flat", 0.4),)),
)
PRIOR_WEIGHT = 1e-4
"""Weight of the squared distance (in the unit cube of the ranges) from the prior
values: among parameter values that fit equally well, prefer the stated ones."""
