"""Where the local stack keeps its downloads and data."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def veille_home() -> Path:
    """VEILLE_HOME, or ~/.cache/veille: Kafka jars (downloaded once) and local stack data."""
    return Path(os.environ.get("VEILLE_HOME") or Path.home() / ".cache" / "veille")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
