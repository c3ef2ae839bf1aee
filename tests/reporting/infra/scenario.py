"""A small project whose savings are computed by hand (see test_scenario.py for the arithmetic)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from support.fleet import device_record
from support.isolation import Isolation
from support.kafka import produce
from veille_contracts import Activity, ApiToken, DeviceKind, DeviceRecord, TokenRole
from veille_contracts.agent import SleepBlocker
from veille_contracts.policy import Directive, DirectiveMode, Policy, PowerTimeouts, WorkingSchedule
from veille_contracts.projects import ProjectSummary, ProjectType, Scope, Stage, StageChange, StageChangeKind
from veille_contracts.topics import FLEET_DEVICES, POLICY_DIRECTIVES, PROJECT_STAGES
from veille_runtime.auth import hash_token, token_id_of

T0 = datetime(2026, 3, 1, tzinfo=UTC)  # a Sunday
HOLIDAY = date(2026, 3, 4)  # a Wednesday of the Viewer phase
POLICY = Policy(
    policy_id="sleep-15",
    name="Sleep after 15 min",
    ac=PowerTimeouts(sleep_min=15),
    battery=PowerTimeouts(sleep_min=10),
)


def summary(project_id: str = "p-acme", tenant: str = "acme", group: str = "ACME/Paris") -> ProjectSummary:
    return ProjectSummary(
        project_id=project_id,
        tenant_id=tenant,
        name=f"{tenant} POC",
        project_type=ProjectType.poc,
        scope=Scope(tenant_id=tenant, groups=[group]),
        selected_pcs=2,
        fleet_total=1000,
        fleet_desktops=600,
        fleet_laptops=400,
        kwh_cost=0.2016,
        carbon_kg_per_kwh=0.052,
        schedule=WorkingSchedule(timezone="UTC"),
        holidays=[HOLIDAY],
        approved_policy=POLICY,
        approved_pcs=1,
    )


def stage_events(p: ProjectSummary) -> list[StageChange]:
    """Viewer from Mon 2 March 00:00 to Mon 9 March 00:00; Saver from 9 March 12:00 (so from the 10th,
    whole days only) to Mon 16 March 00:00."""
    plan = [
        (None, Stage.kickoff, T0 - timedelta(days=10)),
        (Stage.kickoff, Stage.package_configuration, T0 - timedelta(days=8)),
        (Stage.package_configuration, Stage.deployment, T0 - timedelta(days=5)),
        (Stage.deployment, Stage.viewer, datetime(2026, 3, 2, tzinfo=UTC)),
        (Stage.viewer, Stage.recommendation, datetime(2026, 3, 9, tzinfo=UTC)),
        (Stage.recommendation, Stage.saver, datetime(2026, 3, 9, 12, tzinfo=UTC)),
        (Stage.saver, Stage.feedback, datetime(2026, 3, 16, tzinfo=UTC)),
    ]
    return [
        StageChange(
            event_id=f"{p.project_id}-{seq}",
            project_id=p.project_id,
            tenant_id=p.tenant_id,
            seq=seq,
            kind=StageChangeKind.transition,
            from_stage=a,
            to_stage=b,
            effective_at=at,
            reason="milestone",
            planned_days=7.0,
            project=p,
        )
        for seq, (a, b, at) in enumerate(plan)
    ]


def device(device_id: str, tenant: str = "acme", group: str = "ACME/Paris") -> DeviceRecord:
    return device_record(device_id, tenant, group, T0)


def directive(device_id: str, project_id: str, saver: bool, tenant: str = "acme") -> Directive:
    return Directive(
        directive_id=f"{project_id}-{device_id}",
        tenant_id=tenant,
        device_id=device_id,
        project_id=project_id,
        mode=DirectiveMode.saver if saver else DirectiveMode.viewer,
        policy=POLICY if saver else None,
        version="v1",
        reason="saver phase",
        issued_at=datetime(2026, 3, 9, 12, tzinfo=UTC),
    )


def hourly_activity(device_id: str, saver: bool, tenant: str = "acme") -> list[Activity]:
    """One 60-minute period per hour from Mon 2 to Sun 15 March 2026.

    Viewer behaviour (every day for the control PC, until 9 March for the saver PC): on all day and
    night; in use 08:00-16:00 on weekdays; Teams holds it awake at night (00:00-06:00).
    Saver behaviour (from 9 March for the saver PC): on 08:00-18:00 and in use 08:00-16:00 on
    weekdays, asleep otherwise; asleep all weekend.
    """
    out: list[Activity] = []
    start = datetime(2026, 3, 2, tzinfo=UTC)
    for h in range(14 * 24):
        at = start + timedelta(hours=h)
        weekday, hour = at.weekday() < 5, at.hour
        in_use = 3600.0 if weekday and 8 <= hour < 16 else 0.0
        if saver and at >= datetime(2026, 3, 9, tzinfo=UTC):
            on = 3600.0 if weekday and 8 <= hour < 18 else 0.0
            asleep, blockers = 3600.0 - on, []
        else:
            on, asleep = 3600.0, 0.0
            blockers = (
                [SleepBlocker(process="C:\\Program Files\\Teams\\Teams.exe", seconds=3600)]
                if hour < 6
                else []
            )
        out.append(
            Activity(
                activity_id=f"{device_id}:{h}",
                tenant_id=tenant,
                device_id=device_id,
                device_kind=DeviceKind.desktop,
                seq=h,
                period_start=at,
                period_end=at + timedelta(hours=1),
                seconds_on=on,
                seconds_active=in_use,
                seconds_asleep=asleep,
                sleep_blockers=blockers,
            )
        )
    return out


def token_record(token: str, role: TokenRole, tenant: str | None) -> tuple[bytes, bytes]:
    h = hash_token(token)
    rec = ApiToken(
        token_hash=h,
        token_id=token_id_of(h),
        role=role,
        tenant_id=tenant,
        name=f"{tenant}-user",
        issued_at=T0,
    )
    return h.encode(), rec.to_json_bytes()


def rec(key: str, message: object) -> tuple[bytes, bytes]:
    return key.encode(), message.to_json_bytes()  # type: ignore[attr-defined]


async def publish_project(isolation: Isolation) -> ProjectSummary:
    """Registry (pc-s, pc-c), the project's stage events and their directives (pc-s saver, pc-c
    control) on the test's topics; the activity is each test's own."""
    bootstrap = isolation.infra.kafka_bootstrap
    p = summary()
    await produce(bootstrap, isolation.topic(FLEET_DEVICES), [rec(d, device(d)) for d in ("pc-s", "pc-c")])
    await produce(bootstrap, isolation.topic(PROJECT_STAGES), [rec(p.project_id, e) for e in stage_events(p)])
    await produce(
        bootstrap,
        isolation.topic(POLICY_DIRECTIVES),
        [
            rec("pc-s", directive("pc-s", p.project_id, True)),
            rec("pc-c", directive("pc-c", p.project_id, False)),
        ],
    )
    return p
