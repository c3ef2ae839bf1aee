"""Use cases of projects: create and edit projects, apply milestones, keep the facts the gates need.

Every change and the events announcing it are written in one transaction (the outbox); the
relay publishes them afterwards. Inputs from Kafka are idempotent: a replayed milestone is a
duplicate, a replayed activity adds no (device, day) row, a replayed registry record changes
nothing, and the event-time clock only moves forward.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
from pydantic import ValidationError
from veille_contracts import (
    Activity,
    ApiToken,
    DeviceRecord,
    Milestone,
    RejectReason,
    StageChange,
    TokenRole,
    decode,
)
from veille_contracts.projects import MilestoneKind, Stage
from veille_contracts.topics import AUTH_TOKENS, FLEET_DLQ, PROJECT_STAGES, PROJECTS_DLQ
from veille_runtime.auth import hash_token, new_token, token_id_of, upsert_tokens
from veille_runtime.kafka import publish_dead_letter
from veille_runtime.ports import InboundRecord, Publisher

from ..adapters import store
from ..domain.lifecycle import (
    GateFacts,
    GateVerdict,
    Overrun,
    Refusal,
    RefusalCode,
    Transition,
    announce_overrun,
    apply_milestone,
    evaluate_gate,
    open_project,
)
from ..domain.model import Person, Prerequisites, Project
from ..domain.representative import local_date

SERVICE = "projects"

# Which milestone ends each stage (to evaluate the current gate for dashboards).
_ENDING: dict[Stage, MilestoneKind] = {
    Stage.kickoff: MilestoneKind.kickoff_held,
    Stage.package_configuration: MilestoneKind.package_configured,
    Stage.deployment: MilestoneKind.deployment_completed,
    Stage.viewer: MilestoneKind.viewer_completed,
    Stage.recommendation: MilestoneKind.policies_approved,
    Stage.saver: MilestoneKind.saver_completed,
    Stage.feedback: MilestoneKind.feedback_delivered,
}
_EDITABLE = (Stage.kickoff, Stage.package_configuration)


class Conflict(Exception):
    """The request contradicts the project's state (HTTP 409)."""


class NotFound(Exception):
    """No such project (HTTP 404)."""


@dataclass(frozen=True, slots=True)
class Progress:
    project_id: str
    stage: Stage
    selected_pcs: int
    enrolled_in_scope: int
    coverage: float
    threshold: float
    gate_holds: bool
    explanation: str
    daily_reporting: dict[date, int]


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    record: ApiToken


@dataclass
class Projects:
    pool: asyncpg.Pool
    publisher: Publisher
    namespace: str
    wake_relay: Callable[[], None] = lambda: None

    def _topic(self, spec: object) -> str:
        return spec.qualified(self.namespace)  # type: ignore[attr-defined, no-any-return]

    # --- writes that announce stage events ------------------------------------------------------

    async def _announce(self, conn: asyncpg.Connection, change: Transition | Overrun) -> None:
        event = change.stage_change()
        await store.record_stage_event(conn, event, PROJECT_STAGES.name)

    async def create_project(self, project: Project, *, actor: str) -> Transition:
        opened = open_project(project, actor=actor)
        async with self.pool.acquire() as conn, conn.transaction():
            if not await store.insert_project(conn, opened.project):
                raise Conflict(f"project {project.project_id!r} already exists")
            await self._announce(conn, opened)
            await store.advance_clock(conn, project.tenant_id, project.stage_entered_at)
        self.wake_relay()
        return opened

    async def update_prerequisites(self, project_id: str, prerequisites: Prerequisites) -> Project:
        async with self.pool.acquire() as conn, conn.transaction():
            project = await self._locked(conn, project_id)
            if project.stage not in _EDITABLE:
                raise Conflict(
                    "prerequisites are collected before configuration; "
                    f"the project is in {project.stage.value}"
                )
            updated = replace(project, prerequisites=prerequisites)
            await store.save_project(conn, updated)
        return updated

    async def add_person(
        self, project_id: str, person: Person, *, issue_token: bool
    ) -> tuple[Project, IssuedToken | None]:
        async with self.pool.acquire() as conn, conn.transaction():
            project = await self._locked(conn, project_id)
            emails = {p.email.casefold() for p in project.prerequisites.people}
            if person.email.casefold() in emails:
                raise Conflict(f"{person.email} is already one of the project's people")
            prerequisites = replace(project.prerequisites, people=(*project.prerequisites.people, person))
            updated = replace(project, prerequisites=prerequisites)
            await store.save_project(conn, updated)
            issued = None
            if issue_token:
                issued = await self._issue(conn, TokenRole.customer, project.tenant_id, person.email)
        if issued is not None:
            self.wake_relay()
        return updated, issued

    async def _locked(self, conn: asyncpg.Connection, project_id: str) -> Project:
        project = await store.load_project(conn, project_id, for_update=True)
        if project is None:
            raise NotFound(project_id)
        return project

    # --- milestones ------------------------------------------------------------------------------

    async def gate_facts(self, conn: asyncpg.Connection, project: Project) -> GateFacts:
        devices = await store.devices_in_scope(conn, project.scope)
        since = local_date(project.stage_entered_at, project.prerequisites.schedule)
        daily = await store.daily_reporting(
            conn, project.tenant_id, project.prerequisites.schedule.timezone, devices, since
        )
        return GateFacts(enrolled_in_scope=len(devices), daily_reporting=daily)

    async def apply(self, milestone: Milestone) -> Transition | Refusal:
        """Apply one milestone (from the topic or the API) and announce what it changed."""
        async with self.pool.acquire() as conn, conn.transaction():
            project = await store.load_project(conn, milestone.project_id, for_update=True)
            if project is None:
                return Refusal(RefusalCode.unknown_project, f"no project {milestone.project_id!r}")
            # Event time moves with an accepted milestone: a stage that outlived its plan before
            # the milestone ended it is announced first, then the transition. A refused milestone
            # changes nothing, not even the clock (a typo in a date must not announce overruns).
            overrun = None
            if project.applied_event(milestone.event_id) is None:
                overrun = announce_overrun(project, milestone.occurred_at)
            current = overrun.project if overrun is not None else project
            facts = await self.gate_facts(conn, current)
            result = apply_milestone(current, milestone, facts)
            if isinstance(result, Transition):
                if overrun is not None:
                    await self._announce(conn, overrun)
                await store.save_project(conn, result.project)
                await self._announce(conn, result)
                now = await store.advance_clock(conn, project.tenant_id, milestone.occurred_at)
                if now is not None:
                    await self._check_tenant_overruns(conn, project.tenant_id, now, skip=project.project_id)
        self.wake_relay()
        return result

    async def _overruns(
        self, conn: asyncpg.Connection, projects: list[Project], now: datetime
    ) -> list[Project]:
        out = []
        for project in projects:
            overrun = announce_overrun(project, now)
            if overrun is not None:
                await self._announce(conn, overrun)
                await store.save_project(conn, overrun.project)
                project = overrun.project
            out.append(project)
        return out

    async def _check_tenant_overruns(
        self, conn: asyncpg.Connection, tenant_id: str, now: datetime, *, skip: str | None = None
    ) -> None:
        projects = [p for p in await store.lock_tenant_projects(conn, tenant_id) if p.project_id != skip]
        await self._overruns(conn, projects, now)

    async def milestone_batch(self, records: Sequence[InboundRecord]) -> None:
        """Milestones from the topic: applied in order; refusals go to the projects dead-letter topic."""
        for record in records:
            try:
                milestone = decode(Milestone, record.value or b"")
            except ValidationError as exc:
                await self._dead_letter(record, RejectReason.invalid_value, f"invalid milestone: {exc}")
                continue
            result = await self.apply(milestone)
            if isinstance(result, Refusal) and not result.is_noop:
                reason = (
                    RejectReason.unknown_project
                    if result.code is RefusalCode.unknown_project
                    else RejectReason.refused
                )
                await self._dead_letter(record, reason, f"{result.code.value}: {result.message}")
        await self.publisher.flush()

    async def _dead_letter(
        self, record: InboundRecord, reason: RejectReason, detail: str, *, dlq: object = PROJECTS_DLQ
    ) -> None:
        await publish_dead_letter(
            self.publisher, self._topic(dlq), record, reason=reason, detail=detail, service=SERVICE
        )

    # --- facts from the fleet ----------------------------------------------------------------------

    async def device_batch(self, records: Sequence[InboundRecord]) -> None:
        accepted: list[DeviceRecord] = []
        for record in records:
            if record.value is None:
                continue  # compaction tombstone
            try:
                accepted.append(decode(DeviceRecord, record.value))
            except ValidationError as exc:
                await self._dead_letter(record, RejectReason.invalid_value, str(exc), dlq=FLEET_DLQ)
        if accepted:
            async with self.pool.acquire() as conn, conn.transaction():
                await store.upsert_devices(conn, accepted)
        await self.publisher.flush()

    async def activity_batch(self, records: Sequence[InboundRecord]) -> None:
        activities: list[Activity] = []
        for record in records:
            try:
                activities.append(decode(Activity, record.value or b""))
            except ValidationError as exc:
                await self._dead_letter(record, RejectReason.invalid_value, str(exc), dlq=FLEET_DLQ)
        if activities:
            announced = False
            async with self.pool.acquire() as conn, conn.transaction():
                zones = await store.tenant_timezones(conn, (a.tenant_id for a in activities))
                rows: set[tuple[str, str, date, str]] = set()
                latest: dict[str, datetime] = {}
                for a in activities:
                    tzs = zones.get(a.tenant_id)
                    if not tzs:
                        continue  # no open project for this tenant: no gate needs it
                    for tz in tzs:
                        day = a.period_start.astimezone(ZoneInfo(tz)).date()
                        rows.add((a.tenant_id, tz, day, a.device_id))
                    if a.period_end > latest.get(a.tenant_id, a.period_end - timedelta(seconds=1)):
                        latest[a.tenant_id] = a.period_end
                await store.insert_device_days(conn, rows)
                for tenant in sorted(latest):
                    now = await store.advance_clock(conn, tenant, latest[tenant])
                    if now is not None:
                        await self._check_tenant_overruns(conn, tenant, now)
                        announced = True
            if announced:
                self.wake_relay()
        await self.publisher.flush()

    # --- reads -------------------------------------------------------------------------------------

    async def get(self, project_id: str) -> Project:
        async with self.pool.acquire() as conn:
            project = await store.load_project(conn, project_id)
        if project is None:
            raise NotFound(project_id)
        return project

    async def list_projects(self, tenant_id: str | None) -> list[Project]:
        async with self.pool.acquire() as conn:
            return await store.list_projects(conn, tenant_id)

    async def timeline(self, project_id: str) -> tuple[Project, list[StageChange], datetime | None]:
        async with self.pool.acquire() as conn:
            project = await store.load_project(conn, project_id)
            if project is None:
                raise NotFound(project_id)
            events = await store.stage_events(conn, project_id)
            now = await store.tenant_now(conn, project.tenant_id)
        return project, events, now

    async def current_gate(self, project: Project) -> GateVerdict | None:
        kind = _ENDING.get(project.stage)
        if kind is None:
            return None
        async with self.pool.acquire() as conn:
            facts = await self.gate_facts(conn, project)
            now = await store.tenant_now(conn, project.tenant_id)
        at = max(now or project.stage_entered_at, project.stage_entered_at)
        return evaluate_gate(project, kind, facts, at, approved_pcs=project.approved_pcs)

    async def progress(self, project_id: str) -> Progress:
        project = await self.get(project_id)
        async with self.pool.acquire() as conn:
            facts = await self.gate_facts(conn, project)
        gate = evaluate_gate(project, MilestoneKind.deployment_completed, facts, project.stage_entered_at)
        selected = project.prerequisites.selected_pcs
        return Progress(
            project_id=project.project_id,
            stage=project.stage,
            selected_pcs=selected,
            enrolled_in_scope=facts.enrolled_in_scope or 0,
            coverage=(facts.enrolled_in_scope or 0) / selected,
            threshold=project.gates.deployment_coverage,
            gate_holds=gate.holds,
            explanation=gate.explanation,
            daily_reporting=dict(sorted((facts.daily_reporting or {}).items())),
        )

    # --- tokens ------------------------------------------------------------------------------------

    async def _issue(
        self, conn: asyncpg.Connection, role: TokenRole, tenant_id: str | None, name: str
    ) -> IssuedToken:
        token = new_token()
        digest = hash_token(token)
        record = ApiToken(
            token_hash=digest,
            token_id=token_id_of(digest),
            role=role,
            tenant_id=tenant_id,
            name=name,
            issued_at=datetime.now(UTC),
        )
        await upsert_tokens(conn, [record])
        await store.enqueue(
            conn,
            event_id=f"token:{digest[:16]}:issued",
            topic=AUTH_TOKENS.name,
            key=digest.encode(),
            payload=record.to_json_bytes(),
            project_id=None,
        )
        return IssuedToken(token, record)

    async def issue_token(self, role: TokenRole, tenant_id: str | None, name: str) -> IssuedToken:
        async with self.pool.acquire() as conn, conn.transaction():
            issued = await self._issue(conn, role, tenant_id, name)
        self.wake_relay()
        return issued

    async def list_tokens(self) -> list[ApiToken]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch("SELECT * FROM api_tokens ORDER BY issued_at, token_id")
        return [_token(r) for r in rows]

    async def revoke_token(self, token_id: str) -> ApiToken:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "UPDATE api_tokens SET revoked = true, revoked_at = COALESCE(revoked_at, now())"
                " WHERE token_id = $1 RETURNING *",
                token_id,
            )
            if row is None:
                raise NotFound(token_id)
            record = _token(row)
            await store.enqueue(
                conn,
                event_id=f"token:{record.token_hash[:16]}:revoked",
                topic=AUTH_TOKENS.name,
                key=record.token_hash.encode(),
                payload=record.to_json_bytes(),
                project_id=None,
            )
        self.wake_relay()
        return record


def _token(row: asyncpg.Record) -> ApiToken:
    return ApiToken(
        token_hash=row["token_hash"],
        token_id=row["token_id"],
        role=TokenRole(row["role"]),
        tenant_id=row["tenant_id"],
        name=row["name"],
        issued_at=row["issued_at"],
        revoked=row["revoked"],
        revoked_at=row["revoked_at"],
    )


def new_event_id() -> str:
    return f"ms-{uuid.uuid4().hex}"
