"""The AsyncAPI document of projects, for integrators: `python -m veille_projects.asyncapi` rewrites
docs/asyncapi/projects.json (tests/projects checks that the committed file is up to date).

FastStream serves the live document at /asyncapi; this one also names every payload by its
contract (the subscribers take raw records, so FastStream cannot see their models).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from veille_contracts import Activity, DeadLetter, DeviceRecord, Milestone
from veille_contracts.base import Contract

from .entrypoints.app import create_app
from .settings import ProjectsSettings

DOC_PATH = Path(__file__).resolve().parents[4] / "docs" / "asyncapi" / "projects.json"

_PAYLOADS: dict[str, type[Contract]] = {
    "milestones:Message:Payload": Milestone,
    "fleet activity:Message:Payload": Activity,
    "device registry:Message:Payload": DeviceRecord,
    "refused milestones:Message:Payload": DeadLetter,
}


def document() -> dict[str, Any]:
    app = create_app(ProjectsSettings(kafka_bootstrap="localhost:9092", log_level="WARNING"))
    doc: dict[str, Any] = app.schema.to_specification().to_jsonable()
    doc["info"] = {
        "title": "Veille projects",
        "version": "1",
        "description": (
            "Customer projects, stage by stage: milestones in, stage events out. Stage events "
            "(veille.projects.stages.v1, key project_id) are published at least once from a transactional "
            "outbox; event_id '<project_id>:stage:<seq>' is stable, so drop an id already seen. Refused "
            "milestones go to veille.projects.dlq.v1 with their original bytes and the reason."
        ),
    }
    schemas: dict[str, Any] = doc.setdefault("components", {}).setdefault("schemas", {})
    for name, model in _PAYLOADS.items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for def_name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(def_name, definition)
        schemas[name] = schema
    return doc


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOC_PATH.write_text(render())
    print(DOC_PATH)
    return 0


if __name__ == "__main__":
    sys.exit(main())
