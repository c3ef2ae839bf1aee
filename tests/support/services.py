"""Run a service's ASGI app in this process, on a free port, as uvicorn would."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn
from veille_localstack.paths import free_port


@contextlib.asynccontextmanager
async def serve(app: Any, *, timeout_s: float = 60.0) -> AsyncIterator[str]:
    """Start `app` (lifespan included), wait for /health, yield its base URL, then stop it."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=2) as client:
            for _ in range(int(timeout_s / 0.2)):
                if task.done():
                    task.result()
                    raise RuntimeError("service stopped during start")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/health")).status_code == 200:
                        break
                await asyncio.sleep(0.2)
            else:
                raise TimeoutError(f"service at {url} not healthy after {timeout_s}s")
        yield url
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)
