"""`veille report`: fetch a project's feedback report from the reporting API, write HTML (and PDF)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated

import httpx
import typer

report_app = typer.Typer(
    help="The feedback report of a project (HTML, optional PDF through Chromium).",
    context_settings={"allow_interspersed_args": True},
)

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",
)


def fetch_report(api: str, token: str, project: str, timeout_s: float = 60.0) -> str:
    res = httpx.get(
        f"{api.rstrip('/')}/v1/projects/{project}/feedback.html",
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout_s,
    )
    if res.status_code != 200:
        raise RuntimeError(f"reporting API answered {res.status_code}: {res.text[:500]}")
    return res.text


def print_to_pdf(html_file: Path, pdf_file: Path, chromium: str = "chromium") -> None:
    exe = shutil.which(chromium) or chromium
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                exe,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--print-to-pdf={pdf_file}",
                html_file.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    if not pdf_file.exists() or pdf_file.read_bytes()[:4] != b"%PDF":
        raise RuntimeError(f"chromium wrote no PDF to {pdf_file}")


@report_app.callback(invoke_without_command=True)
def report(
    project: Annotated[str, typer.Argument(help="Project id.")],
    out: Annotated[
        Path | None, typer.Option(help="HTML file to write (default: <project>-feedback.html).")
    ] = None,
    pdf: Annotated[bool, typer.Option(help="Also print it to PDF with Chromium (same name, .pdf).")] = False,
    api: Annotated[str, typer.Option(envvar="VEILLE_REPORTING_URL", help="Reporting API base URL.")] = (
        "http://127.0.0.1:8104"
    ),
    token: Annotated[
        str | None, typer.Option(envvar="VEILLE_TOKEN", help="API token (or VEILLE_TOKEN).")
    ] = None,
    chromium: Annotated[str, typer.Option(help="Chromium executable for --pdf.")] = "chromium",
) -> None:
    """Write the feedback report ("bilan") of PROJECT as HTML, and as PDF with --pdf."""
    token = token or os.environ.get("VEILLE_OPERATOR_TOKEN")
    if not token:
        typer.echo("an API token is needed: --token or VEILLE_TOKEN", err=True)
        raise typer.Exit(2)
    try:
        html = fetch_report(api, token, project)
    except (RuntimeError, httpx.HTTPError) as exc:
        typer.echo(f"cannot fetch the report: {exc}", err=True)
        raise typer.Exit(1) from exc
    target = out or Path(f"{project}-feedback.html")
    target.write_text(html, encoding="utf-8")
    typer.echo(f"wrote {target}")
    if pdf:
        pdf_file = target.with_suffix(".pdf")
        print_to_pdf(target, pdf_file, chromium)
        typer.echo(f"wrote {pdf_file}")
