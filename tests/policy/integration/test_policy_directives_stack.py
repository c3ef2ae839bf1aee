"""Directives on the real broker and database: Viewer to every device in scope, Saver to the drawn
devices only (the others stay in Viewer as the control group), late devices, replays, and
reconciliation of stale policy versions with its rate limit."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from conftest import Isolation
from policy_stack import SAVER_POLICY, T0, activity, device, keyed, stage, summary, wait_value
from support.kafka import produce, read_topic
from support.services import serve
from veille_contracts import DeviceKind, Directive, DirectiveMode, Scope, decode
from veille_contracts.projects import Stage
from veille_contracts.topics import FLEET_ACTIVITY, FLEET_DEVICES, POLICY_DIRECTIVES, PROJECT_STAGES
from veille_policy.entrypoints.app import create_app
from veille_policy.settings import PolicySettings

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


async def directives(iso: Isolation, count: int, timeout_s: float = 60) -> list[Directive]:
    records = await read_topic(
        iso.infra.kafka_bootstrap,
        iso.topic(POLICY_DIRECTIVES),
        until=lambda r: len(r) >= count,
        timeout_s=timeout_s,
    )
    found = [decode(Directive, r.value) for r in records]
    assert all(r.key == d.device_id.encode() for r, d in zip(records, found, strict=True))
    return found


async def test_saver_goes_to_the_drawn_devices_only_and_replays_send_nothing(isolation: Isolation) -> None:
    bootstrap, db = isolation.infra.kafka_bootstrap, isolation.infra.database_url
    schema = f"policy{isolation.schema_suffix}"
    fleet = [device(f"desk-{i}", DeviceKind.desktop, "ACME/Paris/Finance") for i in range(6)]
    fleet += [device(f"lap-{i}", DeviceKind.laptop, "ACME/Paris/Sales") for i in range(6)]
    outsiders = [
        device("lyon-1", DeviceKind.desktop, "ACME/Lyon"),
        device("other-1", DeviceKind.desktop, "ACME/Paris/Finance", tenant="globex"),
    ]
    project = summary(
        "p1", Scope(tenant_id="acme", groups=["acme/paris"]), approved_policy=SAVER_POLICY, approved_pcs=4
    )
    app = create_app(isolation.settings(PolicySettings))  # type: ignore[arg-type]
    async with serve(app):
        await produce(bootstrap, isolation.topic(FLEET_DEVICES), [keyed(d) for d in fleet + outsiders])
        assert await wait_value(db, f"SELECT count(*) FROM {schema}.devices", 14) == 14

        viewer = stage(project, 3, Stage.viewer, T0, Stage.deployment)
        await produce(bootstrap, isolation.topic(PROJECT_STAGES), [keyed(viewer)])
        first = await directives(isolation, 12)
        assert {d.device_id for d in first} == {d.device_id for d in fleet}
        assert all(d.mode is DirectiveMode.viewer and d.version == "viewer" for d in first)

        saver = stage(project, 5, Stage.saver, T0 + timedelta(days=15), Stage.recommendation)
        await produce(bootstrap, isolation.topic(PROJECT_STAGES), [keyed(saver)])
        both = await directives(isolation, 24)
        at_saver = [d for d in both if d.directive_id.startswith("p1:5:")]
        assert Counter(d.device_id for d in at_saver) == Counter({d.device_id: 1 for d in fleet})
        selected = {d.device_id for d in at_saver if d.mode is DirectiveMode.saver}
        # Exactly approved_pcs devices get the policy, stratified: 2 desktops and 2 laptops.
        assert len(selected) == 4
        assert sum(1 for s in selected if s.startswith("desk")) == 2
        assert all(d.policy == SAVER_POLICY for d in at_saver if d.mode is DirectiveMode.saver)
        control = [d for d in at_saver if d.device_id not in selected]
        assert all(d.mode is DirectiveMode.viewer and d.policy is None for d in control)
        assert all("control group" in d.reason for d in control)

        # Replaying the stages topic (and the registry) sends nothing new; a device that enrols now
        # does get one, in the control group, and it arrives after anything the replay could send.
        await produce(bootstrap, isolation.topic(PROJECT_STAGES), [keyed(viewer), keyed(saver)])
        await produce(bootstrap, isolation.topic(FLEET_DEVICES), [keyed(d) for d in fleet])
        late = device("desk-late", DeviceKind.desktop, "ACME/Paris/Finance", at=T0 + timedelta(days=16))
        await produce(bootstrap, isolation.topic(FLEET_DEVICES), [keyed(late)])
        after = await directives(isolation, 25)
        assert len(after) == 25
        # Records of different partitions come back in no set order: find the late one by device.
        (late_directive,) = [d for d in after if d.device_id == "desk-late"]
        assert late_directive.mode is DirectiveMode.viewer
        assert "control group" in late_directive.reason
        assert len({d.directive_id for d in after}) == 25
        stored = await wait_value(db, f"SELECT count(*) FROM {schema}.saver_selection", 4)
        assert stored == 4


async def test_stale_versions_get_their_directive_again_at_most_once_per_interval(
    isolation: Isolation,
) -> None:
    bootstrap, db = isolation.infra.kafka_bootstrap, isolation.infra.database_url
    project = summary("p2", Scope(tenant_id="acme", devices=["pc-1", "pc-2"]))
    app = create_app(isolation.settings(PolicySettings, resend_min_interval_s=1800))  # type: ignore[arg-type]
    async with serve(app):
        await produce(
            bootstrap,
            isolation.topic(FLEET_DEVICES),
            [keyed(device(d, DeviceKind.desktop, "ACME/X")) for d in ("pc-1", "pc-2")],
        )
        assert await wait_value(db, f"SELECT count(*) FROM policy{isolation.schema_suffix}.devices", 2) == 2
        await produce(
            bootstrap, isolation.topic(PROJECT_STAGES), [keyed(stage(project, 1, Stage.viewer, T0))]
        )
        initial = await directives(isolation, 2)
        wanted = {d.device_id: d for d in initial}

        def beat(minutes: int, version: str | None, device_id: str = "pc-1") -> tuple[bytes, bytes]:
            return keyed(activity(device_id, minutes, T0 + timedelta(minutes=minutes - 5), version=version))

        await produce(
            bootstrap,
            isolation.topic(FLEET_ACTIVITY),
            [
                beat(5, None),  # in flight: 5 min after the send, rate-limited
                beat(40, "stale-v0"),  # 40 min after the send: resend (1)
                beat(45, "stale-v0"),  # 5 min after the resend: rate-limited
                beat(65, None),  # 25 min: rate-limited
                beat(75, "stale-v0"),  # 35 min: resend (2)
                beat(80, "viewer"),  # in sync
                beat(200, "viewer"),  # in sync
                beat(40, "viewer", "pc-2"),  # in sync
                beat(300, "stale-v1"),  # 225 min after the last resend: resend (3)
            ],
        )
        sent = await directives(isolation, 5)
        again = [d for d in sent[2:] if d.device_id == "pc-1"]
        assert len(sent) == 5 and len(again) == 3
        # The same directive, with its stable id: the agent gets what it should have enforced.
        assert all(d == wanted["pc-1"] for d in again)
        resends = await wait_value(
            db, f"SELECT resends FROM policy{isolation.schema_suffix}.desired WHERE device_id = 'pc-1'", 3
        )
        assert resends == 3
        # Replaying the same heartbeats is no news: the last send is later than all of them.
        await produce(
            bootstrap, isolation.topic(FLEET_ACTIVITY), [beat(40, "stale-v0"), beat(305, "stale-v1")]
        )
        await produce(bootstrap, isolation.topic(FLEET_ACTIVITY), [beat(400, "stale-v1")])  # resend (4)
        final = await directives(isolation, 6)
        assert len(final) == 6
