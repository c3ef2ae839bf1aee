"""Composition root of policy: settings, runtime, broker, subscribers, ASGI app."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from veille_runtime.service import ServiceRuntime, asgi_app, new_broker, new_runtime

from ..settings import PolicySettings


def create_app(settings: PolicySettings | None = None) -> AsgiFastStream:
    settings = settings or PolicySettings()
    runtime: ServiceRuntime = new_runtime("policy", settings)
    broker = new_broker(runtime)
    return asgi_app(runtime, broker)
