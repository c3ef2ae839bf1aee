"""The energy a simulated fleet really used: its ground-truth states through veille_energy's model.

This is what the platform's reports are checked against: the same energy model, applied to the
states the simulator actually produced minute by minute (not to the heartbeats).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from veille_contracts import DeviceKind
from veille_energy import EnergyModel, StateDurations

from .simulator import DeviceDayTruth, Fleet


@dataclass(frozen=True)
class TruthTotals:
    """kWh and device-days of a set of device-days, overall and per (kind, working day or not)."""

    kwh: float
    device_days: int
    by_cell: dict[tuple[DeviceKind, bool], tuple[float, int]]  # (kind, working) -> (kWh, device-days)

    @property
    def kwh_per_device_day(self) -> float:
        return self.kwh / self.device_days if self.device_days else 0.0


def device_day_kwh(fleet: Fleet, row: DeviceDayTruth, model: EnergyModel) -> float:
    device = fleet.devices[int(row.device_id.rsplit("-", 1)[1])]
    assert device.device_id == row.device_id
    durations = StateDurations(
        active_s=row.seconds_active,
        idle_s=row.seconds_idle,
        asleep_s=row.seconds_asleep,
        off_s=row.seconds_off,
    )
    return model.kwh(
        durations, device.kind, monitors=device.monitors, manufacturer=device.manufacturer, model=device.model
    ).total_kwh


def totals(
    fleet: Fleet,
    rows: Iterable[DeviceDayTruth],
    *,
    days: Collection[date],
    devices: Collection[str] | None = None,
    working_days: Collection[date] = (),
    model: EnergyModel | None = None,
) -> TruthTotals:
    """Sum the kWh of the device-days on `days` (and of `devices`, if given)."""
    model = model or EnergyModel()
    kinds = {d.device_id: d.kind for d in fleet.devices}
    cells: dict[tuple[DeviceKind, bool], list[float]] = defaultdict(lambda: [0.0, 0])
    total = 0.0
    count = 0
    for row in rows:
        if row.day not in days or (devices is not None and row.device_id not in devices):
            continue
        kwh = device_day_kwh(fleet, row, model)
        cell = cells[(kinds[row.device_id], row.day in working_days)]
        cell[0] += kwh
        cell[1] += 1
        total += kwh
        count += 1
    return TruthTotals(total, count, {k: (v[0], int(v[1])) for k, v in cells.items()})
