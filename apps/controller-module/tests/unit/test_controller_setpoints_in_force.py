"""Between an asset's reports, a set-point it accepted is what the controller counts it at."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from controller_module.dispatcher import Command
from controller_module.service import ControllerService
from opentelemetry.trace import NoOpTracerProvider

from energy_edge.messaging import BatteryTelemetry, GridMeterTelemetry, SolarInverterTelemetry
from energy_edge.messaging.edge import InProcessHub
from energy_edge.messaging.manifest import load_manifest
from energy_edge.modulehost.testing import find_deployment_template
from energy_edge.statemachine import AssetState

pytestmark = pytest.mark.anyio
AT = datetime(2024, 6, 1, 12, tzinfo=UTC)
RUNNING = AssetState.RUNNING


@pytest.mark.parametrize(
    ("meter_received_s", "battery_kw"),
    [
        (99.5, -40.0),  # the meter shows the new set-point: count the battery at it (within its limit)
        (98.5, 0.0),  # the meter reported before the command as well: both still show the old power
    ],
)
async def test_set_points_accepted_since_the_last_report_count_once_the_meter_shows_them(
    meter_received_s: float, battery_kw: float
) -> None:
    now = [100.0]
    with InProcessHub(load_manifest(find_deployment_template())) as hub:
        async with hub.client("controller-module") as client:
            service = ControllerService(
                client, clock=lambda: AT, monotonic=lambda: now[0], tracer_provider=NoOpTracerProvider()
            )
            registry, accepted = service.registry, service.dispatcher.accepted
            battery = BatteryTelemetry(
                asset_id="battery-01",
                state=RUNNING,
                timestamp=AT,
                power_output_kw=0.0,
                soc_percent=50.0,
                temperature_c=25.0,
                max_charge_kw=40.0,
            )
            solar = SolarInverterTelemetry(
                asset_id="solar-01",
                state=RUNNING,
                timestamp=AT,
                power_output_kw=60.0,
                irradiance_w_m2=800.0,
                efficiency=0.2,
                temperature_c=40.0,
                available_kw=60.0,
            )
            registry.update(battery, "battery-module", 98.0)
            registry.update(solar, "solar-module", 98.0)
            registry.update(
                GridMeterTelemetry(asset_id="meter-01", state=RUNNING, timestamp=AT, grid_power_kw=-10.0),
                "meter-module",
                meter_received_s,
            )
            accepted["battery-01"] = (
                Command("battery-01", "battery-module", "start_charging", {"power_kw": 55.0}, "t"),
                99.0,
            )
            accepted["solar-01"] = (
                Command("solar-01", "solar-module", "set_output", {"target_kw": 45.0}, "t"),
                97.0,
            )
            snapshot = service._with_setpoints_in_force(registry.snapshot(AT, now[0]))  # pyright: ignore[reportPrivateUsage]
    [battery], [inverter] = snapshot.batteries, snapshot.pv
    assert battery.power_kw == battery_kw
    assert inverter.power_kw == 60.0  # its limit was accepted before its last report: the report stands
