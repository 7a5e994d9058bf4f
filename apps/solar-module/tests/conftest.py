from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from solar_module import SimulatedSolarDriver, SolarAsset
from trio.testing import MockClock

from energy_edge.modulehost.testing import wall_clock_from
from energy_edge.physics import CloudModel, Location, PvParams, PvSystem

MIDSUMMER_NOON = datetime(2024, 6, 21, 12, tzinfo=UTC)
"""Sun 61° high at 52° N: clear-sky irradiance on the array is about 1000 W/m², the same in every run."""
SITE = Location(52.0, 0.0)
ARRAY = PvParams(dc_rating_kw=100.0, ac_rating_kw=80.0)


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    """Virtual time: hours of PV operation run in milliseconds, deterministically."""
    return "trio", {"clock": MockClock(autojump_threshold=0)}


def solar_asset(
    *,
    start: datetime = MIDSUMMER_NOON,
    params: PvParams = ARRAY,
    clouds: CloudModel | None = None,
    ambient_c: float = 20.0,
) -> SolarAsset:
    """A 100 kWp / 80 kW inverter under a cloudless sky (unless ``clouds``); call inside the test's loop,
    with the same ``start`` as ``module_on_hub``, so the sun and the telemetry timestamps agree."""
    driver = SimulatedSolarDriver(
        PvSystem(params),
        location=SITE,
        wall_clock=wall_clock_from(start),
        clouds=clouds,
        ambient_c=ambient_c,
    )
    return SolarAsset("solar-01", driver)


def driver_of(asset: SolarAsset) -> SimulatedSolarDriver:
    assert isinstance(asset.driver, SimulatedSolarDriver)
    return asset.driver


DESIRED = {
    "max_output_kw": 80.0,
    "fault_threshold": 0.85,
    "fallback_output_kw": 40.0,
    "telemetry_interval_s": 1.0,
    "setpoint_hold_s": 60.0,
}
"""The solar module's desired properties in deployment/deployment.template.json."""
