"""Replay of Viewer activity under candidate policies, and the recommendation built from it.

Hand-computed scenario (Monday 3 June 2024, time zone UTC, working hours Mon-Fri 08:00-18:00,
window = that one day, default energy model of veille_energy):

Device A, desktop with 1 monitor, on 08:00-12:00 in four hourly periods:
  08:00 input minutes 0-49, then idle 10 min   -> idle run R1 = 10 min, user returns at 09:00
  09:00 input 0-29, then idle 30 min           -> R2 = 30 min, user returns at 10:00
  10:00 input all hour
  11:00 input 0-9, then idle 50 min, data ends -> R3 = 50 min, nobody returns
Device B, laptop without external monitor, on 16:00-24:00 in eight hourly periods:
  16:00 input all hour
  17:00 input 0-39, then idle 20 min           -> R1 = 20 min, user returns at 18:00
  18:00 input 0-4, then idle till midnight     -> R2 = 55 + 5 x 60 = 355 min, nobody returns

"Sleep after N min idle" sleeps max(0, run - N) minutes of each run, and a run the user ends
is a disruption when run > N.
            A slept          A disr.  B slept              B disr.
  N = 5     5 + 25 + 45 = 75   2      15 + 350 = 365         1
  N = 10    0 + 20 + 40 = 60   1      10 + 345 = 355         1
  N = 15    0 + 15 + 35 = 50   1       5 + 340 = 345         1
  N = 20    0 + 10 + 30 = 40   1       0 + 335 = 335         0
  N = 30    0 +  0 + 20 = 20   0       0 + 325 = 325         0
  N = 60    0                  0       0 + 295 = 295         0

Watts (veille_energy defaults): desktop idle 45 W, asleep 3 W; monitor on 45 W, asleep 1 W;
laptop idle 12 W, asleep 2 W, off 0.5 W. One idle minute put to sleep saves
A: (45 - 3 + 45 - 1) W x 1 min = 86/60 Wh; B: (12 - 2)/60 = 1/6 Wh; B shut down: 11.5/60 Wh.

Baseline: A = 150 min active x 70 W + 90 min idle x 45 W + 240 min monitor x 45 W
            = 175 + 67.5 + 180 = 422.5 Wh
          B = 105 min active x 25 W + 375 min idle x 12 W = 43.75 + 75 = 118.75 Wh
          total 541.25 Wh.
Savings (Wh): N=5: 75 x 86/60 + 365/6 = 107.5 + 60.8333 = 168.3333
              N=10: 86 + 59.1667 = 145.1667        N=15: 71.6667 + 57.5 = 129.1667
              N=20: 57.3333 + 55.8333 = 113.1667   N=30: 28.6667 + 54.1667 = 82.8333
              N=60: 0 + 49.1667 = 49.1667
Night shutdown at 19:00 (end + 1 h) for PCs idle > 30 min: only B's R2 reaches 19:00 awake, and
only when N > 55 (at 19:00 it has been idle 56 min). So the night variants equal the sleep-only
ones, except N = 60 + night: B off 19:00-24:00 = 300 min x 11.5/60 = 57.5 Wh. Wake-up at 07:45
is outside the data: no effect.

Disruptions per device-week = disruptions / 2 devices / (1 day / 7) = 3.5 x disruptions.
With the default budget 0.5 only zero-disruption candidates qualify: the best is N = 30
(82.8333 Wh, 15.30 % of 541.25), i.e. 0.0828333 / 2 devices / 1 day x 365 = 15.117 kWh per
device-year.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from policy_fixtures import MONDAY, UTC_SCHEDULE, hour_period, make_policy
from veille_contracts import (
    Activity,
    DeviceKind,
    NightShutdown,
    Policy,
    PolicyExceptions,
    PowerSource,
    PowerTimeouts,
    Recommendation,
    WakeUp,
)
from veille_energy import EnergyModel, StateDurations
from veille_policy.domain.recommendation import (
    CandidateScore,
    candidate_policies,
    choose,
    pareto_front,
    recommend,
)
from veille_policy.domain.replay import DeviceActivity, DeviceTimeline, replay

H = timedelta(hours=1)
MODEL = EnergyModel()


def device_a() -> DeviceActivity:
    start = MONDAY + 8 * H
    periods = [
        hour_period("a", start, inputs=list(range(50))),
        hour_period("a", start + H, inputs=list(range(30))),
        hour_period("a", start + 2 * H, inputs=list(range(60))),
        hour_period("a", start + 3 * H, inputs=list(range(10))),
    ]
    return DeviceActivity("a", DeviceKind.desktop, 1, periods)


def device_b() -> DeviceActivity:
    start = MONDAY + 16 * H
    periods = [
        hour_period("b", start, inputs=list(range(60)), kind=DeviceKind.laptop),
        hour_period("b", start + H, inputs=list(range(40)), kind=DeviceKind.laptop),
        hour_period("b", start + 2 * H, inputs=list(range(5)), kind=DeviceKind.laptop),
    ] + [hour_period("b", start + k * H, inputs=[], kind=DeviceKind.laptop) for k in range(3, 8)]
    return DeviceActivity("b", DeviceKind.laptop, 0, periods)


def sleep_after(minutes: int | None, **changes: Any) -> Policy:
    policy: Policy = make_policy(
        ac=PowerTimeouts(sleep_min=minutes), battery=PowerTimeouts(sleep_min=minutes), **changes
    )
    return policy


def replayed(device: DeviceActivity, policy: Policy) -> tuple[StateDurations, StateDurations, int]:
    result = replay(DeviceTimeline.build(device, UTC_SCHEDULE), policy)
    return result.baseline, result.with_policy, result.disruptions


@pytest.mark.parametrize(
    ("minutes", "a_slept", "a_disruptions", "b_slept", "b_disruptions"),
    [
        (5, 75, 2, 365, 1),
        (10, 60, 1, 355, 1),
        (15, 50, 1, 345, 1),
        (20, 40, 1, 335, 0),
        (30, 20, 0, 325, 0),
        (60, 0, 0, 295, 0),
    ],
)
def test_minute_by_minute_replay_matches_the_hand_table(
    minutes: int, a_slept: int, a_disruptions: int, b_slept: int, b_disruptions: int
) -> None:
    base_a, with_a, disruptions_a = replayed(device_a(), sleep_after(minutes))
    assert base_a == StateDurations(active_s=150 * 60, idle_s=90 * 60, asleep_s=0, off_s=0)
    assert with_a == StateDurations(
        active_s=150 * 60, idle_s=(90 - a_slept) * 60, asleep_s=a_slept * 60, off_s=0
    )
    assert disruptions_a == a_disruptions
    base_b, with_b, disruptions_b = replayed(device_b(), sleep_after(minutes))
    assert base_b == StateDurations(active_s=105 * 60, idle_s=375 * 60, asleep_s=0, off_s=0)
    assert with_b.asleep_s == b_slept * 60 and with_b.idle_s == (375 - b_slept) * 60
    assert disruptions_b == b_disruptions


def test_night_shutdown_turns_the_evening_idle_run_off() -> None:
    night = {"schedule": UTC_SCHEDULE, "night_shutdown": NightShutdown(at=time(19, 0), idle_min=30)}
    # No daytime sleep: B idle since 18:05 is shut down at 19:00 (56 min idle > 30), off till midnight.
    _, with_b, disruptions = replayed(device_b(), sleep_after(None, **night))
    assert with_b.off_s == 300 * 60 and with_b.idle_s == (375 - 300) * 60 and disruptions == 0
    # Sleep after 60 min would wait until 19:05: the shutdown comes first.
    _, with_b, _ = replayed(device_b(), sleep_after(60, **night))
    assert (with_b.off_s, with_b.asleep_s) == (300 * 60, 0)
    # Sleep after 30 min: asleep at 18:35, and a sleeping PC is not shut down.
    _, with_b, _ = replayed(device_b(), sleep_after(30, **night))
    assert (with_b.off_s, with_b.asleep_s) == (0, 325 * 60)
    # A's idle runs are all in protected hours: nothing.
    _, with_a, _ = replayed(device_a(), sleep_after(None, **night))
    assert with_a.off_s == 0 and with_a.asleep_s == 0


def test_night_shutdown_then_user_return_is_a_disruption() -> None:
    # Left on Monday evening, idle all night, user back Tuesday 08:30.
    periods = [hour_period("c", MONDAY + k * H, inputs=[]) for k in range(20, 32)]
    periods.append(hour_period("c", MONDAY + 32 * H, inputs=list(range(30, 60))))
    device = DeviceActivity("c", DeviceKind.desktop, 0, periods)
    night = sleep_after(
        None, schedule=UTC_SCHEDULE, night_shutdown=NightShutdown(at=time(19, 0), idle_min=30)
    )
    result = replay(DeviceTimeline.build(device, UTC_SCHEDULE), night)
    # Off from 20:31 (idle 31 min) to 08:29: 12 h x 60 - 30 min + 30 min of Tuesday 08:00-08:29.
    assert result.with_policy.off_s == (12 * 60 - 30 + 30) * 60
    assert result.disruptions == 1
    assert [d.day for d in result.days] == [date(2024, 6, 3), date(2024, 6, 4)]
    assert result.days[1].disruptions == 1 and result.days[1].working_day


def test_wake_up_wakes_sleeping_pcs_before_work_and_spares_the_returning_user() -> None:
    # Tuesday: OS asleep 07:00-08:20, user at 08:20 until 09:00.
    tuesday = MONDAY + 24 * H
    periods = [
        hour_period("w", tuesday + 7 * H, inputs=[], seconds_on=0, seconds_asleep=3600),
        hour_period("w", tuesday + 8 * H, inputs=list(range(20, 60)), seconds_on=2400, seconds_asleep=1200),
    ]
    device = DeviceActivity("w", DeviceKind.desktop, 0, periods)
    wake = {"schedule": UTC_SCHEDULE, "wake_up": WakeUp(minutes_before_start=15)}
    # Woken at 07:45; with sleep after 60 min it stays up until the user comes: 15 + 20 = 35 min.
    _, with_policy, disruptions = replayed(device, sleep_after(60, **wake))
    assert with_policy.idle_s == 35 * 60 and with_policy.asleep_s == (80 - 35) * 60 and disruptions == 0
    # With sleep after 30 min it dozes off again at 08:15: 30 woken minutes, and the return at 08:20
    # meets a PC that was asleep in the Viewer data too, so it is no disruption of the policy's.
    _, with_policy, disruptions = replayed(device, sleep_after(30, **wake))
    assert with_policy.idle_s == 30 * 60 and disruptions == 0
    # Not a working day (Saturday): no wake-up.
    saturday = [
        hour_period(
            "w",
            p.period_start + 4 * 24 * H,
            inputs=p.input_minutes,
            seconds_on=p.seconds_on,
            seconds_asleep=p.seconds_asleep,
        )
        for p in periods
    ]
    _, with_policy, _ = replayed(
        DeviceActivity("w", DeviceKind.desktop, 0, saturday), sleep_after(60, **wake)
    )
    assert with_policy.idle_s == 0


def test_without_input_minutes_idle_time_is_one_run_after_the_activity() -> None:
    # 10 min of input in the hour: input minutes 0-9, then 50 idle minutes; sleep after 15 -> 35 asleep.
    period = hour_period("f", MONDAY + 9 * H, inputs=None, seconds_active=600)
    _, with_policy, _ = replayed(DeviceActivity("f", DeviceKind.desktop, 0, [period]), sleep_after(15))
    assert with_policy.asleep_s == 35 * 60 and with_policy.active_s == 600
    # 30 s of input still counts as one input minute: 59 idle minutes, 44 asleep.
    period = hour_period("f", MONDAY + 9 * H, inputs=None, seconds_active=30)
    _, with_policy, _ = replayed(DeviceActivity("f", DeviceKind.desktop, 0, [period]), sleep_after(15))
    assert with_policy.asleep_s == 44 * 60
    # Input seconds are never moved even when the minute count exceeds the idle seconds.
    assert with_policy.active_s == 30 and with_policy.idle_s == 3600 - 30 - 44 * 60


@pytest.mark.parametrize(
    ("anti_insomnia", "allowed", "asleep_min"),
    [
        # Honoured: the first 20 idle minutes are held, the PC sleeps at idle minute 21: 30 of 50.
        (True, ["Backup.EXE"], 30),
        (False, [], 30),
        # Anti-insomnia ignores a process that is not allowed: sleep after 15 -> 35 of 50.
        (True, [], 35),
        (True, ["teams.exe"], 35),
    ],
)
def test_sleep_blockers(anti_insomnia: bool, allowed: list[str], asleep_min: int) -> None:
    period = hour_period("k", MONDAY + 9 * H, inputs=list(range(10)), blockers=(("backup.exe", 1200.0),))
    policy = sleep_after(
        15, anti_insomnia=anti_insomnia, exceptions=PolicyExceptions(allowed_processes=allowed)
    )
    _, with_policy, _ = replayed(DeviceActivity("k", DeviceKind.desktop, 0, [period]), policy)
    assert with_policy.asleep_s == asleep_min * 60


def test_a_gap_in_the_data_restarts_the_idle_count() -> None:
    # 09:00 idle 20 min at the end of the hour, no data 10:00-11:00, 11:00 idle 20 min at the start.
    first = hour_period("g", MONDAY + 9 * H, inputs=list(range(40)))
    second = hour_period("g", MONDAY + 11 * H, inputs=list(range(20, 60)))
    _, with_policy, disruptions = replayed(
        DeviceActivity("g", DeviceKind.desktop, 0, [first, second]), sleep_after(30)
    )
    assert with_policy.asleep_s == 0 and disruptions == 0
    # Contiguous, the two 20-minute runs make one 40-minute run: 10 min asleep and a disruption.
    second = hour_period("g", MONDAY + 10 * H, inputs=list(range(20, 60)))
    _, with_policy, disruptions = replayed(
        DeviceActivity("g", DeviceKind.desktop, 0, [first, second]), sleep_after(30)
    )
    assert with_policy.asleep_s == 10 * 60 and disruptions == 1


def test_battery_periods_use_the_battery_timeouts() -> None:
    period = hour_period("l", MONDAY + 9 * H, inputs=list(range(10)), kind=DeviceKind.laptop)
    on_battery = Activity.model_validate({**period.model_dump(), "power_source": PowerSource.battery})
    policy = make_policy(ac=PowerTimeouts(sleep_min=30), battery=PowerTimeouts(sleep_min=10))
    _, with_policy, _ = replayed(DeviceActivity("l", DeviceKind.laptop, 0, [on_battery]), policy)
    assert with_policy.asleep_s == 40 * 60
    _, with_policy, _ = replayed(DeviceActivity("l", DeviceKind.laptop, 0, [period]), policy)
    assert with_policy.asleep_s == 20 * 60


def scenario(budget: float = 0.5, candidates: list[Policy] | None = None) -> Recommendation:
    return recommend(
        project_id="proj-1",
        tenant_id="acme",
        devices=[device_a(), device_b()],
        schedule=UTC_SCHEDULE,
        energy_model=MODEL,
        window_start=MONDAY,
        window_end=MONDAY + 24 * H,
        computed_at=MONDAY + 48 * H,
        candidates=candidates,
        disruption_budget=budget,
    )


def test_standard_candidates() -> None:
    ids = [p.policy_id for p in candidate_policies("proj-1", UTC_SCHEDULE)]
    assert ids == [f"proj-1:sleep-{n}m{suffix}" for n in (5, 10, 15, 20, 30, 60) for suffix in ("", "-night")]
    # None of them turns the OS's own daytime sleep off.
    assert all(p.ac.sleep_min and p.battery.sleep_min for p in candidate_policies("proj-1", UTC_SCHEDULE))
    night = candidate_policies("proj-1", UTC_SCHEDULE)[1]
    assert night.night_shutdown == NightShutdown(at=time(19, 0), idle_min=30)
    assert night.wake_up == WakeUp(minutes_before_start=15)


def test_hand_computed_recommendation() -> None:
    recommendation = scenario()
    by_id = {c.policy.policy_id: c for c in recommendation.candidates}
    expected_saved_wh = {
        "sleep-5m": 168.3333,
        "sleep-10m": 145.1667,
        "sleep-15m": 129.1667,
        "sleep-20m": 113.1667,
        "sleep-30m": 82.8333,
        "sleep-60m": 49.1667,
        "sleep-60m-night": 57.5,
    }
    expected_disruptions = {"sleep-5m": 3, "sleep-10m": 2, "sleep-15m": 2, "sleep-20m": 1}
    for name, saved_wh in expected_saved_wh.items():
        outcome = by_id[f"proj-1:{name}"]
        assert outcome.kwh_baseline == pytest.approx(0.54125)
        assert outcome.kwh_saved == pytest.approx(saved_wh / 1000, abs=1e-4)
        assert outcome.kwh_with_policy == pytest.approx(0.54125 - saved_wh / 1000, abs=1e-4)
        assert outcome.disruptions_per_device_week == pytest.approx(3.5 * expected_disruptions.get(name, 0))
        assert outcome.devices == 2
    for n in (5, 10, 15, 20, 30):  # night shutdown never reaches a PC already asleep
        assert by_id[f"proj-1:sleep-{n}m-night"].kwh_saved == by_id[f"proj-1:sleep-{n}m"].kwh_saved
    best = by_id["proj-1:sleep-30m"]
    assert recommendation.recommended_policy_id == "proj-1:sleep-30m"
    assert best.saved_pct == pytest.approx(15.30, abs=0.01)  # 82.8333 / 541.25
    assert best.kwh_saved_per_device_year == pytest.approx(15.12, abs=0.01)  # 0.0828333 / 2 x 365
    assert (recommendation.devices, recommendation.device_days) == (2, 2)
    assert "sleep after 30 min" in recommendation.rationale.lower()
    front = {
        c.policy.policy_id.removeprefix("proj-1:") for c in recommendation.candidates if c.on_pareto_front
    }
    # (168.3, 10.5), (145.2, 7), (113.2, 3.5), (82.8, 0), each with its equal night twin; the rest dominated.
    assert front == {
        "sleep-5m",
        "sleep-5m-night",
        "sleep-10m",
        "sleep-10m-night",
        "sleep-20m",
        "sleep-20m-night",
        "sleep-30m",
        "sleep-30m-night",
    }


def test_a_larger_budget_buys_more_saving() -> None:
    # 7 disruptions per device-week fit a budget of 10; 10.5 do not: sleep after 10 min.
    assert scenario(budget=10).recommended_policy_id == "proj-1:sleep-10m"


def test_over_budget_falls_back_to_the_least_disruptive_on_the_front() -> None:
    candidates = [sleep_after(n, policy_id=f"only-{n}", name=f"{n}") for n in (5, 10, 15)]
    recommendation = scenario(candidates=candidates)
    # 10.5, 7 and 7 per device-week: 15 min is dominated by 10 min (more saving, same disruption).
    assert recommendation.recommended_policy_id == "only-10"
    assert "no candidate stays within" in recommendation.rationale


def test_recommendation_is_reproducible() -> None:
    first, again = scenario(), scenario()
    assert first == again
    assert first.recommendation_id.startswith("proj-1:recommendation:")
    assert scenario(budget=10).recommendation_id != first.recommendation_id


def test_no_data_no_recommendation() -> None:
    recommendation = recommend(
        project_id="proj-1",
        tenant_id="acme",
        devices=[device_a()],
        schedule=UTC_SCHEDULE,
        energy_model=MODEL,
        window_start=MONDAY + 7 * 24 * H,
        window_end=MONDAY + 14 * 24 * H,
        computed_at=MONDAY + 15 * 24 * H,
    )
    assert recommendation.recommended_policy_id is None and recommendation.devices == 0


def score(saved: float, disruptions: int) -> CandidateScore:
    return CandidateScore(make_policy(), 1, 10.0, 10.0 - saved, disruptions, 7.0)


def test_pareto_front_and_choice_rules() -> None:
    scores = [score(5, 2), score(4, 0), score(5, 1), score(3, 0), score(6, 3), score(4, 0)]
    assert pareto_front(scores) == [False, True, True, False, True, True]
    assert choose(scores, budget=0.5) == 1  # ties: the earlier candidate
    assert choose(scores, budget=1) == 2
    assert choose(scores, budget=100) == 4
    assert choose([score(5, 2), score(4, 1)], budget=0.5) == 1
    assert choose([], budget=0.5) is None


def test_replay_is_fast_enough_for_a_fortnight() -> None:
    # 14 days of 5-minute heartbeats: 4032 periods, 20160 minutes, 12 candidates.
    periods = [
        Activity(
            activity_id=f"s:{i}",
            tenant_id="acme",
            device_id="s",
            device_kind=DeviceKind.desktop,
            seq=i,
            period_start=MONDAY + i * timedelta(minutes=5),
            period_end=MONDAY + (i + 1) * timedelta(minutes=5),
            seconds_on=300.0,
            seconds_active=60.0 * (i % 3 == 0),
            seconds_asleep=0.0,
            input_minutes=[0] if i % 3 == 0 else [],
        )
        for i in range(14 * 288)
    ]
    started = datetime.now(UTC)
    recommend(
        project_id="proj-1",
        tenant_id="acme",
        devices=[DeviceActivity("s", DeviceKind.desktop, 1, periods)],
        schedule=UTC_SCHEDULE,
        energy_model=MODEL,
        window_start=MONDAY,
        window_end=MONDAY + 14 * 24 * H,
        computed_at=MONDAY + 15 * 24 * H,
    )
    assert datetime.now(UTC) - started < timedelta(seconds=5)
