"""Helpers of the projects infra tests: a running projects service, tokens, fleet facts in event time."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from support.fleet import device_record
from support.isolation import Isolation
from support.kafka import produce
from support.services import serve
from veille_contracts import Activity, DeviceKind, DeviceRecord, activity_id
from veille_contracts.topics import FLEET_ACTIVITY, FLEET_DEVICES
from veille_projects.entrypoints.app import create_app
from veille_projects.settings import ProjectsSettings

OPERATOR_TOKEN = "vt_test-operator"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Paris


def settings(isolation: Isolation, **overrides: Any) -> ProjectsSettings:
    return isolation.settings(ProjectsSettings, operator_token=OPERATOR_TOKEN, outbox_poll_s=0.2, **overrides)  # type: ignore[return-value]


@contextlib.asynccontextmanager
async def running(isolation: Isolation, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(create_app(settings(isolation, **overrides))) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        yield client


def project_body(project_id: str = "poc-paris", tenant: str = "acme", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "project_id": project_id,
        "tenant_id": tenant,
        "name": f"POC {project_id}",
        "project_type": "poc",
        "scope": {"tenant_id": tenant, "groups": [f"{tenant.upper()}/Paris"]},
        "prerequisites": {
            "selected_pcs": 5,
            "fleet_total": 100,
            "fleet_desktops": 60,
            "fleet_laptops": 40,
            "kwh_cost": 0.2,
            "holidays": [],
            "people": [
                {
                    "last_name": "Martin",
                    "first_name": "Claire",
                    "email": f"claire@{tenant}.example",
                    "role": "customer_it",
                }
            ],
        },
        "opened_at": T0.isoformat(),
    }
    body.update(overrides)
    return body


def device(
    device_id: str, tenant: str = "acme", group: str = "ACME/Paris/Finance", at: datetime = T0
) -> DeviceRecord:
    return device_record(device_id, tenant, group, at)


def activity(device_id: str, start: datetime, seq: int, tenant: str = "acme") -> Activity:
    return Activity(
        activity_id=activity_id(device_id, seq),
        tenant_id=tenant,
        device_id=device_id,
        device_kind=DeviceKind.desktop,
        seq=seq,
        period_start=start,
        period_end=start + timedelta(minutes=5),
        seconds_on=300,
        seconds_active=120,
        seconds_asleep=0,
    )


async def publish_devices(isolation: Isolation, records: list[DeviceRecord]) -> None:
    await produce(
        isolation.infra.kafka_bootstrap,
        isolation.topic(FLEET_DEVICES),
        [(r.device_id.encode(), r.to_json_bytes()) for r in records],
    )


async def publish_activity(isolation: Isolation, records: list[Activity]) -> None:
    await produce(
        isolation.infra.kafka_bootstrap,
        isolation.topic(FLEET_ACTIVITY),
        [(a.device_id.encode(), a.to_json_bytes(), int(a.period_end.timestamp() * 1000)) for a in records],
    )


def days_of_activity(
    devices: list[str], days: list[datetime], tenant: str = "acme", seq0: int = 0
) -> list[Activity]:
    """One 5-minute period per device and day, at 10:00 UTC."""
    out = []
    for i, day in enumerate(days):
        for d in devices:
            out.append(activity(d, day.replace(hour=10, minute=0), seq0 + i, tenant))
    return out


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout_s: float = 30, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met after {timeout_s}s")
        await asyncio.sleep(0.2)
