from __future__ import annotations

from typing import Any

import pytest
from boiler_module import BoilerAsset, SimulatedBoilerDriver
from trio.testing import MockClock

from energy_edge.modulehost.testing import DEFAULT_START, wall_clock_from
from energy_edge.physics import Boiler, BoilerParams, DrawProfile


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    """Virtual time: hours of heating and cooling run in milliseconds, deterministically."""
    return "trio", {"clock": MockClock(autojump_threshold=0)}


def constant_draw(l_min: float) -> DrawProfile:
    """A process that draws the same flow around the clock, so tests do not depend on the hour."""
    return DrawProfile((l_min,) * 24, (l_min,) * 24, (l_min,) * 24)


def boiler_asset(
    *, temperature_c: float = 60.0, tank_volume_l: float = 500.0, draw_l_min: float = 10.0
) -> BoilerAsset:
    """A 150 kW boiler on a small 500 l tank (call inside a test: its wall clock follows anyio's clock).

    The small tank heats 1 K in about 14 s at full power, so a trip or a new target is minutes away.
    """
    boiler = Boiler(
        BoilerParams(rated_power_kw=150.0, tank_volume_l=tank_volume_l),
        target_celsius=65.0,
        initial_temperature_c=temperature_c,
    )
    driver = SimulatedBoilerDriver(
        boiler, constant_draw(draw_l_min), wall_clock=wall_clock_from(DEFAULT_START)
    )
    return BoilerAsset("boiler-01", driver)


def driver_of(asset: BoilerAsset) -> SimulatedBoilerDriver:
    assert isinstance(asset.driver, SimulatedBoilerDriver)
    return asset.driver


DESIRED = {
    "min_celsius": 55.0,
    "max_celsius": 90.0,
    "default_target_celsius": 65.0,
    "max_power_kw": 150.0,
    "telemetry_interval_s": 1.0,
    "setpoint_hold_s": 300.0,
}
"""The deployment template's desired properties."""

STOPPED = {**DESIRED, "auto_start": False}
