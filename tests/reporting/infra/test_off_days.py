"""Days a PC sent nothing (it was off) count as device-days, fully off, through the real stack.

Agents report only while the PC is on or asleep: a desktop switched off for the weekend sends
nothing. Its device-days still exist (it is in the project, it drew its off power), so they must be
counted, or the per-device-day means are those of the PCs that happened to be on.

The hand-computed scenario of scenario.py (UTC days, desktop + one monitor), with the saver PC
silent (off) on Sat 7 and Sun 8 March (Viewer) and on Sun 15 March (Saver, the phase's last day,
while the control PC reports that day: the fleet's latest reported day is the 15th).
A fully-off desktop day: (1 W PC off + 1 W monitor standby) x 24 h = 0.048 kWh.
  Viewer, non-working, saver PC: 2 device-days of 0.048 kWh -> 0.048 kWh per device-day.
  Saver, non-working, saver PC: Sat 14 asleep 0.096 kWh, Sun 15 off 0.048 kWh -> 0.072 kWh.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date
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
OFF_DAYS = {date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 15)}
OFF_DAY_KWH = 2 * 24 / 1000


async def publish(isolation: Isolation) -> None:
    bootstrap = isolation.infra.kafka_bootstrap
    await publish_project(isolation)
    saver_pc = [a for a in hourly_activity("pc-s", saver=True) if a.period_start.date() not in OFF_DAYS]
    acts = saver_pc + hourly_activity("pc-c", saver=False)
    # Small batches, in event-time order: the aggregates are built day after day, as in production.
    acts.sort(key=lambda a: a.period_end)
    for k in range(0, len(acts), 48):
        await produce(
            bootstrap, isolation.topic(FLEET_ACTIVITY), [rec(a.device_id, a) for a in acts[k : k + 48]]
        )


async def settled_report(url: str, project: str, timeout_s: float = 90) -> dict[str, Any]:
    """The report once it covers both phases' 13 counted days and stays the same for 2 s."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {OPERATOR}"}) as client:
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            res = await client.get(f"/v1/projects/{project}/report")
            if res.status_code == 200:
                report = res.json()
                days = {(d["day"], d["saver_group"]) for d in report["savings"]["daily"]}
                if len(days) == 2 * 13 and report["savings"] == last.get("savings"):
                    return report
                last = report
            await asyncio.sleep(1)
    raise AssertionError(f"report not settled after {timeout_s}s: {str(last)[:2000]}")


def cells(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (desktop,) = report["savings"]["kinds"]
    return {c["day_type"]: c for c in desktop["day_types"]}


async def test_silent_days_count_as_off_device_days(
    isolation: Isolation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEILLE_OPERATOR_TOKEN", OPERATOR)
    await publish(isolation)
    async with serve(create_app(isolation.settings(ReportingSettings))) as url:  # type: ignore[arg-type]
        report = await settled_report(url, "p-acme")
        rows = cells(report)
        non_working = rows["non_working"]
        assert non_working["baseline_device_days"] == 2 and non_working["reporting_device_days"] == 2
        assert non_working["baseline_kwh_per_device_day"] == pytest.approx(OFF_DAY_KWH)
        assert non_working["reporting_kwh_per_device_day"] == pytest.approx((0.096 + OFF_DAY_KWH) / 2)
        # Working days are unchanged (the saver PC reported each of them): 2.360 -> 1.156 kWh.
        assert rows["working"]["baseline_kwh_per_device_day"] == pytest.approx(2.36)
        assert rows["working"]["reporting_kwh_per_device_day"] == pytest.approx(1.156)
        daily = {(d["day"], d["saver_group"]): d for d in report["savings"]["daily"]}
        for day in sorted(OFF_DAYS):
            point = daily[(day.isoformat(), True)]
            assert point["devices"] == 1 and point["kwh"] == pytest.approx(OFF_DAY_KWH), point

        # The aggregates kept day after day equal a full recomputation.
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {OPERATOR}"}) as c:
            assert (await c.put("/v1/projects/p-acme/energy-model", json={})).status_code == 200
            recomputed = (await c.get("/v1/projects/p-acme/report")).json()
        assert recomputed["savings"]["kinds"] == report["savings"]["kinds"]
        assert recomputed["savings"]["daily"] == report["savings"]["daily"]
