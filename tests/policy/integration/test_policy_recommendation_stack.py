"""A recommendation on a small simulated Viewer fortnight, on the real broker and database, whose
best candidate matches a computation by hand; readable through the HTTP API.

Fortnight from Monday 2 March 2026 00:00 UTC (window 14 days), working hours Mon-Fri 08-18 UTC,
hourly activity periods, default energy model (desktop 70 W active / 45 W idle / 3 W asleep,
monitor 45 W on; laptop 25 / 12 / 2 W):
- desk-a (desktop, 1 monitor), each working day on 08:00-18:00: input all the time except
  12:35-13:00 (idle 25 min, the user comes back at 13:00); no data (off) otherwise.
- lap-b (laptop, no monitor), each working day on 09:00-17:00: input all the time except
  16:10-17:00 (idle 50 min, then the PC is shut down: nobody comes back).

"Sleep after N min": desk-a sleeps 25 - N min a day and the return at 13:00 is a disruption when
N < 25; lap-b sleeps 50 - N min a day, never a disruption. Night shutdown (19:00) and wake-up
(07:45) fall outside the data, so the night variants equal the plain ones.
Disruptions per device-week for N in 5..20: 10 / 2 devices / 2 weeks = 2.5 > budget 0.5.
Within budget: N = 30 (lap-b sleeps 20 min x 10 days = 200 min) and N = 60 (nothing).
Best: 'sleep-30m' (its night twin saves the same, and comes second in the candidate list).
Saved: 200 min x (12 - 2) W = 2000 Wh-min = 33.333 Wh.
Baseline: desk-a (575 x 70 + 25 x 45 + 600 x 45) / 60 = 1139.583 Wh a day, lap-b
(430 x 25 + 50 x 12) / 60 = 189.167 Wh a day: 10 x 1328.75 = 13.2875 kWh.
Per device-year: 0.033333 / 2 / 14 x 365 = 0.43452 kWh.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from conftest import Isolation
from policy_stack import SCHEDULE, T0, activity, device, keyed, stage, summary, wait_value
from support.kafka import produce, read_topic
from support.services import serve
from veille_contracts import DeviceKind, Recommendation, Scope, decode
from veille_contracts.projects import Stage
from veille_contracts.topics import FLEET_ACTIVITY, FLEET_DEVICES, POLICY_RECOMMENDATIONS, PROJECT_STAGES
from veille_policy.entrypoints.app import create_app
from veille_policy.settings import PolicySettings

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]
H = timedelta(hours=1)


def fortnight() -> list[tuple[bytes, bytes]]:
    messages = []
    for day in range(14):
        midnight = T0 + timedelta(days=day)
        if midnight.weekday() >= 5:
            continue
        for hour in range(8, 18):
            inputs = list(range(35)) if hour == 12 else list(range(60))
            seq = day * 24 + hour
            messages.append(
                keyed(activity("desk-a", seq, midnight + hour * H, 60, inputs=inputs, version="viewer"))
            )
        for hour in range(9, 17):
            inputs = list(range(10)) if hour == 16 else list(range(60))
            seq = day * 24 + hour
            messages.append(
                keyed(
                    activity(
                        "lap-b",
                        seq,
                        midnight + hour * H,
                        60,
                        inputs=inputs,
                        version="viewer",
                        kind=DeviceKind.laptop,
                    )
                )
            )
    return messages


async def test_recommendation_matches_the_hand_computation(isolation: Isolation, monkeypatch) -> None:
    monkeypatch.setenv("VEILLE_OPERATOR_TOKEN", "vt_policy_test")
    bootstrap, db = isolation.infra.kafka_bootstrap, isolation.infra.database_url
    schema = f"policy{isolation.schema_suffix}"
    project = summary("p3", Scope(tenant_id="acme", whole_fleet=True), schedule=SCHEDULE)
    app = create_app(isolation.settings(PolicySettings))  # type: ignore[arg-type]
    async with serve(app) as url:
        await produce(
            bootstrap,
            isolation.topic(FLEET_DEVICES),
            [
                keyed(device("desk-a", DeviceKind.desktop, "ACME/HQ")),
                keyed(device("lap-b", DeviceKind.laptop, "ACME/HQ")),
            ],
        )
        assert await wait_value(db, f"SELECT count(*) FROM {schema}.devices", 2) == 2
        await produce(
            bootstrap, isolation.topic(PROJECT_STAGES), [keyed(stage(project, 4, Stage.viewer, T0))]
        )
        assert await wait_value(db, f"SELECT count(*) FROM {schema}.desired", 2) == 2
        beats = fortnight()
        assert len(beats) == 180
        await produce(bootstrap, isolation.topic(FLEET_ACTIVITY), beats)
        assert await wait_value(db, f"SELECT count(*) FROM {schema}.viewer_activity", 180) == 180

        headers = {"Authorization": "Bearer vt_policy_test"}
        async with httpx.AsyncClient(base_url=url, headers=headers) as client:
            early = await client.get("/projects/p3/recommendation")
            assert early.status_code == 404 and "not requested yet" in early.json()["detail"]

            end = T0 + timedelta(days=14)
            await produce(
                bootstrap,
                isolation.topic(PROJECT_STAGES),
                [keyed(stage(project, 5, Stage.recommendation, end, Stage.viewer))],
            )
            records = await read_topic(
                bootstrap, isolation.topic(POLICY_RECOMMENDATIONS), until=lambda r: len(r) >= 1, timeout_s=120
            )
            assert records[0].key == b"p3"
            rec = decode(Recommendation, records[0].value)
            assert rec.recommended_policy_id == "p3:sleep-30m"
            assert (rec.devices, rec.device_days, rec.window_start, rec.window_end) == (2, 20, T0, end)
            by_id = {c.policy.policy_id: c for c in rec.candidates}
            best = by_id["p3:sleep-30m"]
            assert best.kwh_saved == pytest.approx(2000 / 60 / 1000)
            assert best.kwh_baseline == pytest.approx(13.2875)
            assert best.kwh_saved_per_device_year == pytest.approx(2000 / 60 / 1000 / 2 / 14 * 365)
            assert best.disruptions_per_device_week == 0
            for minutes in (5, 10, 15, 20):
                candidate = by_id[f"p3:sleep-{minutes}m"]
                assert candidate.disruptions_per_device_week == pytest.approx(2.5)
                saved_min_a, saved_min_b = 10 * (25 - minutes), 10 * (50 - minutes)
                assert candidate.kwh_saved == pytest.approx(
                    (saved_min_a * (45 - 3 + 45 - 1) + saved_min_b * (12 - 2)) / 60 / 1000
                )
            assert by_id["p3:sleep-60m"].kwh_saved == pytest.approx(0)

            response = await client.get("/projects/p3/recommendation")
            assert response.status_code == 200
            assert Recommendation.model_validate_json(response.content) == rec
            assert (
                await client.get("/projects/p3/recommendation", headers={"Authorization": "Bearer nope"})
            ).status_code == 401

        # A replay of the stage event computes nothing new and publishes nothing new.
        await produce(
            bootstrap,
            isolation.topic(PROJECT_STAGES),
            [keyed(stage(project, 5, Stage.recommendation, end, Stage.viewer))],
        )
        assert await wait_value(db, f"SELECT count(*) FROM {schema}.recommendation_jobs", 1) == 1
        assert (
            await wait_value(
                db, f"SELECT count(*) FROM {schema}.outbox WHERE topic LIKE '%recommendations%'", 1
            )
            == 1
        )
