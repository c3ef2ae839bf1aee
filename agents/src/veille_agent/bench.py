"""Benchmark of the publishing path: simulated fleet -> agent SDK -> Kafka, acked by the broker.

    uv run python -m veille_agent.bench --devices 100000 --hours 6
    uv run python -m veille_agent.bench --devices 100000 --hours 6 --spool disk

Uses the broker of VEILLE_KAFKA_BOOTSTRAP, else starts a private local Kafka (KRaft) in a
temporary folder. Topics get a fresh namespace. Measures, in one run: simulation only (states +
heartbeat messages, no I/O), then the full path (simulate, serialise, spool, send, acks).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from veille_localstack import LocalKafka
from veille_runtime.kafka import ensure_topics

from .runner import FleetRunner
from .sdk import AgentPublisher, MemorySpool, SqliteSpool
from .sdk.spool import Spool
from .simulator import Fleet, FleetSimulator


async def publish_path(args: argparse.Namespace, bootstrap: str, workdir: Path) -> None:
    namespace = f"bench{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, namespace=namespace, device_partitions=args.partitions)
    t0 = time.perf_counter()
    fleet = Fleet.generate(args.seed, args.devices, "bench", args.start)
    print(f"fleet: {args.devices} devices generated in {time.perf_counter() - t0:.2f} s")
    begin = datetime.combine(args.start, datetime.min.time(), ZoneInfo(fleet.timezone)) + timedelta(hours=8)
    end = begin + timedelta(hours=args.hours)

    t0 = time.perf_counter()
    count = sum(1 for _ in FleetSimulator(fleet, begin, args.period).advance(end))
    sim_s = time.perf_counter() - t0
    print(f"simulate only: {count} heartbeats in {sim_s:.2f} s = {count / sim_s:,.0f} heartbeats/s")

    spool: Spool = SqliteSpool(workdir / "bench-spool.db") if args.spool == "disk" else MemorySpool()
    publisher = AgentPublisher(bootstrap, spool, namespace)
    runner = FleetRunner(FleetSimulator(fleet, begin, args.period), publisher)
    await runner.start()
    try:
        t0 = time.perf_counter()
        await runner.enrol(range(args.devices), at=begin)
        await runner.flush()
        enrol_s = time.perf_counter() - t0
        print(f"inventory: {args.devices} in {enrol_s:.2f} s = {args.devices / enrol_s:,.0f} /s (acked)")
        t0 = time.perf_counter()
        await runner.run_until(end, step=timedelta(hours=1))
        await runner.flush()
        pub_s = time.perf_counter() - t0
    finally:
        await runner.stop()
    sent = runner.stats.heartbeats
    print(
        f"publish path ({args.spool} spool): {sent} heartbeats in {pub_s:.2f} s = "
        f"{sent / pub_s:,.0f} heartbeats/s "
        f"acked by the broker ({args.hours} h of a {args.devices}-PC fleet, period {args.period} min; "
        f"{sim_s / pub_s:.0%} of the time is simulation)"
    )
    print(f"  = {args.devices * args.hours / pub_s:,.0f} device-hours/s of working-hours simulated time")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--hours", type=int, default=6, help="simulated hours, from 08:00 local")
    parser.add_argument("--period", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--partitions", type=int, default=12)
    parser.add_argument("--spool", choices=("memory", "disk"), default="memory")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 3, 2))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        bootstrap = os.environ.get("VEILLE_KAFKA_BOOTSTRAP")
        kafka = None
        if not bootstrap:
            kafka = LocalKafka(workdir / "kafka")
            bootstrap = kafka.start()
        try:
            asyncio.run(publish_path(args, bootstrap, workdir))
        finally:
            if kafka is not None:
                kafka.stop()


if __name__ == "__main__":
    main()
