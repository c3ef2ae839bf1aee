"""The activity event of an accepted heartbeat, as wire bytes.

Built with orjson straight from the validated heartbeat: the same JSON the `Activity` model
accepts (tests check it field by field), without validating a second model per heartbeat.
"""

from __future__ import annotations

from typing import Any

import orjson
from veille_contracts import DeviceKind, activity_id

from .heartbeat import AcceptedHeartbeat


def activity_document(heartbeat: AcceptedHeartbeat, kind: DeviceKind | str) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "activity_id": activity_id(heartbeat.device_id, heartbeat.seq),
        "tenant_id": heartbeat.tenant_id,
        "device_id": heartbeat.device_id,
        "device_kind": str(kind),
        "seq": heartbeat.seq,
        "period_start": heartbeat.period_start,
        "period_end": heartbeat.period_end,
        "seconds_on": heartbeat.seconds_on,
        "seconds_active": heartbeat.seconds_active,
        "seconds_asleep": heartbeat.seconds_asleep,
        "power_source": heartbeat.power_source.value,
        "policy_version": heartbeat.policy_version,
        "sleep_blockers": [{"process": b.process, "seconds": b.seconds} for b in heartbeat.sleep_blockers],
        "input_minutes": heartbeat.input_minutes,
    }


def activity_bytes(heartbeat: AcceptedHeartbeat, kind: DeviceKind | str) -> bytes:
    return orjson.dumps(activity_document(heartbeat, kind), option=orjson.OPT_UTC_Z)
