"""Savings, measured and verified in the IPMVP spirit.

Method
------
1. Each device-day has a kWh (from the energy model) and falls in a phase (Viewer = baseline
   period, Saver = reporting period) and a day type (working / non-working; holidays and
   abnormal days are left out, see :mod:`.calendar`). Devices with fewer than
   ``min_days_per_phase`` counted days in a phase are left out of that phase.
2. Consumption is normalised per device-day: mean kWh = sum of kWh / number of device-days, for
   each (device kind, day type), separately for the saver group (the PCs that get the policy)
   and the control group (PCs of the project left in Viewer mode during Saver).
3. Savings per device-day:
   * before/after: baseline(saver group) - reporting(saver group);
   * control-adjusted (difference in differences): the before/after of the saver group minus
     the before/after of the control group, which removes what changed for everyone
     (season, workload, holidays nearby).
   The control-adjusted estimate is used when the control group was measured for every
   (kind, day type) the saver group was; otherwise before/after, with a caveat.
4. A year per device = savings per working day x working days a year + savings per non-working
   day x non-working days a year (:class:`.calendar.AnnualDays`).
5. Extrapolation: savings per device-year of each kind x the fleet's devices of that kind.
   Fleet devices of no declared kind get the fleet-weighted mean of the measured kinds.
6. kWh -> cost and CO2 with the project's tariff; rounded only for display.

Scale: everything here works on aggregates per (kind, group, phase, day type, saver group)
that one SQL ``GROUP BY`` over the device-day table returns (see :func:`aggregate_device_days`
for the reference implementation and the query), so the cost does not grow with the number of
devices or days.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from pydantic import Field, computed_field
from veille_contracts.agent import DeviceKind
from veille_contracts.projects import ProjectSummary

from .calendar import AnnualDays, DayCalendar, DayType
from .figures import ZERO, Figures, ReportModel, Tariff
from .insights import BlockerSummary, ImprovementsLeft, NeverSleepSummary

DEFAULT_MIN_DAYS_PER_PHASE = 3
DEFAULT_MIN_COVERAGE = 0.8


class Phase(StrEnum):
    viewer = "viewer"
    saver = "saver"


class SavingsMethod(StrEnum):
    before_after = "before_after"
    control_group = "control_group"


class CaveatCode(StrEnum):
    no_data = "no_data"
    no_control_group = "no_control_group"
    control_group_incomplete = "control_group_incomplete"
    missing_day_type = "missing_day_type"
    few_days = "few_days"
    low_coverage = "low_coverage"
    negative_savings = "negative_savings"
    kind_not_measured = "kind_not_measured"
    unclassified_fleet = "unclassified_fleet"


# --- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConsumptionCell:
    """kWh of the device-days of one (kind, group, phase, day type, saver group): one SQL row."""

    kind: DeviceKind
    group: str
    phase: Phase
    day_type: DayType
    saver_group: bool
    devices: int
    device_days: int
    kwh: float

    def __post_init__(self) -> None:
        if self.devices < 0 or self.device_days < self.devices:
            raise ValueError(f"cell {self.group!r}: need 0 <= devices <= device_days")
        if self.devices == 0 and self.device_days:
            raise ValueError(f"cell {self.group!r}: device-days without devices")
        if not math.isfinite(self.kwh) or self.kwh < 0:
            raise ValueError(f"cell {self.group!r}: kwh must be finite and >= 0")


@dataclass(frozen=True, slots=True)
class PhaseCoverage:
    """How many devices of one group (saver or control) reported in one phase."""

    phase: Phase
    saver_group: bool
    devices_reporting: int
    devices_too_few_days: int = 0
    """Reported, but on fewer counted days than the minimum, hence left out of the phase."""
    devices_expected: int | None = None
    """Devices the project put in this group (None if unknown)."""


@dataclass(frozen=True)
class FleetComposition:
    """The whole fleet the savings are extrapolated to (project prerequisites)."""

    total: int
    per_kind: Mapping[DeviceKind, int]

    def __post_init__(self) -> None:
        if self.total < 0 or any(n < 0 for n in self.per_kind.values()):
            raise ValueError("fleet counts must be >= 0")
        if sum(self.per_kind.values()) > self.total:
            raise ValueError("fleet devices per kind exceed the fleet total")

    @property
    def unclassified(self) -> int:
        return self.total - sum(self.per_kind.values())

    @classmethod
    def from_project(cls, project: ProjectSummary) -> FleetComposition:
        return cls(
            total=project.fleet_total,
            per_kind={DeviceKind.desktop: project.fleet_desktops, DeviceKind.laptop: project.fleet_laptops},
        )


@dataclass(frozen=True, slots=True)
class DailyConsumption:
    """kWh of one local day for one phase and group (for the Viewer vs Saver chart)."""

    day: date
    phase: Phase
    saver_group: bool
    devices: int
    kwh: float
    day_type: DayType | None = None
    """None for a left-out day (holiday, abnormal): still drawn, flagged."""


@dataclass(frozen=True)
class SavingsSettings:
    min_days_per_phase: int = DEFAULT_MIN_DAYS_PER_PHASE
    min_coverage: float = DEFAULT_MIN_COVERAGE


@dataclass(frozen=True)
class SavingsInputs:
    """Everything a savings report is computed from; each part is the result of one SQL query."""

    cells: Sequence[ConsumptionCell]
    fleet: FleetComposition
    tariff: Tariff
    annual_days: AnnualDays = field(default_factory=AnnualDays.standard)
    coverage: Sequence[PhaseCoverage] = ()
    daily: Sequence[DailyConsumption] = ()
    never_sleeping: NeverSleepSummary | None = None
    sleep_blockers: BlockerSummary | None = None
    improvements: ImprovementsLeft | None = None
    settings: SavingsSettings = field(default_factory=SavingsSettings)


# --- outputs -------------------------------------------------------------------------------


class Caveat(ReportModel):
    code: CaveatCode
    message: str


class DayTypeSavings(ReportModel):
    """Mean kWh per device-day of one kind (or group) and day type, and the savings they give."""

    day_type: DayType
    baseline_kwh_per_device_day: float | None
    reporting_kwh_per_device_day: float | None
    control_baseline_kwh_per_device_day: float | None = None
    control_reporting_kwh_per_device_day: float | None = None
    baseline_device_days: int = 0
    reporting_device_days: int = 0
    control_baseline_device_days: int = 0
    control_reporting_device_days: int = 0
    before_after_kwh_per_device_day: float | None
    control_adjusted_kwh_per_device_day: float | None = None

    def saved(self, method: SavingsMethod) -> float | None:
        if method is SavingsMethod.control_group:
            return self.control_adjusted_kwh_per_device_day
        return self.before_after_kwh_per_device_day


class KindSavings(ReportModel):
    kind: DeviceKind
    devices: int = Field(description="Saver-group devices of this kind measured in the Saver phase.")
    day_types: list[DayTypeSavings]
    baseline_kwh_per_device_year: float
    saved_kwh_per_device_year: float
    saved_pct: float | None = Field(description="Savings / baseline over the day types measured.")
    measured: Figures = Field(description="Annual savings of the measured saver-group devices.")
    fleet_devices: int
    fleet: Figures = Field(description="Annual savings if every fleet device of this kind had the policy.")


class GroupSavings(ReportModel):
    """Before/after savings of one device group's saver devices (kinds pooled)."""

    group: str
    devices: int
    day_types: list[DayTypeSavings]
    saved_kwh_per_device_year: float
    saved_pct: float | None
    measured: Figures


class CoverageFigures(ReportModel):
    phase: Phase
    saver_group: bool
    devices_reporting: int
    devices_too_few_days: int
    devices_expected: int | None
    coverage: float | None = Field(description="Devices counted / devices expected.")


class DailyPoint(ReportModel):
    day: date
    phase: Phase
    saver_group: bool
    day_type: DayType | None
    devices: int
    kwh: float

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kwh_per_device(self) -> float | None:
        return self.kwh / self.devices if self.devices else None


class SavingsReport(ReportModel):
    """Every savings figure of the dashboard and the feedback report."""

    method: SavingsMethod
    currency: str
    kwh_cost: float
    carbon_kg_per_kwh: float
    working_days_per_year: float
    non_working_days_per_year: float
    kinds: list[KindSavings]
    groups: list[GroupSavings]
    measured_devices: int
    measured: Figures = Field(description="Annual savings of the measured saver-group devices.")
    fleet_devices: int
    fleet: Figures = Field(description="Annual savings extrapolated to the whole fleet.")
    fleet_baseline: Figures = Field(description="Annual consumption of the whole fleet without the policy.")
    saved_kwh_per_device_year: float = Field(description="Fleet savings / fleet devices.")
    saved_pct: float | None
    coverage: list[CoverageFigures]
    daily: list[DailyPoint]
    never_sleeping: NeverSleepSummary | None
    sleep_blockers: BlockerSummary | None
    improvements: ImprovementsLeft | None
    caveats: list[Caveat]

    def caveat_codes(self) -> set[CaveatCode]:
        return {c.code for c in self.caveats}


# --- computation ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Sum:
    devices: int = 0
    device_days: int = 0
    kwh: float = 0.0

    def add(self, cell: ConsumptionCell) -> None:
        self.devices += cell.devices
        self.device_days += cell.device_days
        self.kwh += cell.kwh

    def mean(self) -> float | None:
        return self.kwh / self.device_days if self.device_days else None


# (phase, saver_group) -> day type -> sum
_Slots = dict[tuple[Phase, bool], dict[DayType, _Sum]]


def _slots() -> _Slots:
    return defaultdict(lambda: defaultdict(_Sum))


def _days(day_type: DayType) -> str:
    return "working days" if day_type is DayType.working else "non-working days"


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _day_type_savings(slots: _Slots, day_type: DayType) -> DayTypeSavings:
    def get(phase: Phase, saver: bool) -> _Sum:
        return slots.get((phase, saver), {}).get(day_type) or _Sum()

    base, rep = get(Phase.viewer, True), get(Phase.saver, True)
    cbase, crep = get(Phase.viewer, False), get(Phase.saver, False)
    before_after = _diff(base.mean(), rep.mean())
    control_change = _diff(cbase.mean(), crep.mean())
    return DayTypeSavings(
        day_type=day_type,
        baseline_kwh_per_device_day=base.mean(),
        reporting_kwh_per_device_day=rep.mean(),
        control_baseline_kwh_per_device_day=cbase.mean(),
        control_reporting_kwh_per_device_day=crep.mean(),
        baseline_device_days=base.device_days,
        reporting_device_days=rep.device_days,
        control_baseline_device_days=cbase.device_days,
        control_reporting_device_days=crep.device_days,
        before_after_kwh_per_device_day=before_after,
        control_adjusted_kwh_per_device_day=_diff(before_after, control_change),
    )


def _annual(
    rows: Sequence[DayTypeSavings], method: SavingsMethod, days: AnnualDays
) -> tuple[float, float, float | None]:
    """(baseline kWh per device-year, saved kWh per device-year, saved share of the baseline)."""
    baseline = saved = measured_baseline = 0.0
    for row in rows:
        weight = days.of(row.day_type)
        if row.baseline_kwh_per_device_day is not None:
            baseline += row.baseline_kwh_per_device_day * weight
        row_saved = row.saved(method)
        if row_saved is not None and row.baseline_kwh_per_device_day is not None:
            saved += row_saved * weight
            measured_baseline += row.baseline_kwh_per_device_day * weight
    return baseline, saved, (saved / measured_baseline if measured_baseline > 0 else None)


def _saver_devices(slots: _Slots) -> int:
    # A device reports on both day types, so the larger count is the better (lower-bound) count.
    return max((s.devices for s in slots.get((Phase.saver, True), {}).values()), default=0)


def _choose_method(kinds: Mapping[DeviceKind, list[DayTypeSavings]]) -> tuple[SavingsMethod, list[Caveat]]:
    rows = [r for rs in kinds.values() for r in rs if r.before_after_kwh_per_device_day is not None]
    if not rows:
        return SavingsMethod.before_after, []
    has_control = [r.control_adjusted_kwh_per_device_day is not None for r in rows]
    if all(has_control):
        return SavingsMethod.control_group, []
    if not any(
        r.control_baseline_device_days or r.control_reporting_device_days for rs in kinds.values() for r in rs
    ):
        return SavingsMethod.before_after, [
            Caveat(
                code=CaveatCode.no_control_group,
                message="No control group was measured: savings are before/after only and include "
                "any change of season or workload between the Viewer and Saver phases.",
            )
        ]
    missing = sorted(
        f"{k.value} {r.day_type.value}"
        for k, rs in kinds.items()
        for r in rs
        if r.before_after_kwh_per_device_day is not None and r.control_adjusted_kwh_per_device_day is None
    )
    return SavingsMethod.before_after, [
        Caveat(
            code=CaveatCode.control_group_incomplete,
            message="The control group lacks data for "
            + ", ".join(missing)
            + ": savings are before/after only.",
        )
    ]


def build_savings_report(inputs: SavingsInputs) -> SavingsReport:
    """The savings report of one project from its aggregates (pure; no I/O)."""
    days, tariff, settings = inputs.annual_days, inputs.tariff, inputs.settings
    by_kind: dict[DeviceKind, _Slots] = defaultdict(_slots)
    by_group: dict[str, _Slots] = defaultdict(_slots)
    for cell in inputs.cells:
        by_kind[cell.kind][(cell.phase, cell.saver_group)][cell.day_type].add(cell)
        if cell.saver_group:
            by_group[cell.group][(cell.phase, cell.saver_group)][cell.day_type].add(cell)

    kind_rows = {kind: [_day_type_savings(slots, dt) for dt in DayType] for kind, slots in by_kind.items()}
    method, caveats = _choose_method(kind_rows)

    measured_kinds: dict[DeviceKind, tuple[float, float, float | None]] = {}
    for kind, rows in kind_rows.items():
        if any(r.before_after_kwh_per_device_day is not None for r in rows):
            measured_kinds[kind] = _annual(rows, method, days)
        for row in rows:
            saved = row.saved(method)
            if saved is None and (row.baseline_device_days or row.reporting_device_days):
                caveats.append(
                    Caveat(
                        code=CaveatCode.missing_day_type,
                        message=f"{kind.value}: {_days(row.day_type)} were not measured in both phases; "
                        "their savings count as zero.",
                    )
                )
            elif saved is not None and saved < 0:
                caveats.append(
                    Caveat(
                        code=CaveatCode.negative_savings,
                        message=f"{kind.value}: {_days(row.day_type)} used "
                        f"{-saved:.3f} kWh more per device in the Saver phase than in the Viewer phase.",
                    )
                )

    # Fleet-weighted mean savings per device, for fleet devices of no declared kind.
    fleet = inputs.fleet
    weights = {k: fleet.per_kind.get(k, 0) for k in measured_kinds}
    if not any(weights.values()):
        weights = {k: _saver_devices(by_kind[k]) for k in measured_kinds}
    weight_total = sum(weights.values())
    mean_saved = (
        sum(measured_kinds[k][1] * w for k, w in weights.items()) / weight_total if weight_total else 0.0
    )
    mean_baseline = (
        sum(measured_kinds[k][0] * w for k, w in weights.items()) / weight_total if weight_total else 0.0
    )

    kinds: list[KindSavings] = []
    measured_kwh = fleet_kwh = fleet_baseline_kwh = 0.0
    measured_devices = 0
    for kind in DeviceKind:
        fleet_count = fleet.per_kind.get(kind, 0)
        if kind not in measured_kinds:
            if fleet_count:
                caveats.append(
                    Caveat(
                        code=CaveatCode.kind_not_measured,
                        message=f"The fleet has {fleet_count} {kind.value}s but none was measured in both "
                        "phases: they are left out of the extrapolation.",
                    )
                )
            continue
        baseline_year, saved_year, pct = measured_kinds[kind]
        devices = _saver_devices(by_kind[kind])
        measured_devices += devices
        measured_kwh += saved_year * devices
        fleet_kwh += saved_year * fleet_count
        fleet_baseline_kwh += baseline_year * fleet_count
        kinds.append(
            KindSavings(
                kind=kind,
                devices=devices,
                day_types=kind_rows[kind],
                baseline_kwh_per_device_year=baseline_year,
                saved_kwh_per_device_year=saved_year,
                saved_pct=pct,
                measured=tariff.figures(saved_year * devices),
                fleet_devices=fleet_count,
                fleet=tariff.figures(saved_year * fleet_count),
            )
        )
    if fleet.unclassified and measured_kinds:
        fleet_kwh += mean_saved * fleet.unclassified
        fleet_baseline_kwh += mean_baseline * fleet.unclassified
        caveats.append(
            Caveat(
                code=CaveatCode.unclassified_fleet,
                message=f"{fleet.unclassified} fleet devices are neither desktops nor laptops in the "
                "prerequisites: they are counted at the mean savings per device "
                f"({mean_saved:.1f} kWh/year).",
            )
        )

    groups = [_group_savings(name, slots, days, tariff) for name, slots in by_group.items()]
    groups.sort(key=lambda g: (-g.measured.kwh, g.group))

    coverage = [_coverage(c, settings, caveats) for c in inputs.coverage]
    if not measured_kinds:
        caveats.insert(
            0,
            Caveat(
                code=CaveatCode.no_data,
                message="No device of the saver group was measured in both the Viewer and Saver phases.",
            ),
        )
    elif fleet_kwh < 0:
        caveats.append(
            Caveat(
                code=CaveatCode.negative_savings,
                message="Overall the fleet would use more energy with the policy than without it.",
            )
        )

    fleet_devices = fleet.total if measured_kinds else 0
    return SavingsReport(
        method=method,
        currency=tariff.currency,
        kwh_cost=tariff.kwh_cost,
        carbon_kg_per_kwh=tariff.carbon_kg_per_kwh,
        working_days_per_year=days.working,
        non_working_days_per_year=days.non_working,
        kinds=kinds,
        groups=groups,
        measured_devices=measured_devices,
        measured=tariff.figures(measured_kwh) if measured_kinds else ZERO,
        fleet_devices=fleet.total,
        fleet=tariff.figures(fleet_kwh) if measured_kinds else ZERO,
        fleet_baseline=tariff.figures(fleet_baseline_kwh) if measured_kinds else ZERO,
        saved_kwh_per_device_year=fleet_kwh / fleet_devices if fleet_devices else 0.0,
        saved_pct=fleet_kwh / fleet_baseline_kwh if fleet_baseline_kwh > 0 else None,
        coverage=coverage,
        daily=[
            DailyPoint(
                day=d.day,
                phase=d.phase,
                saver_group=d.saver_group,
                day_type=d.day_type,
                devices=d.devices,
                kwh=d.kwh,
            )
            for d in sorted(inputs.daily, key=lambda d: (d.day, d.phase, not d.saver_group))
        ],
        never_sleeping=inputs.never_sleeping,
        sleep_blockers=inputs.sleep_blockers,
        improvements=inputs.improvements,
        caveats=caveats,
    )


def _group_savings(name: str, slots: _Slots, days: AnnualDays, tariff: Tariff) -> GroupSavings:
    rows = [_day_type_savings(slots, dt) for dt in DayType]
    _, saved_year, pct = _annual(rows, SavingsMethod.before_after, days)
    devices = _saver_devices(slots)
    return GroupSavings(
        group=name,
        devices=devices,
        day_types=rows,
        saved_kwh_per_device_year=saved_year,
        saved_pct=pct,
        measured=tariff.figures(saved_year * devices),
    )


def _coverage(c: PhaseCoverage, settings: SavingsSettings, caveats: list[Caveat]) -> CoverageFigures:
    who = "saver group" if c.saver_group else "control group"
    counted = c.devices_reporting - c.devices_too_few_days
    if c.devices_too_few_days:
        caveats.append(
            Caveat(
                code=CaveatCode.few_days,
                message=f"{c.phase.value} phase, {who}: {c.devices_too_few_days} of {c.devices_reporting} "
                f"devices reported on fewer than {settings.min_days_per_phase} counted days "
                "and are left out.",
            )
        )
    ratio = counted / c.devices_expected if c.devices_expected else None
    if ratio is not None and ratio < settings.min_coverage:
        caveats.append(
            Caveat(
                code=CaveatCode.low_coverage,
                message=f"{c.phase.value} phase, {who}: only {counted} of {c.devices_expected} devices "
                f"({ratio:.0%}) are counted (minimum {settings.min_coverage:.0%}).",
            )
        )
    return CoverageFigures(
        phase=c.phase,
        saver_group=c.saver_group,
        devices_reporting=c.devices_reporting,
        devices_too_few_days=c.devices_too_few_days,
        devices_expected=c.devices_expected,
        coverage=ratio,
    )


# --- reference aggregation (what the SQL does) ----------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceDay:
    """kWh of one device on one local day (a row of the reporting device-day table)."""

    device_id: str
    kind: DeviceKind
    group: str
    day: date
    phase: Phase
    saver_group: bool
    kwh: float


@dataclass(frozen=True)
class Aggregates:
    cells: list[ConsumptionCell]
    coverage: list[PhaseCoverage]


def aggregate_device_days(
    rows: Iterable[DeviceDay],
    calendar: DayCalendar,
    *,
    min_days_per_phase: int = DEFAULT_MIN_DAYS_PER_PHASE,
    expected: Mapping[tuple[Phase, bool], int] | None = None,
) -> Aggregates:
    """Cells and coverage from device-day rows: the reference for the adapter's SQL, which is::

        WITH counted AS (
          SELECT *, CASE WHEN (extract(isodow FROM day)::int - 1) = ANY(:working_weekdays)
                         THEN 'working' ELSE 'non_working' END AS day_type
          FROM device_days
          WHERE project_id = :project_id AND NOT (day = ANY(:excluded_dates))
        ), per_device AS (
          SELECT device_id, phase, saver_group, count(*) >= :min_days AS enough
          FROM counted GROUP BY device_id, phase, saver_group
        )
        -- cells
        SELECT kind, group_path, phase, day_type, saver_group,
               count(DISTINCT device_id), count(*), sum(kwh)
        FROM counted JOIN per_device USING (device_id, phase, saver_group)
        WHERE enough GROUP BY kind, group_path, phase, day_type, saver_group;
        -- coverage
        SELECT phase, saver_group, count(*), count(*) FILTER (WHERE NOT enough)
        FROM per_device GROUP BY phase, saver_group;

    (``working_weekdays`` and ``excluded_dates`` come from :class:`.calendar.DayCalendar`.)
    Devices with no counted day at all in a phase do not appear in its coverage.
    """
    per_device_days: dict[tuple[str, Phase, bool], int] = defaultdict(int)
    kept: list[tuple[DeviceDay, DayType]] = []
    for row in rows:
        day_type = calendar.classify(row.day)
        if day_type is None:
            continue
        kept.append((row, day_type))
        per_device_days[(row.device_id, row.phase, row.saver_group)] += 1

    enough = {key for key, n in per_device_days.items() if n >= min_days_per_phase}
    sums: dict[tuple[DeviceKind, str, Phase, DayType, bool], tuple[set[str], list[float]]] = {}
    for row, day_type in kept:
        if (row.device_id, row.phase, row.saver_group) not in enough:
            continue
        key = (row.kind, row.group, row.phase, day_type, row.saver_group)
        devices, acc = sums.setdefault(key, (set(), [0.0, 0.0]))
        devices.add(row.device_id)
        acc[0] += 1
        acc[1] += row.kwh
    cells = [
        ConsumptionCell(
            kind=k,
            group=g,
            phase=p,
            day_type=dt,
            saver_group=s,
            devices=len(ids),
            device_days=int(acc[0]),
            kwh=acc[1],
        )
        for (k, g, p, dt, s), (ids, acc) in sums.items()
    ]

    reporting: dict[tuple[Phase, bool], list[int]] = defaultdict(lambda: [0, 0])
    for (_, phase, saver), n in per_device_days.items():
        counts = reporting[(phase, saver)]
        counts[0] += 1
        counts[1] += n < min_days_per_phase
    keys = set(reporting) | set(expected or {})
    coverage = [
        PhaseCoverage(
            phase=phase,
            saver_group=saver,
            devices_reporting=reporting[(phase, saver)][0],
            devices_too_few_days=reporting[(phase, saver)][1],
            devices_expected=(expected or {}).get((phase, saver)),
        )
        for phase, saver in sorted(keys, key=lambda k: (list(Phase).index(k[0]), not k[1]))
    ]
    return Aggregates(cells=cells, coverage=coverage)
