"""Latency of reconciliation: a stale-version heartbeat (activity) in, its directive out.

    uv run python benchmarks/policy/latency.py [--devices 5000] [--rate 5000] [--seconds 20]

Starts a local stack in a temporary folder (or uses VEILLE_KAFKA_BOOTSTRAP / VEILLE_DATABASE_URL),
runs the policy service as a real process (uvicorn, like `veille run policy`), puts `--devices`
devices in a project in Viewer, then publishes activity on veille.fleet.activity.v1 at `--rate`
records/s, each reporting a stale policy version 35 min of event time after the device's
previous one, so every heartbeat gets its directive again (the rate limit is 30 min). Latency =
the directive's arrival at a consumer - the heartbeat's send, both on this machine's clock.
Prints p50 / p99 / max and the throughput reached.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from veille_cli.platform import Platform
from veille_contracts import Activity, DeviceKind, Scope
from veille_contracts.projects import ProjectSummary, Stage, StageChange, StageChangeKind
from veille_contracts.topics import FLEET_ACTIVITY, FLEET_DEVICES, POLICY_DIRECTIVES, PROJECT_STAGES
from veille_localstack import LocalStack
from veille_runtime.kafka import ensure_topics

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "policy" / "integration"))
from policy_stack import T0, device, summary


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(bootstrap: str, env: dict[str, str], args: argparse.Namespace, logs: Path) -> None:
    ns = f"bench{uuid.uuid4().hex[:8]}"
    env = {
        **env,
        "VEILLE_TOPIC_NAMESPACE": ns,
        "VEILLE_DB_SCHEMA_SUFFIX": f"_{ns}",
        "VEILLE_TOPIC_PARTITIONS": str(args.partitions),
        "VEILLE_LOG_LEVEL": "WARNING",
    }
    await ensure_topics(bootstrap, namespace=ns, device_partitions=args.partitions)
    topic = lambda spec: spec.qualified(ns)  # noqa: E731
    platform = Platform(
        env=env, log_dir=Path(args.logs) if args.logs else logs, services=("policy",), fixed_ports=False
    )
    platform.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=2, acks=1)
    consumer = AIOKafkaConsumer(
        topic(POLICY_DIRECTIVES),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await producer.start()
    await consumer.start()
    try:
        ids = [f"pc-{i:05d}" for i in range(args.devices)]
        for d in ids:
            await producer.send(
                topic(FLEET_DEVICES),
                device(d, DeviceKind.desktop, "ACME/Bench").to_json_bytes(),
                key=d.encode(),
            )
        await producer.flush()
        await asyncio.sleep(3)  # the registry copy first, then the stage change
        project: ProjectSummary = summary("bench", Scope(tenant_id="acme", whole_fleet=True))
        change = StageChange(
            event_id="bench:1",
            project_id="bench",
            tenant_id="acme",
            seq=1,
            kind=StageChangeKind.transition,
            from_stage=Stage.deployment,
            to_stage=Stage.viewer,
            effective_at=T0,
            reason="bench",
            project=project,
        )
        await producer.send_and_wait(topic(PROJECT_STAGES), change.to_json_bytes(), key=b"bench")
        initial = 0
        deadline = time.monotonic() + 120
        while initial < args.devices:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {initial} initial directives")
            batches = await consumer.getmany(timeout_ms=500, max_records=20_000)
            initial += sum(len(b) for b in batches.values())
        print(f"{args.devices} devices in Viewer, {initial} initial directives received")

        total = args.rate * args.seconds
        payloads = []
        for n in range(total):
            d, k = ids[n % args.devices], n // args.devices
            start = T0 + timedelta(minutes=35 * (k + 1))
            payloads.append(
                (
                    d,
                    k,
                    Activity(
                        activity_id=f"{d}:{k}",
                        tenant_id="acme",
                        device_id=d,
                        device_kind=DeviceKind.desktop,
                        seq=k,
                        period_start=start - timedelta(minutes=5),
                        period_end=start,
                        seconds_on=300,
                        seconds_active=0,
                        seconds_asleep=0,
                        policy_version="stale",
                    ).to_json_bytes(),
                )
            )
        sent: dict[tuple[str, int], float] = {}
        received: dict[tuple[str, int], float] = {}
        seen: dict[str, int] = defaultdict(int)

        async def consume() -> None:
            while len(received) < total:
                batches = await consumer.getmany(timeout_ms=200, max_records=20_000)
                now = time.perf_counter()
                for batch in batches.values():
                    for record in batch:
                        d = record.key.decode()
                        received[(d, seen[d])] = now
                        seen[d] += 1

        reader = asyncio.create_task(consume())
        tick = 0.01
        per_tick = max(1, int(args.rate * tick))
        began = time.perf_counter()
        for i in range(0, total, per_tick):
            target = began + (i // per_tick) * tick
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            now = time.perf_counter()
            for d, k, value in payloads[i : i + per_tick]:
                sent[(d, k)] = now
                await producer.send(topic(FLEET_ACTIVITY), value, key=d.encode())
        await producer.flush()
        send_s = time.perf_counter() - began
        try:
            await asyncio.wait_for(reader, timeout=120)
        except TimeoutError:
            print(f"timeout: {len(received)} of {total} directives back")
        done_s = max(received.values()) - began if received else float("nan")
        lat = [(received[key] - sent[key]) * 1000 for key in received if key in sent]
        print(
            f"heartbeats sent: {total} in {send_s:.1f} s ({total / send_s:.0f}/s); "
            f"directives back: {len(received)} in {done_s:.1f} s ({len(received) / done_s:.0f}/s)"
        )
        print(
            f"latency ms: p50 {statistics.median(lat):.0f}  p99 {pct(lat, 0.99):.0f}  max {max(lat):.0f}  "
            f"(n={len(lat)})"
        )
    finally:
        await consumer.stop()
        await producer.stop()
        platform.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=5000)
    parser.add_argument("--rate", type=int, default=5000, help="heartbeats per second")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--partitions", type=int, default=12)
    parser.add_argument("--logs", default="", help="keep the service log in this folder")
    args = parser.parse_args()
    import os

    with tempfile.TemporaryDirectory(prefix="veille-bench-") as tmp:
        if os.environ.get("VEILLE_KAFKA_BOOTSTRAP") and os.environ.get("VEILLE_DATABASE_URL"):
            env = {k: os.environ[k] for k in ("VEILLE_KAFKA_BOOTSTRAP", "VEILLE_DATABASE_URL")}
            asyncio.run(run(env["VEILLE_KAFKA_BOOTSTRAP"], env, args, Path(tmp)))
            return
        stack = LocalStack(Path(tmp) / "stack", fresh=True)
        info = stack.start()
        try:
            asyncio.run(run(info.kafka_bootstrap, info.env(), args, Path(tmp)))
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
