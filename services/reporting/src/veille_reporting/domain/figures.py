"""Annual kWh with its cost and CO2: floats for arithmetic, rounded Decimals for display."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, computed_field
from veille_contracts.projects import ProjectSummary
from veille_energy import co2_kg, co2_kg_display, cost, kwh_display, money


class ReportModel(BaseModel):
    """Base of report outputs: immutable, closed, JSON-serialisable for the API and the dashboard."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


@dataclass(frozen=True)
class Tariff:
    """What a kWh costs and emits for the project (both from the project's prerequisites)."""

    kwh_cost: float
    carbon_kg_per_kwh: float
    currency: str = "EUR"

    def __post_init__(self) -> None:
        if self.kwh_cost < 0 or self.carbon_kg_per_kwh < 0:
            raise ValueError("kwh_cost and carbon_kg_per_kwh must be >= 0")

    @classmethod
    def from_project(cls, project: ProjectSummary) -> Tariff:
        return cls(project.kwh_cost, project.carbon_kg_per_kwh, project.currency)

    def figures(self, kwh: float) -> Figures:
        return Figures(kwh=kwh, cost=cost(kwh, self.kwh_cost), co2_kg=co2_kg(kwh, self.carbon_kg_per_kwh))


class Figures(ReportModel):
    """An amount of energy and what it costs and emits (negative when energy was not saved)."""

    kwh: float
    cost: float = Field(description="In the tariff's currency, unrounded.")
    co2_kg: float

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kwh_rounded(self) -> Decimal:
        return kwh_display(self.kwh)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cost_rounded(self) -> Decimal:
        """To the cent, half up."""
        return money(self.cost)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def co2_kg_rounded(self) -> Decimal:
        return co2_kg_display(self.co2_kg)


ZERO = Figures(kwh=0.0, cost=0.0, co2_kg=0.0)
