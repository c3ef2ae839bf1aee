from __future__ import annotations

from pydantic import Field
from veille_runtime.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    consumer_group: str = Field(
        default="veille-reporting",
        description="Kafka consumer group prefix. A new group with an empty schema rebuilds every "
        "table from offset 0 of the topics (VEILLE_CONSUMER_GROUP, VEILLE_DB_SCHEMA_SUFFIX).",
    )
