"""API-token authentication shared by every HTTP service (projects issues tokens, others check them).

- A token is ``vt_<secrets.token_urlsafe(32)>``; only its SHA-256 hex digest is stored or published.
- projects issues and revokes tokens and publishes their state on the compacted topic
  ``veille.auth.tokens.v1`` (key: the hash; value: `veille_contracts.ApiToken`).
- Every HTTP service keeps its own copy in a table ``api_tokens`` of its own schema
  (`TokenTable`), fed by a subscriber on that topic (`wire_token_table`).
- The first operator token comes from the environment (``VEILLE_OPERATOR_TOKEN``): it is hashed
  at start and accepted by every service, so a fresh install can be used (and can issue others).
- Routes depend on `require_principal` (401 without a valid ``Authorization: Bearer`` token) and
  check `can_read` / `can_write` against the tenant of what they touch (403 or 404 otherwise).

Wiring in a service's composition root (see /work/notes/auth-for-reporting.md)::

    tokens = wire_token_table(runtime, broker, group_id="veille-reporting-auth")
    api = new_fastapi(runtime, broker, ...)
    install_auth(api, tokens)
    @api.get("/x")
    async def x(principal: Annotated[Principal, Depends(require_principal)]) -> ...: ...
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Protocol

import asyncpg
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from pydantic import ValidationError
from veille_contracts import ApiToken, TokenRole, decode
from veille_contracts.topics import AUTH_TOKENS

from .logging import get_logger
from .ports import InboundRecord, Records, decode_records

if TYPE_CHECKING:
    from .service import ServiceRuntime

log = get_logger(__name__)

TOKEN_PREFIX = "vt_"
OPERATOR_TOKEN_ENV = "VEILLE_OPERATOR_TOKEN"
BOOTSTRAP_NAME = "bootstrap-operator"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an operator (every tenant) or a customer's person (one tenant, read-only)."""

    role: TokenRole
    tenant_id: str | None
    name: str

    @property
    def is_operator(self) -> bool:
        return self.role is TokenRole.operator


def new_token() -> str:
    """A fresh secret token; show it once to its holder, store only `hash_token(token)`."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_id_of(token_hash: str) -> str:
    """The short public id of a token (its hash's first 12 hex digits): safe to show and log."""
    return token_hash[:12]


def can_read(principal: Principal, tenant_id: str) -> bool:
    return principal.is_operator or principal.tenant_id == tenant_id


def can_write(principal: Principal, tenant_id: str) -> bool:
    """Only operators write; customers are read-only, even on their own tenant."""
    return principal.is_operator


class TokenStore(Protocol):
    async def lookup(self, token_hash: str) -> Principal | None:
        """The principal of a live (not revoked) token, or None."""
        ...


# --- the table every HTTP service keeps ---------------------------------------------------------

TOKEN_TABLE_DDL = """
CREATE TABLE IF NOT EXISTS api_tokens (
    token_hash text PRIMARY KEY,
    token_id   text NOT NULL,
    role       text NOT NULL,
    tenant_id  text,
    name       text NOT NULL,
    issued_at  timestamptz NOT NULL,
    revoked    boolean NOT NULL DEFAULT false,
    revoked_at timestamptz
)
"""

# Revocation is final: a redelivered or reordered "live" state never revives a revoked token.
_UPSERT = """
INSERT INTO api_tokens (token_hash, token_id, role, tenant_id, name, issued_at, revoked, revoked_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                     $7::boolean[], $8::timestamptz[])
ON CONFLICT (token_hash) DO UPDATE SET
    revoked = api_tokens.revoked OR EXCLUDED.revoked,
    revoked_at = COALESCE(api_tokens.revoked_at, EXCLUDED.revoked_at)
"""


async def upsert_tokens(conn: asyncpg.Connection, tokens: Sequence[ApiToken]) -> None:
    """Store token states idempotently (the caller's connection: may be inside its transaction)."""
    if not tokens:
        return
    # Several states of one token in a batch: keep revoked if any says so.
    merged: dict[str, ApiToken] = {}
    for t in tokens:
        prev = merged.get(t.token_hash)
        merged[t.token_hash] = t if prev is None or t.revoked or not prev.revoked else prev
    rows = list(merged.values())
    await conn.execute(
        _UPSERT,
        [t.token_hash for t in rows],
        [t.token_id for t in rows],
        [t.role.value for t in rows],
        [t.tenant_id for t in rows],
        [t.name for t in rows],
        [t.issued_at for t in rows],
        [t.revoked for t in rows],
        [t.revoked_at for t in rows],
    )


@dataclass
class TokenTable:
    """`TokenStore` on the service's own ``api_tokens`` table, plus the bootstrap operator token."""

    pool: asyncpg.Pool | None = None
    bootstrap_hash: str | None = None

    @classmethod
    def bootstrap_from_env(cls) -> TokenTable:
        token = os.environ.get(OPERATOR_TOKEN_ENV, "").strip()
        return cls(bootstrap_hash=hash_token(token) if token else None)

    async def create(self, pool: asyncpg.Pool) -> None:
        async with pool.acquire() as conn:
            await conn.execute(TOKEN_TABLE_DDL)
        self.pool = pool

    async def lookup(self, token_hash: str) -> Principal | None:
        if self.bootstrap_hash is not None and hmac.compare_digest(token_hash, self.bootstrap_hash):
            return Principal(TokenRole.operator, None, BOOTSTRAP_NAME)
        if self.pool is None:
            return None
        row = await self.pool.fetchrow(
            "SELECT role, tenant_id, name FROM api_tokens WHERE token_hash = $1 AND NOT revoked", token_hash
        )
        if row is None:
            return None
        return Principal(TokenRole(row["role"]), row["tenant_id"], row["name"])

    async def apply(self, records: Sequence[InboundRecord]) -> None:
        """Store the token states of a batch from the tokens topic (invalid ones are logged, skipped)."""
        if self.pool is None:
            raise RuntimeError("token table used before start")
        tokens: list[ApiToken] = []
        for record in records:
            if record.value is None:
                continue  # a tombstone: the token was deleted from the log; nothing to revive
            try:
                tokens.append(decode(ApiToken, record.value))
            except ValidationError as exc:
                log.warning(
                    "invalid token record skipped", topic=record.topic, offset=record.offset, error=str(exc)
                )
        async with self.pool.acquire() as conn:
            await upsert_tokens(conn, tokens)


def wire_token_table(runtime: ServiceRuntime, broker: KafkaBroker, *, group_id: str) -> TokenTable:
    """Give a service its token table: created at start, fed from the tokens topic.

    `runtime` is the service's `ServiceRuntime`, `broker` its Kafka broker; call before
    `fastapi_app(...)` so that the subscriber is registered with the others.
    """
    table = TokenTable.bootstrap_from_env()

    async def on_start(rt: ServiceRuntime) -> None:
        await table.create(rt.pool)

    runtime.on_start.append(on_start)

    @broker.subscriber(
        runtime.topic(AUTH_TOKENS),
        group_id=group_id,
        batch=True,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=decode_records,
    )
    async def on_tokens(records: Records) -> None:
        await table.apply(records)

    return table


# --- FastAPI ---------------------------------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer vt_...`.")


def install_auth(app: FastAPI, store: TokenStore) -> None:
    """Make `require_principal` look tokens up in `store` for this app."""
    app.state.veille_token_store = store


async def require_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """FastAPI dependency: the caller's principal, or 401 (no token, unknown or revoked token)."""
    unauthorized = HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail="a valid API token is required: Authorization: Bearer vt_...",
        headers={"WWW-Authenticate": "Bearer"},
    )
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise unauthorized
    store: TokenStore | None = getattr(request.app.state, "veille_token_store", None)
    if store is None:
        raise RuntimeError("install_auth(app, store) was not called")
    principal = await store.lookup(hash_token(credentials.credentials.strip()))
    if principal is None:
        raise unauthorized
    return principal


CurrentPrincipal = Annotated[Principal, Depends(require_principal)]


def require_operator(principal: CurrentPrincipal) -> Principal:
    """FastAPI dependency: 403 unless the caller is an operator."""
    if not principal.is_operator:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="operators only")
    return principal


def ensure_read(principal: Principal, tenant_id: str, *, what: str = "resource") -> None:
    """404 (not 403) for a tenant the caller cannot read: do not reveal that it exists."""
    if not can_read(principal, tenant_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no such {what}")


def ensure_write(principal: Principal, tenant_id: str) -> None:
    """403 for a read-only caller (a customer), after `ensure_read` has hidden other tenants."""
    if not can_write(principal, tenant_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="read-only: customers cannot change projects")


def now_utc() -> datetime:
    return datetime.now(UTC)
