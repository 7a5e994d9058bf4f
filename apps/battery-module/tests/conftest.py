from __future__ import annotations

from typing import Any

import pytest
from battery_module import BatteryAsset, SimulatedBatteryDriver
from trio.testing import MockClock

from energy_edge.physics import Battery, BatteryParams


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    """Virtual time: minutes of battery operation run in milliseconds, deterministically."""
    return "trio", {"clock": MockClock(autojump_threshold=0)}


def battery_asset(*, soc: float = 0.5, capacity_kwh: float = 100.0) -> BatteryAsset:
    params = BatteryParams(capacity_kwh=capacity_kwh, max_charge_c_rate=1.0, max_discharge_c_rate=1.0)
    return BatteryAsset("battery-01", SimulatedBatteryDriver(Battery(params, initial_soc=soc)))


def driver_of(asset: BatteryAsset) -> SimulatedBatteryDriver:
    assert isinstance(asset.driver, SimulatedBatteryDriver)
    return asset.driver


DESIRED = {
    "max_charge_kw": 50.0,
    "max_discharge_kw": 50.0,
    "soc_min_percent": 10.0,
    "soc_max_percent": 90.0,
    "telemetry_interval_s": 1.0,
    "setpoint_hold_s": 60.0,
}
