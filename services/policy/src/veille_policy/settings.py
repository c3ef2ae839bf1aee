from __future__ import annotations

from pydantic import Field
from veille_runtime.settings import ServiceSettings


class PolicySettings(ServiceSettings):
    batch_max_records: int = Field(default=5000, ge=1, description="Records per consumed batch.")
    resend_min_interval_s: int = Field(
        default=1800, ge=0, description="Event time between two resends of a device's directive."
    )
    recommendation_max_devices: int = Field(
        default=2000, ge=1, description="Devices replayed per recommendation; above, a stated sample."
    )
    recommendation_workers: int = Field(default=1, ge=1, description="Processes that run replays.")
    recommendation_poll_s: float = Field(default=5.0, gt=0, description="Check for pending jobs this often.")
    disruption_budget: float = Field(
        default=0.5, ge=0, description="Returns to a sleeping PC per device-week the recommendation accepts."
    )
