"""Policy validation beyond the contract, and the policy version (content hash)."""

from __future__ import annotations

import hashlib
import json
from datetime import time
from typing import Any

import pytest
from policy_fixtures import UTC_SCHEDULE, make_policy
from veille_contracts import NightShutdown, PolicyExceptions, PowerTimeouts, WakeUp, WorkingSchedule
from veille_policy.domain.validation import Severity, has_errors, policy_version, validate_policy

Code = tuple[str, str, str]
POSTPONE_LATE = ("warning", "night_shutdown.max_postpone_min", "postpone_into_working_hours")
PROC0, PROC1, PROCS = (
    "exceptions.allowed_processes[0]",
    "exceptions.allowed_processes[1]",
    "exceptions.allowed_processes",
)
VEEAM = "C:\\Program Files\\Veeam\\veeam.exe"


def codes(**changes: Any) -> set[tuple[str, str, str]]:
    return {(p.severity.value, p.field, p.code) for p in validate_policy(make_policy(**changes))}


def test_a_sensible_policy_has_no_problem() -> None:
    assert validate_policy(make_policy()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # Battery longer than AC is allowed, with a warning per timeout.
        (
            {"battery": PowerTimeouts(screen_off_min=5, sleep_min=30)},
            {("warning", "battery.sleep_min", "battery_longer_than_ac")},
        ),
        # 'never' on battery while AC sleeps is the longest battery timeout there is.
        (
            {"battery": PowerTimeouts(screen_off_min=5)},
            {("warning", "battery.sleep_min", "battery_longer_than_ac")},
        ),
        (
            {"ac": PowerTimeouts(screen_off_min=2, sleep_min=3), "battery": PowerTimeouts(sleep_min=3)},
            {
                ("warning", "ac.sleep_min", "sleep_very_short"),
                ("warning", "battery.sleep_min", "sleep_very_short"),
                ("warning", "battery.screen_off_min", "battery_longer_than_ac"),
            },
        ),
        (
            {"ac": PowerTimeouts(sleep_min=300), "battery": PowerTimeouts(sleep_min=30)},
            {("warning", "ac.sleep_min", "sleep_very_long")},
        ),
        (
            {"ac": PowerTimeouts(screen_off_min=15, sleep_min=15), "battery": PowerTimeouts(sleep_min=10)},
            {
                ("warning", "ac.screen_off_min", "screen_off_equals_sleep"),
                ("warning", "battery.screen_off_min", "battery_longer_than_ac"),
            },
        ),
        (
            {"ac": PowerTimeouts(screen_off_min=5), "battery": PowerTimeouts(screen_off_min=5)},
            {("error", "ac.sleep_min", "saves_nothing")},
        ),
        (
            {
                "ac": PowerTimeouts(),
                "battery": PowerTimeouts(),
                "schedule": UTC_SCHEDULE,
                "night_shutdown": NightShutdown(at=time(20, 0)),
            },
            {("warning", "ac.sleep_min", "never_sleeps_on_ac")},
        ),
    ],
)
def test_timeout_problems(changes: dict[str, Any], expected: set[tuple[str, str, str]]) -> None:
    assert codes(**changes) == expected


def test_wake_up_before_midnight_of_the_previous_day_is_an_error() -> None:
    # Start 02:00, wake 150 min before: 23:30 on the previous day (maybe a Sunday).
    schedule = WorkingSchedule(timezone="UTC", start=time(2, 0), end=time(12, 0))
    problems = validate_policy(make_policy(schedule=schedule, wake_up=WakeUp(minutes_before_start=150)))
    assert [(p.severity, p.code) for p in problems] == [(Severity.error, "wake_up_previous_day")]
    assert "23:30" in problems[0].message and "at most 120 min" in problems[0].message
    # Exactly midnight is still the same day.
    assert validate_policy(make_policy(schedule=schedule, wake_up=WakeUp(minutes_before_start=120))) == []


@pytest.mark.parametrize(
    ("at", "warning_min", "postpone_min", "wake_min", "expected"),
    [
        (time(19, 0), 5, 60, 15, set()),
        # At the end of working hours: people finishing late get shut down.
        (time(18, 0), 5, 60, None, {("warning", "night_shutdown.at", "shutdown_at_end_of_day")}),
        # 07:30 + 5 + 60 = 08:35, after the 08:00 start.
        (
            time(7, 30),
            5,
            60,
            None,
            {POSTPONE_LATE},
        ),
        (time(7, 30), 0, 30, None, set()),
        # Between the 07:45 wake-up and the 08:00 start: woken PCs shut down again.
        (time(7, 50), 0, 0, 15, {("error", "night_shutdown.at", "shutdown_after_wake_up")}),
        (time(7, 50), 0, 0, 5, set()),
        # 01:00 is after midnight but long before the wake-up: fine.
        (time(1, 0), 5, 60, 15, set()),
    ],
)
def test_schedule_problems(
    at: time, warning_min: int, postpone_min: int, wake_min: int | None, expected: set[tuple[str, str, str]]
) -> None:
    found = codes(
        schedule=UTC_SCHEDULE,
        night_shutdown=NightShutdown(at=at, warning_min=warning_min, max_postpone_min=postpone_min),
        wake_up=WakeUp(minutes_before_start=wake_min) if wake_min is not None else None,
    )
    assert found == expected


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        (["ACME/Paris/Finance"], set()),
        (["ACME//Finance"], {("error", "exceptions.exempt_groups[0]", "group_empty_segment")}),
        (["/"], {("error", "exceptions.exempt_groups[0]", "group_empty_segment")}),
        (["ACME/ Paris"], {("error", "exceptions.exempt_groups[0]", "group_padded_segment")}),
        (["OU=Finance,DC=acme"], {("error", "exceptions.exempt_groups[0]", "group_not_a_path")}),
        (["ACME\\Paris"], {("error", "exceptions.exempt_groups[0]", "group_not_a_path")}),
        (["/ACME/Paris/"], {("warning", "exceptions.exempt_groups[0]", "group_outer_separator")}),
        (["ACME/Paris", "acme/paris"], {("warning", "exceptions.exempt_groups[1]", "group_duplicate")}),
        (["ACME/Paris", "ACME/Paris/Finance"], {("warning", "exceptions.exempt_groups", "group_nested")}),
        (["ACME/Paris", "ACME/Parisian"], set()),
    ],
)
def test_exempt_group_syntax(groups: list[str], expected: set[tuple[str, str, str]]) -> None:
    assert codes(exceptions=PolicyExceptions(exempt_groups=groups)) == expected


@pytest.mark.parametrize(
    ("processes", "anti_insomnia", "expected"),
    [
        (["Teams.exe", "backup.exe"], True, set()),
        (["*"], True, {("error", PROC0, "process_wildcard")}),
        (
            [VEEAM],
            True,
            {("warning", PROC0, "process_path")},
        ),
        ([" Teams.exe"], True, {("warning", PROC0, "process_padded")}),
        (
            ["Teams.exe", "teams.EXE"],
            True,
            {("warning", PROC1, "process_duplicate")},
        ),
        (
            ["Teams.exe"],
            False,
            {("warning", PROCS, "allowed_without_anti_insomnia")},
        ),
    ],
)
def test_allowed_processes(
    processes: list[str], anti_insomnia: bool, expected: set[tuple[str, str, str]]
) -> None:
    found = codes(exceptions=PolicyExceptions(allowed_processes=processes), anti_insomnia=anti_insomnia)
    assert found == expected


def test_path_warning_names_the_process_to_use() -> None:
    policy = make_policy(exceptions=PolicyExceptions(allowed_processes=["C:\\Veeam\\veeam.exe"]))
    assert "'veeam.exe'" in validate_policy(policy)[0].message


def test_errors_come_first_and_has_errors_sees_them() -> None:
    policy = make_policy(
        battery=PowerTimeouts(screen_off_min=5, sleep_min=30),
        exceptions=PolicyExceptions(exempt_groups=["A//B"]),
    )
    problems = validate_policy(policy)
    assert [p.severity for p in problems] == [Severity.error, Severity.warning]
    assert has_errors(problems)
    assert not has_errors(problems[1:])


def test_policy_version_is_the_sha256_of_the_canonical_json() -> None:
    policy = make_policy()
    canonical = json.dumps(policy.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    assert policy_version(policy) == hashlib.sha256(canonical.encode()).hexdigest()[:16]
    assert len(policy_version(policy)) == 16


def test_policy_version_is_stable_and_changes_with_content() -> None:
    # Built twice, fields given in another order, and round-tripped through the wire: same version.
    first = make_policy()
    again = make_policy(battery=PowerTimeouts(sleep_min=10, screen_off_min=5))
    from_wire = type(first).model_validate_json(first.to_json_bytes())
    assert policy_version(first) == policy_version(again) == policy_version(from_wire)
    changed = make_policy(ac=PowerTimeouts(screen_off_min=5, sleep_min=20))
    assert policy_version(changed) != policy_version(first)
