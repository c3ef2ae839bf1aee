"""What an operator can get wrong in a policy, beyond what the contract already refuses.

`veille_contracts.policy.Policy` refuses the impossible (sleep before screen-off, hibernate before
sleep, a night shutdown inside working hours). This module reports the legal-but-wrong: an error
is a policy that would misbehave on the agents and must not be approved; a warning is a policy
that works but is probably not what the operator meant.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import time
from enum import StrEnum

from veille_contracts.policy import Policy, PowerTimeouts

from .groups import GROUP_SEPARATOR, normalise_group

MINUTES_PER_DAY = 24 * 60
# Below this an idle sleep interrupts people reading or on a call; above it a PC idles most of
# an hour-long meeting and the policy saves little. Both are warnings, not errors: some sites do
# want them.
SHORT_SLEEP_MIN = 5
LONG_SLEEP_MIN = 4 * 60
VERSION_HEX_CHARS = 16


class Severity(StrEnum):
    error = "error"
    warning = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding about a policy: where (a dotted field path), how bad, and what to do."""

    severity: Severity
    field: str
    code: str
    message: str


def policy_version(policy: Policy) -> str:
    """A stable content hash of the policy: the `version` of the directives that carry it.

    sha256 of the canonical JSON (sorted keys, no whitespace, UTF-8) of the whole policy, first 16
    hex chars. Any change an agent would see, its name included, gives a new version, and the same
    policy gives the same version in every process and on every replay. Lists are hashed in the
    order given: the agent receives them in that order.
    """
    canonical = json.dumps(
        policy.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:VERSION_HEX_CHARS]


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity is Severity.error for p in problems)


def validate_policy(policy: Policy) -> list[Problem]:
    """Every problem found in `policy`, errors first, each with a message an operator can act on."""
    problems = [
        *_timeout_problems(policy),
        *_schedule_problems(policy),
        *_exception_problems(policy),
    ]
    return sorted(problems, key=lambda p: (p.severity is not Severity.error, p.field, p.code))


def _timeout_problems(policy: Policy) -> list[Problem]:
    problems: list[Problem] = []
    saves_nothing = (
        policy.ac.sleep_min is None
        and policy.ac.hibernate_min is None
        and policy.battery.sleep_min is None
        and policy.battery.hibernate_min is None
        and policy.night_shutdown is None
    )
    if saves_nothing:
        problems.append(
            Problem(
                Severity.error,
                "ac.sleep_min",
                "saves_nothing",
                "the policy never sleeps, hibernates or shuts down a PC, so it cannot save energy: "
                "set ac.sleep_min (e.g. 15) or a night_shutdown",
            )
        )
    elif policy.ac.sleep_min is None and policy.ac.hibernate_min is None:
        problems.append(
            Problem(
                Severity.warning,
                "ac.sleep_min",
                "never_sleeps_on_ac",
                "PCs on mains power (all desktops) never sleep when idle"
                + (" and are only shut down at night" if policy.night_shutdown else "")
                + ": set ac.sleep_min to save energy during the day",
            )
        )
    for source, timeouts in (("ac", policy.ac), ("battery", policy.battery)):
        problems.extend(_timeout_range_problems(source, timeouts))
    for name in ("screen_off_min", "sleep_min", "hibernate_min"):
        ac_value: int | None = getattr(policy.ac, name)
        battery_value: int | None = getattr(policy.battery, name)
        # 'never' on battery while AC has a timeout is the longest battery timeout there is.
        battery_longer = ac_value is not None and (battery_value is None or battery_value > ac_value)
        if battery_longer:
            shown = "never" if battery_value is None else f"{battery_value} min"
            problems.append(
                Problem(
                    Severity.warning,
                    f"battery.{name}",
                    "battery_longer_than_ac",
                    f"battery.{name} ({shown}) is longer than ac.{name} ({ac_value} min): laptops on "
                    "battery usually get the shorter timeout; allowed, but check it is intended",
                )
            )
    return problems


def _timeout_range_problems(source: str, timeouts: PowerTimeouts) -> list[Problem]:
    problems: list[Problem] = []
    sleep = timeouts.sleep_min
    if sleep is not None and sleep < SHORT_SLEEP_MIN:
        problems.append(
            Problem(
                Severity.warning,
                f"{source}.sleep_min",
                "sleep_very_short",
                f"{source}.sleep_min is {sleep} min: users reading or on a call will find their PC "
                f"asleep; {SHORT_SLEEP_MIN} min or more is usual",
            )
        )
    if sleep is not None and sleep > LONG_SLEEP_MIN:
        problems.append(
            Problem(
                Severity.warning,
                f"{source}.sleep_min",
                "sleep_very_long",
                f"{source}.sleep_min is {sleep} min: PCs idle for hours before sleeping, so the "
                "policy saves little; 15-60 min is usual",
            )
        )
    if timeouts.screen_off_min is not None and sleep is not None and timeouts.screen_off_min == sleep:
        problems.append(
            Problem(
                Severity.warning,
                f"{source}.screen_off_min",
                "screen_off_equals_sleep",
                f"{source}.screen_off_min equals {source}.sleep_min ({sleep} min): the screen gives no "
                "warning before the PC sleeps; a shorter screen-off lets users notice",
            )
        )
    return problems


def _minute_of_day(value: time) -> int:
    return value.hour * 60 + value.minute


def _clock(minute_of_day: int) -> str:
    minute_of_day %= MINUTES_PER_DAY
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


def _schedule_problems(policy: Policy) -> list[Problem]:
    problems: list[Problem] = []
    schedule = policy.schedule
    if schedule is None:
        return problems
    start = _minute_of_day(schedule.start)
    end = _minute_of_day(schedule.end)
    wake_at: int | None = None
    if policy.wake_up is not None:
        wake_at = start - policy.wake_up.minutes_before_start
        if wake_at < 0:
            problems.append(
                Problem(
                    Severity.error,
                    "wake_up.minutes_before_start",
                    "wake_up_previous_day",
                    f"waking {policy.wake_up.minutes_before_start} min before the {_clock(start)} start "
                    f"lands at {_clock(wake_at)} on the previous day, which may be a day off: use at most "
                    f"{start} min",
                )
            )
            wake_at = None
    shutdown = policy.night_shutdown
    if shutdown is None:
        return problems
    at = _minute_of_day(shutdown.at)
    if at == end:
        problems.append(
            Problem(
                Severity.warning,
                "night_shutdown.at",
                "shutdown_at_end_of_day",
                f"night_shutdown.at is the end of working hours ({_clock(end)}): people finishing late "
                "get shut down; an hour later is usual",
            )
        )
    # Latest moment a postponed shutdown can happen, measured forward from 'at' across midnight.
    latest = at + shutdown.warning_min + shutdown.max_postpone_min
    minutes_to_start = (start - at) % MINUTES_PER_DAY
    if latest - at > minutes_to_start:
        problems.append(
            Problem(
                Severity.warning,
                "night_shutdown.max_postpone_min",
                "postpone_into_working_hours",
                f"with {shutdown.warning_min} min of warning and up to {shutdown.max_postpone_min} min "
                f"of postponing, a shutdown at {_clock(at)} can happen as late as {_clock(latest)}, "
                f"after the {_clock(start)} start",
            )
        )
    if wake_at is not None and (at - wake_at) % MINUTES_PER_DAY < (start - wake_at) % MINUTES_PER_DAY:
        problems.append(
            Problem(
                Severity.error,
                "night_shutdown.at",
                "shutdown_after_wake_up",
                f"night_shutdown.at ({_clock(at)}) falls between the wake-up ({_clock(wake_at)}) and the "
                f"start of work ({_clock(start)}): PCs woken for the morning would be shut down again",
            )
        )
    return problems


def _exception_problems(policy: Policy) -> list[Problem]:
    problems: list[Problem] = []
    seen_groups: set[str] = set()
    for index, group in enumerate(policy.exceptions.exempt_groups):
        where = f"exceptions.exempt_groups[{index}]"
        segments = group.strip(GROUP_SEPARATOR).split(GROUP_SEPARATOR)
        if any(not s for s in segments):
            problems.append(
                Problem(
                    Severity.error,
                    where,
                    "group_empty_segment",
                    f"group {group!r} has an empty segment ('//' or nothing but '/'): write it as "
                    "'Root/Site/Department'",
                )
            )
        elif any(s != s.strip() for s in segments):
            problems.append(
                Problem(
                    Severity.error,
                    where,
                    "group_padded_segment",
                    f"group {group!r} has spaces around a segment, so it matches no device's group "
                    "path: remove them",
                )
            )
        elif "\\" in group or "=" in group:
            problems.append(
                Problem(
                    Severity.error,
                    where,
                    "group_not_a_path",
                    f"group {group!r} looks like a Windows or LDAP name (OU=...,DC=...); write the "
                    "group path with '/' from the root, e.g. 'ACME/Paris/Finance'",
                )
            )
        if group != group.strip(GROUP_SEPARATOR) and segments and all(segments):
            problems.append(
                Problem(
                    Severity.warning,
                    where,
                    "group_outer_separator",
                    f"group {group!r} starts or ends with '/', which is ignored",
                )
            )
        key = normalise_group(group)
        if key in seen_groups:
            problems.append(
                Problem(
                    Severity.warning,
                    where,
                    "group_duplicate",
                    f"group {group!r} is listed twice (group names ignore case)",
                )
            )
        seen_groups.add(key)
    keys = sorted(seen_groups)
    for outer in keys:
        for inner in keys:
            if inner != outer and inner.startswith(outer + GROUP_SEPARATOR):
                problems.append(
                    Problem(
                        Severity.warning,
                        "exceptions.exempt_groups",
                        "group_nested",
                        f"group {inner!r} lies inside {outer!r}, which is already exempt",
                    )
                )
    seen_processes: set[str] = set()
    for index, process in enumerate(policy.exceptions.allowed_processes):
        where = f"exceptions.allowed_processes[{index}]"
        name = process.strip()
        if name in {"*", "*.*", "*.exe"}:
            problems.append(
                Problem(
                    Severity.error,
                    where,
                    "process_wildcard",
                    f"{process!r} allows every process to keep PCs awake, which turns anti-insomnia off: "
                    "name the processes (e.g. 'Teams.exe')",
                )
            )
        elif "/" in name or "\\" in name:
            problems.append(
                Problem(
                    Severity.warning,
                    where,
                    "process_path",
                    f"{process!r} is a path; agents report process names only, so use "
                    f"{name.replace(chr(92), '/').rsplit('/', 1)[-1]!r}",
                )
            )
        elif name != process:
            problems.append(
                Problem(
                    Severity.warning,
                    where,
                    "process_padded",
                    f"{process!r} has spaces around it, so it matches no process: remove them",
                )
            )
        if name.casefold() in seen_processes:
            problems.append(
                Problem(
                    Severity.warning,
                    where,
                    "process_duplicate",
                    f"process {process!r} is listed twice (process names ignore case)",
                )
            )
        seen_processes.add(name.casefold())
    if not policy.anti_insomnia and policy.exceptions.allowed_processes:
        problems.append(
            Problem(
                Severity.warning,
                "exceptions.allowed_processes",
                "allowed_without_anti_insomnia",
                "anti_insomnia is off, so every process may keep PCs awake and this list changes "
                "nothing: turn anti_insomnia on or empty the list",
            )
        )
    return problems
