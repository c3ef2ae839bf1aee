"""What a PC does with its user's plan under the power rules in force: the state of each minute.

Model (documented choices, kept simple on purpose):
- The idle timer restarts at the last input and whenever a process that is allowed to keep the PC
  awake holds a power request (as Windows' ES_SYSTEM_REQUIRED does): the PC sleeps at the first
  minute t with no input and no effective request during [t - timeout, t).
- Timeouts: desktops and workstations are always on AC. A laptop is on AC at the desk; a "mobile"
  user takes it undocked to meetings, where it idles on battery, so the battery timeout applies to
  that idle stretch. That is the only battery use modelled.
- Hibernate counts as asleep; the effective timeout is the earlier of sleep and hibernate.
- Night shutdown: from `at` until `at + max_postpone_min`, the first minute t at which the PC has been
  idle for `idle_min` and no effective request is held starts the warning; with no input during the
  warning, the PC is off at t + warning_min. Input during the warning postpones; past the postpone
  window the night is given up.
- Wake-up: on the schedule's days at start - minutes_before_start, a PC asleep, or off and able to be
  woken (desktop/workstation, Wake-on-LAN), wakes and is held awake until the schedule's start, then
  the idle timeout runs as usual. A laptop taken home cannot be woken.
- A user who left the PC on and comes back to it asleep or shut down by power management (OS timeout
  or policy) wakes or boots it: one disruption. Coming back to a PC the user switched off or slept
  is not one, even if a wake-up woke it and it went back to sleep meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass

from .behaviour import AFTER_MOBILE, Segment
from .fleet import EveningAction

ACTIVE = 0
IDLE = 1
ASLEEP = 2
OFF = 3
IDLE_ON_BATTERY = 4  # idle, laptop undocked

# Why the PC is not on: the user did it, power management did it, or the PC left the office.
BY_USER = 0
BY_POWER_MANAGEMENT = 1
AWAY = 2

NEVER = 1 << 62

_SHUTDOWN = int(EveningAction.shutdown)
_SLEEP = int(EveningAction.sleep)
_TAKE_HOME = int(EveningAction.take_home)


@dataclass(frozen=True, slots=True)
class Carry:
    """A device's state at a window boundary."""

    power: int  # ACTIVE/IDLE mean on (the next window decides which); ASLEEP; OFF
    cause: int  # for ASLEEP/OFF: BY_USER, BY_POWER_MANAGEMENT or AWAY
    idle_since: int  # when on: start of the current idle stretch
    on_battery: bool
    user_left_on: bool = False  # the user's last act left the PC on (so power management downs it)

    @staticmethod
    def initial() -> Carry:
        return Carry(OFF, BY_USER, 0, False)


@dataclass(frozen=True, slots=True)
class ShutdownRule:
    windows: tuple[tuple[int, int], ...]  # (at, at + max_postpone) absolute minutes, sorted
    idle_min: int
    warning_min: int


@dataclass(frozen=True, slots=True)
class WindowResult:
    carry: Carry
    intervals: list[int]  # flat (start, end, state) triples covering the window without gaps
    disruptions: list[int]  # minutes at which a user met a PC that power management had put down


def sleep_at(idle_since: int, timeout: int | None, blocks: list[tuple[int, int]]) -> int:
    """First minute with `timeout` minutes free of input and effective requests; NEVER without a timeout."""
    if not timeout:
        return NEVER
    candidate = idle_since + timeout
    for block_start, block_end in blocks:
        if block_end <= candidate - timeout:
            continue
        if block_start >= candidate:
            break
        candidate = max(candidate, block_end + timeout)
    return candidate


def shutdown_at(
    idle_since: int, now: int, next_input: int, rule: ShutdownRule, blocks: list[tuple[int, int]]
) -> int:
    """Minute the PC goes off during the idle stretch that began at `idle_since`, or NEVER."""
    for window_start, window_end in rule.windows:
        if window_end < now:
            continue
        if window_start >= next_input:
            return NEVER
        candidate = max(window_start, idle_since + rule.idle_min, now)
        for block_start, block_end in blocks:
            if block_end <= candidate:
                continue
            if block_start >= candidate + rule.warning_min:
                break
            candidate = block_end  # the allowed process must finish before the warning starts
        if candidate > window_end:
            continue
        if candidate + rule.warning_min >= next_input:
            return NEVER  # the user comes back before (or as) the PC would go off: postponed
        return candidate + rule.warning_min
    return NEVER


def run_window(
    w0: int,
    w1: int,
    carry: Carry,
    inputs: list[Segment],
    blocks: list[tuple[int, int]],
    timeout_ac: int | None,
    timeout_battery: int | None,
    shutdown: ShutdownRule | None,
    wake_times: list[int],
    wakes_from_off: bool,
    wake_hold: int = 0,
) -> WindowResult:
    """Simulate [w0, w1) for one device.

    `inputs` are sorted and may extend past the window (the next input matters to the warning of
    a night shutdown); `blocks` are the effective power requests, sorted and merged; a PC woken at
    one of `wake_times` counts as idle only from `wake_hold` minutes later (the schedule's start).
    """
    out: list[int] = []
    disruptions: list[int] = []
    power, cause, idle_since, battery = carry.power, carry.cause, carry.idle_since, carry.on_battery
    left_on = carry.user_left_on
    on = power in (ACTIVE, IDLE)
    n = len(inputs)
    i = 0
    while i < n and inputs[i][1] <= w0:
        i += 1
    w = 0
    n_wake = len(wake_times)
    t = w0
    while t < w1:
        if i < n and inputs[i][0] <= t:
            _, end, after = inputs[i]
            if not on:
                if cause == BY_POWER_MANAGEMENT:
                    disruptions.append(t)
                on = True
            stop = end if end < w1 else w1
            out += (t, stop, ACTIVE)
            t = stop
            if end > w1:
                break
            i += 1
            idle_since = end
            battery = after == AFTER_MOBILE
            left_on = after not in (_SHUTDOWN, _SLEEP, _TAKE_HOME)
            if after == _SHUTDOWN:
                on, power, cause = False, OFF, BY_USER
            elif after == _SLEEP:
                on, power, cause = False, ASLEEP, BY_USER
            elif after == _TAKE_HOME:
                on, power, cause = False, OFF, AWAY
            continue
        next_input = inputs[i][0] if i < n else NEVER
        if on:
            goes_to_sleep = sleep_at(idle_since, timeout_battery if battery else timeout_ac, blocks)
            goes_off = NEVER if shutdown is None else shutdown_at(idle_since, t, next_input, shutdown, blocks)
            stop = min(next_input, goes_to_sleep, goes_off, w1)
            if stop > t:
                out += (t, stop, IDLE_ON_BATTERY if battery else IDLE)
                t = stop
            if stop in (next_input, w1):
                continue
            on = False
            power = OFF if goes_off <= goes_to_sleep else ASLEEP
            if left_on:
                cause = BY_POWER_MANAGEMENT
            continue
        while w < n_wake and wake_times[w] < t:
            w += 1
        can_wake = cause != AWAY and (power == ASLEEP or wakes_from_off)
        wake = wake_times[w] if can_wake and w < n_wake else NEVER
        stop = min(next_input, wake, w1)
        if stop > t:
            out += (t, stop, power)
            t = stop
        if stop == wake and wake < next_input:
            on, idle_since, battery = True, wake + wake_hold, False
            w += 1
    final = Carry(IDLE if on else power, cause, idle_since, battery, left_on)
    return WindowResult(final, out, disruptions)


def merge_blocks(blocks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(blocks):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged
