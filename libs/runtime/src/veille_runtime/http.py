"""/health and /metrics, the same on every service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import orjson
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

HealthCheck = Callable[[], Awaitable[bool]]


async def health_report(checks: Mapping[str, HealthCheck]) -> tuple[int, bytes]:
    """Status code and JSON body: 200 when every dependency answers, 503 otherwise."""
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            ok = await check()
        except Exception:
            ok = False
        results[name] = "ok" if ok else "down"
    healthy = all(v == "ok" for v in results.values())
    body = {"status": "ok" if healthy else "degraded", "checks": results}
    return (200 if healthy else 503), orjson.dumps(body)


def metrics_payload(registry: CollectorRegistry) -> tuple[bytes, str]:
    return generate_latest(registry), CONTENT_TYPE_LATEST
