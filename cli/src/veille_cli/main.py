"""`veille`: run the local infrastructure, the services, and (later) demos and reports."""

from __future__ import annotations

import os
import secrets
import signal
import sys
import time
from typing import Annotated

import typer
from veille_localstack import LocalStack, fetch_kafka, read_state, stack_down, stack_up
from veille_localstack.paths import veille_home
from veille_localstack.stack import stack_running

from . import policy as policy_cli
from . import projects as projects_cli
from .demo import demo_app
from .infra import infrastructure_env
from .platform import DEFAULT_PORTS, SERVICES, Platform, service_command
from .report import report_app
from .simulate import simulate_app

app = typer.Typer(help="Veille: measure and cut the electricity wasted by PCs.", no_args_is_help=True)
stack_app = typer.Typer(help="The local infrastructure: Kafka (KRaft) and PostgreSQL, no Docker.")
app.add_typer(stack_app, name="stack")
app.add_typer(projects_cli.app, name="project")
app.add_typer(demo_app, name="demo")
app.add_typer(report_app, name="report")
app.add_typer(simulate_app, name="simulate")
app.add_typer(policy_cli.app, name="policy")


@stack_app.command("fetch")
def stack_fetch() -> None:
    """Download the Kafka broker's jars from Maven Central (once; needs Java 17 and Maven)."""
    typer.echo(f"Kafka jars in {fetch_kafka()}")


@stack_app.command("up")
def stack_up_cmd(fresh: Annotated[bool, typer.Option(help="Delete the stack's data first.")] = False) -> None:
    """Start Kafka and PostgreSQL in the background (reused if already running)."""
    info = stack_up(fresh=fresh)
    for key, value in info.env().items():
        typer.echo(f"export {key}={value}")


@stack_app.command("down")
def stack_down_cmd() -> None:
    """Stop the background Kafka and PostgreSQL."""
    typer.echo("stopped" if stack_down() else "no local stack running")


@stack_app.command("status")
def stack_status() -> None:
    """Say whether the background stack runs, and where."""
    info = read_state()
    if info is None or not stack_running(info):
        typer.echo("down")
        raise typer.Exit(1)
    typer.echo(f"up: kafka {info.kafka_bootstrap}, postgres {info.database_url}")


@app.command("run")
def run_service(
    service: Annotated[str, typer.Argument(help=f"One of: {', '.join(SERVICES)}")],
    port: Annotated[int | None, typer.Option(help="HTTP port (/health, /metrics, API).")] = None,
    host: str = "127.0.0.1",
) -> None:
    """Run one service in the foreground (scale out by running more: they share the consumer group)."""
    if service not in SERVICES:
        typer.echo(f"unknown service {service!r}; one of {', '.join(SERVICES)}", err=True)
        raise typer.Exit(2)
    env = {**os.environ, **infrastructure_env()}
    cmd = service_command(service, host, port or DEFAULT_PORTS[service])
    os.execvpe(cmd[0], cmd, env)


@app.command("up")
def up(
    fresh: Annotated[bool, typer.Option(help="Start from empty Kafka and PostgreSQL data.")] = False,
) -> None:
    """Start the infrastructure and all four services in the foreground; Ctrl-C stops everything."""
    stack = LocalStack(fresh=fresh)
    typer.echo("Starting Kafka and PostgreSQL...")
    info = stack.start()
    # Without a bootstrap operator token nobody could call the HTTP APIs (or issue other tokens).
    token = os.environ.get("VEILLE_OPERATOR_TOKEN") or f"vt_{secrets.token_urlsafe(32)}"
    platform = Platform(env={**info.env(), "VEILLE_OPERATOR_TOKEN": token}, log_dir=veille_home() / "logs")
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        platform.start()
        typer.echo(f"Kafka {info.kafka_bootstrap}   PostgreSQL {info.database_url}")
        for name, svc in platform.processes.items():
            typer.echo(f"  {name:<10} {svc.url}  (/health /metrics)  log: {svc.log_path}")
        typer.echo(f"Operator token (VEILLE_OPERATOR_TOKEN): {token}")
        typer.echo("All services healthy. Ctrl-C stops everything.")
        while not stopping:
            for name, svc in platform.processes.items():
                if svc.process.poll() is not None:
                    typer.echo(f"{name} exited with {svc.process.returncode}; see {svc.log_path}", err=True)
                    stopping = True
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        # Ctrl-C reaches every process of the terminal's group, often more than once (uv forwards
        # it too): cleanup must not be interrupted, or servers are left behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        typer.echo("Stopping services...")
        platform.stop()
        typer.echo("Stopping Kafka and PostgreSQL...")
        stack.stop()
        typer.echo("Stopped.")


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    app()
