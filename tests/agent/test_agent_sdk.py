"""The agent SDK on the real broker: keys, seq, event-time timestamps, batching; directives through
an agent manager relay that hands each device its own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.fleet import T0, inventory
from support.isolation import Isolation
from support.kafka import produce, read_topic
from veille_agent.sdk import AgentManagerRelay, AgentPublisher, DeviceAgent, SqliteSpool
from veille_contracts import Directive, DirectiveMode, Heartbeat, Inventory, decode
from veille_contracts.topics import AGENT_HEARTBEATS, AGENT_INVENTORY, POLICY_DIRECTIVES

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


def directive(device_id: str, version: str, issued_minutes: int = 0, tenant: str = "acme") -> Directive:
    return Directive(
        directive_id=f"d-{device_id}-{version}",
        tenant_id=tenant,
        device_id=device_id,
        mode=DirectiveMode.viewer,
        version=version,
        reason="viewer phase",
        issued_at=T0 + timedelta(minutes=issued_minutes),
    )


async def test_agents_publish_inventory_then_numbered_heartbeats_in_event_time(
    isolation: Isolation, tmp_path: Path
) -> None:
    bootstrap = isolation.infra.kafka_bootstrap
    async with AgentPublisher(
        bootstrap, SqliteSpool(tmp_path / "spool.db"), isolation.namespace
    ) as publisher:
        agents = [DeviceAgent(publisher, inventory(f"pc-{i}")) for i in range(3)]
        for agent in agents:
            agent.enrol()
        for k in range(40):
            for agent in agents:
                start = T0 + timedelta(minutes=5 * k)
                agent.report(
                    start, start + timedelta(minutes=5), seconds_on=300, seconds_active=60, seconds_asleep=0
                )
        await publisher.flush(30)
        assert publisher.pending() == 0
        assert publisher.stats.published == 3 + 120

    inv = await read_topic(bootstrap, isolation.topic(AGENT_INVENTORY), until=lambda r: len(r) >= 3)
    assert sorted(r.key for r in inv) == [b"pc-0", b"pc-1", b"pc-2"]
    assert all(r.timestamp == int(decode(Inventory, r.value).observed_at.timestamp() * 1000) for r in inv)

    records = await read_topic(bootstrap, isolation.topic(AGENT_HEARTBEATS), until=lambda r: len(r) >= 120)
    assert len(records) == 120
    beats = [decode(Heartbeat, r.value) for r in records]
    for record, beat in zip(records, beats, strict=True):
        assert record.key == beat.device_id.encode()
        assert record.timestamp == int(beat.period_end.timestamp() * 1000)  # event time, not wall clock
    for i in range(3):
        mine = [(r, b) for r, b in zip(records, beats, strict=True) if b.device_id == f"pc-{i}"]
        assert len({r.partition for r, _ in mine}) == 1  # keyed: one device, one partition, in order
        assert [b.seq for _, b in sorted(mine, key=lambda rb: rb[0].offset)] == list(range(40))


async def test_seq_continues_where_a_previous_run_of_the_agent_stopped(
    isolation: Isolation, tmp_path: Path
) -> None:
    bootstrap = isolation.infra.kafka_bootstrap
    for run in range(2):
        async with AgentPublisher(bootstrap, SqliteSpool(tmp_path / "spool.db"), isolation.namespace) as pub:
            agent = DeviceAgent(pub, inventory("pc-r"))
            for k in range(5):
                start = T0 + timedelta(minutes=5 * (5 * run + k))
                agent.report(
                    start, start + timedelta(minutes=5), seconds_on=300, seconds_active=0, seconds_asleep=0
                )
            await pub.flush(30)
    records = await read_topic(bootstrap, isolation.topic(AGENT_HEARTBEATS), until=lambda r: len(r) >= 10)
    assert sorted(decode(Heartbeat, r.value).seq for r in records) == list(range(10))


async def test_relay_hands_each_device_its_own_directive_once_per_manager(isolation: Isolation) -> None:
    bootstrap = isolation.infra.kafka_bootstrap
    topic = isolation.topic(POLICY_DIRECTIVES)
    ours = [f"pc-a{i}" for i in range(5)]
    theirs = [f"pc-b{i}" for i in range(5)]
    got: dict[str, list[str]] = {d: [] for d in ours}

    async def handler(d: Directive) -> None:
        got[d.device_id].append(d.version)

    relay = AgentManagerRelay(bootstrap, "am-a", isolation.namespace)
    relay.register_many(ours, handler)
    await relay.start()
    try:
        await relay.wait_assigned()
        messages = [directive(d, "v1") for d in ours + theirs] + [directive(d, "v2", 10) for d in ours]
        messages.append(directive("pc-a0", "v0-late", issued_minutes=-5))  # older, arrives last
        await produce(bootstrap, topic, [(m.device_id.encode(), m.to_json_bytes()) for m in messages])
        await produce(bootstrap, topic, [(b"pc-a1", b"{not a directive")])
        async with asyncio.timeout(30):
            while relay.stats.received < len(messages) + 1:  # noqa: ASYNC110 - polls a counter
                await asyncio.sleep(0.1)
    finally:
        await relay.stop()
    assert got == {d: (["v1", "v2", "v0-late"] if d == "pc-a0" else ["v1", "v2"]) for d in ours}
    assert {d: relay.latest[d].version for d in ours} == dict.fromkeys(ours, "v2")  # latest issued wins
    assert relay.stats.foreign == 5 and relay.stats.invalid == 1

    # Offsets were committed after the handlers: a restarted manager does not hand them again.
    again = AgentManagerRelay(bootstrap, "am-a", isolation.namespace)
    again.register_many(ours, handler)
    await again.start()
    try:
        await again.wait_assigned()
        await produce(bootstrap, topic, [(b"pc-a3", directive("pc-a3", "v3", 20).to_json_bytes())])
        async with asyncio.timeout(30):
            while again.stats.received < 1:  # noqa: ASYNC110 - polls a counter
                await asyncio.sleep(0.1)
        await asyncio.sleep(1)
    finally:
        await again.stop()
    assert again.stats.received == 1 and got["pc-a3"][-1] == "v3"


async def test_a_record_the_broker_refuses_for_good_is_set_aside_and_the_others_go_on(
    isolation: Isolation, tmp_path: Path
) -> None:
    """A PC whose clock runs hours ahead stamps its heartbeats in the future: Kafka (4.x:
    log.message.timestamp.after.max.ms, one hour by default) refuses them for good. The agent must
    not retry them forever, which would block every later heartbeat of that PC."""
    bootstrap = isolation.infra.kafka_bootstrap
    topic = isolation.topic(AGENT_HEARTBEATS)
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    ahead_ms = now_ms + 3 * 3600 * 1000
    spool = SqliteSpool(tmp_path / "spool.db")
    async with AgentPublisher(bootstrap, spool, isolation.namespace) as publisher:
        publisher.publish_records(
            [
                (topic, b"pc-a", b'{"n": 1}', now_ms),
                (topic, b"pc-a", b'{"n": 2, "clock": "ahead"}', ahead_ms),
                (topic, b"pc-a", b'{"n": 3}', now_ms),
                (topic, b"pc-b", b"x" * (2 * 1024 * 1024), now_ms),  # over the broker's 1 MB
                (topic, b"pc-b", b'{"n": 4}', now_ms),
            ]
        )
        await publisher.flush(30)
        assert publisher.pending() == 0
        assert publisher.stats.set_aside == 2

    records = await read_topic(bootstrap, topic, until=lambda r: len(r) >= 3)  # all acked: all there
    assert sorted(r.value for r in records) == [b'{"n": 1}', b'{"n": 3}', b'{"n": 4}']
    spool = SqliteSpool(tmp_path / "spool.db")  # the set-aside records survive the agent
    aside = spool.set_aside_records()
    assert [(r.key, r.timestamp_ms) for r, _ in aside] == [(b"pc-a", ahead_ms), (b"pc-b", now_ms)]
    assert aside[0][0].value == b'{"n": 2, "clock": "ahead"}'
    assert "InvalidTimestamp" in aside[0][1]
    assert "MessageSizeTooLarge" in aside[1][1]
    assert spool.size() == 0
    spool.close()
