"""Settings every service shares, read from the environment (prefix VEILLE_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """One variable per line of the README's configuration table; a service subclasses it."""

    model_config = SettingsConfigDict(env_prefix="VEILLE_", extra="ignore", frozen=True)

    kafka_bootstrap: str = Field(default="127.0.0.1:9092", description="Kafka bootstrap servers.")
    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/veille", description="PostgreSQL DSN (one server)."
    )
    topic_namespace: str = Field(
        default="", description="Prefix of every topic name (isolates environments)."
    )
    db_schema_suffix: str = Field(
        default="", description="Appended to each service's schema name (isolates environments)."
    )
    topic_partitions: int = Field(default=12, ge=1, description="Partitions of device-keyed topics.")
    topic_replication: int = Field(default=1, ge=1)
    create_topics: bool = Field(default=True, description="Create missing topics at start.")
    http_host: str = "127.0.0.1"
    http_port: int = 0
    log_level: str = "INFO"
    log_format: str = Field(default="json", description="json or console.")

    def schema_for(self, service: str) -> str:
        return f"{service}{self.db_schema_suffix}"
