from __future__ import annotations

from veille_runtime.settings import ServiceSettings


class ProjectsSettings(ServiceSettings):
    pass
