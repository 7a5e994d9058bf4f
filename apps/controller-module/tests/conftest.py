from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from controller_module.config import ControllerConfig
from controller_module.snapshot import BatteryView, BoilerView, MeterView, PvView, SiteSnapshot
from trio.testing import MockClock

from energy_edge.statemachine import AssetState

AT = datetime(2024, 6, 1, 12, tzinfo=UTC)
RUNNING = AssetState.RUNNING


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return "trio", {"clock": MockClock(autojump_threshold=0)}


def battery(
    power_kw: float = 0.0,
    soc: float = 50.0,
    *,
    charge: float = 50.0,
    discharge: float = 50.0,
    state: AssetState = RUNNING,
    asset_id: str = "battery-01",
) -> BatteryView:
    return BatteryView(asset_id, "battery-module", state, power_kw, soc, 100.0, charge, discharge)


def pv(
    power_kw: float = 0.0,
    available_kw: float | None = None,
    *,
    max_output_kw: float | None = 80.0,
    state: AssetState = RUNNING,
    asset_id: str = "solar-01",
) -> PvView:
    available = power_kw if available_kw is None else available_kw
    return PvView(asset_id, "solar-module", state, power_kw, available, None, max_output_kw)


def boiler(
    draw_kw: float = 0.0,
    temperature_c: float = 65.0,
    *,
    rated_kw: float = 30.0,
    band: tuple[float, float] = (55.0, 90.0),
    state: AssetState = RUNNING,
    asset_id: str = "boiler-01",
    hysteresis_k: float | None = None,
    min_power_kw: float | None = None,
) -> BoilerView:
    return BoilerView(
        asset_id,
        "boiler-module",
        state,
        draw_kw,
        temperature_c,
        65.0,
        rated_kw,
        band[0],
        band[1],
        hysteresis_k=hysteresis_k,
        heating=None if hysteresis_k is None else draw_kw > 0.0,
        min_power_kw=min_power_kw,
    )


def site(
    grid_kw: float | None,
    *,
    pvs: tuple[PvView, ...] = (),
    batteries: tuple[BatteryView, ...] = (),
    boilers: tuple[BoilerView, ...] = (),
    now_s: float = 1000.0,
    meter_state: AssetState = RUNNING,
    stale: frozenset[str] = frozenset(),
) -> SiteSnapshot:
    meter = None if grid_kw is None else MeterView("meter-01", meter_state, grid_kw)
    return SiteSnapshot(AT, now_s, pvs, batteries, boilers, meter, stale)


def config(**overrides: Any) -> ControllerConfig:
    # The tables' arithmetic is written around a 1 kW limit margin (the default is smaller).
    fields: dict[str, Any] = {
        "battery_ramp_kw_per_s": 1000.0,
        "boiler_min_dwell_s": 0.1,
        "limit_margin_kw": 1.0,
    }
    fields.update(overrides)
    return ControllerConfig(**fields)
