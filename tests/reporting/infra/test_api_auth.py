"""Every reporting endpoint: no anonymous access, no cross-tenant read, customers read-only.
Then the dashboard in headless Chromium: charts drawn with data; screenshots in /work/notes/screens/."""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest
from reporting.infra.scenario import (
    device,
    directive,
    hourly_activity,
    rec,
    stage_events,
    summary,
    token_record,
)
from reporting.infra.test_scenario import OPERATOR, wait_report
from support.isolation import Isolation
from support.kafka import produce
from support.services import serve
from typer.testing import CliRunner
from veille_cli.main import app as cli
from veille_cli.report import CHROMIUM_FLAGS
from veille_contracts import TokenRole
from veille_contracts.topics import (
    AUTH_TOKENS,
    FLEET_ACTIVITY,
    FLEET_DEVICES,
    POLICY_DIRECTIVES,
    PROJECT_STAGES,
)
from veille_reporting.entrypoints.app import create_app
from veille_reporting.settings import ReportingSettings

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]

ACME, GLOBEX = "vt_customer_acme", "vt_customer_globex"
READS = [
    "/v1/projects/{p}/report",
    "/v1/projects/{p}/report.csv?table=kinds",
    "/v1/projects/{p}/report.csv?table=daily",
    "/v1/projects/{p}/feedback.html",
    "/v1/projects/{p}/panels.html",
    "/v1/projects/{p}/energy-model",
]
WRITES = [("/v1/projects/{p}/energy-model", {}), ("/v1/projects/{p}/abnormal-days", ["2026-03-05"])]
# Screenshots are kept for people to look at: VEILLE_SCREENSHOT_DIR, else the temp folder.
SCREENS = Path(os.environ.get("VEILLE_SCREENSHOT_DIR") or tempfile.gettempdir()) / "veille-screens"


async def setup(isolation: Isolation) -> None:
    b = isolation.infra.kafka_bootstrap
    acme, globex = summary(), summary("p-globex", "globex", "GLOBEX/HQ")
    await produce(
        b,
        isolation.topic(AUTH_TOKENS),
        [token_record(ACME, TokenRole.customer, "acme"), token_record(GLOBEX, TokenRole.customer, "globex")],
    )
    await produce(
        b,
        isolation.topic(FLEET_DEVICES),
        [rec(d, device(d)) for d in ("pc-s", "pc-c")] + [rec("gx-1", device("gx-1", "globex", "GLOBEX/HQ"))],
    )
    await produce(
        b,
        isolation.topic(PROJECT_STAGES),
        [rec(p.project_id, e) for p in (acme, globex) for e in stage_events(p)],
    )
    await produce(
        b,
        isolation.topic(POLICY_DIRECTIVES),
        [rec("pc-s", directive("pc-s", "p-acme", True)), rec("pc-c", directive("pc-c", "p-acme", False))],
    )
    acts = (
        hourly_activity("pc-s", True)
        + hourly_activity("pc-c", False)
        + hourly_activity("gx-1", True, "globex")
    )
    await produce(b, isolation.topic(FLEET_ACTIVITY), [rec(a.device_id, a) for a in acts])


async def wait_token(client: httpx.AsyncClient, token: str) -> None:
    for _ in range(150):
        if (
            await client.get("/v1/projects", headers={"Authorization": f"Bearer {token}"})
        ).status_code == 200:
            return
        await asyncio.sleep(0.2)
    raise AssertionError("token never accepted")


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [
                "/usr/bin/chromium",
                *CHROMIUM_FLAGS,  # the CLI's own (its PDF-only flag changes nothing here)
                f"--user-data-dir={profile}",
                "--virtual-time-budget=15000",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


async def test_no_anonymous_no_cross_tenant_and_dashboard(
    isolation: Isolation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEILLE_OPERATOR_TOKEN", OPERATOR)
    await setup(isolation)
    async with serve(create_app(isolation.settings(ReportingSettings))) as url:  # type: ignore[arg-type]
        await wait_report(url, "p-acme")
        async with httpx.AsyncClient(base_url=url) as client:
            await wait_token(client, ACME)
            await wait_token(client, GLOBEX)
            as_acme = {"Authorization": f"Bearer {ACME}"}
            as_globex = {"Authorization": f"Bearer {GLOBEX}"}
            # No anonymous access, nor with an unknown token, on any data route.
            for path in ["/v1/projects", *[r.format(p="p-acme") for r in READS]]:
                for headers in ({}, {"Authorization": "Bearer vt_nope"}):
                    res = await client.get(path, headers=headers)
                    assert res.status_code == 401, (path, res.status_code)
                    assert res.headers["www-authenticate"] == "Bearer"
            for path, body in WRITES:
                assert (await client.put(path.format(p="p-acme"), json=body)).status_code == 401
            # The owner's customer reads; the other tenant's customer gets 404 (existence not revealed).
            for route in READS:
                assert (await client.get(route.format(p="p-acme"), headers=as_acme)).status_code == 200, route
                res = await client.get(route.format(p="p-acme"), headers=as_globex)
                assert res.status_code == 404, (route, res.status_code)
                assert "acme" not in res.text
                assert (await client.get(route.format(p="p-globex"), headers=as_acme)).status_code == 404
            listed = (await client.get("/v1/projects", headers=as_globex)).json()
            assert [p["project_id"] for p in listed] == ["p-globex"]
            everything = (
                await client.get("/v1/projects", headers={"Authorization": f"Bearer {OPERATOR}"})
            ).json()
            assert {p["project_id"] for p in everything} == {"p-acme", "p-globex"}
            # Customers are read-only, even on their own tenant; another tenant's write is a 404.
            for path, body in WRITES:
                assert (
                    await client.put(path.format(p="p-acme"), json=body, headers=as_acme)
                ).status_code == 403
                assert (
                    await client.put(path.format(p="p-acme"), json=body, headers=as_globex)
                ).status_code == 404
            # An operator override of the energy model changes the figures (here: a 35 W idle desktop).
            op = {"Authorization": f"Bearer {OPERATOR}"}
            before = (await client.get("/v1/projects/p-acme/report", headers=op)).json()["savings"]["fleet"][
                "kwh"
            ]
            model = {"kind_overrides": {"desktop": {"idle_w": 35}}}
            assert (
                await client.put("/v1/projects/p-acme/energy-model", json=model, headers=op)
            ).status_code == 200
            after = (await client.get("/v1/projects/p-acme/report", headers=op)).json()["savings"]["fleet"][
                "kwh"
            ]
            assert after < before
            assert (
                await client.put("/v1/projects/p-acme/energy-model", json={}, headers=op)
            ).status_code == 200
            bad = await client.put(
                "/v1/projects/p-acme/energy-model",
                json={"kind_overrides": {"desktop": {"idle_w": 70000}}},
                headers=op,
            )
            assert bad.status_code == 422
            csv_text = (await client.get("/v1/projects/p-acme/report.csv?table=kinds", headers=as_acme)).text
            assert csv_text.splitlines()[1].startswith("desktop,1,") and "64079.77" in csv_text

        # The dashboard in headless Chromium, with the customer's token in the URL fragment.
        await asyncio.to_thread(SCREENS.mkdir, parents=True, exist_ok=True)
        page = f"{url}/dashboard#token={ACME}&project=p-acme"
        dom = await asyncio.to_thread(chromium, "--dump-dom", page)
        assert 'data-loaded="true"' in dom.stdout, dom.stdout[:2000] + dom.stderr[-2000:]
        for chart in ("timeline", "daily", "heatmap", "groups", "blockers"):
            assert f'data-chart="{chart}"' in dom.stdout, chart
        assert dom.stdout.count('class="bar"') >= 20 and dom.stdout.count('class="cell"') >= 24 * 4
        assert "079.77" in dom.stdout and "EUR" in dom.stdout
        shot = SCREENS / "reporting-dashboard.png"
        await asyncio.to_thread(chromium, f"--screenshot={shot}", "--window-size=1100,3000", page)
        assert shot.stat().st_size > 20_000
        # Without a token the page shows no data.
        anon = await asyncio.to_thread(chromium, "--dump-dom", f"{url}/dashboard")
        assert 'data-loaded="true"' not in anon.stdout and "svg" not in anon.stdout.split("<main")[1]
        # `veille report`: the feedback report through the API, as HTML and PDF (Chromium).
        out = SCREENS / "reporting-feedback.html"
        res = await asyncio.to_thread(
            CliRunner().invoke,
            cli,
            [
                "report",
                "p-acme",
                "--out",
                str(out),
                "--pdf",
                "--api",
                url,
                "--token",
                ACME,
                "--chromium",
                "/usr/bin/chromium",
            ],
        )
        assert res.exit_code == 0, res.output
        html = out.read_text()
        assert "Feedback report: acme POC" in html and "64\u202f079.77" in html and html.count("<svg") >= 5
        assert out.with_suffix(".pdf").read_bytes()[:4] == b"%PDF"
        denied = await asyncio.to_thread(
            CliRunner().invoke, cli, ["report", "p-acme", "--out", str(out), "--api", url, "--token", GLOBEX]
        )
        assert denied.exit_code == 1 and "404" in denied.output
