"""The compiled replay gives exactly what the reference minute loop gives, on random fortnights."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from policy_fixtures import MONDAY, UTC_SCHEDULE
from veille_contracts import Activity, DeviceKind, PowerSource, SleepBlocker, WorkingSchedule
from veille_policy.domain.fast_replay import TimelineArrays, replay_fast
from veille_policy.domain.recommendation import candidate_policies
from veille_policy.domain.replay import DeviceActivity, DeviceTimeline, replay


def random_device(seed: int, step_min: int) -> DeviceActivity:
    rnd = random.Random(seed)
    periods: list[Activity] = []
    start = MONDAY + timedelta(minutes=rnd.randrange(0, 600))
    seq = 0
    while start < MONDAY + timedelta(days=9):
        if rnd.random() < 0.03:  # a gap: agent not running
            start += timedelta(minutes=step_min * rnd.randint(1, 30))
            continue
        minutes = step_min
        on = rnd.choice([0, 0, minutes, minutes, rnd.randint(0, minutes)]) * 60.0
        inputs = (
            sorted(rnd.sample(range(minutes), rnd.randint(0, minutes))) if on and rnd.random() < 0.5 else []
        )
        active = min(on, 60.0 * len(inputs)) if rnd.random() < 0.7 else rnd.uniform(0, on)
        asleep = rnd.uniform(0, minutes * 60 - on) if rnd.random() < 0.5 else 0.0
        blockers = (
            [
                SleepBlocker(
                    process=rnd.choice(["teams.exe", "backup.exe"]), seconds=rnd.uniform(1, minutes * 60)
                )
            ]
            if rnd.random() < 0.1
            else []
        )
        periods.append(
            Activity(
                activity_id=f"d{seed}:{seq}",
                tenant_id="acme",
                device_id=f"d{seed}",
                device_kind=DeviceKind.laptop,
                seq=seq,
                period_start=start,
                period_end=start + timedelta(minutes=minutes),
                seconds_on=on,
                seconds_active=active,
                seconds_asleep=asleep,
                power_source=rnd.choice([PowerSource.ac, PowerSource.battery, PowerSource.unknown]),
                input_minutes=inputs if rnd.random() < 0.8 else None,
                sleep_blockers=blockers,
            )
        )
        seq += 1
        start += timedelta(minutes=minutes)
    return DeviceActivity(f"d{seed}", DeviceKind.laptop, 1, periods)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("schedule", [UTC_SCHEDULE, WorkingSchedule(timezone="Europe/Paris")])
def test_compiled_replay_equals_the_reference(seed: int, schedule: WorkingSchedule) -> None:
    device = random_device(seed, step_min=random.Random(seed).choice([5, 15, 60]))
    timeline = DeviceTimeline.build(device, schedule)
    arrays = TimelineArrays.of(timeline)
    policies = candidate_policies("p", schedule)
    policies += [p.model_copy(update={"anti_insomnia": False}) for p in policies[:3]]
    for policy in policies:
        reference = replay(timeline, policy)
        fast = replay_fast(timeline, policy, arrays)
        assert [d.day for d in fast.days] == [d.day for d in reference.days]
        assert fast.disruptions == reference.disruptions
        for mine, theirs in zip(fast.days, reference.days, strict=True):
            assert mine.working_day == theirs.working_day and mine.disruptions == theirs.disruptions
            for a, b in ((mine.baseline, theirs.baseline), (mine.with_policy, theirs.with_policy)):
                assert a.active_s == pytest.approx(b.active_s, abs=1e-6)
                assert a.idle_s == pytest.approx(b.idle_s, abs=1e-6)
                assert a.asleep_s == pytest.approx(b.asleep_s, abs=1e-6)
                assert a.off_s == pytest.approx(b.off_s, abs=1e-6)
