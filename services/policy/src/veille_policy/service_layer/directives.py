"""Use cases of the policy service on its three input topics.

- stage changes (veille.projects.stages.v1): record the project, and on entering `viewer` or `saver`
  decide every in-scope device's directive (the Saver draw is stored once, at that moment); on
  entering `recommendation`, queue the recommendation job.
- the device registry (veille.fleet.devices.v1): keep policy's copy, and give a device that
  enrols mid-phase the directive of its project's phase (`directive_for` with the stored draw:
  late devices join the control group).
- activity (veille.fleet.activity.v1): reconcile the reported policy version with the desired one
  (resend at most once per interval of event time), and keep the Viewer window's activity.

Every effect happens in one database transaction per batch, with the sends queued in the outbox;
they are published after the commit, and the caller commits offsets last. Replays are no-ops:
stage events older than a project's last one are skipped, directive ids are stable, and the outbox
refuses a send id twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg
from pydantic import ValidationError
from veille_contracts import Activity, DeviceKind, DeviceRecord, Directive, RejectReason, StageChange, decode
from veille_contracts.projects import Stage, StageChangeKind
from veille_contracts.scope import ScopeMatcher
from veille_contracts.topics import FLEET_DLQ, POLICY_DIRECTIVES, PROJECTS_DLQ, TopicSpec
from veille_runtime.kafka import publish_dead_letter
from veille_runtime.logging import get_logger
from veille_runtime.ports import InboundRecord, Publisher

from ..adapters import outbox, store
from ..adapters.outbox import Send
from ..domain import (
    MissingApprovedPolicyError,
    ScopeMember,
    StageContext,
    decide_directives,
    directive_for,
    reconcile,
)
from ..domain.directives import VIEWER_VERSION
from ..settings import PolicySettings

SERVICE = "policy"
DIRECTED_STAGES = (Stage.viewer, Stage.saver)
log = get_logger(__name__)


def _reason(exc: ValidationError) -> RejectReason:
    kinds = {e["type"] for e in exc.errors()}
    if "json_invalid" in kinds or "json_type" in kinds:
        return RejectReason.malformed_json
    return RejectReason.invalid_value


def context_of(project: store.ProjectRow) -> StageContext:
    return StageContext(
        project_id=project.project_id,
        tenant_id=project.tenant_id,
        stage=project.stage,
        stage_seq=project.stage_seq,
        effective_at=project.effective_at,
        approved_policy=project.summary.approved_policy,
        approved_pcs=project.summary.approved_pcs,
    )


def member_of(device: store.DeviceRow | DeviceRecord) -> ScopeMember:
    kind = device.kind if isinstance(device, DeviceRecord) else DeviceKind(device.kind)
    return ScopeMember(device.device_id, kind, device.group_path)


@dataclass
class PolicyService:
    pool: asyncpg.Pool
    publisher: Publisher
    settings: PolicySettings
    # Set when a recommendation job is queued, so the worker starts without waiting for its poll.
    jobs_queued: asyncio.Event = field(default_factory=asyncio.Event)

    def topic(self, spec: TopicSpec) -> str:
        return spec.qualified(self.settings.topic_namespace)

    @property
    def min_interval(self) -> timedelta:
        return timedelta(seconds=self.settings.resend_min_interval_s)

    async def _reject(self, record: InboundRecord, dlq: TopicSpec, reason: RejectReason, detail: str) -> None:
        await publish_dead_letter(
            self.publisher, self.topic(dlq), record, reason=reason, detail=detail, service=SERVICE
        )

    def _send(self, directive: Directive, send_id: str | None = None, value: bytes | None = None) -> Send:
        return Send(
            send_id=send_id or directive.directive_id,
            topic=self.topic(POLICY_DIRECTIVES),
            key=directive.device_id.encode(),
            value=value if value is not None else directive.to_json_bytes(),
        )

    # --- stage changes ----------------------------------------------------------------------------

    async def stage_batch(self, records: Sequence[InboundRecord]) -> None:
        changes: list[tuple[InboundRecord, StageChange]] = []
        for record in records:
            try:
                changes.append((record, decode(StageChange, record.value or b"")))
            except ValidationError as exc:
                await self._reject(record, PROJECTS_DLQ, _reason(exc), str(exc))
        changes.sort(key=lambda rc: (rc[1].project_id, rc[1].seq))
        queued: list[Send] = []
        jobs = False
        async with self.pool.acquire() as conn, conn.transaction():
            for record, change in changes:
                try:
                    sends, job = await self._apply_stage(conn, change)
                except MissingApprovedPolicyError as exc:
                    await self._reject(record, PROJECTS_DLQ, RejectReason.refused, str(exc))
                    continue
                queued += await outbox.queue(conn, sends)
                jobs = jobs or job
        await outbox.publish(self.pool, self.publisher, queued)
        await self.publisher.flush()  # dead letters
        if jobs:
            self.jobs_queued.set()

    async def _apply_stage(self, conn: asyncpg.Connection, change: StageChange) -> tuple[list[Send], bool]:
        known = await store.project(conn, change.project_id, lock=True)
        if known is not None and change.seq <= known.last_seq:
            return [], False  # a replay, a duplicate, or an event older than what we acted on
        if change.kind is StageChangeKind.overrun:
            if known is not None:
                await store.note_seq(conn, change.project_id, change.seq)
            return [], False
        if change.to_stage is Stage.saver and change.project.approved_policy is None:
            raise MissingApprovedPolicyError(
                f"project {change.project_id} entered saver without an approved policy: nothing to enforce"
            )
        await store.record_transition(conn, change)
        if change.to_stage is Stage.recommendation:
            project = await store.project(conn, change.project_id)
            assert project is not None
            start = project.viewer_started_at
            if start is None:
                # No viewer transition seen (history before policy existed): the stage left says how long.
                start = change.effective_at - timedelta(days=change.actual_days or 14)
            await conn.execute(
                "INSERT INTO recommendation_jobs "
                "(project_id, stage_seq, window_start, window_end, requested_at) "
                "VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING",
                change.project_id,
                change.seq,
                start,
                change.effective_at,
            )
            return [], True
        if change.to_stage not in DIRECTED_STAGES:
            return [], False
        matcher = ScopeMatcher.of(change.project.scope)
        members = [
            member_of(d) for d in await store.devices_of_tenant(conn, change.tenant_id) if matcher.matches(d)
        ]
        context = StageContext.of(change)
        directives = decide_directives(context, members)
        if change.to_stage is Stage.saver:
            await store.store_selection(
                conn,
                change.project_id,
                change.seq,
                (d.device_id for d in directives if d.version != VIEWER_VERSION),
            )
        await store.set_desired(
            conn, change.to_stage, change.seq, [(d, change.effective_at) for d in directives]
        )
        log.info(
            "directives decided",
            project_id=change.project_id,
            stage=change.to_stage.value,
            devices=len(directives),
            saver=sum(1 for d in directives if d.version != VIEWER_VERSION),
        )
        return [self._send(d) for d in directives], False

    # --- device registry --------------------------------------------------------------------------

    async def device_batch(self, records: Sequence[InboundRecord]) -> None:
        newest: dict[str, DeviceRecord] = {}
        for record in records:
            if record.value is None:
                continue  # a tombstone on the compacted registry: nothing to enrol
            try:
                device = decode(DeviceRecord, record.value)
            except ValidationError as exc:
                await self._reject(record, FLEET_DLQ, _reason(exc), str(exc))
                continue
            if device.device_id not in newest or device.last_seen >= newest[device.device_id].last_seen:
                newest[device.device_id] = device
        queued: list[Send] = []
        if newest:
            async with self.pool.acquire() as conn, conn.transaction():
                await store.upsert_devices(conn, list(newest.values()))
                queued = await outbox.queue(conn, await self._late_directives(conn, list(newest.values())))
        await outbox.publish(self.pool, self.publisher, queued)
        await self.publisher.flush()

    async def _late_directives(self, conn: asyncpg.Connection, devices: Sequence[DeviceRecord]) -> list[Send]:
        """The directive of each device's project phase, for devices whose desired one differs."""
        projects = await store.projects_in(conn, DIRECTED_STAGES)
        if not projects:
            return []
        current = await store.current_directive_ids(conn, (d.device_id for d in devices))
        decided: dict[str, tuple[store.ProjectRow, Directive, datetime]] = {}
        for project in projects:  # oldest transition first: the newest project's phase wins
            matcher = ScopeMatcher.of(project.summary.scope)
            members = [d for d in devices if matcher.matches(d)]
            if not members:
                continue
            context = context_of(project)
            selected: frozenset[str] = frozenset()
            if project.stage is Stage.saver:
                selected = await store.selected_among(
                    conn, project.project_id, project.stage_seq, (m.device_id for m in members)
                )
            for device in members:
                directive = directive_for(context, member_of(device), selected)
                if directive is not None:
                    decided[device.device_id] = (
                        project,
                        directive,
                        max(device.last_seen, project.effective_at),
                    )
        sends: list[Send] = []
        for device_id, (project, directive, at) in decided.items():
            if current.get(device_id) == directive.directive_id:
                continue
            await store.set_desired(conn, project.stage, project.stage_seq, [(directive, at)])
            sends.append(self._send(directive))
        if sends:
            log.info("directives for enrolled devices", devices=len(sends))
        return sends

    # --- activity: reconciliation and Viewer data -------------------------------------------------

    async def activity_batch(self, records: Sequence[InboundRecord]) -> None:
        activities: list[Activity] = []
        for record in records:
            try:
                activities.append(decode(Activity, record.value or b""))
            except ValidationError as exc:
                await self._reject(record, FLEET_DLQ, _reason(exc), str(exc))
        sends: list[Send] = []
        if activities:
            activities.sort(key=lambda a: (a.period_end, a.seq))
            async with self.pool.acquire() as conn, conn.transaction():
                desired = await store.desired_for(conn, (a.device_id for a in activities))
                resent: dict[str, tuple[datetime, int]] = {}
                viewer_rows: list[tuple[str, Activity]] = []
                for activity in activities:
                    want = desired.get(activity.device_id)
                    if want is None:
                        continue  # in no project's directed phase: nothing to reconcile or keep
                    decision = reconcile(
                        want.version,
                        activity.policy_version,
                        want.last_sent_at,
                        activity.period_end,
                        self.min_interval,
                    )
                    if decision.resend:
                        want.last_sent_at = activity.period_end
                        resent[activity.device_id] = (
                            activity.period_end,
                            resent.get(activity.device_id, (None, 0))[1] + 1,
                        )
                        sends.append(
                            Send(
                                send_id=f"{want.directive_id}@{activity.period_end.isoformat()}",
                                topic=self.topic(POLICY_DIRECTIVES),
                                key=activity.device_id.encode(),
                                value=want.directive,
                            )
                        )
                    if self._in_viewer_window(want, activity):
                        viewer_rows.append((want.project_id, activity))
                await store.mark_resent(conn, resent)
                await store.store_viewer_activity(conn, viewer_rows)
        # Resends skip the outbox: the desired state (and last_sent_at) is committed, and if this
        # process dies before the send, the device's next stale heartbeat past the interval gets it.
        for send in sends:
            await self.publisher.publish(send.topic, send.key, send.value)
        await self.publisher.flush()

    @staticmethod
    def _in_viewer_window(want: store.DesiredRow, activity: Activity) -> bool:
        if want.project_stage not in (Stage.viewer, Stage.recommendation) or want.viewer_started_at is None:
            return False
        if activity.period_start < want.viewer_started_at:
            return False
        return want.viewer_ended_at is None or activity.period_start < want.viewer_ended_at
