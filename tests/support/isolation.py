"""Per-test isolation on shared servers: a topic namespace and a schema suffix of its own."""

from __future__ import annotations

from dataclasses import dataclass

from veille_localstack import StackInfo


@dataclass(frozen=True)
class Isolation:
    """Names that keep one test's topics and schemas apart from every other test's."""

    infra: StackInfo
    namespace: str
    schema_suffix: str

    def env(self) -> dict[str, str]:
        return {
            **self.infra.env(),
            "VEILLE_TOPIC_NAMESPACE": self.namespace,
            "VEILLE_DB_SCHEMA_SUFFIX": self.schema_suffix,
            "VEILLE_TOPIC_PARTITIONS": "4",
        }

    def settings(self, cls: type, **overrides: object) -> object:
        values: dict[str, object] = {
            "kafka_bootstrap": self.infra.kafka_bootstrap,
            "database_url": self.infra.database_url,
            "topic_namespace": self.namespace,
            "db_schema_suffix": self.schema_suffix,
            "topic_partitions": 4,
            "log_format": "console",
            **overrides,
        }
        return cls(**values)

    def topic(self, spec: object) -> str:
        return spec.qualified(self.namespace)  # type: ignore[attr-defined, no-any-return]
