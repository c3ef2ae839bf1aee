"""Everything that turns a project's device-days into figures: zone, phases, calendar, watts, tariff."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from veille_contracts.projects import ProjectSummary
from veille_energy import EnergyModel

from .buckets import night_weights
from .calendar import AnnualDays, DayCalendar
from .figures import Tariff
from .savings import FleetComposition, Phase
from .timeline import DayWindow, StageEntry, phase_windows


@dataclass(frozen=True)
class ProjectContext:
    project: ProjectSummary
    windows: dict[Phase, DayWindow]
    calendar: DayCalendar
    model: EnergyModel

    @classmethod
    def of(
        cls,
        project: ProjectSummary,
        entries: Iterable[StageEntry],
        model: EnergyModel | None = None,
        abnormal_days: Iterable[date] = (),
    ) -> ProjectContext:
        return cls(
            project=project,
            windows=phase_windows(entries, project.schedule.timezone),
            calendar=DayCalendar.from_schedule(project.schedule, project.holidays, abnormal_days),
            model=model or EnergyModel(),
        )

    @property
    def zone(self) -> str:
        return self.project.schedule.timezone

    @property
    def night(self) -> list[float]:
        return night_weights(self.project.schedule.start, self.project.schedule.end)

    @property
    def tariff(self) -> Tariff:
        return Tariff.from_project(self.project)

    @property
    def fleet(self) -> FleetComposition:
        return FleetComposition.from_project(self.project)

    def annual_days(self) -> AnnualDays:
        """Exact day counts of the year the Saver phase started (else of the Viewer phase), else standard."""
        window = self.windows.get(Phase.saver) or self.windows.get(Phase.viewer)
        if window is None:
            return AnnualDays.standard()
        return AnnualDays.for_year(window.first.year, self.project.schedule, self.project.holidays)
