"""Cost of a control cycle (snapshot -> decisions) and of ingesting one telemetry message, by site size.

Each series runs at 10, 100, 1 000 and 10 000 assets (a third PV inverters, a third batteries, a third
boilers, plus the grid meter); ``extra_info["items"]`` makes the benchkit plugin report the cost per asset,
which stays flat when the cost grows linearly. Target: under 10 µs per asset per cycle.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from controller_module.aggregator import Aggregator
from controller_module.config import ControllerConfig
from controller_module.decision import StrategyMemory
from controller_module.metrics import ControllerMetrics
from controller_module.registry import AssetRegistry
from controller_module.strategy import decide
from pytest_benchmark.fixture import BenchmarkFixture

from energy_edge.messaging import (
    TELEMETRY,
    BatteryTelemetry,
    BoilerTelemetry,
    GridMeterTelemetry,
    SolarInverterTelemetry,
    Telemetry,
)
from energy_edge.messaging.message import EdgeMessage
from energy_edge.statemachine import AssetState

AT = datetime(2024, 6, 1, 12, tzinfo=UTC)
SIZES = (10, 100, 1_000, 10_000)
RUNNING = AssetState.RUNNING


def reading(index: int) -> tuple[Telemetry, str]:
    match index % 3:
        case 0:
            return SolarInverterTelemetry(
                asset_id=f"solar-{index}", state=RUNNING, timestamp=AT, power_output_kw=40.0,
                irradiance_w_m2=800.0, efficiency=0.18, temperature_c=45.0, max_output_kw=80.0,
                available_kw=45.0,
            ), "solar-module"  # fmt: skip
        case 1:
            return BatteryTelemetry(
                asset_id=f"battery-{index}", state=RUNNING, timestamp=AT, power_output_kw=-5.0,
                soc_percent=55.0, temperature_c=25.0, capacity_kwh=100.0, max_charge_kw=50.0,
                max_discharge_kw=50.0,
            ), "battery-module"  # fmt: skip
        case _:
            return BoilerTelemetry(
                asset_id=f"boiler-{index}", state=RUNNING, timestamp=AT, power_output_kw=-20.0,
                temperature_c=70.0, target_celsius=65.0, rated_power_kw=30.0, min_celsius=55.0,
                max_celsius=90.0,
            ), "boiler-module"  # fmt: skip


def site_registry(assets: int) -> AssetRegistry:
    registry = AssetRegistry(stale_after_s=1e9)
    for index in range(assets):
        telemetry, module = reading(index)
        registry.update(telemetry, module, 0.0)
    registry.update(
        GridMeterTelemetry(asset_id="meter-01", state=RUNNING, timestamp=AT, grid_power_kw=-20.0),
        "meter-module",
        0.0,
    )
    return registry


@pytest.mark.parametrize("assets", SIZES)
def test_control_cycle(benchmark: BenchmarkFixture, assets: int) -> None:
    registry, config = site_registry(assets), ControllerConfig()

    def cycle() -> int:
        snapshot = registry.snapshot(AT, 1.0)
        decision = decide(snapshot, config, StrategyMemory())
        return len(decision.batteries) + len(decision.pv) + len(decision.boilers)

    benchmark.group = "control cycle by site size"
    benchmark.extra_info["items"] = assets
    assert benchmark(cycle) == assets


@pytest.mark.parametrize("assets", SIZES)
def test_ingest(benchmark: BenchmarkFixture, assets: int) -> None:
    registry = AssetRegistry(stale_after_s=1e9)
    aggregator = Aggregator(registry, ControllerMetrics(), lambda: 0.0)
    messages = []
    for index in range(assets):
        telemetry, module = reading(index)
        messages.append(EdgeMessage(body=TELEMETRY.encode(telemetry), connection_module_id=module))

    def ingest_all() -> int:
        return sum(aggregator.ingest(message) for message in messages)

    benchmark.group = "telemetry ingest by site size"
    benchmark.extra_info["items"] = assets
    assert benchmark(ingest_all) == assets
