"""The fleet simulator: people's plans + power rules -> minute states -> heartbeats and ground truth.

The simulated clock only moves through `advance`. Work is done a local day at a time: every
device's day is simulated as a few dozen intervals (never per-minute objects), then heartbeats are
cut from those intervals period by period, all devices of one period before the next, so they come
out in event-time order of period end. A directive takes effect at the simulator's current clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from veille_contracts import Directive, DirectiveMode, Heartbeat, PowerSource, SleepBlocker
from veille_contracts.agent import DeviceKind

from .behaviour import DayPlan, plan_day
from .fleet import Device, Fleet
from .machine import (
    ACTIVE,
    ASLEEP,
    IDLE,
    IDLE_ON_BATTERY,
    OFF,
    Carry,
    ShutdownRule,
    WindowResult,
    merge_blocks,
    run_window,
)
from .timeaxis import exact_local_minute, local_date_of, local_day, to_datetime, to_minute

_TRUTH_FIELDS = 5  # active, idle, asleep, off (minutes), disruptions


@dataclass(frozen=True, slots=True)
class PowerRules:
    """What a device's OS does when idle: its own settings (viewer) or an enforced policy (saver)."""

    version: str | None
    timeout_ac_min: int | None
    timeout_battery_min: int | None
    allowed_blockers: frozenset[str] | None  # None: every process's power request is honoured
    shutdown_at_minute: int | None  # local minutes after midnight of NightShutdown.at
    shutdown_idle_min: int
    shutdown_warning_min: int
    shutdown_max_postpone_min: int
    wake_minute: int | None  # local minutes after midnight: schedule start - minutes_before_start
    wake_hold_min: int  # held awake from the wake-up until the schedule's start
    wake_days: frozenset[int]
    timezone: str


def _earliest(*minutes: int | None) -> int | None:
    present = [m for m in minutes if m]
    return min(present) if present else None


def os_rules(device: Device, version: str | None) -> PowerRules:
    ac = device.sleep_timeout_ac_s // 60 or None
    dc = (device.sleep_timeout_dc_s or 0) // 60 or None
    return PowerRules(version, ac, dc, None, None, 0, 0, 0, None, 0, frozenset(), "UTC")


def directive_rules(device: Device, directive: Directive) -> PowerRules:
    policy = directive.policy
    if directive.mode is DirectiveMode.viewer or policy is None:
        return os_rules(device, directive.version)
    if any(
        device.group_path == g or device.group_path.startswith(g.rstrip("/") + "/")
        for g in policy.exceptions.exempt_groups
    ):
        return os_rules(device, directive.version)
    schedule = policy.schedule
    timezone = schedule.timezone if schedule else "UTC"
    allowed = frozenset(policy.exceptions.allowed_processes) if policy.anti_insomnia else None
    night = policy.night_shutdown
    wake_minute: int | None = None
    wake_hold = 0
    if policy.wake_up and schedule:
        start = schedule.start.hour * 60 + schedule.start.minute
        wake_minute = max(0, start - policy.wake_up.minutes_before_start)
        wake_hold = start - wake_minute
    return PowerRules(
        version=directive.version,
        timeout_ac_min=_earliest(policy.ac.sleep_min, policy.ac.hibernate_min),
        timeout_battery_min=_earliest(policy.battery.sleep_min, policy.battery.hibernate_min),
        allowed_blockers=allowed,
        shutdown_at_minute=night.at.hour * 60 + night.at.minute if night else None,
        shutdown_idle_min=night.idle_min if night else 0,
        shutdown_warning_min=night.warning_min if night else 0,
        shutdown_max_postpone_min=night.max_postpone_min if night else 0,
        wake_minute=wake_minute,
        wake_hold_min=wake_hold,
        wake_days=frozenset(schedule.days) if schedule else frozenset(),
        timezone=timezone,
    )


@dataclass(frozen=True, slots=True)
class DeviceDayTruth:
    """What really happened to one device on one local day (only the simulated part of the day)."""

    device_id: str
    day: date
    seconds_active: int
    seconds_idle: int
    seconds_asleep: int
    seconds_off: int
    disruptions: int

    @property
    def seconds_on(self) -> int:
        return self.seconds_active + self.seconds_idle


class FleetSimulator:
    def __init__(
        self,
        fleet: Fleet,
        clock_start: datetime,
        period_minutes: int = 5,
        holidays: Iterable[date] = (),
    ) -> None:
        if not 1 <= period_minutes <= 60:
            raise ValueError("period_minutes must be within 1-60")
        if clock_start.tzinfo is None or clock_start.second or clock_start.microsecond:
            raise ValueError("clock_start must be an aware datetime on a whole minute")
        self.fleet = fleet
        self.period_minutes = period_minutes
        self.holidays = frozenset(holidays)
        self.timezone = fleet.timezone
        self._origin = to_minute(clock_start)
        self._clock = self._origin
        n = len(fleet.devices)
        self._carry = [Carry.initial()] * n
        self._rules = [os_rules(d, None) for d in fleet.devices]
        self._seq = [0] * n
        self._last_input: list[int | None] = [None] * n
        self._plans: dict[date, list[DayPlan]] = {}
        self._truth: dict[date, list[int]] = {}
        self._index = {d.device_id: d.index for d in fleet.devices}

    @property
    def clock(self) -> datetime:
        return to_datetime(self._clock)

    def apply_directive(self, directive: Directive) -> None:
        """The device enforces `directive` from the current clock on (until the next one)."""
        index = self._index.get(directive.device_id)
        device = self.fleet.devices[index] if index is not None else None
        if device is None or directive.tenant_id != device.tenant_id:
            raise KeyError(f"no device {directive.device_id!r} in tenant {directive.tenant_id!r}")
        self._rules[device.index] = directive_rules(device, directive)

    def advance(self, until: datetime) -> Iterator[Heartbeat]:
        """Simulate up to `until` (floored to a period boundary) and yield heartbeats by period end."""
        for window in self._windows(to_minute(until)):
            yield from self._heartbeats(*window)

    def run(self, until: datetime) -> None:
        """Simulate up to `until` without producing heartbeats (ground truth only)."""
        for _ in self._windows(to_minute(until)):
            pass

    def ground_truth(self) -> list[DeviceDayTruth]:
        rows: list[DeviceDayTruth] = []
        for day in sorted(self._truth):
            totals = self._truth[day]
            for device in self.fleet.devices:
                at = device.index * _TRUTH_FIELDS
                active, idle, asleep, off, disruptions = totals[at : at + _TRUTH_FIELDS]
                rows.append(
                    DeviceDayTruth(
                        device.device_id, day, active * 60, idle * 60, asleep * 60, off * 60, disruptions
                    )
                )
        return rows

    # -- simulation -------------------------------------------------------------------------------

    def _is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def _plans_for(self, day: date) -> list[DayPlan]:
        plans = self._plans.get(day)
        if plans is None:
            local = local_day(self.timezone, day)
            working = self._is_working_day(day)
            seed = self.fleet.seed
            plans = [plan_day(device, seed, local, working) for device in self.fleet.devices]
            self._plans[day] = plans
        return plans

    def _windows(
        self, until: int
    ) -> Iterator[tuple[int, int, list[WindowResult], list[list[tuple[int, int, str]]]]]:
        period = self.period_minutes
        until = self._origin + (until - self._origin) // period * period
        while self._clock < until:
            w0 = self._clock
            first_day = local_date_of(self.timezone, w0)
            midnight = local_day(self.timezone, first_day).end
            w1 = self._origin + -(-(midnight - self._origin) // period) * period
            w1 = min(w1, until)
            yield (w0, w1, *self._simulate_window(w0, w1))
            self._clock = w1

    def _simulate_window(
        self, w0: int, w1: int
    ) -> tuple[list[WindowResult], list[list[tuple[int, int, str]]]]:
        first = local_date_of(self.timezone, w0) - timedelta(days=1)
        last = local_date_of(self.timezone, w1 - 1) + timedelta(days=1)
        days = [first + timedelta(days=k) for k in range((last - first).days + 1)]
        for stale in [d for d in self._plans if d < first]:
            del self._plans[stale]
        day_plans = [self._plans_for(d) for d in days]
        schedules: dict[PowerRules, tuple[ShutdownRule | None, list[int]]] = {}
        results: list[WindowResult] = []
        on_blockers: list[list[tuple[int, int, str]]] = []
        for device in self.fleet.devices:
            index = device.index
            rules = self._rules[index]
            schedule = schedules.get(rules)
            if schedule is None:
                schedule = schedules[rules] = self._schedule(rules, days)
            shutdown, wake_times = schedule
            inputs = [segment for plans in day_plans for segment in plans[index].inputs]
            # Requests released before w0 still matter: the idle timer restarts when one is released.
            raw_blockers = [b for plans in day_plans for b in plans[index].blockers]
            allowed = rules.allowed_blockers
            blocks = merge_blocks([(s, e) for p, s, e in raw_blockers if allowed is None or p in allowed])
            result = run_window(
                w0,
                w1,
                self._carry[index],
                inputs,
                blocks,
                rules.timeout_ac_min,
                rules.timeout_battery_min,
                shutdown,
                wake_times,
                device.kind is not DeviceKind.laptop,
                rules.wake_hold_min,
            )
            self._carry[index] = result.carry
            results.append(result)
            on_blockers.append(
                _blockers_while_on(raw_blockers, result.intervals, w0, w1) if raw_blockers else []
            )
            self._record_truth(index, result, w0, w1)
        return results, on_blockers

    def _schedule(self, rules: PowerRules, days: list[date]) -> tuple[ShutdownRule | None, list[int]]:
        shutdown: ShutdownRule | None = None
        if rules.shutdown_at_minute is not None:
            windows = []
            for day in days:
                at = exact_local_minute(rules.timezone, day, _time(rules.shutdown_at_minute))
                windows.append((at, at + rules.shutdown_max_postpone_min))
            shutdown = ShutdownRule(tuple(windows), rules.shutdown_idle_min, rules.shutdown_warning_min)
        wake_times: list[int] = []
        if rules.wake_minute is not None:
            wake_times = [
                exact_local_minute(rules.timezone, day, _time(rules.wake_minute))
                for day in days
                if day.weekday() in rules.wake_days
            ]
        return shutdown, wake_times

    def _record_truth(self, index: int, result: WindowResult, w0: int, w1: int) -> None:
        at = index * _TRUTH_FIELDS
        day = local_date_of(self.timezone, w0)
        local = local_day(self.timezone, day)
        totals = self._truth_row(day)
        intervals = result.intervals
        for k in range(0, len(intervals), 3):
            start, end, state = intervals[k], intervals[k + 1], intervals[k + 2]
            while start < end:
                if start >= local.end:
                    day = day + timedelta(days=1)
                    local = local_day(self.timezone, day)
                    totals = self._truth_row(day)
                    continue
                stop = min(end, local.end)
                totals[at + (IDLE if state == IDLE_ON_BATTERY else state)] += stop - start
                start = stop
        for minute in result.disruptions:
            self._truth_row(local_date_of(self.timezone, minute))[at + 4] += 1

    def _truth_row(self, day: date) -> list[int]:
        row = self._truth.get(day)
        if row is None:
            row = self._truth[day] = [0] * (len(self.fleet.devices) * _TRUTH_FIELDS)
        return row

    # -- heartbeats -------------------------------------------------------------------------------

    def _heartbeats(
        self, w0: int, w1: int, results: list[WindowResult], on_blockers: list[list[tuple[int, int, str]]]
    ) -> Iterator[Heartbeat]:
        devices = self.fleet.devices
        n = len(devices)
        cursors = [0] * n
        blocker_cursors = [0] * n
        is_laptop = [d.kind is DeviceKind.laptop for d in devices]
        period = self.period_minutes
        moments: dict[int, datetime] = {}  # last-input datetimes, shared by the devices of this window
        for p0 in range(w0, w1, period):
            p1 = p0 + period
            start_dt, end_dt = to_datetime(p0), to_datetime(p1)
            for index in range(n):
                intervals = results[index].intervals
                k = cursors[index]
                while intervals[k + 1] <= p0:
                    k += 3
                cursors[index] = k
                if intervals[k + 2] == OFF and intervals[k + 1] >= p1:
                    continue  # fully off: a real agent is not running to report anything
                active = idle = asleep = 0
                battery = False
                input_minutes: list[int] = []
                last_input = self._last_input[index]
                size = len(intervals)
                while k < size and intervals[k] < p1:
                    s = intervals[k] if intervals[k] > p0 else p0
                    e = intervals[k + 1] if intervals[k + 1] < p1 else p1
                    state = intervals[k + 2]
                    if state == ACTIVE:
                        active += e - s
                        input_minutes.extend(range(s - p0, e - p0))
                        last_input = e
                    elif state == IDLE:
                        idle += e - s
                    elif state == IDLE_ON_BATTERY:
                        idle += e - s
                        battery = True
                    elif state == ASLEEP:
                        asleep += e - s
                    k += 3
                if not (active or idle or asleep):
                    continue
                self._last_input[index] = last_input
                segments = on_blockers[index]
                blockers = self._blocker_seconds(segments, blocker_cursors, index, p0, p1) if segments else []
                if last_input is None:
                    last_input_at = None
                else:
                    last_input_at = moments.get(last_input)
                    if last_input_at is None:
                        last_input_at = moments[last_input] = to_datetime(last_input)
                device = devices[index]
                seq = self._seq[index]
                self._seq[index] = seq + 1
                yield Heartbeat(
                    tenant_id=device.tenant_id,
                    device_id=device.device_id,
                    seq=seq,
                    period_start=start_dt,
                    period_end=end_dt,
                    seconds_on=float((active + idle) * 60),
                    seconds_active=float(active * 60),
                    seconds_asleep=float(asleep * 60),
                    last_input_at=last_input_at,
                    power_source=PowerSource.battery if battery and is_laptop[index] else PowerSource.ac,
                    policy_version=self._rules[index].version,
                    sleep_blockers=blockers,
                    input_minutes=input_minutes,
                )

    @staticmethod
    def _blocker_seconds(
        segments: list[tuple[int, int, str]], cursors: list[int], index: int, p0: int, p1: int
    ) -> list[SleepBlocker]:
        if not segments:
            return []
        k = cursors[index]
        while k < len(segments) and segments[k][1] <= p0:
            k += 1
        cursors[index] = k
        seconds: dict[str, int] = {}
        while k < len(segments) and segments[k][0] < p1:
            start, end, process = segments[k]
            overlap = min(end, p1) - max(start, p0)
            if overlap > 0:
                seconds[process] = seconds.get(process, 0) + overlap * 60
            k += 1
        return [SleepBlocker(process=p, seconds=float(s)) for p, s in sorted(seconds.items())]


def _time(minute: int) -> time:
    hours, minutes = divmod(minute, 60)
    return time(hours, minutes)


def _blockers_while_on(
    raw: list[tuple[str, int, int]], intervals: list[int], w0: int, w1: int
) -> list[tuple[int, int, str]]:
    """Power requests held while the PC was awake, clipped to the window, sorted by start."""
    on_spans = [
        (intervals[k], intervals[k + 1])
        for k in range(0, len(intervals), 3)
        if intervals[k + 2] in (ACTIVE, IDLE, IDLE_ON_BATTERY)
    ]
    segments: list[tuple[int, int, str]] = []
    for process, start, end in raw:
        for on_start, on_end in on_spans:
            s, e = max(start, on_start, w0), min(end, on_end, w1)
            if s < e:
                segments.append((s, e, process))
    segments.sort()
    return segments
