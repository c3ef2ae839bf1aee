"""The AsyncAPI document committed for integrators matches the service."""

from __future__ import annotations

from veille_projects.asyncapi import DOC_PATH, document, render


def test_committed_asyncapi_document_is_up_to_date() -> None:
    assert DOC_PATH.read_text() == render(), "run: uv run python -m veille_projects.asyncapi"


def test_document_names_every_topic_and_its_contract() -> None:
    doc = document()
    addresses = {c["address"] for c in doc["channels"].values()}
    assert addresses == {
        "veille.projects.milestones.v1",
        "veille.projects.stages.v1",
        "veille.projects.dlq.v1",
        "veille.fleet.devices.v1",
        "veille.fleet.activity.v1",
        "veille.auth.tokens.v1",
    }
    schemas = doc["components"]["schemas"]
    assert "event_id" in schemas["StageChange"]["properties"]
    assert schemas["milestones:Message:Payload"]["title"] == "Milestone"
