"""Which Kafka and PostgreSQL the CLI's commands talk to."""

from __future__ import annotations

import os

import typer
from veille_localstack import read_state
from veille_localstack.stack import stack_running


def infrastructure_env() -> dict[str, str]:
    """The environment's URLs if given, else those of the running local stack."""
    env = {k: v for k in ("VEILLE_KAFKA_BOOTSTRAP", "VEILLE_DATABASE_URL") if (v := os.environ.get(k))}
    if len(env) < 2:
        info = read_state()
        if info is None or not stack_running(info):
            typer.echo(
                "No infrastructure: run `veille stack up` or set VEILLE_KAFKA_BOOTSTRAP and "
                "VEILLE_DATABASE_URL.",
                err=True,
            )
            raise typer.Exit(2)
        env = {**info.env(), **env}
    return env
