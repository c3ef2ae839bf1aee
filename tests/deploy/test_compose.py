"""docker-compose.yml cannot run here (no Docker engine): check what can be checked statically,
so that it stays consistent with the code and the local stack."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.main import get_command
from veille_cli.main import app as cli_app
from veille_cli.platform import SERVICES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SCALABLE = ("ingest", "policy", "projects", "reporting")


def settings_fields() -> set[str]:
    """Every VEILLE_* variable some service's settings read."""
    import importlib

    names: set[str] = set()
    for svc in SERVICES:
        module = importlib.import_module(f"veille_{svc}.settings")
        for obj in vars(module).values():
            if isinstance(obj, type) and hasattr(obj, "model_fields") and obj.__module__ == module.__name__:
                names |= {f"VEILLE_{name.upper()}" for name in obj.model_fields}
    return names


def test_the_four_services_and_infrastructure_are_defined() -> None:
    assert set(SCALABLE) | {"kafka", "postgres"} <= set(COMPOSE["services"])


@pytest.mark.parametrize("name", SCALABLE)
def test_scalable_service_has_no_fixed_name_or_single_host_port(name: str) -> None:
    svc = COMPOSE["services"][name]
    assert "container_name" not in svc
    for port in svc.get("ports", []):
        host = str(port).split(":")[0]
        assert "-" in host, f"{name}: host port {host} would stop `--scale {name}=2`"


@pytest.mark.parametrize("name", SCALABLE)
def test_service_runs_the_veille_cli_with_known_settings(name: str) -> None:
    svc = COMPOSE["services"][name]
    assert svc["command"][:3] == ["veille", "run", name]
    env = svc["environment"]
    unknown = set(env) - settings_fields()
    assert not unknown, f"{name}: variables no settings class reads: {unknown}"
    assert env["VEILLE_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert "healthcheck" in svc and "/health" in " ".join(svc["healthcheck"]["test"])


def test_every_cli_command_used_exists() -> None:
    commands = get_command(cli_app).commands  # type: ignore[attr-defined]
    for name, svc in COMPOSE["services"].items():
        command = svc.get("command")
        if command and command[0] == "veille":
            assert command[1] in commands, f"{name}: `veille {command[1]}` does not exist"


def test_dockerfile_copies_existing_paths() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for src in re.findall(r"^COPY (\S+)", dockerfile, flags=re.M):
        for part in src.split():
            assert (ROOT / part).exists(), f"Dockerfile copies missing {part}"
    assert COMPOSE["services"]["ingest"]["build"] == "."


# Variables the README documents that are read outside the services' settings classes.
NON_SETTINGS = {
    "VEILLE_HOME": "veille_localstack.paths",
    "VEILLE_KAFKA_VERSION": "veille_localstack.kafka",
    "VEILLE_TEST_INFRA": "tests/conftest.py",
    "VEILLE_OPERATOR_TOKEN": "veille_runtime.auth",
    "VEILLE_PROJECTS_URL": "veille_cli.projects",
    "VEILLE_POLICY_URL": "veille_cli.policy",
    "VEILLE_TOKEN": "veille_cli",
}


def test_readme_documents_only_variables_the_code_reads() -> None:
    documented = set(re.findall(r"VEILLE_[A-Z_]+[A-Z]", (ROOT / "README.md").read_text()))
    unknown = documented - settings_fields() - set(NON_SETTINGS)
    assert not unknown, f"README documents variables nothing reads: {sorted(unknown)}"
    sources = "\n".join(p.read_text() for p in ROOT.glob("**/*.py") if ".venv" not in p.parts)
    for name in NON_SETTINGS:
        if name in documented:
            assert name in sources, f"{name} is documented but never read"
