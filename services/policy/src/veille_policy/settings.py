from __future__ import annotations

from veille_runtime.settings import ServiceSettings


class PolicySettings(ServiceSettings):
    pass
