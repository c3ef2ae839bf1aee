"""The fleet simulator end to end: heartbeats, ground truth, and what enforced policies change."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from veille_agent.simulator import BlockerHabit, DeviceDayTruth, Fleet, FleetSimulator
from veille_contracts import (
    DeviceKind,
    Directive,
    DirectiveMode,
    Heartbeat,
    NightShutdown,
    Policy,
    PolicyExceptions,
    PowerTimeouts,
    WakeUp,
    WorkingSchedule,
    decode,
)

PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2025, 3, 3)  # CET (UTC+1) all week


def paris(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), PARIS)


def policy(
    *,
    sleep: int | None = 15,
    battery: int | None = 10,
    night: NightShutdown | None = None,
    wake: WakeUp | None = None,
    allowed: Iterable[str] = (),
    anti_insomnia: bool = True,
    exempt: Iterable[str] = (),
) -> Policy:
    return Policy(
        policy_id="p-test",
        name="test policy",
        ac=PowerTimeouts(sleep_min=sleep),
        battery=PowerTimeouts(sleep_min=battery),
        schedule=WorkingSchedule(start=time(8, 0), end=time(19, 0)) if night or wake else None,
        night_shutdown=night,
        wake_up=wake,
        exceptions=PolicyExceptions(allowed_processes=list(allowed), exempt_groups=list(exempt)),
        anti_insomnia=anti_insomnia,
    )


def directive(device_id: str, rules: Policy | None, version: str = "v1", tenant: str = "acme") -> Directive:
    return Directive(
        directive_id=f"d-{device_id}-{version}",
        tenant_id=tenant,
        device_id=device_id,
        mode=DirectiveMode.saver if rules else DirectiveMode.viewer,
        policy=rules,
        version=version,
        reason="test",
        issued_at=datetime(2025, 3, 1, tzinfo=UTC),
    )


def simulate(
    fleet: Fleet,
    days: int,
    rules: Policy | None = None,
    *,
    period: int = 5,
    holidays: Iterable[date] = (),
    start: date = MONDAY,
) -> tuple[list[Heartbeat], list[DeviceDayTruth]]:
    sim = FleetSimulator(fleet, paris(start, 0), period, holidays)
    if rules is not None:
        for device in fleet.devices:
            sim.apply_directive(directive(device.device_id, rules))
    beats = list(sim.advance(paris(start + timedelta(days=days), 0)))
    return beats, sim.ground_truth()


@cache
def fleet(size: int = 100, seed: int = 11) -> Fleet:
    return Fleet.generate(seed, size, "acme", MONDAY)


@cache
def viewer_week() -> tuple[list[Heartbeat], list[DeviceDayTruth]]:
    return simulate(fleet(), 7)


@cache
def saver_week() -> tuple[list[Heartbeat], list[DeviceDayTruth]]:
    return simulate(fleet(), 7, policy())


def truth_by(truth: list[DeviceDayTruth]) -> dict[tuple[str, date], DeviceDayTruth]:
    return {(t.device_id, t.day): t for t in truth}


def local_minute(moment: datetime) -> datetime:
    return moment.astimezone(PARIS)


# -- determinism and contract ---------------------------------------------------------------------


def test_same_seed_and_directives_give_byte_identical_heartbeats() -> None:
    def run() -> list[bytes]:
        small = Fleet.generate(21, 40, "acme", MONDAY)
        sim = FleetSimulator(small, paris(MONDAY, 0), 5)
        out = [hb.to_json_bytes() for hb in sim.advance(paris(MONDAY, 13))]
        for device in small.devices[::2]:
            sim.apply_directive(directive(device.device_id, policy(), "v7"))
        out += [hb.to_json_bytes() for hb in sim.advance(paris(MONDAY + timedelta(days=2), 0))]
        return out

    first, second = run(), run()
    assert first == second and len(first) > 1000


def test_advancing_in_steps_gives_the_same_heartbeats_as_in_one_go() -> None:
    small = Fleet.generate(22, 30, "acme", MONDAY)
    whole = FleetSimulator(small, paris(MONDAY, 0), 5)
    stepped = FleetSimulator(small, paris(MONDAY, 0), 5)
    one_go = list(whole.advance(paris(MONDAY + timedelta(days=2), 0)))
    steps = [hb for h in (7, 13, 30, 48) for hb in stepped.advance(paris(MONDAY, 0) + timedelta(hours=h))]
    assert steps == one_go
    assert stepped.ground_truth() == whole.ground_truth()


def test_every_heartbeat_passes_the_contract_in_order_and_without_gaps_in_seq() -> None:
    beats, _ = viewer_week()
    seqs: dict[str, list[int]] = defaultdict(list)
    previous_end = beats[0].period_end
    for hb in beats:
        assert decode(Heartbeat, hb.to_json_bytes()) == hb
        assert hb.period_seconds == 300 and hb.period_start.minute % 5 == 0
        assert hb.period_end >= previous_end  # event-time order by period end
        previous_end = hb.period_end
        assert hb.seconds_on + hb.seconds_asleep > 0  # a fully-off period is never reported
        assert hb.policy_version is None
        assert hb.input_minutes is not None and len(hb.input_minutes) * 60 == hb.seconds_active
        seqs[hb.device_id].append(hb.seq)
    assert all(s == list(range(len(s))) for s in seqs.values())


def test_last_input_is_carried_across_periods_without_input() -> None:
    beats, _ = viewer_week()
    for hb in beats:
        if hb.seconds_active:
            assert hb.last_input_at is not None
            assert hb.last_input_at == hb.period_start + timedelta(minutes=max(hb.input_minutes or []) + 1)
        elif hb.last_input_at is not None:
            assert hb.last_input_at <= hb.period_start


def test_ground_truth_equals_the_sum_of_heartbeats_per_device_day() -> None:
    for beats, truth in (viewer_week(), saver_week()):
        sums: dict[tuple[str, date], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for hb in beats:
            row = sums[(hb.device_id, local_minute(hb.period_start).date())]
            row[0] += hb.seconds_active
            row[1] += hb.seconds_on
            row[2] += hb.seconds_asleep
        assert len(truth) == 100 * 7
        for t in truth:
            assert t.seconds_active + t.seconds_idle + t.seconds_asleep + t.seconds_off == 86400
            assert sums.get((t.device_id, t.day), [0.0, 0.0, 0.0]) == [
                t.seconds_active,
                t.seconds_on,
                t.seconds_asleep,
            ]


def test_ground_truth_matches_heartbeats_with_a_period_that_does_not_divide_the_day() -> None:
    small = Fleet.generate(23, 30, "acme", MONDAY)
    beats, truth = simulate(small, 2, period=7)
    # 2 days = 2880 min = 411 periods of 7 min (2877 min); the last 3 minutes stay unsimulated
    assert {hb.period_seconds for hb in beats} == {420}
    assert (
        sum(t.seconds_active + t.seconds_idle + t.seconds_asleep + t.seconds_off for t in truth)
        == 30 * 2877 * 60
    )
    assert sum(hb.seconds_on for hb in beats) == sum(t.seconds_on for t in truth)
    assert sum(hb.seconds_asleep for hb in beats) == sum(t.seconds_asleep for t in truth)


def test_period_minutes_must_be_1_to_60() -> None:
    for bad in (0, 61):
        with pytest.raises(ValueError, match="1-60"):
            FleetSimulator(fleet(), paris(MONDAY, 0), bad)


def test_directives_for_unknown_devices_or_foreign_tenants_are_refused() -> None:
    sim = FleetSimulator(fleet(), paris(MONDAY, 0))
    with pytest.raises(KeyError):
        sim.apply_directive(directive("acme-pc-999999", policy()))
    with pytest.raises(KeyError):
        sim.apply_directive(directive(fleet().devices[0].device_id, policy(), tenant="other"))


# -- behaviour ------------------------------------------------------------------------------------


def test_people_work_on_weekdays_and_laptops_are_mostly_off_or_asleep_at_weekends() -> None:
    _, truth = viewer_week()
    kinds = {d.device_id: d.kind for d in fleet().devices}
    saturday = [t for t in truth if t.day == MONDAY + timedelta(days=5)]
    wednesday = [t for t in truth if t.day == MONDAY + timedelta(days=2)]
    assert sum(t.seconds_active for t in saturday) < 0.05 * sum(t.seconds_active for t in wednesday)
    laptops = [t for t in saturday if kinds[t.device_id] is DeviceKind.laptop]
    laptop_on = sum(t.seconds_on for t in laptops) / (len(laptops) * 86400)
    assert laptop_on < 0.2


def test_some_desktops_are_left_on_all_night_and_weekend() -> None:
    _, truth = viewer_week()
    kinds = {d.device_id: d.kind for d in fleet().devices}
    sunday = [
        t for t in truth if t.day == MONDAY + timedelta(days=6) and kinds[t.device_id] is DeviceKind.desktop
    ]
    always_on = [t for t in sunday if t.seconds_on == 86400]
    assert 0.1 * len(sunday) < len(always_on) < 0.7 * len(sunday)


def test_office_hours_vary_per_person() -> None:
    beats, _ = viewer_week()
    first_input: dict[str, datetime] = {}
    for hb in beats:
        if hb.seconds_active and local_minute(hb.period_start).date() == MONDAY + timedelta(days=1):
            first_input.setdefault(hb.device_id, local_minute(hb.period_start))
    hours = sorted(t.hour * 60 + t.minute for t in first_input.values())
    assert len(set(hours)) > 15
    assert 7 * 60 <= hours[len(hours) // 2] <= 10 * 60  # median arrival in the morning


def test_holidays_look_like_weekends() -> None:
    small = Fleet.generate(24, 100, "acme", MONDAY)
    wednesday = MONDAY + timedelta(days=2)
    _, normal = simulate(small, 3)
    _, holiday = simulate(small, 3, holidays=[wednesday])
    active_normal = sum(t.seconds_active for t in normal if t.day == wednesday)
    active_holiday = sum(t.seconds_active for t in holiday if t.day == wednesday)
    assert active_holiday < 0.05 * active_normal


def test_a_dst_day_has_23_hours() -> None:
    small = Fleet.generate(25, 20, "acme", MONDAY)
    _, truth = simulate(small, 2, start=date(2025, 3, 30))
    by_day = {t.day: t.seconds_active + t.seconds_idle + t.seconds_asleep + t.seconds_off for t in truth}
    assert by_day == {date(2025, 3, 30): 23 * 3600, date(2025, 3, 31): 24 * 3600}


# -- enforcement ----------------------------------------------------------------------------------


def test_a_policy_never_changes_what_people_do() -> None:
    viewer = {(t.device_id, t.day): t.seconds_active for t in viewer_week()[1]}
    saver = {(t.device_id, t.day): t.seconds_active for t in saver_week()[1]}
    assert viewer == saver


def test_a_15_minute_sleep_policy_cuts_on_time_and_is_echoed_in_heartbeats() -> None:
    viewer_beats, viewer = viewer_week()
    saver_beats, saver = saver_week()
    on_viewer = sum(t.seconds_on for t in viewer)
    on_saver = sum(t.seconds_on for t in saver)
    assert on_saver < 0.6 * on_viewer
    assert sum(t.seconds_asleep for t in saver) > sum(t.seconds_asleep for t in viewer)
    assert {hb.policy_version for hb in saver_beats} == {"v1"}
    assert {hb.policy_version for hb in viewer_beats} == {None}


def idle_minute_runs(beats: list[Heartbeat]) -> dict[str, list[tuple[int, Heartbeat]]]:
    """Per device, its idle one-minute heartbeats with how many minutes since the last input."""
    runs: dict[str, list[tuple[int, Heartbeat]]] = defaultdict(list)
    last_input: dict[str, datetime] = {}
    for hb in beats:
        if hb.seconds_active:
            last_input[hb.device_id] = hb.period_end
        elif hb.seconds_on and hb.device_id in last_input:
            idle_for = int((hb.period_end - last_input[hb.device_id]).total_seconds() // 60)
            runs[hb.device_id].append((idle_for, hb))
    return runs


def test_with_anti_insomnia_no_pc_stays_idle_more_than_the_timeout() -> None:
    small = fleet(60, 12)
    beats, _ = simulate(small, 2, policy(sleep=15, battery=10), period=1)
    runs = idle_minute_runs(beats)
    assert runs
    longest = max(idle_for for device_runs in runs.values() for idle_for, _ in device_runs)
    assert longest == 15  # the 15th idle minute is the last awake one
    # the processes that tried to keep PCs awake are still reported
    assert any(hb.sleep_blockers for hb in beats)


def test_an_allowed_process_keeps_the_pc_awake_and_others_are_ignored() -> None:
    small = fleet(60, 12)
    backups = {d.device_id for d in small.devices if BlockerHabit.nightly_backup in d.habits.blockers}
    assert backups
    beats, _ = simulate(small, 2, policy(allowed=["backup-agent.exe"]), period=1)
    last_input: dict[str, datetime] = {}
    last_backup: dict[str, datetime] = {}
    awake_for_backup = 0
    for hb in beats:
        device_id = hb.device_id
        if hb.seconds_active:
            last_input[device_id] = hb.period_end
        if any(b.process == "backup-agent.exe" for b in hb.sleep_blockers):
            last_backup[device_id] = hb.period_end
        idle = hb.seconds_on and not hb.seconds_active and device_id in last_input
        if idle and hb.period_end - last_input[device_id] > timedelta(minutes=15):
            # awake past the timeout only while, or within 15 minutes after, the backup holds
            assert device_id in backups
            assert hb.period_end - last_backup[device_id] <= timedelta(minutes=15)
            awake_for_backup += 1
    assert awake_for_backup > 0
    # the processes that were ignored are still reported, so the dashboard can name them
    assert {b.process for hb in beats for b in hb.sleep_blockers} >= {"backup-agent.exe", "Teams.exe"}


def test_without_anti_insomnia_every_blocker_keeps_pcs_awake() -> None:
    _, strict = simulate(fleet(60, 12), 3, policy(anti_insomnia=True))
    _, lenient = simulate(fleet(60, 12), 3, policy(anti_insomnia=False))
    assert sum(t.seconds_on for t in lenient) > sum(t.seconds_on for t in strict)


def test_night_shutdown_leaves_only_late_workers_on_at_3am() -> None:
    night = NightShutdown(at=time(20, 0), idle_min=30, warning_min=5, max_postpone_min=60)
    viewer_beats, _ = viewer_week()
    saver_beats, _ = simulate(fleet(), 7, policy(sleep=None, battery=None, night=night))

    def on_at_3am(beats: list[Heartbeat]) -> list[Heartbeat]:
        return [hb for hb in beats if local_minute(hb.period_start).time() == time(3, 0) and hb.seconds_on]

    assert len(on_at_3am(viewer_beats)) > 30
    for hb in on_at_3am(saver_beats):
        # only a user still at the PC at 20:30 (at + postpone - idle_min) can escape the night's shutdown
        assert hb.last_input_at is not None
        last = local_minute(hb.last_input_at)
        assert last.time() >= time(20, 30) or last.date() == local_minute(hb.period_start).date()
    assert len(on_at_3am(saver_beats)) < 0.1 * len(on_at_3am(viewer_beats))


def test_wake_up_wakes_sleeping_pcs_before_work_on_working_days_only() -> None:
    wake = WakeUp(minutes_before_start=15)
    beats, truth = simulate(fleet(), 7, policy(wake=wake))
    _, truth_without = saver_week()
    by_period: dict[tuple[str, datetime], Heartbeat] = {
        (hb.device_id, local_minute(hb.period_start)): hb for hb in beats
    }
    desktops = [d for d in fleet().devices if d.kind is DeviceKind.desktop]
    tuesday, saturday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=5)
    woken = 0
    for device in desktops:
        before = by_period.get((device.device_id, paris(tuesday, 7, 40)))
        after = by_period.get((device.device_id, paris(tuesday, 7, 45)))
        if before is not None and before.seconds_asleep == 300:
            assert after is not None and after.seconds_on > 0
            woken += 1
        sat_before = by_period.get((device.device_id, paris(saturday, 7, 40)))
        sat_after = by_period.get((device.device_id, paris(saturday, 7, 45)))
        if sat_before is not None and sat_before.seconds_asleep == 300:
            assert sat_after is not None and sat_after.seconds_asleep == 300
    assert woken > 10
    assert sum(t.disruptions for t in truth) < sum(t.disruptions for t in truth_without)


def test_disruptions_come_from_power_management_not_from_users_own_actions() -> None:
    _, viewer = viewer_week()
    _, saver = saver_week()
    assert sum(t.disruptions for t in saver) > sum(t.disruptions for t in viewer) > 0
    # someone who shuts down every evening and never meets a sleep timeout has no disruption
    devices = {d.device_id: d for d in fleet().devices}
    for t in viewer:
        device = devices[t.device_id]
        if device.sleep_timeout_ac_s == 0 and device.kind is DeviceKind.desktop:
            assert t.disruptions == 0


def test_exempt_groups_keep_their_os_behaviour_but_report_the_policy_version() -> None:
    small = Fleet.generate(26, 60, "acme", MONDAY)
    exempt_group = small.devices[0].group_path
    _, viewer = simulate(small, 2)
    beats, saver = simulate(small, 2, policy(exempt=[exempt_group]))
    viewer_rows, saver_rows = truth_by(viewer), truth_by(saver)
    changed = 0
    for device in small.devices:
        for day in (MONDAY, MONDAY + timedelta(days=1)):
            same = viewer_rows[(device.device_id, day)] == saver_rows[(device.device_id, day)]
            if device.group_path == exempt_group:
                assert same
            changed += not same
    assert changed > 10
    assert {hb.policy_version for hb in beats} == {"v1"}
