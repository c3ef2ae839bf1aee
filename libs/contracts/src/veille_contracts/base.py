"""Shared building blocks of every Veille contract.

Every message on the wire is JSON validated by a strict, frozen Pydantic v2 model that forbids
unknown fields. Strict mode keeps a third-party agent honest (a string is never silently read
as a number), while JSON input still accepts ISO-8601 strings for datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

# Ids are ASCII so they are safe as Kafka keys, SQL keys, file names and URL path segments.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$"
DEVICE_ID_MAX = 128
TENANT_ID_MAX = 64
PROJECT_ID_MAX = 64

DeviceId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=DEVICE_ID_MAX, pattern=ID_PATTERN),
    Field(description="Stable id of a device, unique within the platform; the Kafka key of device topics."),
]
TenantId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=TENANT_ID_MAX, pattern=ID_PATTERN),
    Field(description="The customer organisation the device or project belongs to."),
]
ProjectId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=PROJECT_ID_MAX, pattern=ID_PATTERN),
    Field(description="Stable id of a customer project; the Kafka key of project topics."),
]
EventId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=ID_PATTERN),
    Field(description="Stable id of an event: consumers drop an event whose id they have already seen."),
]
ShortText = Annotated[str, StringConstraints(max_length=256)]
LongText = Annotated[str, StringConstraints(max_length=4000)]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[
    AwareDatetime,
    AfterValidator(_to_utc),
    Field(description="ISO-8601 timestamp with a UTC offset (naive timestamps are refused); stored as UTC."),
]


class Contract(BaseModel):
    """Base of every wire model: strict, immutable, closed to unknown fields."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", ser_json_timedelta="float")

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=False).encode()


ModelT = TypeVar("ModelT", bound=Contract)


def decode(model: type[ModelT], raw: bytes | str, *, context: dict[str, Any] | None = None) -> ModelT:
    """Parse and validate one message from its wire bytes (raises pydantic.ValidationError)."""
    return model.model_validate_json(raw, context=context)


def clock_skew_error(
    event_start: datetime,
    event_end: datetime,
    reference: datetime,
    *,
    max_future: timedelta,
    max_past: timedelta,
) -> str | None:
    """Why an event's time span is implausible against a reference clock, or None if it is fine.

    The reference is whatever the consumer trusts (the broker's record timestamp, or the
    simulated clock in event-time replays); the bounds are configuration, not contract.
    """
    if event_end > reference + max_future:
        return f"ends {(event_end - reference).total_seconds():.0f}s after the reference time"
    if event_start < reference - max_past:
        return f"starts {(reference - event_start).total_seconds():.0f}s before the reference time"
    return None
