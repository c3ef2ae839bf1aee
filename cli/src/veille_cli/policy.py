"""`veille policy ...`: read recommendations and directives from the policy service's HTTP API.

Base URL and token from --url / --token or VEILLE_POLICY_URL / VEILLE_TOKEN.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import typer

app = typer.Typer(
    help="Policies: recommendations from Viewer data, directives sent to agents.", no_args_is_help=True
)

UrlOption = Annotated[str, typer.Option(envvar="VEILLE_POLICY_URL", help="Base URL of the policy API.")]
TokenOption = Annotated[str | None, typer.Option(envvar="VEILLE_TOKEN", help="API token (vt_...).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the raw JSON.")]


def _get(url: str, token: str | None, path: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.get(url.rstrip("/") + path, headers=headers, timeout=30)
    except httpx.HTTPError as exc:
        typer.echo(f"cannot reach the policy service at {url}: {exc}", err=True)
        raise typer.Exit(2) from exc
    if response.status_code >= 400:
        detail = response.json().get("detail", response.text) if response.content else response.reason_phrase
        typer.echo(f"{response.status_code}: {detail}", err=True)
        raise typer.Exit(1)
    return response.json()


@app.command("recommendation")
def recommendation(
    project_id: str,
    url: UrlOption = "http://127.0.0.1:8102",
    token: TokenOption = None,
    raw: JsonOption = False,
) -> None:
    """The project's recommendation: every candidate, the Pareto front (*), the recommended one (>)."""
    rec = _get(url, token, f"/projects/{project_id}/recommendation")
    if raw:
        typer.echo(json.dumps(rec, indent=2))
        return
    typer.echo(
        f"Project {rec['project_id']}: Viewer window {rec['window_start']} .. {rec['window_end']}, "
        f"{rec['devices']} devices, {rec['device_days']} device-days"
    )
    typer.echo(f"{'':2}{'policy':<48}{'kWh saved':>10}{'%':>7}{'kWh/dev-yr':>11}{'disr/dev-wk':>12}")
    for c in rec["candidates"]:
        mark = ">" if c["policy"]["policy_id"] == rec["recommended_policy_id"] else " "
        front = "*" if c["on_pareto_front"] else " "
        typer.echo(
            f"{mark}{front}{c['policy']['name'][:47]:<48}{c['kwh_saved']:>10.2f}{c['saved_pct']:>7.1f}"
            f"{c['kwh_saved_per_device_year']:>11.1f}{c['disruptions_per_device_week']:>12.2f}"
        )
    typer.echo(f"Recommended: {rec['recommended_policy_id']}\n{rec['rationale']}")


@app.command("directives")
def directives(
    project_id: str,
    url: UrlOption = "http://127.0.0.1:8102",
    token: TokenOption = None,
    raw: JsonOption = False,
) -> None:
    """The directive every device of the project should enforce (Saver or Viewer / control group)."""
    found = _get(url, token, f"/projects/{project_id}/directives")
    if raw:
        typer.echo(json.dumps(found, indent=2))
        return
    typer.echo(
        f"Project {project_id} in {found['stage']}: {found['saver']} in Saver, {found['viewer']} in Viewer"
    )
    for d in found["devices"]:
        typer.echo(
            f"  {d['device_id']:<32}{d['mode']:<8}{d['version']:<18}resends {d['resends']:<4}{d['reason']}"
        )


@app.command("directive")
def directive(
    device_id: str,
    url: UrlOption = "http://127.0.0.1:8102",
    token: TokenOption = None,
) -> None:
    """The directive one device should enforce, when it was last sent (event time) and resends."""
    typer.echo(json.dumps(_get(url, token, f"/devices/{device_id}/directive"), indent=2))
