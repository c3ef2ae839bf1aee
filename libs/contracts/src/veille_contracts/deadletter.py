"""Dead letters: what a consumer could not accept, with everything needed to replay it."""

from __future__ import annotations

import base64
from enum import StrEnum
from typing import Literal

from pydantic import Field

from .base import Contract, LongText, ShortText, UtcDatetime


class RejectReason(StrEnum):
    malformed_json = "malformed_json"
    unknown_schema = "unknown_schema"
    invalid_value = "invalid_value"
    inconsistent_period = "inconsistent_period"
    clock_skew = "clock_skew"
    unknown_device = "unknown_device"
    tenant_mismatch = "tenant_mismatch"
    unknown_project = "unknown_project"
    refused = "refused"


class DeadLetter(Contract):
    schema_version: Literal[1] = 1
    original_topic: ShortText
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)
    key_b64: str | None = Field(description="The original key, base64.")
    value_b64: str | None = Field(description="The original value bytes, base64, unchanged.")
    reason: RejectReason
    detail: LongText
    service: ShortText
    failed_at: UtcDatetime

    def original_value(self) -> bytes | None:
        return None if self.value_b64 is None else base64.b64decode(self.value_b64)


def b64(raw: bytes | None) -> str | None:
    return None if raw is None else base64.b64encode(raw).decode()
