from __future__ import annotations

from pydantic import Field, SecretStr
from veille_runtime.settings import ServiceSettings


class ProjectsSettings(ServiceSettings):
    operator_token: SecretStr | None = Field(
        default=None,
        description="VEILLE_OPERATOR_TOKEN: bootstrap operator token (hashed at start).",
    )
    outbox_poll_s: float = Field(
        default=0.5, gt=0, description="Outbox relay poll interval (it is also woken)."
    )
    relay_enabled: bool = Field(default=True, description="Run the outbox relay in this process.")
    batch_max_records: int = Field(default=2000, ge=1)
