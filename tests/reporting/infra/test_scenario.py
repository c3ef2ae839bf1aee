"""Hand-computed savings through the real stack: records on the real topics -> reporting -> API figures.

Desktop 70 W in use / 45 W idle / 3 W asleep, monitor 45 W on / 1 W asleep (veille_energy defaults),
one monitor each. Days are UTC days (the project's schedule time zone is UTC).

Viewer phase (Mon 2 - Sun 8 March; Wed 4 is a holiday, left out), both PCs, per device-day:
  working day:     8 h in use, 16 h idle: 70*8 + 45*16 = 1280 Wh + monitor 45*24 = 1080 Wh -> 2.360 kWh
  non-working day: 24 h idle: 45*24 = 1080 Wh + 1080 Wh                                -> 2.160 kWh
Saver phase (Tue 10 - Sun 15 March: the 9th, when the policy arrived at noon, is left out), saver PC:
  working day:     8 h in use, 2 h idle, 14 h asleep: 560 + 90 + 42 = 692 Wh + monitor 45*10 + 1*14
                   = 464 Wh                                                             -> 1.156 kWh
  non-working day: 24 h asleep: 72 Wh + 24 Wh                                           -> 0.096 kWh
The control PC behaves the same in both phases, so the control-adjusted savings equal before/after:
  saved per device-day: working 2.360 - 1.156 = 1.204 kWh; non-working 2.160 - 0.096 = 2.064 kWh.
2026 has 261 weekdays; the holiday falls on one: 260 working days and 105 non-working days.
  saved per desktop-year = 1.204 * 260 + 2.064 * 105 = 313.04 + 216.72 = 529.76 kWh
Measured (1 saver PC): 529.76 kWh; * 0.2016 EUR = 106.799616 -> 106.80 EUR; * 0.052 kg = 27.54752 -> 27.5 kg
Fleet (600 desktops; the 400 laptops were not measured: left out, with a caveat):
  529.76 * 600 = 317,856 kWh; * 0.2016 = 64,079.7696 -> 64,079.77 EUR; * 0.052 = 16,528.512 -> 16,528.5 kg
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest
from reporting.infra.scenario import hourly_activity, publish_project, rec
from support.isolation import Isolation
from support.kafka import produce
from support.services import serve
from veille_contracts.topics import FLEET_ACTIVITY
from veille_reporting.entrypoints.app import create_app
from veille_reporting.settings import ReportingSettings

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]
OPERATOR = "vt_test_operator"


async def publish_scenario(isolation: Isolation) -> None:
    bootstrap = isolation.infra.kafka_bootstrap
    await publish_project(isolation)
    acts = hourly_activity("pc-s", saver=True) + hourly_activity("pc-c", saver=False)
    await produce(bootstrap, isolation.topic(FLEET_ACTIVITY), [rec(a.device_id, a) for a in acts])


def complete(report: dict[str, Any]) -> bool:
    s = report["savings"]
    days = {(d["day"], d["saver_group"]) for d in s["daily"]}
    return (
        s["measured_devices"] == 1 and len(days) == 2 * 13 and report["deployment"]["devices_in_scope"] == 2
    )


async def wait_report(url: str, project: str, timeout_s: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {OPERATOR}"}) as client:
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            res = await client.get(f"/v1/projects/{project}/report")
            if res.status_code == 200:
                last = res.json()
                if complete(last):
                    await asyncio.sleep(2)  # let any batch still in flight land, then read again
                    final = (await client.get(f"/v1/projects/{project}/report")).json()
                    return dict(final)
            await asyncio.sleep(0.5)
    raise AssertionError(f"report incomplete after {timeout_s}s: {str(last)[:2000]}")


def figures(report: dict[str, Any]) -> dict[str, Any]:
    s = report["savings"]
    return {
        k: s[k]
        for k in (
            "measured",
            "fleet",
            "fleet_baseline",
            "kinds",
            "groups",
            "daily",
            "coverage",
            "never_sleeping",
            "sleep_blockers",
            "improvements",
            "caveats",
            "method",
        )
    }


def money(v: Any) -> Decimal:
    return Decimal(str(v))


async def test_hand_computed_savings_replay_and_rebuild(
    isolation: Isolation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEILLE_OPERATOR_TOKEN", OPERATOR)
    settings = isolation.settings(ReportingSettings)
    await publish_scenario(isolation)
    async with serve(create_app(settings)) as url:  # type: ignore[arg-type]
        report = await wait_report(url, "p-acme")
        s = report["savings"]
        assert s["method"] == "control_group"
        (desktop,) = s["kinds"]
        rows = {r["day_type"]: r for r in desktop["day_types"]}
        assert rows["working"]["baseline_kwh_per_device_day"] == pytest.approx(2.36)
        assert rows["working"]["reporting_kwh_per_device_day"] == pytest.approx(1.156)
        assert rows["non_working"]["baseline_kwh_per_device_day"] == pytest.approx(2.16)
        assert rows["non_working"]["reporting_kwh_per_device_day"] == pytest.approx(0.096)
        assert rows["working"]["baseline_device_days"] == 4 and rows["working"]["reporting_device_days"] == 4
        assert (
            rows["non_working"]["baseline_device_days"] == 2
            and rows["non_working"]["reporting_device_days"] == 2
        )
        assert rows["working"]["control_adjusted_kwh_per_device_day"] == pytest.approx(1.204)
        assert (s["working_days_per_year"], s["non_working_days_per_year"]) == (260, 105)
        assert desktop["saved_kwh_per_device_year"] == pytest.approx(529.76)
        # To the cent, through the API:
        assert money(s["measured"]["kwh_rounded"]) == Decimal("529.8")
        assert money(s["measured"]["cost_rounded"]) == Decimal("106.80")
        assert money(s["measured"]["co2_kg_rounded"]) == Decimal("27.5")
        assert money(s["fleet"]["kwh_rounded"]) == Decimal("317856.0")
        assert money(s["fleet"]["cost_rounded"]) == Decimal("64079.77")
        assert money(s["fleet"]["co2_kg_rounded"]) == Decimal("16528.5")
        assert "kind_not_measured" in {c["code"] for c in s["caveats"]}
        # Both PCs never slept in the Viewer phase; Teams kept them awake.
        ns = s["never_sleeping"]
        assert ns["devices_never_sleeping"] == 2 and ns["devices_observed"] == 2
        assert report["never_sleeping_top_process"] == {"pc-c": "teams.exe", "pc-s": "teams.exe"}
        assert s["sleep_blockers"]["processes"][0]["process"] == "teams.exe"
        assert s["sleep_blockers"]["processes"][0]["seconds"] == pytest.approx(2 * 6 * 6 * 3600)
        # Heatmap: in the Viewer phase PCs are on every hour; in use 8-16 on working days only.
        viewer = next(h for h in report["heatmap"] if h["phase"] == "viewer" and h["saver_group"])
        assert viewer["on"] == pytest.approx([1.0] * 24)
        assert viewer["in_use"][9] == pytest.approx(4 / 6) and viewer["in_use"][20] == 0
        assert report["deployment"]["saver_group"] == 1 and report["deployment"]["control_group"] == 1
        before = figures(report)

        # Replay every message (at-least-once): nothing changes.
        await publish_scenario(isolation)
        await asyncio.sleep(8)
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {OPERATOR}"}) as c:
            assert figures((await c.get("/v1/projects/p-acme/report")).json()) == before
            # The aggregates kept by delta, batch after batch, equal a full recomputation (an operator
            # saving the default energy model triggers one).
            assert (await c.put("/v1/projects/p-acme/energy-model", json={})).status_code == 200
            recomputed = figures((await c.get("/v1/projects/p-acme/report")).json())
            assert recomputed["fleet"] == before["fleet"] and recomputed["kinds"] == before["kinds"]
            assert recomputed["never_sleeping"] == before["never_sleeping"]
            assert recomputed["sleep_blockers"] == before["sleep_blockers"]

    # Rebuild from the topics into a fresh schema with a new consumer group (offset 0): the same figures.
    fresh = isolation.settings(
        ReportingSettings, db_schema_suffix=isolation.schema_suffix + "_rebuild", consumer_group="rebuild"
    )
    async with serve(create_app(fresh)) as url:  # type: ignore[arg-type]
        rebuilt = figures(await wait_report(url, "p-acme"))
        assert rebuilt["fleet"] == before["fleet"] and rebuilt["measured"] == before["measured"]
        assert rebuilt["kinds"] == before["kinds"] and rebuilt["never_sleeping"] == before["never_sleeping"]
        assert [d["kwh"] for d in rebuilt["daily"]] == pytest.approx([d["kwh"] for d in before["daily"]])
