"""Nothing is lost when the broker goes away or the agent process dies: a private broker of this
test module is stopped and restarted on the same port; the agent process is killed (SIGKILL) and
started again on the same spool."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from support.fleet import T0, inventory
from support.kafka import read_topic
from veille_agent.sdk import AgentPublisher, Backoff, DeviceAgent, SqliteSpool
from veille_contracts import Heartbeat, decode
from veille_contracts.topics import AGENT_HEARTBEATS
from veille_localstack import LocalKafka
from veille_runtime.kafka import ensure_topics

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture(loop_scope="session")
async def kafka(tmp_path: Path) -> AsyncIterator[LocalKafka]:
    broker = LocalKafka(tmp_path / "kafka")
    await asyncio.to_thread(broker.start)
    await ensure_topics(broker.bootstrap, device_partitions=3)
    try:
        yield broker
    finally:
        await asyncio.to_thread(broker.stop)


def report(agent: DeviceAgent, k: int) -> None:
    start = T0 + timedelta(minutes=5 * k)
    agent.report(start, start + timedelta(minutes=5), seconds_on=300, seconds_active=30, seconds_asleep=0)


async def seqs_on_topic(bootstrap: str, device: str, expected: int) -> list[int]:
    records = await read_topic(
        bootstrap, AGENT_HEARTBEATS.name, until=lambda r: len(r) >= expected, timeout_s=60
    )
    return sorted(decode(Heartbeat, r.value).seq for r in records if r.key == device.encode())


async def test_broker_stopped_and_restarted_nothing_lost(kafka: LocalKafka, tmp_path: Path) -> None:
    publisher = AgentPublisher(
        kafka.bootstrap,
        SqliteSpool(tmp_path / "spool.db"),
        request_timeout_ms=3000,
        backoff=Backoff(0.2, 2.0),
    )
    await publisher.start()
    try:
        agent = DeviceAgent(publisher, inventory("pc-outage"))
        for k in range(50):
            report(agent, k)
        await publisher.flush(30)

        await asyncio.to_thread(kafka.stop)
        for k in range(50, 250):
            report(agent, k)
        await asyncio.sleep(5)  # several failed attempts while the broker is down
        assert publisher.pending() == 200
        assert publisher.stats.send_failures >= 1 and publisher.last_error is not None

        await asyncio.to_thread(kafka.start)  # same data dir, same port
        await publisher.flush(90)
        assert publisher.pending() == 0
    finally:
        await publisher.stop()
    seqs = await seqs_on_topic(kafka.bootstrap, "pc-outage", 250)
    assert sorted(set(seqs)) == list(range(250))  # all of them (a retried batch may appear twice)


AGENT_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import datetime, timedelta, UTC
    from veille_agent.sdk import AgentPublisher, Backoff, DeviceAgent, SqliteSpool
    from veille_contracts import DeviceKind, Inventory

    T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    bootstrap, spool, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

    async def main():
        pub = AgentPublisher(bootstrap, SqliteSpool(spool), request_timeout_ms=2000,
                             backoff=Backoff(0.2, 1.0))
        await pub.start()
        inv = Inventory(tenant_id="acme", device_id="pc-restart", observed_at=T0, hostname="pc-restart",
                        kind=DeviceKind.laptop, os="Windows 11", monitors=1, group_path="ACME/Lyon",
                        agent_version="1.0", agent_manager_id="am-1")
        agent = DeviceAgent(pub, inv)
        for k in range(first, first + count):
            start = T0 + timedelta(minutes=5 * k)
            agent.report(start, start + timedelta(minutes=5), seconds_on=300, seconds_active=0,
                         seconds_asleep=0)
        print("spooled", flush=True)
        await pub.flush()
        print("flushed", flush=True)
        await pub.stop()

    asyncio.run(main())
    """
)


def start_agent(bootstrap: str, spool: Path, first: int, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", AGENT_SCRIPT, bootstrap, str(spool), str(first), str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_agent_process_killed_while_broker_down_resends_after_restart(
    kafka: LocalKafka, tmp_path: Path
) -> None:
    spool = tmp_path / "agent-spool.db"
    await asyncio.to_thread(kafka.stop)
    first_run = start_agent(kafka.bootstrap, spool, 0, 100)
    try:
        line = await asyncio.wait_for(asyncio.to_thread(first_run.stdout.readline), 60)  # type: ignore[union-attr]
        assert line.strip() == "spooled"
        await asyncio.sleep(1)
    finally:
        os.kill(first_run.pid, signal.SIGKILL)  # crash: no chance to flush or close anything
        first_run.wait()
    assert SqliteSpool(spool).size() == 100

    await asyncio.to_thread(kafka.start)
    second_run = start_agent(kafka.bootstrap, spool, 100, 20)  # the old spool first, then 20 new
    out, err = await asyncio.to_thread(second_run.communicate, timeout=120)
    assert second_run.returncode == 0, err
    assert "flushed" in out
    seqs = await seqs_on_topic(kafka.bootstrap, "pc-restart", 120)
    assert sorted(set(seqs)) == list(range(120))  # seq continued at 100 after the crash
    assert SqliteSpool(spool).size() == 0
