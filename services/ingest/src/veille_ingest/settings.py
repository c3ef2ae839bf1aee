from __future__ import annotations

from pydantic import Field

from veille_runtime.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    batch_max_records: int = Field(default=5000, ge=1, description="Heartbeats per consumed batch.")
    max_future_s: int = Field(default=300, ge=0, description="Tolerated clock skew into the future.")
    max_past_s: int = Field(default=14 * 24 * 3600, ge=0, description="Oldest period accepted.")
