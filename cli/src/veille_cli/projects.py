"""`veille project ...`: the projects HTTP API from a terminal (httpx).

Base URL and token from --url / --token or VEILLE_PROJECTS_URL / VEILLE_TOKEN. Prints the JSON
answer; a refusal prints the API's problem body on stderr and exits 1 (2 for auth errors).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from .platform import DEFAULT_PORTS

app = typer.Typer(help="Customer projects: create, milestones, timeline, deployment progress, tokens.")
people_app = typer.Typer(help="People who need access to a project.")
token_app = typer.Typer(help="API tokens (operators).")
app.add_typer(people_app, name="people")
app.add_typer(token_app, name="token")

DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORTS['projects']}"


class Client:
    def __init__(self, url: str, token: str | None) -> None:
        self.url = url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200, 201)) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = httpx.request(method, self.url + path, json=body, headers=headers, timeout=30)
        except httpx.HTTPError as exc:
            typer.echo(f"cannot reach the projects service at {self.url}: {exc}", err=True)
            raise typer.Exit(2) from exc
        if response.status_code not in ok:
            typer.echo(f"HTTP {response.status_code}: {response.text}", err=True)
            raise typer.Exit(2 if response.status_code in (401, 403) else 1)
        return response.json()


def _client(ctx: typer.Context) -> Client:
    client: Client = ctx.obj
    return client


def _print(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


@app.callback()
def main(
    ctx: typer.Context,
    url: Annotated[
        str, typer.Option(envvar="VEILLE_PROJECTS_URL", help="Base URL of the projects API.")
    ] = DEFAULT_URL,
    token: Annotated[str | None, typer.Option(envvar="VEILLE_TOKEN", help="API token (vt_...).")] = None,
) -> None:
    ctx.obj = Client(url, token)


@app.command("list")
def list_projects(ctx: typer.Context) -> None:
    """Projects visible to the token (an operator sees every tenant)."""
    for p in _client(ctx).call("GET", "/projects"):
        typer.echo(f"{p['project_id']}\t{p['tenant_id']}\t{p['stage']}\t{p['name']}")


@app.command("show")
def show(ctx: typer.Context, project_id: str) -> None:
    """A project, its stage and the gate of its current stage."""
    _print(_client(ctx).call("GET", f"/projects/{project_id}"))


@app.command("create")
def create(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="JSON body (see examples/).")]
) -> None:
    """Open a project from a JSON file (operators)."""
    _print(_client(ctx).call("POST", "/projects", json.loads(file.read_text())))


@app.command("prerequisites")
def prerequisites(
    ctx: typer.Context, project_id: str, file: Annotated[Path | None, typer.Argument()] = None
) -> None:
    """Show the prerequisites, or replace them from a JSON file."""
    if file is None:
        _print(_client(ctx).call("GET", f"/projects/{project_id}/prerequisites"))
    else:
        _print(
            _client(ctx).call("PUT", f"/projects/{project_id}/prerequisites", json.loads(file.read_text()))
        )


@app.command("milestone")
def milestone(
    ctx: typer.Context,
    project_id: str,
    kind: Annotated[str, typer.Argument(help="kickoff_held, package_configured, deployment_completed, ...")],
    at: Annotated[str | None, typer.Option(help="Event time, ISO-8601 with offset; default now.")] = None,
    event_id: Annotated[str | None, typer.Option(help="Idempotency key (retry-safe).")] = None,
    override: Annotated[
        str | None, typer.Option(help="Pass a gate that does not hold, with this reason.")
    ] = None,
    approved_pcs: Annotated[
        int | None, typer.Option(help="policies_approved: PCs that get the policy.")
    ] = None,
    policy: Annotated[
        Path | None, typer.Option(help="policies_approved: the approved policy (JSON file).")
    ] = None,
    note: str | None = None,
) -> None:
    """Report a milestone; refused with the reason if out of order or the gate does not hold."""
    body: dict[str, Any] = {"kind": kind}
    for key, value in (
        ("occurred_at", at),
        ("event_id", event_id),
        ("override_reason", override),
        ("approved_pcs", approved_pcs),
        ("note", note),
    ):
        if value is not None:
            body[key] = value
    if policy is not None:
        body["approved_policy"] = json.loads(policy.read_text())
    _print(_client(ctx).call("POST", f"/projects/{project_id}/milestones", body))


@app.command("timeline")
def timeline(ctx: typer.Context, project_id: str) -> None:
    """Stage events so far (transitions, overruns) and the plan."""
    t = _client(ctx).call("GET", f"/projects/{project_id}/timeline")
    for e in t["events"]:
        extra = f" (override: {e['override_reason']})" if e["overridden"] else ""
        typer.echo(f"{e['effective_at']}  #{e['seq']} {e['kind']:<10} -> {e['to_stage']}{extra}")
    typer.echo(f"now (event time): {t['event_time_now']}; stage {t['stage']} since {t['stage_entered_at']}")


@app.command("progress")
def progress(ctx: typer.Context, project_id: str) -> None:
    """Deployment progress: enrolled devices in scope / selected PCs, and daily reporting."""
    _print(_client(ctx).call("GET", f"/projects/{project_id}/deployment"))


@people_app.command("list")
def people_list(ctx: typer.Context, project_id: str) -> None:
    _print(_client(ctx).call("GET", f"/projects/{project_id}/people"))


@people_app.command("add")
def people_add(
    ctx: typer.Context,
    project_id: str,
    email: Annotated[str, typer.Option()],
    last_name: Annotated[str, typer.Option()],
    first_name: Annotated[str, typer.Option()],
    role: Annotated[
        str, typer.Option(help="project_manager, customer_it, customer_management, sales, support")
    ],
    issue_token: Annotated[bool, typer.Option("--token", help="Issue them a read-only token.")] = False,
) -> None:
    body = {
        "email": email,
        "last_name": last_name,
        "first_name": first_name,
        "role": role,
        "issue_token": issue_token,
    }
    _print(_client(ctx).call("POST", f"/projects/{project_id}/people", body))


@token_app.command("issue")
def token_issue(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Who holds it (email, tool name).")],
    role: Annotated[str, typer.Option(help="operator or customer")] = "customer",
    tenant: Annotated[str | None, typer.Option(help="Customer tokens: their tenant.")] = None,
) -> None:
    """Issue a token; it is printed once and only its hash is kept."""
    _print(_client(ctx).call("POST", "/tokens", {"role": role, "tenant_id": tenant, "name": name}))


@token_app.command("list")
def token_list(ctx: typer.Context) -> None:
    for t in _client(ctx).call("GET", "/tokens"):
        state = "revoked" if t["revoked"] else "live"
        typer.echo(f"{t['token_id']}\t{t['role']}\t{t['tenant_id'] or '*'}\t{state}\t{t['name']}")


@token_app.command("revoke")
def token_revoke(ctx: typer.Context, token_id: str) -> None:
    _print(_client(ctx).call("DELETE", f"/tokens/{token_id}"))
