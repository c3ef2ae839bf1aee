"""The device registry entry derived from an inventory message."""

from __future__ import annotations

from veille_contracts import DeviceRecord, Inventory


def registry_record(inventory: Inventory, first_seen: object | None = None) -> DeviceRecord:
    fields = inventory.model_dump(exclude={"schema_version", "observed_at"})
    return DeviceRecord(
        **fields,
        first_seen=first_seen or inventory.observed_at,  # type: ignore[arg-type]
        last_seen=inventory.observed_at,
    )
