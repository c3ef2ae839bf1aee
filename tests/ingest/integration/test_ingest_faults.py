"""Faults on the real stack, ingest running as real processes, while a stream is being consumed:
kill -9 and restart; a second process joining then the first leaving (rebalances); PostgreSQL
restarted; the broker restarted. Each time the stored set equals the published set exactly, every
stored heartbeat was announced on the activity topic, and nothing was dead-lettered."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
from support.fleet import heartbeat, inventory, record
from support.kafka import produce, read_topic
from veille_cli.platform import Platform
from veille_contracts.topics import AGENT_DLQ, AGENT_HEARTBEATS, AGENT_INVENTORY, FLEET_ACTIVITY
from veille_localstack import LocalStack
from veille_runtime.kafka import ensure_topics

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(600)]

DEVICES = 40
PER_DEVICE = 1000  # 40,000 heartbeats, 5-minute periods over ~3.5 days (4 daily partitions)


class Scenario:
    def __init__(self, stack: LocalStack, tmp: Path) -> None:
        assert stack.info is not None
        self.stack = stack
        self.info = stack.info
        tag = uuid.uuid4().hex[:8]
        self.namespace = f"f{tag}"
        self.schema = f"ingest_f{tag}"
        self.tmp = tmp
        self.env = {
            **self.info.env(),
            "VEILLE_TOPIC_NAMESPACE": self.namespace,
            "VEILLE_DB_SCHEMA_SUFFIX": f"_f{tag}",
            "VEILLE_TOPIC_PARTITIONS": "4",
            "VEILLE_BATCH_MAX_RECORDS": "500",
            # Several chunks per batch: the faults also hit a write in flight while the next
            # chunk is validated (the pipelined path).
            "VEILLE_WRITE_CHUNK_RECORDS": "120",
            "VEILLE_LOG_FORMAT": "console",
            "VEILLE_RETRY_MAX_BACKOFF_S": "1",
        }
        self.platforms: list[Platform] = []
        self.beats = [heartbeat(f"pc-{d}", s) for s in range(PER_DEVICE) for d in range(DEVICES)]

    def topic(self, spec: object) -> str:
        return spec.qualified(self.namespace)  # type: ignore[attr-defined, no-any-return]

    def start_ingest(self, name: str) -> Platform:
        platform = Platform(env=self.env, log_dir=self.tmp / name, services=("ingest",), fixed_ports=False)
        platform.start()
        self.platforms.append(platform)
        return platform

    async def stored(self) -> int:
        conn = await asyncpg.connect(self.info.database_url)
        try:
            return int(await conn.fetchval(f"SELECT count(*) FROM {self.schema}.heartbeats"))
        except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
            return 0
        finally:
            await conn.close()

    async def wait_stored(self, at_least: int, timeout_s: float = 120) -> int:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                count = await self.stored()
            except (OSError, asyncpg.PostgresError):
                count = 0
            if count >= at_least or time.monotonic() > deadline:
                return count
            await asyncio.sleep(0.1)

    async def run(self, fault: Callable[[Scenario], Awaitable[None]]) -> None:
        bootstrap = self.info.kafka_bootstrap
        await ensure_topics(bootstrap, namespace=self.namespace, device_partitions=4)
        await produce(
            bootstrap, self.topic(AGENT_INVENTORY), [record(inventory(f"pc-{d}")) for d in range(DEVICES)]
        )
        self.start_ingest("a")
        await produce(bootstrap, self.topic(AGENT_HEARTBEATS), [record(b) for b in self.beats])
        at_fault = await self.wait_stored(len(self.beats) // 5)
        assert at_fault < len(self.beats), "the fault must hit the stream mid-way"
        await fault(self)
        total = len(self.beats)
        stored = await self.wait_stored(total, timeout_s=240)
        assert stored == total, f"{stored} of {total} stored; logs in {self.tmp}"
        await self.check()

    async def check(self) -> None:
        conn = await asyncpg.connect(self.info.database_url)
        try:
            rows = await conn.fetch(f"SELECT device_id, seq FROM {self.schema}.heartbeats")
        finally:
            await conn.close()
        published = {(b.device_id, b.seq) for b in self.beats}
        stored = [(r["device_id"], r["seq"]) for r in rows]
        assert len(stored) == len(set(stored)) == len(published)  # nothing twice
        assert set(stored) == published  # nothing lost, nothing else
        bootstrap = self.info.kafka_bootstrap

        def announced_ids(records: list) -> set[str]:  # type: ignore[type-arg]
            return {r.value.split(b'"activity_id":"', 1)[1].split(b'"', 1)[0].decode() for r in records}

        # at least once: after a fault some are announced twice, so wait for every id, not a count
        activity = await read_topic(
            bootstrap,
            self.topic(FLEET_ACTIVITY),
            until=lambda r: len(announced_ids(r)) >= len(published),
            timeout_s=60,
        )
        announced = announced_ids(activity)
        assert announced == {f"{d}:{s}" for d, s in published}
        letters = await read_topic(bootstrap, self.topic(AGENT_DLQ), until=lambda r: True, timeout_s=3)
        assert letters == []

    def stop(self) -> None:
        for platform in self.platforms:
            platform.stop()


@pytest.fixture(scope="module")
def private_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A stack of this module's own: restarting it never disturbs the session's shared `infra`.
    (Here rather than in a tests/ingest/conftest.py, which would shadow the root `conftest` module
    that the other test files import `Isolation` from.)"""
    if os.environ.get("VEILLE_KAFKA_BOOTSTRAP") or os.environ.get("VEILLE_DATABASE_URL"):
        pytest.skip("restart tests need the local stack (external Kafka/PostgreSQL given)")
    stack = LocalStack(Path(tmp_path_factory.mktemp("ingest-faults")), fresh=True)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def scenario(private_stack: LocalStack, tmp_path: Path) -> object:
    s = Scenario(private_stack, tmp_path)
    yield s
    s.stop()


async def test_kill_9_mid_stream_then_restart(scenario: Scenario) -> None:
    async def kill_and_restart(s: Scenario) -> None:
        platform = s.platforms[0]
        platform.stop_service("ingest", kill=True)  # SIGKILL: no commit, no flush, no goodbye
        platform.start_service("ingest")
        platform.wait_healthy(120)

    await scenario.run(kill_and_restart)


async def test_a_second_process_joins_then_the_first_leaves(scenario: Scenario) -> None:
    async def rebalance_twice(s: Scenario) -> None:
        s.start_ingest("b")  # the group rebalances: partitions shared between two processes
        await s.wait_stored(len(s.beats) // 2)
        s.platforms[0].stop()  # and again: the first one's partitions move to the second

    await scenario.run(rebalance_twice)


async def test_postgresql_restarted_mid_stream(scenario: Scenario) -> None:
    async def restart_postgres(s: Scenario) -> None:
        pg = s.stack.postgres
        assert pg is not None
        await asyncio.to_thread(pg.stop)
        assert not pg.running(), f"PostgreSQL still running; see {pg.data_dir / 'postgres.log'}"
        await asyncio.sleep(5)  # ingest retries with backoff meanwhile, committing nothing
        await asyncio.to_thread(pg.start)

    await scenario.run(restart_postgres)


async def test_broker_restarted_mid_stream(scenario: Scenario) -> None:
    async def restart_kafka(s: Scenario) -> None:
        assert s.stack.kafka is not None
        s.stack.kafka.stop()
        await asyncio.sleep(3)
        await asyncio.to_thread(s.stack.kafka.start)

    await scenario.run(restart_kafka)
