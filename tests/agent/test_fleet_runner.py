"""The simulated fleet publishes like real agents and obeys directives received through its agent
managers, from the simulated time they arrive."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from support.isolation import Isolation
from support.kafka import produce, read_topic
from veille_agent.runner import FleetRunner
from veille_agent.sdk import AgentPublisher, SqliteSpool
from veille_agent.simulator import Fleet, FleetSimulator
from veille_contracts import Directive, DirectiveMode, Heartbeat, Policy, PowerTimeouts, decode
from veille_contracts.topics import AGENT_HEARTBEATS, AGENT_INVENTORY, POLICY_DIRECTIVES

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]

MONDAY = date(2026, 3, 2)
PARIS = ZoneInfo("Europe/Paris")


async def test_runner_publishes_deployed_devices_and_applies_directives_when_they_arrive(
    isolation: Isolation, tmp_path: Path
) -> None:
    bootstrap = isolation.infra.kafka_bootstrap
    fleet = Fleet.generate(7, 12, "acme", MONDAY)
    start = datetime.combine(MONDAY, time(0, 0), PARIS)
    reference = list(FleetSimulator(fleet, start, 15).advance(start + timedelta(days=1)))

    sim = FleetSimulator(fleet, start, 15)
    publisher = AgentPublisher(bootstrap, SqliteSpool(tmp_path / "fleet.db"), isolation.namespace)
    runner = FleetRunner(sim, publisher, FleetRunner.relays_for(fleet, bootstrap, isolation.namespace))
    await runner.start()
    try:
        await runner.enrol(range(8), at=start)  # 4 devices have no agent yet
        await runner.run_until(start + timedelta(days=1), step=timedelta(hours=6))
        await runner.flush(60)

        # Day 2 at 00:00: the policy service sends a saver directive to device 0.
        target = fleet.devices[0]
        saver = Directive(
            directive_id="d-1",
            tenant_id="acme",
            device_id=target.device_id,
            mode=DirectiveMode.saver,
            policy=Policy(
                policy_id="p1",
                name="15 min",
                ac=PowerTimeouts(sleep_min=15),
                battery=PowerTimeouts(sleep_min=10),
            ),
            version="p1-v1",
            reason="saver phase",
            issued_at=runner.clock,
        )
        topic = isolation.topic(POLICY_DIRECTIVES)
        await produce(bootstrap, topic, [(target.device_id.encode(), saver.to_json_bytes())])
        await runner.wait_directives(lambda r: r.versions.get(target.device_id) == "p1-v1", timeout_s=30)
        await runner.run_until(start + timedelta(days=2), step=timedelta(hours=6))
        await runner.flush(60)
    finally:
        await runner.stop()

    deployed = {d.device_id for d in fleet.devices[:8]}
    expected_day1 = [h for h in reference if h.device_id in deployed]
    inventories = await read_topic(bootstrap, isolation.topic(AGENT_INVENTORY), until=lambda r: len(r) >= 8)
    assert {r.key.decode() for r in inventories} == deployed
    records = await read_topic(
        bootstrap, isolation.topic(AGENT_HEARTBEATS), until=lambda r: len(r) >= runner.stats.heartbeats
    )
    beats = [decode(Heartbeat, r.value) for r in records]
    assert len(beats) == runner.stats.heartbeats
    assert {b.device_id for b in beats} <= deployed
    day1 = [b for b in beats if b.period_end <= start + timedelta(days=1)]
    assert sorted((b.device_id, b.seq) for b in day1) == sorted((h.device_id, h.seq) for h in expected_day1)
    day2 = [b for b in beats if b.period_start >= start + timedelta(days=1)]
    assert {b.policy_version for b in day2 if b.device_id == target.device_id} == {"p1-v1"}
    assert {b.policy_version for b in day2 if b.device_id != target.device_id} == {None}
    assert runner.stats.directives_applied == 1
