"""`veille demo --exit` end to end, and its figures against the simulator's ground truth.

The demo runs as an operator runs it (its own local stack and service processes). The reported
consumption of each phase and the saver group's kWh per device-day (baseline and Saver, per kind
and day type, the inputs of the savings), and the savings against the control group (difference in
differences), must match the energy the simulated fleet really used, from its minute-by-minute
states and veille_energy's model over the same device-days, within 1 %.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.infra, pytest.mark.timeout(1800)]

TOLERANCE = 0.01


def close(reported: float, truth: float) -> bool:
    return abs(reported - truth) <= TOLERANCE * abs(truth)


def test_demo_reports_what_the_simulated_fleet_really_used(tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    env = dict(os.environ)
    env.pop("VEILLE_KAFKA_BOOTSTRAP", None)
    env.pop("VEILLE_DATABASE_URL", None)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "veille_cli.main",
            "demo",
            "--exit",
            "--free-ports",
            "--devices",
            "120",
            "--summary-json",
            str(summary),
            "--workdir",
            str(tmp_path / "demo"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=1700,
    )
    assert run.returncode == 0, f"demo failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    assert "Dashboard: http://127.0.0.1:" in run.stdout

    result = json.loads(summary.read_text())
    report, truth = result["reported"], result["truth"]
    phase_kwh: dict[str, float] = {}
    for point in report["savings"]["daily"]:
        phase_kwh[point["phase"]] = phase_kwh.get(point["phase"], 0.0) + point["kwh"]
    for phase in ("viewer", "saver"):
        assert close(phase_kwh[phase], truth[phase]["kwh"]), (phase, phase_kwh[phase], truth[phase]["kwh"])

    compared = controlled = 0
    for kind in report["savings"]["kinds"]:
        for cell in kind["day_types"]:
            key = f"{kind['kind']}/{cell['day_type']}"
            base = truth["viewer"]["saver_group"].get(key)
            after = truth["saver"]["saver_group"].get(key)
            if not base or not after or cell["baseline_kwh_per_device_day"] is None:
                continue
            true_base = base["kwh"] / base["device_days"]
            true_after = after["kwh"] / after["device_days"]
            assert close(cell["baseline_kwh_per_device_day"], true_base), (key, cell, true_base)
            assert close(cell["reporting_kwh_per_device_day"], true_after), (key, cell, true_after)
            saved = cell["before_after_kwh_per_device_day"]
            assert close(saved, true_base - true_after), (key, saved, true_base - true_after)
            c_base = truth["viewer"]["control_group"].get(key)
            c_after = truth["saver"]["control_group"].get(key)
            if cell["control_adjusted_kwh_per_device_day"] is not None:
                # Difference in differences: the control group's own change taken out.
                assert c_base and c_after
                true_did = (true_base - true_after) - (
                    c_base["kwh"] / c_base["device_days"] - c_after["kwh"] / c_after["device_days"]
                )
                assert close(cell["control_adjusted_kwh_per_device_day"], true_did), (key, cell, true_did)
                controlled += 1
            compared += 1
    assert compared >= 2  # at least desktops and laptops on working days
    assert controlled >= 2  # the control group measured desktops and laptops on working days at least
    assert phase_kwh["saver"] < phase_kwh["viewer"]  # the policy saved energy
