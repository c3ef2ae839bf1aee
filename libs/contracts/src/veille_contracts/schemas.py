"""JSON Schema export of every payload, and the backward-compatibility rules checked against it.

`python -m veille_contracts.schemas` rewrites `libs/contracts/schemas/`; the committed files are
what agents and integrators rely on, and tests/contracts checks that no change breaks them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .topics import ALL_TOPICS

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"

JsonSchema = dict[str, Any]


def payload_schemas() -> dict[str, JsonSchema]:
    """File name -> JSON Schema of each payload model, in validation mode."""
    out: dict[str, JsonSchema] = {}
    for spec in ALL_TOPICS:
        schema = spec.payload.model_json_schema(mode="validation")
        schema["$id"] = f"https://veille.dev/schemas/{spec.payload.__name__}.json"
        out[f"{spec.payload.__name__}.json"] = schema
    return dict(sorted(out.items()))


def render(schema: JsonSchema) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def export(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in payload_schemas().items():
        path = directory / name
        path.write_text(render(schema))
        written.append(path)
    return written


# --- backward compatibility -------------------------------------------------------------------
# A reader built against the old schema must keep accepting what new writers send, and a writer
# built against the old schema must keep being accepted. So, against the committed schema:
# no property removed, no new required property, no type/enum/bound narrowed.

_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems")


def _resolve(node: JsonSchema, root: JsonSchema) -> JsonSchema:
    seen = 0
    while "$ref" in node and seen < 50:
        ref = node["$ref"]
        if not ref.startswith("#/$defs/"):
            raise ValueError(f"unsupported $ref {ref}")
        node = root["$defs"][ref.removeprefix("#/$defs/")]
        seen += 1
    return node


def _types(node: JsonSchema, root: JsonSchema) -> set[str]:
    node = _resolve(node, root)
    if "anyOf" in node or "oneOf" in node:
        types: set[str] = set()
        for sub in node.get("anyOf") or node.get("oneOf") or []:
            types |= _types(sub, root)
        return types
    if "const" in node:
        return {type(node["const"]).__name__}
    if "type" in node:
        t = node["type"]
        return set(t) if isinstance(t, list) else {t}
    if "enum" in node:
        return {"enum"}
    return {"any"}


def _branches(node: JsonSchema, root: JsonSchema) -> list[JsonSchema]:
    node = _resolve(node, root)
    subs = node.get("anyOf") or node.get("oneOf")
    if subs:
        return [b for sub in subs for b in _branches(sub, root)]
    return [node]


def _enum_values(node: JsonSchema) -> set[Any] | None:
    if "enum" in node:
        return set(map(json.dumps, node["enum"]))
    if "const" in node:
        return {json.dumps(node["const"])}
    return None


def breaking_changes(old: JsonSchema, new: JsonSchema) -> list[str]:
    """Every change from `old` to `new` that breaks an existing reader or writer (empty: compatible)."""
    problems: list[str] = []
    _compare(old, new, old, new, "$", problems)
    return problems


def _compare(
    old: JsonSchema, new: JsonSchema, old_root: JsonSchema, new_root: JsonSchema, path: str, out: list[str]
) -> None:
    old = _resolve(old, old_root)
    new = _resolve(new, new_root)

    old_types, new_types = _types(old, old_root), _types(new, new_root)
    if "any" not in new_types and not old_types <= new_types:
        out.append(f"{path}: type narrowed from {sorted(old_types)} to {sorted(new_types)}")
        return

    old_branches, new_branches = _branches(old, old_root), _branches(new, new_root)
    if len(old_branches) > 1 or len(new_branches) > 1:
        # Pair each old branch with the new branch of the same type (e.g. X | null).
        for ob in old_branches:
            ot = _types(ob, old_root)
            match = next((nb for nb in new_branches if _types(nb, new_root) == ot), None)
            if match is not None:
                _compare(ob, match, old_root, new_root, path, out)
        return

    old_enum, new_enum = _enum_values(old), _enum_values(new)
    if old_enum is not None:
        if new_enum is not None and not old_enum <= new_enum:
            out.append(f"{path}: allowed values removed: {sorted(old_enum - new_enum)}")
    elif new_enum is not None:
        out.append(f"{path}: now restricted to values {sorted(new_enum)}")

    for key in _LOWER_BOUNDS:
        if key in new and (key not in old or new[key] > old[key]):
            out.append(f"{path}: {key} raised from {old.get(key)} to {new[key]}")
    for key in _UPPER_BOUNDS:
        if key in new and (key not in old or new[key] < old[key]):
            out.append(f"{path}: {key} lowered from {old.get(key)} to {new[key]}")
    if new.get("pattern") != old.get("pattern") and "pattern" in new:
        out.append(f"{path}: pattern changed from {old.get('pattern')!r} to {new['pattern']!r}")
    if new.get("format") != old.get("format") and "format" in new:
        out.append(f"{path}: format changed from {old.get('format')!r} to {new['format']!r}")

    old_props: dict[str, JsonSchema] = old.get("properties", {})
    new_props: dict[str, JsonSchema] = new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            out.append(f"{path}.{name}: property removed or renamed")
        else:
            _compare(old_prop, new_props[name], old_root, new_root, f"{path}.{name}", out)
    added_required = set(new.get("required", [])) - set(old.get("required", []))
    for name in sorted(added_required):
        out.append(f"{path}.{name}: newly required")
    if old.get("additionalProperties") is not False and new.get("additionalProperties") is False:
        out.append(f"{path}: additional properties now forbidden")

    if "items" in old and "items" in new:
        _compare(old["items"], new["items"], old_root, new_root, f"{path}[]", out)


def main() -> int:
    for path in export():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
