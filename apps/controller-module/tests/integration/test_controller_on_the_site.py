"""The controller with the four asset modules on a hub routed by the real manifest, in virtual time."""

from __future__ import annotations

import anyio
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from energy_edge.messaging import (
    BatteryTelemetry,
    BoilerTelemetry,
    GridMeterTelemetry,
    SolarInverterTelemetry,
)
from energy_edge.statemachine import AssetState

from .site import whole_site

pytestmark = pytest.mark.anyio


def latest(site: object, asset_id: str) -> object:
    record = site.controller.registry.get(asset_id)  # type: ignore[attr-defined]
    assert record is not None, f"no telemetry from {asset_id}"
    return record.telemetry


async def test_surplus_charges_the_battery_then_heats_the_boiler() -> None:
    # A small load and a boiler already at its thermostat's target: ~70 kW of surplus, 50 kW for the battery.
    async with whole_site(annual_load_kwh=20_000.0, boiler_temperature_c=68.0) as site:
        await anyio.sleep(180)
        battery, boiler, solar, meter = (
            latest(site, a) for a in ("battery-01", "boiler-01", "solar-01", "meter-01")
        )
    assert isinstance(solar, SolarInverterTelemetry)
    assert solar.output_limit_kw == 80.0  # the controller lifted the inverter's 40 kW fallback
    assert isinstance(battery, BatteryTelemetry)
    assert battery.state is AssetState.RUNNING
    assert battery.power_output_kw < -20.0  # charging with the surplus
    assert isinstance(boiler, BoilerTelemetry)
    # Absorbing: a modulating boiler's thermostat at the band's top, its heater capped to the surplus.
    assert boiler.target_celsius == 90.0
    assert isinstance(boiler.power_limit_kw, float)
    assert 0.0 < boiler.power_limit_kw <= 30.0
    assert boiler.power_output_kw < -10.0
    assert isinstance(meter, GridMeterTelemetry)
    assert abs(meter.grid_power_kw) < 10.0  # held near the zero grid target


async def test_an_export_limit_curtails_pv() -> None:
    async with whole_site(controller_desired={"mode": "export_limit", "export_limit_kw": 20.0}) as site:
        await anyio.sleep(120)
        solar, meter = latest(site, "solar-01"), latest(site, "meter-01")
    assert isinstance(solar, SolarInverterTelemetry)
    assert isinstance(meter, GridMeterTelemetry)
    assert isinstance(solar.output_limit_kw, float)
    assert isinstance(solar.available_kw, float)
    assert solar.output_limit_kw < solar.available_kw - 5.0  # curtailed
    assert meter.grid_power_kw >= -21.0  # export held at the 20 kW limit


async def test_a_battery_fault_stops_battery_commands_and_raises_an_alert() -> None:
    async with whole_site() as site:
        await anyio.sleep(60)
        site.battery.inject_fault("BMS: isolation fault")
        await anyio.sleep(10)
        sent_before = dict(site.controller.dispatcher.accepted)
        await anyio.sleep(120)
        sent_after = dict(site.controller.dispatcher.accepted)
        [*_, rollup] = site.rollups()
        battery = latest(site, "battery-01")
    assert isinstance(battery, BatteryTelemetry)
    assert battery.state is AssetState.FAULT
    assert sent_after["battery-01"] == sent_before["battery-01"]  # nothing sent since the fault
    fault = next(a for a in rollup.alerts if a.code == "asset_fault")
    assert (fault.asset_id, fault.message) == ("battery-01", "battery-01 in FAULT: BMS: isolation fault")


async def test_a_silent_meter_makes_the_controller_hold_safe_set_points_and_alert() -> None:
    async with whole_site() as site:
        await anyio.sleep(90)
        charging = latest(site, "battery-01")
        site.hub.set_link("meter-module", up=False)  # the meter module loses edgeHub
        await anyio.sleep(120)
        battery = latest(site, "battery-01")
        decision = site.controller.last_decision
        [*_, rollup] = site.rollups()
    assert isinstance(charging, BatteryTelemetry)
    assert charging.power_output_kw < -5.0
    assert isinstance(battery, BatteryTelemetry)
    assert abs(battery.power_output_kw) < 0.5  # held at 0 kW without a meter
    assert decision is not None
    assert "grid meter unavailable" in decision.summary
    codes = {a.code for a in rollup.alerts}
    assert {"meter_unavailable", "telemetry_stale"} <= codes
    assert rollup.grid_balance_kw is None


async def test_one_trace_runs_from_the_control_cycle_to_the_asset_handler() -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    async with whole_site(tracer_provider=provider):
        await anyio.sleep(30)
    finished = spans.get_finished_spans()
    server = next(
        s for s in finished if s.kind is SpanKind.SERVER and s.name == "battery-module/start_charging"
    )
    assert server.parent is not None
    client = next(s for s in finished if s.context is not None and s.context.span_id == server.parent.span_id)
    assert client.kind is SpanKind.CLIENT
    assert client.parent is not None
    cycle = next(s for s in finished if s.context is not None and s.context.span_id == client.parent.span_id)
    assert cycle.name == "control cycle"
    assert cycle.context is not None
    assert server.context is not None
    assert server.context.trace_id == cycle.context.trace_id
    assert "self_consumption" in str((cycle.attributes or {})["controller.decision"])


async def test_rollups_reach_upstream_every_interval(caplog: pytest.LogCaptureFixture) -> None:
    async with whole_site(controller_desired={"rollup_interval_s": 30.0}) as site:
        await anyio.sleep(60)
        site.battery.inject_fault("BMS: over-voltage")
        await anyio.sleep(35)
        rollups = site.rollups()
    assert len(rollups) == 3
    last = rollups[-1]
    assert last.device_id == "edge-device-01"
    assert set(last.assets) == {"solar-01", "battery-01", "boiler-01", "meter-01"}
    assert last.grid_balance_kw is not None
    # Each active alert is also one log record with the attributes the cloud's alert rules query.
    [logged] = [r for r in caplog.records if getattr(r, "alert.code", None) == "asset_fault"]
    assert vars(logged)["asset.id"] == "battery-01"
    assert vars(logged)["device.id"] == "edge-device-01"
    assert vars(logged)["alert.severity"] == "critical"


async def test_steady_conditions_cause_no_charge_discharge_flicker() -> None:
    async with whole_site(annual_load_kwh=20_000.0, boiler_temperature_c=68.0) as site:
        await anyio.sleep(120)  # settle
        directions: list[str] = []
        for _ in range(60):  # ten more minutes, sampled every 10 s
            await anyio.sleep(10)
            command, _at = site.controller.dispatcher.accepted["battery-01"]
            directions.append(command.method)
        commands = site.controller.metrics.registry.get_sample_value(
            "energy_edge_controller_commands_total", {"method": "start_charging", "status": "200"}
        )
    assert set(directions) == {"start_charging"}  # never flips to discharging
    assert commands is not None
    assert commands < 60  # changes beyond the deadband and 30 s refreshes, not one per cycle


async def test_the_mode_changes_at_run_time_and_a_bad_patch_is_rejected() -> None:
    async with whole_site() as site:
        await anyio.sleep(60)
        await site.hub.update_desired("controller-module", {"mode": "export_limit", "export_limit_kw": 10.0})
        await site.hub.update_desired("controller-module", {"import_limit_kw": -5.0})
        await anyio.sleep(90)
        solar, battery = latest(site, "solar-01"), latest(site, "battery-01")
        reported = dict(site.hub.twins["controller-module"].reported)
    assert site.controller.config.export_limit_kw == 10.0
    assert "import_limit_kw" in reported["config_error"]
    assert reported["config"]["mode"] == "export_limit"
    assert isinstance(solar, SolarInverterTelemetry)
    assert isinstance(solar.output_limit_kw, float)
    assert solar.output_limit_kw < 70.0  # curtailed for the 10 kW export limit
    assert isinstance(battery, BatteryTelemetry)
    assert battery.power_output_kw > -1.0  # export-limit mode leaves the battery alone
