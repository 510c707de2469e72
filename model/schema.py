"""The typed scenario schema: every parameter's type, unit and hard limits.

Values live in one place only, the scenario files (``scenarios/``); the
baseline gives each value its source (the case, the domain figures,
``assumption`` or ``calibrated``).  This module says what a value *is*: its
type, its unit and the limits outside which it makes no sense.  Plausible
ranges for sensitivity analysis are given per parameter in the scenario file
(``range: [lo, hi]``).

Sections follow the XLRM frame of DESIGN.md: ``levers`` (L) are the case's
policy instruments, ``uncertainties`` (X) are what no policy controls, and
``population``, ``sectors``, ``labour_market``, ``behaviour`` and ``income``
parameterise the relationships (R).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CAPACITIES = ("full", "half", "weak", "over_age")
"""Labour capacities of people able to work, strongest first (全劳力, 半劳力,
弱劳力, 超龄劳力).  A fifth class, ``none``, cannot work."""

SKILLS = ("unskilled", "basic", "certified")
"""Skill levels, lowest first: none, basic (a short course or experience), a
certificate in one trade (mid-term training)."""

TRADES = ("general", "manufacturing", "ecommerce", "domestic_service", "agriculture")
"""Trades a person can hold: the mid-term courses of the case (auto repair and
welding, e-commerce, 西秦大姐 domestic service, 千阳苹果师傅 apple growing)."""

SECTORS = (
    "industrial_park",
    "agricultural_park",
    "village_factory",
    "home_piecework",
    "local_services",
    "domestic_service",
    "ecommerce",
    "export_employer",
)
"""Firm sectors.  ``export_employer`` is the employers reached through the
Jiangsu labour-export base; it is not reached by local job search.
``domestic_service`` (家政, the 西秦大姐 brand) and ``ecommerce`` (county
e-commerce service centres) hire the graduates of those courses."""


def P(unit: str, ge: float | None = None, le: float | None = None, doc: str = "",
      min_items: int | None = None) -> Any:
    """A required parameter with its unit and hard limits (``min_items`` for a list)."""
    return Field(..., ge=ge, le=le, min_length=min_items, description=doc, json_schema_extra={"unit": unit})


def unit_of(field_info: Any) -> str | None:
    extra = field_info.json_schema_extra or {}
    return extra.get("unit") if isinstance(extra, dict) else None


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------- run
class Run(Section):
    start: str = P("YYYY-MM", doc="Calendar month of month 0")
    months: int = P("months", ge=1, le=600, doc="Months simulated")
    warmup_months: int = P("months", ge=0, le=120, doc="Months before metrics count")
    scale: float = P("share", ge=1e-4, le=1.0, doc="Default share of villages sampled")

    @field_validator("start")
    @classmethod
    def _a_month(cls, start: str) -> str:
        if not re.fullmatch(r"(19|20)\d\d-(0[1-9]|1[0-2])", start):
            raise ValueError("must be a calendar month YYYY-MM from 1900-01 to 2099-12")
        return start

    @model_validator(mode="after")
    def _warmup_inside(self):
        if self.warmup_months >= self.months:
            raise ValueError(
                f"warmup_months ({self.warmup_months}) must be below months ({self.months})"
            )
        return self


# -------------------------------------------------------------- population
class County(Section):
    name: str
    code: int
    district: bool = Field(..., description="an urban district (区) rather than a county (县)")
    villages: int = Field(..., ge=1, le=100_000)
    poverty_county: bool
    min_wage_yuan_per_month: float = Field(..., gt=0, le=1e7)
    x_km: float = Field(..., ge=-10_000, le=10_000)
    y_km: float = Field(..., ge=-10_000, le=10_000)


class AgeBands(Section):
    """Shares of the poverty-alleviated population by age band (sum to 1)."""

    age_0_15: float = P("share", 0, 1)
    age_16_29: float = P("share", 0, 1)
    age_30_44: float = P("share", 0, 1)
    age_45_59: float = P("share", 0, 1)
    age_60_69: float = P("share", 0, 1)
    age_70_84: float = P("share", 0, 1)


class CapacityShares(Section):
    """Shares of working-age people (16-59) by labour capacity (sum to 1)."""

    full: float = P("share", 0, 1)
    half: float = P("share", 0, 1)
    weak: float = P("share", 0, 1)
    none: float = P("share", 0, 1)


class TradeShares(Section):
    general: float = P("share", 0, 1)
    manufacturing: float = P("share", 0, 1)
    ecommerce: float = P("share", 0, 1)
    domestic_service: float = P("share", 0, 1)
    agriculture: float = P("share", 0, 1)


class SkillShares(Section):
    unskilled: float = P("share", 0, 1)
    basic: float = P("share", 0, 1)
    certified: float = P("share", 0, 1)


class Population(Section):
    people_total: int = P("persons", ge=1, le=10_000_000)
    household_size_mean: float = P("persons/household", ge=1.0, le=10.0)
    poverty_county_weight: float = P("ratio", ge=0.1, le=10.0)
    village_radius_km: float = P("km", ge=0.5, le=100)
    female_share: float = P("share", 0, 1)
    age_bands: AgeBands
    working_age_min_years: int = P("years", ge=14, le=20)
    overage_age_years: int = P("years", ge=50, le=70)
    labour_exit_age_years: int = P("years", ge=60, le=90)
    overage_able_share: float = P("share", 0, 1)
    capacity_shares: CapacityShares
    capacity_decline_age_years: int = P("years", ge=30, le=70)
    capacity_decline_rate_per_year: float = P("1/year", 0, 1)
    trade_shares: TradeShares
    skill_shares: SkillShares
    initial_migrant_share: float = P("share", 0, 1)
    counties: list[County]

    @model_validator(mode="after")
    def _consistent(self):
        for name in ("age_bands", "capacity_shares", "trade_shares", "skill_shares"):
            total = sum(getattr(self, name).model_dump().values())
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"{name} must sum to 1, not {total:.6g}")
        if not self.working_age_min_years < self.overage_age_years < self.labour_exit_age_years:
            raise ValueError(
                "need working_age_min_years < overage_age_years < labour_exit_age_years"
            )
        if not self.counties:
            raise ValueError("counties must not be empty")
        return self


# ----------------------------------------------------------------- sectors
class Sector(Section):
    establishments: int = P("firms", ge=0, le=100_000, doc="Establishments at full scale")
    initial_jobs: float = P("jobs", ge=0, le=1e7, doc="Jobs open to the poverty-alleviated, month 0")
    wage_yuan_per_month: float = P("yuan/month", ge=0, le=1e7)
    min_skill: Literal[SKILLS] = P("level", doc="lowest skill level hired")  # type: ignore[valid-type]
    trade: Literal[TRADES] = P("trade")  # type: ignore[valid-type]
    eligible_capacities: list[Literal[CAPACITIES]] = P("capacities")  # type: ignore[valid-type]
    age_max_years: int = P("years", ge=16, le=90)
    separation_multiplier: float = P("ratio", ge=0, le=20)
    location: Literal["county_seat", "villages", "home", "jiangsu"] = P("place")
    district_weight: float = P("ratio", ge=0, le=20, doc="Weight of districts vs counties")


class Sectors(Section):
    industrial_park: Sector
    agricultural_park: Sector
    village_factory: Sector
    home_piecework: Sector
    local_services: Sector
    domestic_service: Sector
    ecommerce: Sector
    export_employer: Sector


# ------------------------------------------------------------ labour market
class LabourMarket(Section):
    search_share_by_capacity: dict[Literal[CAPACITIES], float] = P("share/month")  # type: ignore[valid-type]
    search_rounds_per_month: int = P("rounds", ge=1, le=10)
    initial_matching_rounds: int = P("rounds", ge=0, le=50)
    commute_scale_km: float = P("km", ge=1, le=200)
    max_commute_km: float = P("km", ge=1, le=300)
    trade_match_bonus: float = P("score", ge=0, le=10)
    priority_bonus: float = P("score", ge=0, le=10)
    score_noise: float = P("score", ge=0, le=10)
    certified_wage_premium: float = P("share", ge=0, le=2)
    migrant_job_finding_rate: float = P("1/month", 0, 1)
    migrant_return_rate: float = P("1/month", 0, 1)
    migrant_return_age_ref_years: float = P("years", ge=16, le=90)
    migrant_return_increase_per_year_of_age: float = P("1/year of age", ge=0, le=1)
    migrant_demand_jobs: float = P("jobs", ge=0, le=1e7, doc="Migrant jobs the population can reach, full scale")
    spring_festival_months: list[int] = P("calendar months")
    spring_festival_return_rate: float = P("1/month", 0, 1)
    departure_peak_months: list[int] = P("calendar months")
    departure_peak_multiplier: float = P("ratio", ge=0, le=20)
    migrant_age_max_years: int = P("years", ge=16, le=90)
    migrant_wage_yuan_per_month: float = P("yuan/month", ge=0, le=1e7)
    self_employed_income_yuan_per_month: float = P("yuan/month", ge=0, le=1e7)
    self_employed_separation_multiplier: float = P("ratio", ge=0, le=20)
    illness_recovery_rate: float = P("1/month", 0, 1)

    @model_validator(mode="after")
    def _shares(self):
        for name in ("spring_festival_months", "departure_peak_months"):
            bad = [m for m in getattr(self, name) if not 1 <= m <= 12]
            if bad:
                raise ValueError(f"{name} must be calendar months 1-12, not {bad}")
        missing = set(CAPACITIES) - set(self.search_share_by_capacity)
        if missing:
            raise ValueError(f"search_share_by_capacity lacks {sorted(missing)}")
        bad = {k: v for k, v in self.search_share_by_capacity.items() if not 0 <= v <= 1}
        if bad:
            raise ValueError(f"search shares must lie in [0, 1]: {bad}")
        return self


# --------------------------------------------------------------- behaviour
class TrainingBehaviour(Section):
    takeup_logit_intercept: float = P("logit", -10, 10)
    takeup_logit_per_100_yuan_allowance: float = P("logit per 100 yuan/day", -10, 10)
    takeup_logit_fee_waiver: float = P("logit", -10, 10)
    takeup_logit_online_platform: float = P("logit", -10, 10)
    dropout_logit_intercept: float = P("logit", -10, 10)
    dropout_logit_per_100_yuan_allowance: float = P("logit per 100 yuan/day", -10, 10)
    dropout_logit_online_platform: float = P("logit", -10, 10)
    training_days_per_month: float = P("days/month", 0, 31)
    ordered_hire_probability: float = P("probability", 0, 1)
    placement_window_months: int = P("months", ge=0, le=36)
    placement_effort_tiered: float = P("probability/month", 0, 1)
    placement_effort_flat: float = P("probability/month", 0, 1)
    placement_measured_after_months: int = P("months", ge=1, le=24)
    college_seat_share: float = P("share", 0, 1)
    college_trades: list[Literal[TRADES]] = P("trades", min_items=1)  # type: ignore[valid-type]
    county_centre_trades: list[Literal[TRADES]] = P("trades", min_items=1)  # type: ignore[valid-type]
    course_fee_yuan_per_month: float = P("yuan/trainee-month", ge=0, le=1e7)
    institution_subsidy_yuan_per_graduate: float = P("yuan/graduate", ge=0, le=1e7)
    subsidy_tiers: list[tuple[float, float]] = P("[placement rate, share of subsidy]")
    short_course_cost_yuan: float = P("yuan/place", ge=0, le=1e7)


class ExportBehaviour(Section):
    willingness: float = P("probability", 0, 1)
    age_min_years: int = P("years", ge=16, le=60)
    age_max_years: int = P("years", ge=16, le=70)
    follow_up_separation_reduction: float = P("share", 0, 1)
    job_fair_reach: float = P("share of seekers per fair", 0, 1)
    job_fair_cost_yuan: float = P("yuan/fair", ge=0, le=1e7)
    follow_up_cost_yuan_per_worker_month: float = P("yuan/worker-month", ge=0, le=1e7)


class MonitoringBehaviour(Section):
    training_offer_uptake: float = P("probability", 0, 1)


class Behaviour(Section):
    training: TrainingBehaviour
    export: ExportBehaviour
    monitoring: MonitoringBehaviour


# ------------------------------------------------------------------ income
class Income(Section):
    pension_yuan_per_month: float = P("yuan/person-month", ge=0, le=1e7)
    pension_age_years: int = P("years", ge=50, le=80)
    transfer_yuan_per_person_month: float = P("yuan/person-month", ge=0, le=1e7)
    farm_income_yuan_per_household_month: float = P("yuan/household-month", ge=0, le=1e7)


# ------------------------------------------------------------------ levers
class TrainingLevers(Section):
    """Mid-term skills training (中期技能培训), short courses and 职培云."""

    mid_term_seats_per_year: float = P("seats/year", ge=0, le=1e7)
    daily_allowance_yuan: float = P("yuan/day", ge=0, le=1000)
    fee_waiver: bool = P("switch")
    age_min: int = P("years", ge=14, le=70)
    age_max: int = P("years", ge=14, le=70)
    duration_months: int = P("months", ge=1, le=24)
    tiered_institution_subsidy: bool = P("switch")
    firm_ordered_share: float = P("share", 0, 1)
    short_course_places_per_year: float = P("places/year", ge=0, le=1e7)
    online_platform: bool = P("switch")

    @model_validator(mode="after")
    def _ages(self):
        if self.age_min > self.age_max:
            raise ValueError(f"age_min ({self.age_min}) must not exceed age_max ({self.age_max})")
        return self


class PublicPostLevers(Section):
    """Public welfare posts (公益性岗位): village, maintenance and agency posts."""

    village_posts_per_village: float = P("posts/village", ge=0, le=1000)
    maintenance_posts_per_village: float = P("posts/village", ge=0, le=1000)
    agency_posts_total: float = P("posts", ge=0, le=1e7)
    monthly_pay_yuan: float = P("yuan/month", ge=0, le=1e7)
    priority: Literal["zero_employment_first", "weak_labour_first", "lottery"] = P("rule")
    max_term_months: int = P("months", ge=1, le=600)
    eligibility_unemployed_months: int = P("months", ge=0, le=120)
    clearing_budget_yuan_per_year: float = P("yuan/year", ge=0, le=1e10, doc="Budget for posts opened to clear zero-employment households")
    clearing_post_member: Literal["able_member", "any_idle_member"] = P("rule", doc="Which member a clearing post may go to")


class ParkLevers(Section):
    """Growing jobs (发展拓岗): parks, bases, village factories, home work, start-ups."""

    industrial_jobs_added_per_year: float = P("jobs/year", ge=0, le=1e7)
    agricultural_jobs_added_per_year: float = P("jobs/year", ge=0, le=1e7)
    village_factories_added_per_year: float = P("factories/year", ge=0, le=100_000)
    jobs_per_village_factory: float = P("jobs/factory", ge=0, le=10_000)
    home_piecework_places_added_per_year: float = P("places/year", ge=0, le=1e7)
    share_open_to_poverty_alleviated: float = P("share", 0, 1, doc="Of industrial jobs added")
    agricultural_share_open_to_poverty_alleviated: float = P("share", 0, 1)
    subsidy_yuan_per_job_added: float = P("yuan/job", ge=0, le=1e7)
    entrepreneurship_centres: int = P("centres", ge=0, le=100_000)
    business_starts_per_centre_per_year: float = P("starts/centre-year", ge=0, le=10_000)
    startup_subsidy_yuan: float = P("yuan/start", ge=0, le=1e7)
    retention_subsidy_yuan_per_worker_month: float = P("yuan/worker-month", ge=0, le=1e7)
    retention_subsidy_halving_yuan: float = P("yuan/worker-month", ge=1, le=1e7)


class ExportLevers(Section):
    """Labour export (输出转移): the Jiangsu base, Spring Breeze job fairs, follow-up."""

    placements_per_year: float = P("placements/year", ge=0, le=1e7)
    job_fairs_per_year: float = P("fairs/year", ge=0, le=100_000)
    follow_up: bool = P("switch")
    subsidy_yuan_per_placement: float = P("yuan/placement", ge=0, le=1e7)
    spring_breeze_months: list[int] = P("calendar months", doc="Months of the Spring Breeze Action (春风行动)")
    spring_breeze_share_of_fairs: float = P("share", 0, 1, doc="Share of the year's fairs held in those months")

    @model_validator(mode="after")
    def _months(self):
        bad = [m for m in self.spring_breeze_months if not 1 <= m <= 12]
        if bad or not self.spring_breeze_months:
            raise ValueError(f"spring_breeze_months must be calendar months 1-12, not {self.spring_breeze_months}")
        return self


class MonitoringLevers(Section):
    """Monthly employment monitoring and dynamic clearing (动态清零)."""

    interval_months: int = P("months", ge=1, le=24)
    coverage: float = P("share of villages", 0, 1)
    response_delay_months: int = P("months", ge=0, le=24)
    dynamic_clearing: bool = P("switch")
    clearing_order: list[Literal["job_push", "training_offer", "public_post"]] = P(
        "measures", doc="Clearing measures, in the order they are tried")
    training_seat_share: float = P(
        "share of free seats", 0, 1,
        doc="Share of an institution's free seats each month held for monitoring's training offers; "
            "the general intake fills the rest")
    monitoring_line_yuan_per_head_year: float = P("yuan/person-year", ge=0, le=1e7)
    assistant_stipend_yuan_per_month: float = P("yuan/village-month", ge=0, le=1e7)

    @model_validator(mode="after")
    def _order(self):
        if len(set(self.clearing_order)) != len(self.clearing_order):
            raise ValueError(f"clearing_order names a measure twice: {self.clearing_order}")
        return self

class Levers(Section):
    training: TrainingLevers
    public_posts: PublicPostLevers
    parks: ParkLevers
    export: ExportLevers
    monitoring: MonitoringLevers


# ----------------------------------------------------------- uncertainties
class DemandShock(Section):
    size: float = P("share of jobs", 0, 1)
    start_month: int = P("month", ge=0, le=600)
    duration_months: int = P("months", ge=0, le=600)
    sectors: list[Literal[SECTORS]] = P("sectors")  # type: ignore[valid-type]


class MigrantReturnShock(Section):
    share: float = P("share of migrants", 0, 1)
    month: int = P("month", ge=0, le=600)


class DepartureDisruption(Section):
    """Months in which migrant departures are held back (COVID-19 in Feb-Apr 2020)."""

    factor: float = P("ratio", 0, 1, doc="Departures relative to normal while it lasts")
    start_month: int = P("month", ge=0, le=600)
    duration_months: int = P("months", ge=0, le=600)


class Uncertainties(Section):
    demand_shock: DemandShock
    migrant_return_shock: MigrantReturnShock
    departure_disruption: DepartureDisruption
    illness_rate: float = P("1/month", 0, 1)
    separation_rate: float = P("1/month", 0, 1)
    wage_growth: float = P("1/year", -0.5, 0.5)
    job_destruction_rate: float = P("1/year", 0, 1)


# ---------------------------------------------------------------- scenario
class Scenario(Section):
    name: str
    description: str = ""
    run: Run
    population: Population
    sectors: Sectors
    labour_market: LabourMarket
    behaviour: Behaviour
    income: Income
    levers: Levers
    uncertainties: Uncertainties
