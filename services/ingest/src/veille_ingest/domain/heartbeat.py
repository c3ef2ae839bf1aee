"""The heartbeat as ingest carries it once accepted, and a fast decoder for the commonest message.

Validating a heartbeat with its Pydantic contract costs ~13 µs here, over a third of ingest's CPU
per heartbeat; msgspec decoding the same fields within the same bounds, then the contract's own
cross-field rule (`period_problem`), take ~5 µs. The contract stays
the Pydantic model: `fast_accept` only ever answers "valid, here it is" or "ask the contract" (None).
A message it does not accept goes through `decode(Heartbeat, ...)`, which accepts it or gives the
reason for its dead letter: the fast path may be stricter than the contract, never laxer, and gives
the values the contract gives. Tests hold it to that: the same JSON Schema constraints, the same
verdict and values on generated and hostile messages (tests/ingest/unit/test_ingest_fast_path.py).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec
from veille_contracts import Heartbeat, PowerSource
from veille_contracts.agent import PERIOD_MAX_SECONDS, period_problem
from veille_contracts.base import DEVICE_ID_MAX, ID_PATTERN, TENANT_ID_MAX

# Python's `$` also matches before a final newline; the contract's (Rust) regex does not.
_ID_PATTERN = ID_PATTERN.removesuffix("$") + r"\Z"
_Seconds = Annotated[float, msgspec.Meta(ge=0, le=PERIOD_MAX_SECONDS)]
_Instant = Annotated[datetime, msgspec.Meta(tz=True)]
_Minute = Annotated[int, msgspec.Meta(ge=0, le=59)]
# Past microseconds, msgspec rounds a timestamp's fraction of a second where the contract truncates
# it: such a message takes the contract's path.
_BEYOND_MICROSECONDS = re.compile(rb":[0-9]{2}\.[0-9]{7}")


class AcceptedBlocker(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    process: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    seconds: _Seconds


class AcceptedHeartbeat(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A heartbeat the contract accepts, with the contract's values (timestamps in UTC)."""

    tenant_id: Annotated[str, msgspec.Meta(min_length=1, max_length=TENANT_ID_MAX, pattern=_ID_PATTERN)]
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=DEVICE_ID_MAX, pattern=_ID_PATTERN)]
    seq: Annotated[int, msgspec.Meta(ge=0, le=2**62)]
    period_start: _Instant
    period_end: _Instant
    seconds_on: _Seconds
    seconds_active: _Seconds
    seconds_asleep: _Seconds
    schema_version: Literal[1] = 1
    last_input_at: _Instant | None = None
    power_source: PowerSource = PowerSource.unknown
    battery_percent: Annotated[float, msgspec.Meta(ge=0, le=100)] | None = None
    policy_version: Annotated[str, msgspec.Meta(max_length=128)] | None = None
    sleep_blockers: Annotated[list[AcceptedBlocker], msgspec.Meta(max_length=50)] = []
    input_minutes: Annotated[list[_Minute], msgspec.Meta(max_length=60)] | None = None


_decoder = msgspec.json.Decoder(AcceptedHeartbeat)


def fast_accept(raw: bytes) -> AcceptedHeartbeat | None:
    """The heartbeat `raw` holds if it is plainly valid, else None (let the contract decide)."""
    if _BEYOND_MICROSECONDS.search(raw):
        return None
    try:
        hb = _decoder.decode(raw)
    except msgspec.DecodeError:  # ValidationError is one too
        return None
    last_input = hb.last_input_at
    if (
        hb.period_start.tzinfo is not UTC
        or hb.period_end.tzinfo is not UTC
        or (last_input is not None and last_input.tzinfo is not UTC)
    ):
        hb = msgspec.structs.replace(
            hb,
            period_start=hb.period_start.astimezone(UTC),
            period_end=hb.period_end.astimezone(UTC),
            last_input_at=None if last_input is None else last_input.astimezone(UTC),
        )
    problem = period_problem(hb)
    return hb if problem is None else None


def from_contract(hb: Heartbeat) -> AcceptedHeartbeat:
    """The accepted form of a heartbeat the contract validated (the slow path)."""
    return AcceptedHeartbeat(
        tenant_id=hb.tenant_id,
        device_id=hb.device_id,
        seq=hb.seq,
        period_start=hb.period_start,
        period_end=hb.period_end,
        seconds_on=hb.seconds_on,
        seconds_active=hb.seconds_active,
        seconds_asleep=hb.seconds_asleep,
        schema_version=hb.schema_version,
        last_input_at=hb.last_input_at,
        power_source=hb.power_source,
        battery_percent=hb.battery_percent,
        policy_version=hb.policy_version,
        sleep_blockers=[AcceptedBlocker(b.process, b.seconds) for b in hb.sleep_blockers],
        input_minutes=None if hb.input_minutes is None else list(hb.input_minutes),
    )
