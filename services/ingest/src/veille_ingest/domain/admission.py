"""Which validated heartbeats are stored, held or refused, given what the registry knows. No I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from veille_contracts import RejectReason

from .heartbeat import AcceptedHeartbeat
from .validation import Rejection

R = TypeVar("R")  # whatever the caller tracks with each heartbeat (its Kafka record)


@dataclass(frozen=True)
class Enrolment:
    tenant_id: str
    kind: str


@dataclass
class Admission(Generic[R]):
    accepted: list[tuple[R, AcceptedHeartbeat, str]] = field(
        default_factory=list
    )  # (source, heartbeat, kind)
    unknown: list[tuple[R, AcceptedHeartbeat]] = field(default_factory=list)
    refused: list[tuple[R, Rejection]] = field(default_factory=list)


def first_of_each_key(
    items: Iterable[tuple[R, AcceptedHeartbeat]], seen: set[tuple[str, int]] | None = None
) -> list[tuple[R, AcceptedHeartbeat]]:
    """One heartbeat per (device_id, seq): the first one seen wins, as in storage.

    `seen` carries the keys of earlier chunks of the same batch (it is updated in place).
    """
    seen = set() if seen is None else seen
    unique: list[tuple[R, AcceptedHeartbeat]] = []
    for source, hb in items:
        key = (hb.device_id, hb.seq)
        if key not in seen:
            seen.add(key)
            unique.append((source, hb))
    return unique


def admit(items: Sequence[tuple[R, AcceptedHeartbeat]], enrolled: Mapping[str, Enrolment]) -> Admission[R]:
    """Accept heartbeats of enrolled devices from their own tenant; set apart unknown devices."""
    result: Admission[R] = Admission()
    for source, hb in items:
        known = enrolled.get(hb.device_id)
        if known is None:
            result.unknown.append((source, hb))
        elif known.tenant_id != hb.tenant_id:
            result.refused.append(
                (
                    source,
                    Rejection(
                        RejectReason.tenant_mismatch,
                        f"device {hb.device_id} is enrolled in tenant {known.tenant_id!r}, "
                        f"heartbeat says {hb.tenant_id!r}",
                    ),
                )
            )
        else:
            result.accepted.append((source, hb, known.kind))
    return result


def unknown_device(mode_detail: str) -> Rejection:
    return Rejection(RejectReason.unknown_device, mode_detail)
