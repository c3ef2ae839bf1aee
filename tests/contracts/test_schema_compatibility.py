"""Committed JSON Schemas are the public API: a change may widen them, never break them."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from veille_contracts.schemas import SCHEMA_DIR, breaking_changes, payload_schemas, render

CURRENT = payload_schemas()


def committed(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / name).read_text())  # type: ignore[no-any-return]


def test_every_payload_has_a_committed_schema() -> None:
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.json")) == sorted(CURRENT)


@pytest.mark.parametrize("name", sorted(CURRENT))
def test_current_models_do_not_break_committed_schema(name: str) -> None:
    problems = breaking_changes(committed(name), CURRENT[name])
    assert problems == [], (
        f"{name} breaks its committed schema (publish a new topic version instead): {problems}"
    )


@pytest.mark.parametrize("name", sorted(CURRENT))
def test_committed_schema_is_up_to_date(name: str) -> None:
    # A compatible change must be exported (python -m veille_contracts.schemas) and committed,
    # so that the next change is checked against it.
    assert (SCHEMA_DIR / name).read_text() == render(CURRENT[name])


# --- the checker itself, on deliberately broken copies of the real heartbeat schema -----------

HEARTBEAT = CURRENT["Heartbeat.json"]


def broken(mutate: Any) -> list[str]:
    new = copy.deepcopy(HEARTBEAT)
    mutate(new)
    return breaking_changes(HEARTBEAT, new)


def test_identical_schema_is_compatible() -> None:
    assert breaking_changes(HEARTBEAT, copy.deepcopy(HEARTBEAT)) == []


def test_removed_field_breaks() -> None:
    assert any(
        "seconds_on: property removed" in p for p in broken(lambda s: s["properties"].pop("seconds_on"))
    )


def test_renamed_field_breaks() -> None:
    def rename(s: dict[str, Any]) -> None:
        s["properties"]["seconds_powered"] = s["properties"].pop("seconds_on")
        s["required"] = [("seconds_powered" if r == "seconds_on" else r) for r in s["required"]]

    problems = broken(rename)
    assert any("seconds_on: property removed" in p for p in problems)
    assert any("seconds_powered: newly required" in p for p in problems)


def test_new_required_field_breaks_but_new_optional_field_does_not() -> None:
    def add_required(s: dict[str, Any]) -> None:
        s["properties"]["site"] = {"type": "string"}
        s["required"].append("site")

    assert any("site: newly required" in p for p in broken(add_required))
    assert broken(lambda s: s["properties"].update({"site": {"type": "string"}})) == []


def test_narrowed_type_breaks() -> None:
    assert any(
        "type narrowed" in p for p in broken(lambda s: s["properties"]["seconds_on"].update(type="integer"))
    )


def test_optional_field_made_non_nullable_breaks() -> None:
    problems = broken(lambda s: s["properties"].update(policy_version={"type": "string", "maxLength": 128}))
    assert any("policy_version: type narrowed" in p for p in problems)


def test_tightened_bounds_break_and_loosened_ones_do_not() -> None:
    assert any(
        "maximum lowered" in p for p in broken(lambda s: s["properties"]["seconds_on"].update(maximum=60))
    )
    assert any("minimum raised" in p for p in broken(lambda s: s["properties"]["seq"].update(minimum=1)))
    assert broken(lambda s: s["properties"]["seconds_on"].update(maximum=7200)) == []


def test_removed_enum_value_breaks_and_added_one_does_not() -> None:
    def drop_battery(s: dict[str, Any]) -> None:
        s["$defs"]["PowerSource"]["enum"].remove("battery")

    assert any("allowed values removed" in p for p in broken(drop_battery))
    assert broken(lambda s: s["$defs"]["PowerSource"]["enum"].append("ups")) == []


def test_nested_model_change_is_found_through_refs() -> None:
    problems = broken(lambda s: s["$defs"]["SleepBlocker"]["properties"].pop("process"))
    assert any("sleep_blockers[].process: property removed" in p for p in problems)
