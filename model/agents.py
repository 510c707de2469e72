"""The four Mesa agent classes: households, firms, training institutions, villages.

State lives in the model's arrays (:mod:`model.population`,
:mod:`model.labour_market`); an agent is a handle on its rows, so Mesa's
AgentSet, DataCollector, the dashboard and notebooks see real agents while a
month stays vectorised.  Only training institutions act in Python each month
(they are few and open cohorts).
"""

from __future__ import annotations

import numpy as np
from mesa import Agent

from .population import Capacity, Channel, Skill, is_employed
from .schema import SECTORS, TRADES


class Household(Agent):
    """A registered household that has left poverty (脱贫户).

    It is a zero-employment household (零就业家庭) when at least one member is
    able to work and no member is employed, a public post included.  "Able to
    work" is read as: of working age (under ``overage_age_years``), labour
    capacity above none, not ill and not in full-time training.
    """

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def members(self) -> np.ndarray:
        start = self.model.pop.hh_start[self.index]
        return np.arange(start, start + self.model.pop.hh_size[self.index])

    @property
    def size(self) -> int:
        return int(self.model.pop.hh_size[self.index])

    @property
    def village(self) -> Village:
        return self.model.villages[int(self.model.pop.hh_village[self.index])]

    @property
    def is_zero_employment(self) -> bool:
        return bool(self.model.zero_employment_hh[self.index])

    @property
    def below_monitoring_line(self) -> bool:
        return bool(self.model.below_line_hh[self.index])

    @property
    def income_per_head(self) -> float:
        return float(self.model.income_per_head[self.index])

    @property
    def employed_members(self) -> int:
        return int(is_employed(self.model.pop.channel[self.members]).sum())

    def member_table(self) -> list[dict]:
        """One dict per member: age, sex, capacity, trade, skill, what they do, income."""
        pop = self.model.pop
        return [
            {
                "person": int(i),
                "age": round(float(pop.age[i]), 1),
                "sex": "F" if pop.female[i] else "M",
                "capacity": Capacity(pop.capacity[i]).name.lower(),
                "trade": TRADES[pop.trade[i]],
                "skill": Skill(pop.skill[i]).name.lower(),
                "channel": Channel(pop.channel[i]).name.lower(),
                "ill": bool(pop.ill[i]),
                "income_yuan_per_month": round(float(pop.income[i]), 1),
            }
            for i in self.members
        ]


class Firm(Agent):
    """An establishment (or, for home work and local services, a county pool)."""

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def sector(self) -> str:
        return SECTORS[self.model.firms.sector[self.index]]

    @property
    def county(self) -> int:
        return int(self.model.firms.county[self.index])

    @property
    def capacity(self) -> float:
        return float(self.model.firms.effective_capacity()[self.index])

    @property
    def employees(self) -> int:
        return int((self.model.pop.firm == self.index).sum())

    @property
    def vacancies(self) -> int:
        return int(self.model.market.vacancies()[self.index])

    @property
    def wage(self) -> float:
        return float(self.model.market.sector_wage[self.model.firms.sector[self.index]])


class TrainingInstitution(Agent):
    """The Baoji Technician College (``county == -1``) or a county vocational centre.

    It holds a fixed number of seats (:func:`model.policies.training.seats_held`)
    and, each month, takes trainees into its free seats in the next trade of
    its rotation.  Under the tiered subsidy its pay depends on its placement
    rate so far.
    """

    def __init__(self, model, index: int, county: int, trades: list[int], seat_share: float) -> None:
        super().__init__(model)
        self.index = index
        self.county = county
        self.trades = trades
        self.seat_share = seat_share
        self.measured = 0.0
        self.placed = 0.0

    @property
    def placement_rate(self) -> float:
        """Placement rate of its graduates so far (0 before any is measured)."""
        return self.placed / self.measured if self.measured else 0.0

    def record_placements(self, measured: float, placed: float) -> None:
        self.measured += measured
        self.placed += placed

    def trade_this_month(self) -> int:
        """The trade of this month's intake (the institution rotates its trades)."""
        return self.trades[self.model.month % len(self.trades)]

    @property
    def trainees(self) -> int:
        pop = self.model.pop
        return int(((pop.channel == Channel.TRAINING) & (pop.institution == self.index)).sum())

    def step(self) -> None:
        """Take this month's intake into the seats still free."""
        from .policies import training

        training.intake(self.model, self, int(self.model.training_free_seats[self.index]))


class Village(Agent):
    """An administrative village: its posts and its labour-security assistant."""

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def county(self) -> int:
        return int(self.model.pop.village_county[self.index])

    @property
    def has_assistant(self) -> bool:
        return bool(self.model.monitor_draw_village[self.index] < self.model.p.levers.monitoring.coverage)

    def posts(self) -> dict[str, tuple[int, int]]:
        """(filled, quota) for each kind of village post."""
        from .policies import public_posts

        pop = self.model.pop
        quotas = public_posts.quotas(self.model)
        here = pop.village == self.index
        out = {}
        for ch in (Channel.VILLAGE_POST, Channel.MAINTENANCE_POST):
            out[ch.name.lower()] = (int((here & (pop.channel == ch)).sum()), int(quotas[ch][self.index]))
        return out
