"""Fleet simulator: synthetic PCs, their users' days, power policies enforced, heartbeats and ground truth.

Pure: no Kafka, no wall clock. Publishing is the agent SDK's job.
"""

from .behaviour import DayPlan, plan_day
from .engine import DeviceDayTruth, FleetSimulator, PowerRules
from .fleet import BlockerHabit, Device, EveningAction, Fleet, Habits

__all__ = [
    "BlockerHabit",
    "DayPlan",
    "Device",
    "DeviceDayTruth",
    "EveningAction",
    "Fleet",
    "FleetSimulator",
    "Habits",
    "PowerRules",
    "plan_day",
]
