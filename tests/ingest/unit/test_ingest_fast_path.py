"""Ingest's fast heartbeat decoder against the contract it stands in for.

The fast path (msgspec) may refuse what the contract accepts (the contract then decides), but must
never accept what the contract refuses, nor give other values: these tests generate valid
heartbeats, mutate them into hostile ones (out-of-range numbers, wrong types, odd timestamps,
missing and unknown fields, broken JSON) and compare both verdicts on every one.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from support.fleet import T0, heartbeat
from veille_contracts import Heartbeat, decode
from veille_ingest.domain.heartbeat import AcceptedHeartbeat, fast_accept, from_contract

CHECKS = settings(
    max_examples=1500, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
ZONES = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]


def contract_verdict(raw: bytes) -> AcceptedHeartbeat | None:
    try:
        return from_contract(decode(Heartbeat, raw))
    except ValidationError:
        return None


def assert_never_laxer(raw: bytes) -> AcceptedHeartbeat | None:
    fast = fast_accept(raw)
    if fast is not None:
        assert contract_verdict(raw) == fast, raw
    return fast


def stamp(at: datetime, style: str) -> str:
    if style == "Z":
        return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return at.isoformat()  # with its offset, microseconds when it has some


@st.composite
def valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    zone = draw(st.sampled_from(ZONES))
    start = draw(
        st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(zone))
    )
    period = draw(st.sampled_from([60, 300, 900, 3600]))
    end = start + timedelta(seconds=period)
    on = draw(st.floats(0, period))
    doc: dict[str, Any] = {
        "tenant_id": draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,20}", fullmatch=True)),
        "device_id": draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,40}", fullmatch=True)),
        "seq": draw(st.integers(0, 2**62)),
        "period_start": stamp(start, draw(st.sampled_from(["Z", "offset"]))),
        "period_end": stamp(end, draw(st.sampled_from(["Z", "offset"]))),
        "seconds_on": on,
        "seconds_active": draw(st.floats(0, on)),
        "seconds_asleep": draw(st.floats(0, period - on)),
    }
    if draw(st.booleans()):
        doc["schema_version"] = 1
    if draw(st.booleans()):
        doc["last_input_at"] = stamp(start + timedelta(seconds=draw(st.integers(-86400, period))), "offset")
    if draw(st.booleans()):
        doc["power_source"] = draw(st.sampled_from(["ac", "battery", "unknown"]))
    if draw(st.booleans()):
        doc["battery_percent"] = draw(st.one_of(st.none(), st.floats(0, 100)))
    if draw(st.booleans()):
        doc["policy_version"] = draw(st.one_of(st.none(), st.text(max_size=128)))
    if draw(st.booleans()):
        doc["sleep_blockers"] = [
            {"process": draw(st.text(min_size=1, max_size=30)), "seconds": draw(st.floats(0, period))}
            for _ in range(draw(st.integers(0, 3)))
        ]
    if draw(st.booleans()):
        minute = st.integers(0, period // 60 - 1)
        doc["input_minutes"] = draw(st.lists(minute, unique=True, max_size=min(60, period // 60)))
    return doc


ODD_STAMPS = [
    "2026-03-02T08:00:00",
    "2026-03-02T08:00:00.1234567Z",
    "2026-03-02T08:00:00.123456789+01:00",
    "2026-03-02t08:00:00z",
    "2026-03-02 08:00:00Z",
    "2026-03-02T08:00Z",
    "2026-03-02T08:00:60Z",
    "2026-03-02T08:00:00+0000",
    "2026-03-02T08:00:00-00:00",
    "2026-03-02T08:00:00,5Z",
    "2026-03-02T08:00:00+24:00",
    "20260302T080000Z",
    "2026-02-30T08:00:00Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59+14:00",
    "",
]
FIELDS = list(Heartbeat.model_fields)
hostile_values = st.one_of(
    st.sampled_from(
        [
            *(None, True, False, 0, -1, 1, 59, 60, 100, 101, 3600, 2**62, 2**62 + 1, 2**63, 1.0, -0.0, 0.5),
            *(3600.0000001, 100.00001, 1e308, "1", "ac", "AC", "pc-1\n", "pc 1", "é", "x" * 129, [], {}),
            *([1, 1], [0, 59], [60], [{"process": "a", "seconds": 1}], [{"process": "", "seconds": 1}]),
            *([{"process": "a", "seconds": 1, "x": 1}], [{"process": "a"}]),
            *ODD_STAMPS,
        ]
    ),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=140),
    st.lists(st.integers(-2, 70), max_size=70),
)


@st.composite
def hostile_messages(draw: st.DrawFn) -> bytes:
    doc = draw(valid_documents())
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["set", "set", "set", "drop", "unknown"]))
        name = draw(st.sampled_from(FIELDS))
        if action == "set":
            doc[name] = draw(hostile_values)
        elif action == "drop":
            doc.pop(name, None)
        else:
            doc[draw(st.text(min_size=1, max_size=10))] = 1
    raw = json.dumps(doc, ensure_ascii=draw(st.booleans())).encode()  # NaN/Infinity tokens included
    cut = draw(st.sampled_from(["whole", "whole", "truncated", "duplicate key", "trailing", "wrapped"]))
    if cut == "truncated":
        raw = raw[: draw(st.integers(0, len(raw) - 1))]
    elif cut == "duplicate key":
        raw = raw[:-1] + b', "seq": -1}' if draw(st.booleans()) else b'{"seq": -1, ' + raw[1:]
    elif cut == "trailing":
        raw += draw(st.sampled_from([b" ", b"\n", b"x", b"{}", b"\x00"]))
    elif cut == "wrapped":
        raw = b"[" + raw + b"]"
    return raw


@CHECKS
@given(valid_documents())
def test_the_fast_path_accepts_well_formed_heartbeats_with_the_contracts_values(doc: dict[str, Any]) -> None:
    raw = json.dumps(doc).encode()
    fast = assert_never_laxer(raw)
    expected = contract_verdict(raw)
    assert expected is not None, "the generator must make valid heartbeats"
    assert fast == expected


@CHECKS
@given(hostile_messages())
def test_the_fast_path_never_accepts_what_the_contract_refuses(raw: bytes) -> None:
    assert_never_laxer(raw)


@pytest.mark.parametrize("odd", ODD_STAMPS)
def test_odd_timestamps_get_the_contracts_verdict(odd: str) -> None:
    doc = json.loads(heartbeat("pc-1", 1).to_json_bytes())
    for field in ("period_start", "last_input_at"):
        assert_never_laxer(json.dumps({**doc, field: odd}).encode())


def test_the_fast_path_normalises_offsets_to_utc() -> None:
    doc = json.loads(heartbeat("pc-1", 1).to_json_bytes())
    start = T0.astimezone(timezone(timedelta(hours=2))).isoformat()
    fast = assert_never_laxer(json.dumps({**doc, "period_start": start}).encode())
    assert fast is not None and fast.period_start == T0 and fast.period_start.tzinfo is UTC


def test_a_newline_after_an_id_is_refused_like_the_contract_does() -> None:
    doc = json.loads(heartbeat("pc-1", 1).to_json_bytes())
    raw = json.dumps({**doc, "device_id": "pc-1\n"}).encode()
    assert fast_accept(raw) is None and contract_verdict(raw) is None


def _constraints(schema: dict[str, Any], node: Any, path: str, out: set[tuple[str, str, str]]) -> None:
    """Every bound of a JSON Schema as (path, keyword, value), refs resolved, null branches apart."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            _constraints(schema, (schema.get("$defs") or schema["definitions"])[name], path, out)
            return
        for keyword, value in node.items():
            if keyword in ("anyOf", "oneOf"):
                for branch in value:
                    _constraints(schema, branch, path, out)
            elif keyword == "properties":
                for name, sub in value.items():
                    _constraints(schema, sub, f"{path}.{name}", out)
            elif keyword == "items":
                _constraints(schema, value, f"{path}[]", out)
            elif keyword == "required":
                out.add((path, keyword, ",".join(sorted(value))))
            elif keyword == "pattern":
                out.add((path, keyword, re.sub(r"\\Z$", "$", value)))
            elif keyword == "const":
                out.add((path, "enum", json.dumps([value])))
            elif keyword in ("enum", "minimum", "maximum", "minLength", "maxLength", "maxItems", "format"):
                out.add((path, keyword, json.dumps(value)))


def test_the_fast_decoder_has_the_contracts_field_bounds() -> None:
    contract = Heartbeat.model_json_schema()
    (fast_schema,), defs = msgspec.json.schema_components([AcceptedHeartbeat])
    fast = {**fast_schema, "$defs": defs}
    mine: set[tuple[str, str, str]] = set()
    theirs: set[tuple[str, str, str]] = set()
    _constraints(fast, fast, "", mine)
    _constraints(contract, contract, "", theirs)
    assert mine == theirs
