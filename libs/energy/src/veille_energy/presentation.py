"""Money, CO2 and kWh: computed as floats, rounded once, when shown.

Rounding rule: the float is read through its shortest decimal representation (``repr``), so
1.005 is 1.005 and not 1.00499999999999989..., then quantised with ROUND_HALF_UP: money to the
cent, kWh and kg of CO2 to one decimal. Sums are made on the floats, never on rounded figures.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def cost(kwh: float, kwh_cost: float) -> float:
    """Price of ``kwh`` at ``kwh_cost`` per kWh, unrounded."""
    return kwh * kwh_cost


def co2_kg(kwh: float, carbon_kg_per_kwh: float) -> float:
    """kg of CO2 emitted for ``kwh`` with the project's carbon factor, unrounded."""
    return kwh * carbon_kg_per_kwh


def round_half_up(value: float, quantum: Decimal) -> Decimal:
    if not math.isfinite(value):
        raise ValueError(f"cannot present {value!r}")
    return Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP)


def money(amount: float) -> Decimal:
    """An amount of money to the cent, half up (2.675 -> 2.68; -2.675 -> -2.68)."""
    return round_half_up(amount, CENT)


def kwh_display(kwh: float) -> Decimal:
    return round_half_up(kwh, TENTH)


def co2_kg_display(kg: float) -> Decimal:
    return round_half_up(kg, TENTH)
