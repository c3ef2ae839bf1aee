"""Configuration of ingest (environment variables VEILLE_<NAME>, see the README's table)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator
from veille_runtime.settings import ServiceSettings


class UnknownDeviceMode(StrEnum):
    hold = "hold"  # keep the heartbeat until the device's inventory arrives (bounded, then dead letter)
    reject = "reject"  # dead-letter it at once


class IngestSettings(ServiceSettings):
    batch_max_records: int = Field(default=20_000, ge=1, description="Records per consumed batch.")
    write_chunk_records: int = Field(
        default=5000,
        ge=1,
        description="Heartbeats per write (one transaction); a chunk is written while the next is validated.",
    )
    writes_in_flight: int = Field(
        default=2,
        ge=1,
        le=8,
        description="Chunk writes of a batch that may run at once (each its own transaction and publisher).",
    )
    batch_timeout_ms: int = Field(default=200, ge=1, description="Longest wait for a batch to fill.")
    max_future_s: int = Field(default=300, ge=0, description="Tolerated clock skew into the future.")
    max_past_s: int = Field(default=14 * 24 * 3600, ge=0, description="Oldest period accepted.")
    unknown_device_mode: UnknownDeviceMode = Field(
        default=UnknownDeviceMode.hold,
        description="Heartbeat of a device with no inventory: hold it until enrolled, or reject it.",
    )
    hold_max_s: float = Field(
        default=600, gt=0, description="How long a held heartbeat waits for its inventory (wall clock)."
    )
    hold_max_rows: int = Field(
        default=1_000_000, ge=0, description="Capacity of the holding area; beyond it, dead letters."
    )
    sweep_interval_s: float = Field(
        default=1.0, gt=0, description="How often held heartbeats are released or expired."
    )
    heartbeat_retention_days: int = Field(
        default=35, ge=1, description="Days of heartbeats kept (event time); older daily partitions dropped."
    )
    maintenance_interval_s: float = Field(default=300, gt=0, description="How often retention runs.")
    retry_budget_s: float = Field(
        default=60, gt=0, description="How long a batch retries a database or broker outage before a nack."
    )
    retry_max_backoff_s: float = Field(default=5, gt=0)
    max_poll_interval_ms: int = Field(default=300_000, ge=10_000)
    rebalance_timeout_ms: int = Field(default=30_000, ge=1_000)
    revoke_wait_s: float = Field(
        default=20, gt=0, description="On a rebalance, how long to wait for the batch in flight to finish."
    )
    publish_linger_ms: int = Field(default=5, ge=0)
    # zstd, not lz4: aiokafka compresses lz4 at level 9 (HC), ~1.6 µs per activity event against
    # ~0.6 µs for zstd, which also compresses these events better (measured on activity JSON).
    publish_compression: str = Field(default="zstd", description="none, gzip, snappy, lz4 or zstd.")

    @model_validator(mode="after")
    def _coherent(self) -> IngestSettings:
        if self.max_past_s > self.heartbeat_retention_days * 86400:
            raise ValueError("max_past_s must not exceed heartbeat_retention_days")
        if self.retry_budget_s * 1000 >= self.max_poll_interval_ms:
            raise ValueError("retry_budget_s must stay below max_poll_interval_ms")
        if self.revoke_wait_s * 1000 >= self.rebalance_timeout_ms:
            raise ValueError("revoke_wait_s must stay below rebalance_timeout_ms")
        return self
