"""Daily partitions of the heartbeat table, by period_start (event time), and their retention."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

PREFIX = "heartbeats_p"
_NAME = re.compile(r"^heartbeats_p(\d{8})$")


def day_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def partition_name(day: date) -> str:
    return f"{PREFIX}{day:%Y%m%d}"


def partition_day(name: str) -> date | None:
    match = _NAME.match(name)
    return datetime.strptime(match.group(1), "%Y%m%d").date() if match else None


def partition_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def expired_partitions(names: Iterable[str], retention_days: int) -> list[str]:
    """Partitions wholly older than `retention_days` before the newest day stored (event time).

    Retention follows event time, like every rule of Veille: a simulated month replayed today
    keeps its data, and a fleet that stops reporting does not lose its last weeks.
    """
    days = {name: d for name in names if (d := partition_day(name)) is not None}
    if not days:
        return []
    cutoff = max(days.values()) - timedelta(days=retention_days)
    return sorted(name for name, d in days.items() if d < cutoff)
