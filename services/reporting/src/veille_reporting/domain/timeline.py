"""Stage timeline of a project and the local days of its Viewer and Saver phases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from veille_contracts.projects import Stage

from .savings import Phase

PHASE_STAGES = {Phase.viewer: Stage.viewer, Phase.saver: Stage.saver}


@dataclass(frozen=True, slots=True)
class StageEntry:
    """A transition: the project entered ``stage`` at ``at`` (event time)."""

    seq: int
    stage: Stage
    at: datetime


@dataclass(frozen=True, slots=True)
class DayWindow:
    """Local dates [first, last] of a phase (both included); ``last`` None while it goes on."""

    first: date
    last: date | None

    def contains(self, day: date) -> bool:
        return day >= self.first and (self.last is None or day <= self.last)


def stage_intervals(entries: Iterable[StageEntry]) -> list[tuple[Stage, datetime, datetime | None]]:
    """(stage, entered at, left at or None) in order; a stage entered twice keeps its last stay."""
    ordered = sorted(entries, key=lambda e: e.seq)
    out: list[tuple[Stage, datetime, datetime | None]] = []
    for i, e in enumerate(ordered):
        nxt = ordered[i + 1].at if i + 1 < len(ordered) else None
        out.append((e.stage, e.at, nxt))
    return out


def phase_windows(entries: Iterable[StageEntry], timezone: str) -> dict[Phase, DayWindow]:
    """Whole local days spent in the Viewer and Saver stages.

    A day counts only if the phase covers it from midnight to midnight: the day a phase starts
    or ends mixes two behaviours (e.g. the policy arrives at 10:00) and is left out.
    """
    zone = ZoneInfo(timezone)
    windows: dict[Phase, DayWindow] = {}
    intervals = stage_intervals(entries)
    for phase, stage in PHASE_STAGES.items():
        stays = [(a, b) for s, a, b in intervals if s is stage]
        if not stays:
            continue
        start, end = stays[-1]
        local_start = start.astimezone(zone)
        first = local_start.date()
        if local_start.timetz().replace(tzinfo=None) != time(0):
            first += timedelta(days=1)
        last: date | None = None
        if end is not None:
            last = end.astimezone(zone).date() - timedelta(days=1)  # the day it ends is partial or after
            if last < first:
                continue
        windows[phase] = DayWindow(first, last)
    return windows
