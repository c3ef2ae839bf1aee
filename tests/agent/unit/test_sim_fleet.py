"""The synthetic fleet: deterministic, realistic in its split, and valid as Inventory messages."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from veille_agent.simulator import EveningAction, Fleet
from veille_contracts import DeviceKind, Inventory, decode

START = date(2025, 3, 3)


def test_same_seed_same_fleet_other_seed_other_fleet() -> None:
    assert Fleet.generate(1, 300, "acme", START) == Fleet.generate(1, 300, "acme", START)
    assert Fleet.generate(1, 300, "acme", START) != Fleet.generate(2, 300, "acme", START)


def test_kind_split_follows_the_shares_exactly() -> None:
    # 60 % / 38 % / 2 % of 1,000 = 600 / 380 / 20; of 50: 30 / 19 / 1
    for size, expected in [(1000, (600, 380, 20)), (50, (30, 19, 1))]:
        kinds = Counter(d.kind for d in Fleet.generate(3, size, "acme", START).devices)
        assert (
            kinds[DeviceKind.desktop],
            kinds[DeviceKind.laptop],
            kinds[DeviceKind.workstation],
        ) == expected


def test_devices_have_unique_ids_and_hostnames_and_org_group_paths() -> None:
    fleet = Fleet.generate(4, 2000, "acme", START)
    assert len({d.device_id for d in fleet.devices}) == 2000
    assert len({d.hostname for d in fleet.devices}) == 2000
    assert all(d.group_path == f"ACME/{d.site}/{d.department}" for d in fleet.devices)
    assert len({d.site for d in fleet.devices}) == 4
    assert len({d.department for d in fleet.devices}) == 8


def test_habits_and_settings_are_varied_like_a_real_fleet() -> None:
    fleet = Fleet.generate(5, 2000, "acme", START)
    desktops = [d for d in fleet.devices if d.kind is DeviceKind.desktop]
    laptops = [d for d in fleet.devices if d.kind is DeviceKind.laptop]
    never_sleep = sum(d.sleep_timeout_ac_s == 0 for d in desktops) / len(desktops)
    assert 0.5 < never_sleep < 0.7  # ~60 % of desktops have sleep disabled
    assert all(d.sleep_timeout_dc_s is None for d in desktops)
    assert all(d.sleep_timeout_dc_s for d in laptops)
    left_on = sum(d.habits.evening_action is EveningAction.leave_on for d in desktops) / len(desktops)
    assert 0.4 < left_on < 0.6
    assert all(d.habits.evening_action is not EveningAction.take_home for d in desktops)
    assert sum(bool(d.habits.blockers) for d in fleet.devices) > 0.2 * len(fleet)
    assert len({d.habits.arrival_min for d in fleet.devices}) > 100


def test_inventory_messages_pass_the_contract_and_round_trip() -> None:
    fleet = Fleet.generate(6, 200, "acme", START)
    at = datetime(2025, 3, 3, 7, 0, tzinfo=UTC)
    messages = fleet.inventory(at)
    assert len(messages) == 200
    for device, message in zip(fleet.devices, messages, strict=True):
        assert decode(Inventory, message.to_json_bytes()) == message
        assert (message.device_id, message.kind, message.group_path) == (
            device.device_id,
            device.kind,
            device.group_path,
        )
        assert message.agent_manager_id.startswith("am-")
    # default observation time: 08:00 in Paris on the start date (CET, UTC+1)
    assert fleet.inventory()[0].observed_at == datetime(2025, 3, 3, 7, 0, tzinfo=UTC)
