"""API tokens, distributed from projects (which issues them) to every HTTP service.

A token is `vt_<random>`; only its SHA-256 (hex) ever leaves the issuing request. The compacted
topic `veille.auth.tokens.v1` is keyed by that hash and holds the latest state of each token:
who it is for, and whether it has been revoked. Each HTTP service keeps its own table of them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from .base import Contract, ShortText, TenantId, UtcDatetime

TokenHash = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{64}$"),
    Field(description="SHA-256 of the token, lower-case hex; the Kafka key of the tokens topic."),
]


class TokenRole(StrEnum):
    operator = "operator"  # the integrator's staff: every tenant, read and write
    customer = "customer"  # a customer's person: their tenant only, read-only


class ApiToken(Contract):
    """The latest state of one API token (value of the compacted tokens topic)."""

    schema_version: Literal[1] = 1
    token_hash: TokenHash
    token_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="Short public id of the token (to list and revoke it); not a secret."
    )
    role: TokenRole
    tenant_id: TenantId | None = Field(
        default=None, description="Required for customer tokens, None for operators."
    )
    name: ShortText = Field(description="Who holds the token (a person's email, a tool's name).")
    issued_at: UtcDatetime
    revoked: bool = False
    revoked_at: UtcDatetime | None = None

    @model_validator(mode="after")
    def _tenant_matches_role(self) -> ApiToken:
        if self.role is TokenRole.customer and self.tenant_id is None:
            raise ValueError("a customer token needs a tenant_id")
        if self.role is TokenRole.operator and self.tenant_id is not None:
            raise ValueError("an operator token has no tenant_id (operators see every tenant)")
        return self
