"""Energy model shared by policy (what a policy would save) and reporting (what was used).

Typical use::

    model = EnergyModel()                                   # public defaults, see profiles.py
    day = StateDurations.from_counters(seconds_on=32_400, seconds_active=18_000, seconds_asleep=0)
    model.kwh(day, DeviceKind.desktop, monitors=1).total_kwh
"""

from .model import (
    DAY_SECONDS,
    JOULES_PER_KWH,
    EnergyBreakdown,
    EnergyModel,
    ModelOverride,
    StateDurations,
    energy,
    local_day_seconds,
)
from .presentation import co2_kg, co2_kg_display, cost, kwh_display, money, round_half_up
from .profiles import (
    DEFAULT_MONITOR,
    DEFAULT_PROFILES,
    MonitorProfile,
    PowerProfile,
    PowerState,
    ProfileOverride,
)

__all__ = [
    "DAY_SECONDS",
    "DEFAULT_MONITOR",
    "DEFAULT_PROFILES",
    "JOULES_PER_KWH",
    "EnergyBreakdown",
    "EnergyModel",
    "ModelOverride",
    "MonitorProfile",
    "PowerProfile",
    "PowerState",
    "ProfileOverride",
    "StateDurations",
    "co2_kg",
    "co2_kg_display",
    "cost",
    "energy",
    "kwh_display",
    "local_day_seconds",
    "money",
    "round_half_up",
]
