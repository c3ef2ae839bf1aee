"""The benchmark script runs end to end on a tiny fleet and prints both rates."""

from __future__ import annotations

import pytest
from veille_agent.simulator.bench import main


def test_bench_prints_device_days_and_heartbeats_per_second(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--devices", "20", "--days", "1", "--period", "15"])
    out = capsys.readouterr().out
    assert "fleet: 20 devices" in out
    assert "states: 20 device-days" in out and "device-days/s" in out
    assert "heartbeats/s" in out
