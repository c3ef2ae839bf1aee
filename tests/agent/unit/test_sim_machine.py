"""The machine model, minute by minute, on hand-made plans (minutes are plain numbers here)."""

from __future__ import annotations

import pytest
from veille_agent.simulator.behaviour import AFTER_MOBILE, AFTER_STAY
from veille_agent.simulator.fleet import EveningAction
from veille_agent.simulator.machine import (
    ACTIVE,
    ASLEEP,
    AWAY,
    BY_POWER_MANAGEMENT,
    BY_USER,
    IDLE,
    IDLE_ON_BATTERY,
    NEVER,
    OFF,
    Carry,
    ShutdownRule,
    WindowResult,
    merge_blocks,
    run_window,
    shutdown_at,
    sleep_at,
)

LEAVE_ON = int(EveningAction.leave_on)
SHUTDOWN = int(EveningAction.shutdown)
SLEEP = int(EveningAction.sleep)
TAKE_HOME = int(EveningAction.take_home)
OFF_BY_USER = Carry(OFF, BY_USER, 0, False)


def triples(result: WindowResult) -> list[tuple[int, int, int]]:
    flat = result.intervals
    return [(flat[k], flat[k + 1], flat[k + 2]) for k in range(0, len(flat), 3)]


def run(
    inputs: list[tuple[int, int, int]],
    *,
    w1: int = 400,
    carry: Carry = OFF_BY_USER,
    blocks: list[tuple[int, int]] | None = None,
    ac: int | None = None,
    battery: int | None = None,
    shutdown: ShutdownRule | None = None,
    wake: list[int] | None = None,
    wakes_from_off: bool = True,
) -> WindowResult:
    return run_window(0, w1, carry, inputs, blocks or [], ac, battery, shutdown, wake or [], wakes_from_off)


@pytest.mark.parametrize(
    ("idle_since", "timeout", "blocks", "expected"),
    [
        (100, None, [], NEVER),  # no timeout: never sleeps
        (100, 0, [], NEVER),  # 0 is "never", as Windows reports it
        (100, 15, [], 115),
        (100, 15, [(50, 90)], 115),  # request released before the idle stretch: no effect
        (100, 15, [(90, 110)], 125),  # held until 110: 15 more minutes from there
        (100, 15, [(105, 110), (120, 130)], 145),  # 110+15=125 overlaps the second one: 130+15
        (100, 15, [(116, 200)], 115),  # starts after the PC already slept
    ],
)
def test_sleep_happens_a_timeout_after_the_last_input_or_power_request(
    idle_since: int, timeout: int | None, blocks: list[tuple[int, int]], expected: int
) -> None:
    assert sleep_at(idle_since, timeout, blocks) == expected


def test_merge_blocks_joins_overlapping_and_touching_requests() -> None:
    assert merge_blocks([(30, 40), (0, 10), (5, 20), (20, 25)]) == [(0, 25), (30, 40)]


def test_without_a_timeout_a_pc_left_on_stays_idle() -> None:
    result = run([(100, 160, LEAVE_ON)])
    assert triples(result) == [(0, 100, OFF), (100, 160, ACTIVE), (160, 400, IDLE)]
    assert result.carry.power == IDLE and result.disruptions == []


def test_a_15_minute_timeout_turns_the_idle_stretch_into_sleep() -> None:
    result = run([(100, 160, LEAVE_ON)], ac=15)
    # 60 min active, 15 min idle (160-175), asleep 175-400 = 225 min
    assert triples(result) == [(0, 100, OFF), (100, 160, ACTIVE), (160, 175, IDLE), (175, 400, ASLEEP)]
    assert result.carry == Carry(ASLEEP, BY_POWER_MANAGEMENT, 160, False, user_left_on=True)


def test_coming_back_to_a_pc_that_power_management_slept_is_a_disruption() -> None:
    result = run([(100, 160, AFTER_STAY), (300, 320, LEAVE_ON)], ac=15)
    assert triples(result)[3:] == [
        (175, 300, ASLEEP),
        (300, 320, ACTIVE),
        (320, 335, IDLE),
        (335, 400, ASLEEP),
    ]
    assert result.disruptions == [300]


def test_short_absences_below_the_timeout_are_not_disruptions() -> None:
    result = run([(100, 160, AFTER_STAY), (170, 200, LEAVE_ON)], ac=15)
    assert (160, 170, IDLE) in triples(result)
    assert result.disruptions == []


@pytest.mark.parametrize(
    ("action", "state", "cause"),
    [(SHUTDOWN, OFF, BY_USER), (SLEEP, ASLEEP, BY_USER), (TAKE_HOME, OFF, AWAY)],
)
def test_a_users_own_evening_action_is_not_a_disruption_next_morning(
    action: int, state: int, cause: int
) -> None:
    result = run([(100, 160, action), (1000, 1010, LEAVE_ON)], w1=1100)
    assert triples(result)[:4] == [
        (0, 100, OFF),
        (100, 160, ACTIVE),
        (160, 1000, state),
        (1000, 1010, ACTIVE),
    ]
    assert result.disruptions == []


def test_an_allowed_power_request_defers_sleep_until_it_is_released_plus_the_timeout() -> None:
    result = run([(100, 160, LEAVE_ON)], ac=15, blocks=[(170, 200)])
    assert triples(result)[2:] == [(160, 215, IDLE), (215, 400, ASLEEP)]


def test_a_laptop_taken_undocked_to_a_meeting_uses_its_battery_timeout() -> None:
    result = run([(100, 160, AFTER_MOBILE), (240, 250, LEAVE_ON)], ac=None, battery=10)
    # on battery from 160: asleep at 170; back at 240 (a disruption), docked again: AC never sleeps
    assert triples(result)[2:] == [
        (160, 170, IDLE_ON_BATTERY),
        (170, 240, ASLEEP),
        (240, 250, ACTIVE),
        (250, 400, IDLE),
    ]
    assert result.disruptions == [240]


NIGHT = ShutdownRule(windows=((1200, 1260),), idle_min=30, warning_min=5)


@pytest.mark.parametrize(
    ("inputs", "expected_off_at"),
    [
        # idle since 1190: idle 30 min at 1220, warning 5 min: off at 1225
        ([(1100, 1190, LEAVE_ON)], 1225),
        # idle since 1000: already idle at `at` (1200): warning, off at 1205
        ([(900, 1000, LEAVE_ON)], 1205),
        # active until 1225: idle 30 min at 1255, still within at + 60: off at 1260
        ([(1100, 1225, LEAVE_ON)], 1260),
        # active until 1250: idle 30 min only at 1280 > 1260: the night is given up
        ([(1100, 1250, LEAVE_ON)], None),
        # back during the warning (1223 < 1225): postponed; leaves at 1224, 30 min later 1254: off 1259
        ([(1100, 1190, AFTER_STAY), (1223, 1224, LEAVE_ON)], 1259),
    ],
)
def test_night_shutdown_of_idle_pcs_with_warning_and_postpone(
    inputs: list[tuple[int, int, int]], expected_off_at: int | None
) -> None:
    result = run(inputs, w1=1440, shutdown=NIGHT)
    offs = [(s, e) for s, e, state in triples(result) if state == OFF and s >= 1000]
    if expected_off_at is None:
        assert offs == [] and result.carry.power == IDLE
    else:
        assert offs == [(expected_off_at, 1440)]
        assert result.carry.cause == BY_POWER_MANAGEMENT


def test_night_shutdown_waits_for_an_allowed_process_to_finish() -> None:
    # idle 30 min at 1220, but backup holds until 1240: warning from 1240, off at 1245
    assert shutdown_at(1190, 1190, NEVER, NIGHT, [(1210, 1240)]) == 1245
    result = run([(1100, 1190, LEAVE_ON)], w1=1440, shutdown=NIGHT, blocks=[(1210, 1240)])
    assert triples(result)[-1] == (1245, 1440, OFF)


def test_a_pc_already_asleep_is_not_shut_down() -> None:
    result = run([(1100, 1150, LEAVE_ON)], w1=1440, ac=15, shutdown=NIGHT)
    assert triples(result)[-1] == (1165, 1440, ASLEEP)


def test_wake_up_before_work_spares_the_user_a_disruption() -> None:
    asleep = Carry(ASLEEP, BY_POWER_MANAGEMENT, 0, False)
    without = run([(540, 600, LEAVE_ON)], w1=700, carry=asleep)
    assert without.disruptions == [540]
    woken = run([(540, 600, LEAVE_ON)], w1=700, carry=asleep, wake=[465])
    assert triples(woken)[:2] == [(0, 465, ASLEEP), (465, 540, IDLE)]
    assert woken.disruptions == []


def test_wake_up_then_sleep_again_when_the_user_does_not_come() -> None:
    asleep = Carry(ASLEEP, BY_POWER_MANAGEMENT, 0, False, user_left_on=True)
    result = run([], w1=700, carry=asleep, wake=[465], ac=15)
    assert triples(result) == [(0, 465, ASLEEP), (465, 480, IDLE), (480, 700, ASLEEP)]


def test_a_woken_pc_is_held_awake_until_the_schedule_starts() -> None:
    asleep = Carry(ASLEEP, BY_POWER_MANAGEMENT, 0, False, user_left_on=True)
    # woken at 465 for a start at 480 (hold 15): idle timer from 480, asleep at 495
    result = run_window(0, 700, asleep, [], [], 15, None, None, [465], True, 15)
    assert triples(result) == [(0, 465, ASLEEP), (465, 495, IDLE), (495, 700, ASLEEP)]


def test_a_pc_the_user_switched_off_woken_then_slept_again_is_no_disruption() -> None:
    # the user shut down at 160; Wake-on-LAN at 465, asleep at 480; the user expects an off PC at 540
    result = run([(100, 160, SHUTDOWN), (540, 600, LEAVE_ON)], w1=700, ac=15, wake=[465])
    assert triples(result)[2:5] == [(160, 465, OFF), (465, 480, IDLE), (480, 540, ASLEEP)]
    assert result.disruptions == []


def test_wake_up_cannot_reach_a_laptop_taken_home_or_a_laptop_switched_off() -> None:
    home = Carry(OFF, AWAY, 0, False)
    assert triples(run([], w1=700, carry=home, wake=[465])) == [(0, 700, OFF)]
    switched_off = Carry(OFF, BY_USER, 0, False)
    assert triples(run([], w1=700, carry=switched_off, wake=[465], wakes_from_off=False)) == [(0, 700, OFF)]
    # a desktop switched off is woken (Wake-on-LAN)
    assert triples(run([], w1=700, carry=switched_off, wake=[465]))[1] == (465, 700, IDLE)


def test_windows_chain_exactly_like_one_long_window() -> None:
    inputs = [(100, 160, AFTER_STAY), (300, 320, LEAVE_ON), (1000, 1100, LEAVE_ON)]
    whole = run_window(0, 1440, OFF_BY_USER, inputs, [(330, 380)], 30, None, NIGHT, [900], True)
    states_whole = [state for s, e, state in triples(whole) for _ in range(s, e)]
    states_parts: list[int] = []
    carry = OFF_BY_USER
    disruptions: list[int] = []
    for w0, w1 in [(0, 150), (150, 337), (337, 1000), (1000, 1440)]:
        part = run_window(w0, w1, carry, inputs, [(330, 380)], 30, None, NIGHT, [900], True)
        carry = part.carry
        disruptions += part.disruptions
        states_parts += [state for s, e, state in triples(part) for _ in range(s, e)]
    assert states_parts == states_whole
    assert disruptions == whole.disruptions
