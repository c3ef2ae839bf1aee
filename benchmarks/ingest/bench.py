"""Ingest benchmark: heartbeats/s end to end against a raw consumer (ceiling) and a naive ingest.

    uv run python benchmarks/ingest/bench.py                      # 1,000,000 heartbeats
    uv run python benchmarks/ingest/bench.py --heartbeats 200000 --naive-heartbeats 20000

One run, one preloaded topic (N heartbeats of a simulated fleet, 5-minute periods, keyed by
device, stamped in event time), three consumers of it:
  (a) raw: an aiokafka consumer that reads every record and does nothing (the ceiling);
  (b) ingest: the real service as its own process (uvicorn), validating, storing (COPY +
      upsert into daily partitions), publishing activity and committing offsets; its rate is
      measured from the consumer group's committed offsets (a commit follows the database commit
      and the broker's acknowledgement of the activity), so it is end to end;
  (c) naive: a one-message FastStream subscriber that validates, looks up the device and runs one
      INSERT per heartbeat, then publishes its activity with FastStream;
  (d) each step ingest cannot skip, alone, measured first: validating, PostgreSQL storing (COPY +
      upsert), the broker taking the activity events.
`--bad-percent P` makes P % of the heartbeats bad (dead letters) and measures (a) and (b) only:
how fast ingest goes through bad input.
Starts a private local stack (Kafka + PostgreSQL) unless VEILLE_KAFKA_BOOTSTRAP and
VEILLE_DATABASE_URL are set. Kafka, PostgreSQL and the consumers share this machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from veille_agent.simulator import Fleet, FleetSimulator
from veille_cli.platform import Platform
from veille_contracts import Heartbeat, activity_id
from veille_contracts.topics import AGENT_DLQ, AGENT_HEARTBEATS, AGENT_INVENTORY, FLEET_ACTIVITY
from veille_ingest.adapters.heartbeat_store import HeartbeatStore
from veille_ingest.adapters.kafka_publisher import KafkaOutput, partition_for
from veille_ingest.domain.activity import activity_bytes
from veille_ingest.domain.heartbeat import fast_accept
from veille_ingest.settings import IngestSettings
from veille_localstack import LocalStack
from veille_runtime.db import create_pool, migrate
from veille_runtime.kafka import ensure_topics

START = date(2025, 3, 3)  # a Monday


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


async def produce_stream(bootstrap: str, topic: str, items: object, partitions: int) -> int:
    """Produce (key, value, timestamp_ms) items fast: per-partition batches, like ingest publishes."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=20, compression_type="lz4", max_batch_size=1 << 20, acks="all"
    )
    await producer.start()
    count = 0
    try:
        builders: dict[int, object] = {}
        pending: list[asyncio.Future[object]] = []
        for key, value, ts in items:  # type: ignore[attr-defined]
            part = partition_for(key, partitions)
            builder = builders.get(part) or producer.create_batch()
            builders[part] = builder
            if builder.append(key=key, value=value, timestamp=ts) is None:  # type: ignore[attr-defined]
                builder.close()  # type: ignore[attr-defined]
                pending.append(await producer.send_batch(builder, topic, partition=part))
                builder = builders[part] = producer.create_batch()
                builder.append(key=key, value=value, timestamp=ts)  # type: ignore[attr-defined]
            count += 1
            if len(pending) > 200:
                await asyncio.gather(*pending)
                pending.clear()
        for part, builder in builders.items():
            builder.close()  # type: ignore[attr-defined]
            pending.append(await producer.send_batch(builder, topic, partition=part))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return count


def fleet_heartbeats(fleet: Fleet, n: int, period_min: int) -> object:
    zone = ZoneInfo(fleet.timezone)
    begin = datetime.combine(START, datetime.min.time(), zone)
    sim = FleetSimulator(fleet, begin, period_min)
    produced = 0
    day = 1
    while produced < n:
        for hb in sim.advance(begin + timedelta(days=day)):
            yield hb.device_id.encode(), hb.to_json_bytes(), int(hb.period_end.timestamp() * 1000)
            produced += 1
            if produced >= n:
                return
        day += 1


def is_spoiled(i: int, percent: int) -> bool:
    """Whether the i-th message is one of the `percent` % made bad (spread evenly)."""
    return (i * 37) % 100 < percent


def spoiled(items: Any, percent: int) -> Any:
    """`percent` % of the messages made bad in turn: cut JSON (malformed_json), schema_version 9
    (unknown_schema), an unknown field (invalid_value)."""
    for i, (key, value, ts) in enumerate(items):
        if is_spoiled(i, percent):
            value = (
                value[: len(value) // 2],
                value.replace(b'"schema_version":1', b'"schema_version":9'),
                value[:-1] + b',"extra":1}',
            )[i % 3]
        yield key, value, ts


async def committed(admin: AIOKafkaAdminClient, group: str, topic: str) -> int:
    offsets = await admin.list_consumer_group_offsets(group)
    return sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic and meta.offset > 0)


async def end_offsets(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        parts = list(consumer.partitions_for_topic(topic) or set())
        from aiokafka import TopicPartition

        ends = await consumer.end_offsets([TopicPartition(topic, p) for p in parts])
        return sum(ends.values())
    finally:
        await consumer.stop()


async def measure_raw(bootstrap: str, topic: str, n: int, batch: int) -> float:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-raw-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 << 20,
    )
    await consumer.start()
    try:
        count = 0
        started: float | None = None
        first = 0
        while count < n:
            got = await consumer.getmany(timeout_ms=1000, max_records=batch)
            size = sum(len(v) for v in got.values())
            if started is None and size:
                started, first = time.perf_counter(), size
            count += size
        if count == first:
            raise SystemExit(f"(a) read all {n:,} records in its first fetch: use more --heartbeats")
        return (count - first) / (time.perf_counter() - (started or 0))
    finally:
        await consumer.stop()


async def wait_for(predicate: object, timeout_s: float, every_s: float = 0.25) -> None:
    deadline = time.monotonic() + timeout_s
    while not await predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(every_s)


async def measure_ingest(
    env: dict[str, str],
    log_dir: Path,
    bootstrap: str,
    topic: str,
    n: int,
    timeout_s: float,
    processes: int = 1,
) -> tuple[float, float, float]:
    """(heartbeats/s, peak RSS MB of the largest process, CPU seconds of all) of `processes` ingest
    processes in one consumer group consuming the preloaded topic."""
    platforms = [
        Platform(env=env, log_dir=log_dir / f"p{i}", services=("ingest",), fixed_ports=False)
        for i in range(processes)
    ]
    for platform in platforms:
        platform.start()
    procs = [psutil.Process(p.processes["ingest"].process.pid) for p in platforms]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        cpu0 = sum(sum(proc.cpu_times()[:2]) for proc in procs)
        t0 = c0 = None
        deadline = time.monotonic() + timeout_s
        while True:
            done = await committed(admin, "veille-ingest", topic)
            now = time.perf_counter()
            if t0 is None and done > 0:
                t0, c0 = now, done
            if done >= n:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"ingest committed {done}/{n} in {timeout_s}s; see {log_dir}")
            await asyncio.sleep(0.2)
        rate = (n - (c0 or 0)) / (now - (t0 or now)) if t0 and now > t0 else float("nan")
        cpu = sum(sum(proc.cpu_times()[:2]) for proc in procs) - cpu0
        peak_kb = 0
        for proc in procs:
            with open(f"/proc/{proc.pid}/status") as status:  # noqa: ASYNC230 - procfs, instant
                for line in status:
                    if line.startswith("VmHWM:"):
                        peak_kb = max(peak_kb, int(line.split()[1]))
        return rate, peak_kb / 1024, cpu
    finally:
        await admin.close()
        for platform in platforms:
            platform.stop()


async def measure_naive(
    bootstrap: str, dsn: str, ingest_schema: str, topic: str, activity_topic: str, n: int, timeout_s: float
) -> float:
    from faststream.kafka import KafkaBroker

    schema = f"naive_{uuid.uuid4().hex[:6]}"
    admin_conn = await asyncpg.connect(dsn)
    await admin_conn.execute(
        f"CREATE SCHEMA {schema}; CREATE TABLE {schema}.heartbeats ("
        " device_id text, seq bigint, period_start timestamptz, period_end timestamptz, tenant_id text,"
        " seconds_on real, seconds_active real, seconds_asleep real, power_source text, policy_version text,"
        " PRIMARY KEY (device_id, seq))"
    )
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    assert pool is not None
    broker = KafkaBroker(bootstrap, logger=None)
    insert = f"INSERT INTO {schema}.heartbeats VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT DO NOTHING"
    lookup = f"SELECT tenant_id, kind FROM {ingest_schema}.devices WHERE device_id = $1"

    async def raw_body(message: Any) -> bytes:
        return bytes(message.body)

    @broker.subscriber(
        topic, group_id=f"bench-naive-{schema}", auto_offset_reset="earliest", decoder=raw_body
    )
    async def on_heartbeat(body: bytes) -> None:
        hb = Heartbeat.model_validate_json(body)
        async with pool.acquire() as conn:
            device = await conn.fetchrow(lookup, hb.device_id)
            if device is None or device["tenant_id"] != hb.tenant_id:
                return
            await conn.execute(
                insert,
                hb.device_id,
                hb.seq,
                hb.period_start,
                hb.period_end,
                hb.tenant_id,
                hb.seconds_on,
                hb.seconds_active,
                hb.seconds_asleep,
                hb.power_source.value,
                hb.policy_version,
            )
        activity = {
            "activity_id": activity_id(hb.device_id, hb.seq),
            "device_kind": device["kind"],
            **hb.model_dump(mode="json"),
        }
        await broker.publish(activity, topic=activity_topic, key=hb.device_id.encode())

    await broker.start()
    try:
        t0 = c0 = None
        deadline = time.monotonic() + timeout_s
        while True:
            rows = int(await admin_conn.fetchval(f"SELECT count(*) FROM {schema}.heartbeats"))
            now = time.perf_counter()
            if t0 is None and rows > 0:
                t0, c0 = now, rows
            if rows >= n:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"naive stored {rows}/{n} in {timeout_s}s")
            await asyncio.sleep(0.5)
        return (rows - (c0 or 0)) / (now - (t0 or now))
    finally:
        await broker.stop()
        await pool.close()
        await admin_conn.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin_conn.close()


async def prepare(
    args: argparse.Namespace, kafka: str, dsn: str, work: Path, fleet: Fleet, n: int
) -> tuple[dict[str, str], str, str, str]:
    """A private namespace + schema with the fleet registered and N heartbeats preloaded:
    (ingest env, schema, heartbeats topic, tag)."""
    tag = uuid.uuid4().hex[:8]
    namespace = f"bench{tag}"
    env = {
        "VEILLE_KAFKA_BOOTSTRAP": kafka,
        "VEILLE_DATABASE_URL": dsn,
        "VEILLE_TOPIC_NAMESPACE": namespace,
        "VEILLE_DB_SCHEMA_SUFFIX": f"_bench{tag}",
        "VEILLE_TOPIC_PARTITIONS": str(args.partitions),
        "VEILLE_LOG_LEVEL": "WARNING",
        # Event-time fleet of March 2025: periods are bounded against the record timestamps.
    }
    if args.batch:
        env["VEILLE_BATCH_MAX_RECORDS"] = str(args.batch)
    heartbeats_topic = AGENT_HEARTBEATS.qualified(namespace)
    await ensure_topics(kafka, namespace=namespace, device_partitions=args.partitions)

    when = datetime.combine(START, datetime.min.time(), UTC)
    inventory = [
        (i.device_id.encode(), i.to_json_bytes(), int(when.timestamp() * 1000)) for i in fleet.inventory(when)
    ]
    await produce_stream(kafka, AGENT_INVENTORY.qualified(namespace), inventory, args.partitions)
    n_devices = len(inventory)
    log(f"fleet: {n_devices} devices enrolled on the inventory topic")

    # Registration first (ingest consumes the inventory), so that (b) measures heartbeats only.
    schema = f"ingest_bench{tag}"
    platform = Platform(env=env, log_dir=work / f"register-{tag}", services=("ingest",), fixed_ports=False)
    platform.start()
    try:
        conn = await asyncpg.connect(dsn)

        async def registered() -> bool:
            return int(await conn.fetchval(f"SELECT count(*) FROM {schema}.devices")) >= n_devices

        await wait_for(registered, 300)
        await conn.close()
    finally:
        platform.stop()

    t = time.perf_counter()
    items = spoiled(fleet_heartbeats(fleet, n, args.period), args.bad_percent)
    sent = await produce_stream(kafka, heartbeats_topic, items, args.partitions)
    log(f"preloaded {sent:,} heartbeats on {args.partitions} partitions in {time.perf_counter() - t:.1f} s")
    return env, schema, heartbeats_topic, tag


async def measure_parts(
    kafka: str, dsn: str, topic: str, n: int, chunk: int, partitions: int
) -> tuple[float, float, float, float]:
    """Each step ingest cannot skip, alone, on the first `n` preloaded heartbeats: (validation in
    one process, PostgreSQL storing them, the broker taking their activity events, all per second;
    client CPU µs per record of the PostgreSQL step). Inputs are prepared untimed; storing goes
    into a fresh schema with ingest's own statements (binary COPY + upsert), in ingest's chunks."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    raws: list[bytes] = []
    try:
        while len(raws) < n:
            got = await consumer.getmany(timeout_ms=1000, max_records=n - len(raws))
            raws.extend(r.value for records in got.values() for r in records if r.value is not None)
    finally:
        await consumer.stop()
    began = time.process_time()
    accepted = [hb for raw in raws if (hb := fast_accept(raw)) is not None]
    validation = len(raws) / (time.process_time() - began)
    events = [(hb.device_id.encode(), activity_bytes(hb, "desktop")) for hb in accepted]

    schema = f"parts_{uuid.uuid4().hex[:6]}"
    pool = await create_pool(dsn, schema, max_size=2)
    try:
        await migrate(pool, schema, "veille_ingest.migrations")
        store = HeartbeatStore()
        await store.ensure_partitions(pool, accepted)
        async with pool.acquire() as conn:
            began, cpu = time.perf_counter(), time.process_time()
            for start in range(0, len(accepted), chunk):
                async with conn.transaction():
                    await store.store(conn, accepted[start : start + chunk])
            storing = len(accepted) / (time.perf_counter() - began)
            store_cpu = (time.process_time() - cpu) / max(len(accepted), 1) * 1e6
            # Leave PostgreSQL as the other measures found it: no table to vacuum, no dirty pages.
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")
            await conn.execute("CHECKPOINT")
    finally:
        await pool.close()

    await ensure_topics(kafka, namespace=schema, device_partitions=partitions, specs=[FLEET_ACTIVITY])
    activity_topic = FLEET_ACTIVITY.qualified(schema)
    defaults = IngestSettings.model_fields
    output = KafkaOutput(
        kafka,
        linger_ms=defaults["publish_linger_ms"].default,
        compression=defaults["publish_compression"].default,
    )
    await output.start()
    try:
        out = output.publisher()
        began = time.perf_counter()
        for start in range(0, len(events), chunk):
            await out.publish_many(activity_topic, events[start : start + chunk])
            await out.flush()
        publishing = len(events) / (time.perf_counter() - began)
    finally:
        await output.stop()
    return validation, storing, publishing, store_cpu


async def stored_and_announced(kafka: str, dsn: str, schema: str, namespace: str) -> tuple[int, int]:
    conn = await asyncpg.connect(dsn)
    stored = int(await conn.fetchval(f"SELECT count(*) FROM {schema}.heartbeats"))
    await conn.close()
    return stored, await end_offsets(kafka, FLEET_ACTIVITY.qualified(namespace))


async def run(args: argparse.Namespace, kafka: str, dsn: str, work: Path) -> None:
    n = args.heartbeats
    n_naive = args.naive_heartbeats or n
    per_device_day = 1440 // args.period
    n_devices = max(1, math.ceil(n / per_device_day)) if args.devices is None else args.devices
    fleet = Fleet.generate(args.seed, n_devices, "bench", START)
    env, schema, heartbeats_topic, tag = await prepare(args, kafka, dsn, work, fleet, n)
    namespace = env["VEILLE_TOPIC_NAMESPACE"]
    await ensure_topics(
        kafka, namespace=f"naive{tag}", device_partitions=args.partitions, specs=[FLEET_ACTIVITY]
    )
    batch = int(env.get("VEILLE_BATCH_MAX_RECORDS", IngestSettings.model_fields["batch_max_records"].default))

    chunk = int(
        env.get("VEILLE_WRITE_CHUNK_RECORDS", IngestSettings.model_fields["write_chunk_records"].default)
    )
    # The steps alone are measured on good heartbeats only.
    n_parts = 0 if args.bad_percent else min(n, args.parts_heartbeats)
    parts: tuple[float, float, float, float] | None = None
    if n_parts:
        log(f"(d) each step alone on {n_parts:,} heartbeats ...")
        parts = await measure_parts(kafka, dsn, heartbeats_topic, n_parts, chunk, args.partitions)
    load_before = os.getloadavg()
    log("(a) raw aiokafka consumer ...")
    raw = await measure_raw(kafka, heartbeats_topic, n, batch)
    log(f"(a) {raw:,.0f} records/s")

    log("(b) ingest end to end ...")
    rate, rss_mb, cpu_s = await measure_ingest(env, work / "ingest", kafka, heartbeats_topic, n, args.timeout)
    stored, activity = await stored_and_announced(kafka, dsn, schema, namespace)
    log(
        f"(b) {rate:,.0f} heartbeats/s; stored {stored:,}, activity published {activity:,}; "
        f"peak RSS {rss_mb:.0f} MB; {cpu_s:.1f} CPU s in ingest ({cpu_s / n * 1e6:.0f} µs/heartbeat)"
    )
    scaled: tuple[float, float, float, int, int, float] | None = None
    if args.processes > 1:
        log(f"(b{args.processes}) second namespace for {args.processes} ingest processes ...")
        env2, schema2, topic2, _ = await prepare(args, kafka, dsn, work, fleet, n)
        load_scaled = os.getloadavg()[0]
        rate2, rss2, cpu2 = await measure_ingest(
            env2, work / "ingest-scaled", kafka, topic2, n, args.timeout, processes=args.processes
        )
        stored2, activity2 = await stored_and_announced(kafka, dsn, schema2, env2["VEILLE_TOPIC_NAMESPACE"])
        scaled = (rate2, rss2, cpu2, stored2, activity2, load_scaled)
        log(
            f"(b{args.processes}) {rate2:,.0f} heartbeats/s; stored {stored2:,}, activity published "
            f"{activity2:,}; largest peak RSS {rss2:.0f} MB; {cpu2:.1f} CPU s in all ingest processes"
        )

    naive: float | None = None
    if not args.bad_percent:  # the naive ingest stores good heartbeats only: no bad-input run
        log(f"(c) naive ingest on {n_naive:,} heartbeats ...")
        naive = await measure_naive(
            kafka,
            dsn,
            schema,
            heartbeats_topic,
            FLEET_ACTIVITY.qualified(f"naive{tag}"),
            n_naive,
            args.timeout * 4,
        )
        log(f"(c) {naive:,.0f} heartbeats/s")
    load_after = os.getloadavg()

    print()
    print(
        f"Ingest benchmark: {n:,} heartbeats, {n_devices:,} devices, {args.partitions} partitions, "
        f"batches of {batch}"
    )
    print(
        f"machine: {os.cpu_count()} cores shared by Kafka, PostgreSQL, the consumer under test and any other "
        f"work; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    print(f"  (a) raw aiokafka consumer (ceiling)  {raw:>10,.0f} records/s")
    print(
        f"  (b) ingest, end to end               {rate:>10,.0f} heartbeats/s   "
        f"(target >= 20,000; a million PCs at 1/min = 16,700)"
    )
    naive_note = "" if n_naive == n else f"   (measured on {n_naive:,} heartbeats, not {n:,})"
    if naive is not None:
        print(f"  (c) naive one-message + INSERT       {naive:>10,.0f} heartbeats/s{naive_note}")
    if scaled is not None:
        print(
            f"  (b) with {args.processes} ingest processes          {scaled[0]:>10,.0f} heartbeats/s   "
            f"(same group, its own preloaded namespace; load average {scaled[5]:.2f} at its start; "
            f"largest peak RSS {scaled[1]:.0f} MB; stored {scaled[3]:,}, activity {scaled[4]:,})"
        )
    print(f"  (b)/(a) = {rate / raw:.2f}   (target >= 0.5)")
    if parts is not None:
        print_parts(parts, n_parts, raw)
    if naive is not None:
        print(f"  (b)/(c) = {rate / naive:.1f}   (target >= 10)")
    print(f"  ingest peak RSS = {rss_mb:.0f} MB   (target <= 300 MB)")
    bad = sum(is_spoiled(i, args.bad_percent) for i in range(n))
    letters = await end_offsets(kafka, AGENT_DLQ.qualified(namespace))
    print(
        f"  stored {stored:,} of {n:,} ({bad:,} bad on purpose); activity events {activity:,}; "
        f"dead letters {letters:,}"
    )


def print_parts(parts: tuple[float, float, float, float], n_parts: int, raw: float) -> None:
    validating, storing, publishing, store_cpu = parts
    print(f"  (d) each step alone on {n_parts:,} heartbeats prepared beforehand, measured first (fresh DB):")
    print(f"      validating (fast path, one process)  {validating:>10,.0f} heartbeats/s")
    print(
        f"      PostgreSQL storing (COPY + upsert)   {storing:>10,.0f} heartbeats/s   "
        f"({store_cpu:.1f} µs client CPU each: the rest is the server)"
    )
    print(f"      the broker taking activity events    {publishing:>10,.0f} events/s")
    half = raw / 2
    beyond = [
        f"{what} ({alone:,.0f}/s)"
        for what, alone in (("one process validating alone", validating), ("PostgreSQL alone", storing))
        if alone < half
    ]
    if beyond:
        print(
            f"      0.5 x (a) = {half:,.0f}/s is more than " + " and than ".join(beyond) + ": out of reach "
            "here for an ingest that validates and stores every heartbeat"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--heartbeats", type=int, default=1_000_000)
    parser.add_argument(
        "--naive-heartbeats",
        type=int,
        default=100_000,
        help="N of the naive run (0: the same N as the others)",
    )
    parser.add_argument("--devices", type=int, default=None, help="default: N / heartbeats per device-day")
    parser.add_argument("--period", type=int, default=5, help="reporting period, minutes")
    parser.add_argument("--partitions", type=int, default=12)
    parser.add_argument(
        "--batch", type=int, default=0, help="VEILLE_BATCH_MAX_RECORDS of ingest (0: the service's default)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="also measure this many ingest processes in one consumer group (on a second namespace)",
    )
    parser.add_argument(
        "--parts-heartbeats", type=int, default=200_000, help="N of the each-step-alone measures (d)"
    )
    parser.add_argument(
        "--bad-percent", type=int, default=0, help="this % of the heartbeats is bad (dead letters), 0-100"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--work", type=Path, default=None, help="keep logs (and the stack) in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="veille-bench-ingest-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if os.environ.get("VEILLE_KAFKA_BOOTSTRAP") and os.environ.get("VEILLE_DATABASE_URL"):
            asyncio.run(
                run(args, os.environ["VEILLE_KAFKA_BOOTSTRAP"], os.environ["VEILLE_DATABASE_URL"], work)
            )
            return
        log("starting a private local stack (Kafka + PostgreSQL) ...")
        with LocalStack(work / "stack", fresh=True) as info:
            asyncio.run(run(args, info.kafka_bootstrap, info.database_url, work))


if __name__ == "__main__":
    sys.exit(main())
