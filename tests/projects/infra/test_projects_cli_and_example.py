"""The `veille project` CLI against the running service, and the example subscriber printing the
stage events it caused."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from projects_support import OPERATOR_TOKEN, running
from support.isolation import Isolation
from typer.testing import CliRunner
from veille_cli.main import app

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


async def test_cli_drives_a_project_and_the_example_subscriber_prints_its_stages(
    isolation: Isolation,
) -> None:
    runner = CliRunner()
    async with running(isolation) as http:
        env = {"VEILLE_PROJECTS_URL": str(http.base_url), "VEILLE_TOKEN": OPERATOR_TOKEN}

        async def veille(*args: str) -> tuple[int, str, str]:
            result = await asyncio.to_thread(runner.invoke, app, ["project", *args], env=env)
            return result.exit_code, result.stdout, result.stderr

        code, out, err = await veille("create", str(EXAMPLES / "project.json"))
        assert code == 0, err
        assert json.loads(out)["project"]["stage"] == "kickoff"
        code, out, _ = await veille(
            "milestone", "poc-paris", "kickoff_held", "--at", "2099-01-01T09:00:00+01:00"
        )
        assert code == 0 and json.loads(out)["event"]["to_stage"] == "package_configuration"
        # A refusal: exit code 1 and the API's reason on stderr.
        code, _, err = await veille(
            "milestone", "poc-paris", "viewer_completed", "--at", "2099-01-02T09:00:00Z"
        )
        assert code == 1 and "HTTP 409" in err and "wrong_order" in err
        code, out, _ = await veille("list")
        assert code == 0 and out.split("\t")[:3] == ["poc-paris", "acme", "package_configuration"]
        code, out, _ = await veille("token", "issue", "--name", "it@acme.example", "--tenant", "acme")
        assert code == 0 and json.loads(out)["token"].startswith("vt_")
        code, _, err = await veille("--token", "vt_wrong", "list")
        assert code == 2 and "HTTP 401" in err

    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / "stage_subscriber.py"),
        "--bootstrap",
        isolation.infra.kafka_bootstrap,
        "--topic",
        f"{isolation.namespace}.veille.projects.stages.v1",
        "--from-beginning",
        "--max",
        "2",
        stdout=asyncio.subprocess.PIPE,
    )
    out_bytes, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    lines = out_bytes.decode().splitlines()
    assert (
        len(lines) == 2
        and "#0 - -> kickoff" in lines[0]
        and "#1 kickoff -> package_configuration" in lines[1]
    )
