"""Deciding, without I/O, whether an agent's message is accepted, and why not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from pydantic import ValidationError
from veille_contracts import Heartbeat, Inventory, RejectReason, clock_skew_error, decode

from .heartbeat import AcceptedHeartbeat, fast_accept, from_contract


@dataclass(frozen=True)
class Rejection:
    reason: RejectReason
    detail: str


# PostgreSQL text and jsonb refuse NUL: such a message would fail its whole batch's write.
_NUL = b"\\u0000"

_PERIOD_ERRORS = (
    "period must last",
    "exceeds seconds_on",
    "exceeds the period",
    "after period_end",
    "outside the period",
)


def classify_validation_error(exc: ValidationError) -> Rejection:
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"])
    detail = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}" for e in errors[:10])
    if first["type"] == "json_invalid":
        return Rejection(RejectReason.malformed_json, detail)
    if loc == "schema_version":
        return Rejection(RejectReason.unknown_schema, detail)
    if any(any(marker in e["msg"] for marker in _PERIOD_ERRORS) for e in errors):
        return Rejection(RejectReason.inconsistent_period, detail)
    return Rejection(RejectReason.invalid_value, detail)


def parse_heartbeat(
    raw: bytes | None, reference: datetime, *, max_future: timedelta, max_past: timedelta
) -> AcceptedHeartbeat | Rejection:
    if raw is None:
        return Rejection(RejectReason.malformed_json, "empty message (tombstone)")
    if _NUL in raw and _holds_nul(raw):
        return Rejection(RejectReason.invalid_value, "a string holds a NUL character (\\u0000)")
    heartbeat = fast_accept(raw)
    if heartbeat is None:  # not plainly valid: the contract decides, and says why
        try:
            heartbeat = from_contract(decode(Heartbeat, raw))
        except ValidationError as exc:
            rejection = classify_validation_error(exc)
            if rejection.reason is RejectReason.invalid_value and _not_an_object(raw):
                return Rejection(RejectReason.malformed_json, rejection.detail)
            return rejection
    skew = clock_skew_error(
        heartbeat.period_start, heartbeat.period_end, reference, max_future=max_future, max_past=max_past
    )
    if skew is not None:
        return Rejection(RejectReason.clock_skew, f"period {skew}")
    return heartbeat


def parse_inventory(raw: bytes | None) -> Inventory | Rejection:
    if raw is None:
        return Rejection(RejectReason.malformed_json, "empty message (tombstone)")
    if _NUL in raw and _holds_nul(raw):
        return Rejection(RejectReason.invalid_value, "a string holds a NUL character (\\u0000)")
    try:
        return decode(Inventory, raw)
    except ValidationError as exc:
        rejection = classify_validation_error(exc)
        if rejection.reason is RejectReason.invalid_value and _not_an_object(raw):
            return Rejection(RejectReason.malformed_json, rejection.detail)
        return rejection


def _holds_nul(raw: bytes) -> bool:
    """Whether a decoded string holds NUL (the byte test alone also matches an escaped backslash)."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _not_an_object(raw: bytes) -> bool:
    try:
        return not isinstance(orjson.loads(raw), dict)
    except orjson.JSONDecodeError:
        return True
