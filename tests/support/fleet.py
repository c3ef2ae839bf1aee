"""Small, valid agent messages for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from veille_contracts import DeviceKind, DeviceRecord, Heartbeat, Inventory

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday


def inventory(
    device_id: str,
    tenant: str = "acme",
    kind: DeviceKind = DeviceKind.desktop,
    group: str = "ACME/Paris/Finance",
    at: datetime = T0,
) -> Inventory:
    return Inventory(
        tenant_id=tenant,
        device_id=device_id,
        observed_at=at,
        hostname=f"{device_id}.acme.local",
        kind=kind,
        os="Windows 11 23H2",
        monitors=1,
        group_path=group,
        agent_version="1.0.0",
        agent_manager_id="am-1",
        sleep_timeout_ac_s=0,
        screen_timeout_ac_s=600,
    )


def heartbeat(
    device_id: str,
    seq: int,
    tenant: str = "acme",
    start: datetime = T0,
    minutes: int = 5,
    on: float = 300,
    active: float = 120,
    asleep: float = 0,
) -> Heartbeat:
    period_start = start + timedelta(minutes=minutes * seq)
    return Heartbeat(
        tenant_id=tenant,
        device_id=device_id,
        seq=seq,
        period_start=period_start,
        period_end=period_start + timedelta(minutes=minutes),
        seconds_on=on,
        seconds_active=active,
        seconds_asleep=asleep,
    )


def record(message: Heartbeat | Inventory) -> tuple[bytes, bytes, int]:
    """A Kafka record as an agent on a (possibly simulated) clock sends it: stamped in event time."""
    at = message.period_end if isinstance(message, Heartbeat) else message.observed_at
    return message.device_id.encode(), message.to_json_bytes(), int(at.timestamp() * 1000)


def device_record(
    device_id: str,
    tenant: str = "acme",
    group: str = "ACME/Paris/Finance",
    at: datetime = T0,
    kind: DeviceKind = DeviceKind.desktop,
) -> DeviceRecord:
    """A registry entry as ingest publishes it on veille.fleet.devices.v1."""
    return DeviceRecord(
        tenant_id=tenant,
        device_id=device_id,
        hostname=f"{device_id}.local",
        kind=kind,
        os="Windows 11",
        monitors=1,
        group_path=group,
        agent_version="1.0.0",
        agent_manager_id="am-1",
        first_seen=at,
        last_seen=at,
    )
