"""Benchmark: how fast the simulator turns a fleet into states and into heartbeat messages.

    uv run python -m veille_agent.simulator.bench --devices 100000 --days 1

Two passes over the same fleet and days: states only (ground truth, no messages), then the full
pipeline that also builds every validated Heartbeat.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .engine import FleetSimulator
from .fleet import Fleet


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--period", type=int, default=5, help="reporting period in minutes (1-60)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--start", type=date.fromisoformat, default=date(2025, 3, 3), help="a Monday by default"
    )
    parser.add_argument("--states-only", action="store_true", help="skip the heartbeat pass")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    fleet = Fleet.generate(args.seed, args.devices, "bench", args.start)
    print(f"fleet: {args.devices} devices generated in {time.perf_counter() - started:.2f} s")

    zone = ZoneInfo(fleet.timezone)
    begin = datetime.combine(args.start, datetime.min.time(), zone)
    end = begin + timedelta(days=args.days)
    device_days = args.devices * args.days

    sim = FleetSimulator(fleet, begin, args.period)
    started = time.perf_counter()
    sim.run(end)
    elapsed = time.perf_counter() - started
    print(
        f"states: {device_days} device-days in {elapsed:.2f} s = {device_days / elapsed:,.0f} device-days/s"
    )
    if args.states_only:
        return

    sim = FleetSimulator(fleet, begin, args.period)
    started = time.perf_counter()
    count = sum(1 for _ in sim.advance(end))
    elapsed = time.perf_counter() - started
    print(
        f"heartbeats: {count} ({count / device_days:.0f} per device-day, period {args.period} min) in "
        f"{elapsed:.2f} s = {count / elapsed:,.0f} heartbeats/s, {device_days / elapsed:,.0f} device-days/s"
    )


if __name__ == "__main__":
    main()
