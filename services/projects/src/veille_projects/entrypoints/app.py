"""Composition root of projects: settings, runtime, broker, subscribers, HTTP API."""

from __future__ import annotations

from faststream_fastapi import FastStreamAPI
from veille_runtime.service import ServiceRuntime, fastapi_app, new_broker, new_fastapi, new_runtime

from ..settings import ProjectsSettings


def create_app(settings: ProjectsSettings | None = None) -> FastStreamAPI:
    settings = settings or ProjectsSettings()
    runtime: ServiceRuntime = new_runtime("projects", settings)
    broker = new_broker(runtime)
    api = new_fastapi(runtime, broker, title="Veille projects", description="Customer projects, stage by stage.")
    return fastapi_app(api, broker)
