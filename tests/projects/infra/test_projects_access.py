"""Access control: no anonymous access, no cross-tenant read or write, customers read-only, on
every endpoint of the API (the test fails if an endpoint is added without being listed here)."""

from __future__ import annotations

from typing import Any

import pytest
from projects_support import OPERATOR, project_body, running
from support.isolation import Isolation
from support.kafka import read_topic
from veille_contracts import ApiToken, decode
from veille_contracts.topics import AUTH_TOKENS
from veille_runtime.auth import hash_token

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]

PERSON = {"last_name": "Doe", "first_name": "Jo", "email": "jo@x.example", "role": "customer_it"}
PREREQ = project_body()["prerequisites"]

# (method, path template, body, writes?) for every route; {p} is a project id, {t} a token id.
ENDPOINTS: list[tuple[str, str, Any, bool]] = [
    ("GET", "/projects/{p}", None, False),
    ("GET", "/projects/{p}/prerequisites", None, False),
    ("GET", "/projects/{p}/people", None, False),
    ("GET", "/projects/{p}/timeline", None, False),
    ("GET", "/projects/{p}/deployment", None, False),
    ("PUT", "/projects/{p}/prerequisites", PREREQ, True),
    ("POST", "/projects/{p}/people", PERSON, True),
    (
        "POST",
        "/projects/{p}/milestones",
        {"kind": "kickoff_held", "occurred_at": "2026-03-02T10:00:00Z"},
        True,
    ),
]
GLOBAL: list[tuple[str, str, Any]] = [
    ("GET", "/projects", None),
    ("POST", "/projects", project_body("new-one")),
    ("POST", "/tokens", {"role": "operator", "name": "x"}),
    ("GET", "/tokens", None),
    ("DELETE", "/tokens/{t}", None),
]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_every_endpoint_enforces_tenants_and_roles(isolation: Isolation) -> None:
    async with running(isolation) as http:
        # Every route of the OpenAPI document is covered by this test.
        spec = (await http.get("/openapi.json")).json()
        routes = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops if p not in ("/health",)}
        listed = {(m, p.replace("{p}", "{project_id}")) for m, p, _, _ in ENDPOINTS}
        listed |= {(m, p.replace("{t}", "{token_id}")) for m, p, _ in GLOBAL}
        assert routes == listed

        for pid, tenant in (("poc-acme", "acme"), ("poc-globex", "globex")):
            assert (
                await http.post("/projects", json=project_body(pid, tenant), headers=OPERATOR)
            ).status_code == 201

        async def issue(tenant: str) -> dict[str, Any]:
            r = await http.post(
                "/tokens",
                json={"role": "customer", "tenant_id": tenant, "name": f"it@{tenant}"},
                headers=OPERATOR,
            )
            assert r.status_code == 201, r.text
            return dict(r.json())

        acme = await issue("acme")
        globex_token = (await issue("globex"))["token"]
        assert acme["token"].startswith("vt_") and acme["record"]["token_hash"] == hash_token(acme["token"])
        customer = bearer(acme["token"])
        token_id = acme["record"]["token_id"]

        async def call(method: str, path: str, body: Any, headers: dict[str, str]) -> int:
            r = await http.request(method, path, json=body, headers=headers)
            return r.status_code

        before = (await http.get("/projects/poc-globex", headers=OPERATOR)).json()
        for method, path, body, writes in ENDPOINTS:
            own, other = path.replace("{p}", "poc-acme"), path.replace("{p}", "poc-globex")
            assert await call(method, own, body, {}) == 401, (method, path)
            assert await call(method, own, body, bearer("vt_forged")) == 401, (method, path)
            # another tenant's project does not exist for this customer, for reads and writes alike
            assert await call(method, other, body, customer) == 404, (method, path)
            # their own tenant: read yes, write no
            assert await call(method, own, body, customer) == (403 if writes else 200), (method, path)
        for method, path, body in GLOBAL:
            path = path.replace("{t}", token_id)
            assert await call(method, path, body, {}) == 401, (method, path)
            expected = 200 if (method, path) == ("GET", "/projects") else 403
            assert await call(method, path, body, customer) == expected, (method, path)
        after = (await http.get("/projects/poc-globex", headers=OPERATOR)).json()
        assert after == before

        # A customer lists only their tenant's projects; an operator lists all.
        listed_by_customer = (await http.get("/projects", headers=customer)).json()
        assert [p["project_id"] for p in listed_by_customer] == ["poc-acme"]
        assert {p["project_id"] for p in (await http.get("/projects", headers=OPERATOR)).json()} == {
            "poc-acme",
            "poc-globex",
        }
        assert (await http.get("/projects/poc-globex", headers=bearer(globex_token))).status_code == 200

        # A person added with issue_token gets a read-only token for the project's tenant.
        r = await http.post(
            "/projects/poc-acme/people", json={**PERSON, "issue_token": True}, headers=OPERATOR
        )
        assert r.status_code == 201
        person_token = r.json()["token"]
        assert (await http.get("/projects/poc-acme", headers=bearer(person_token))).status_code == 200
        assert (await http.get("/projects/poc-globex", headers=bearer(person_token))).status_code == 404

        # Revocation takes effect at once.
        assert (await http.delete(f"/tokens/{token_id}", headers=OPERATOR)).status_code == 200
        assert (await http.get("/projects/poc-acme", headers=customer)).status_code == 401

    # Tokens travel to the other services by hash only, revocation included.
    records = await read_topic(
        isolation.infra.kafka_bootstrap, isolation.topic(AUTH_TOKENS), until=lambda r: len(r) >= 4
    )
    states = [decode(ApiToken, r.value) for r in records]
    assert all(r.key == s.token_hash.encode() for r, s in zip(records, states, strict=True))
    assert not any(acme["token"].encode() in r.value for r in records)
    mine = [s for s in states if s.token_hash == hash_token(acme["token"])]
    assert [s.revoked for s in mine] == [False, True]
    assert mine[0].role == "customer" and mine[0].tenant_id == "acme"
