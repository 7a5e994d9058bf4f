"""The battery module on an in-process hub routed by the real manifest, in virtual time."""

from __future__ import annotations

import math
import urllib.request

import anyio
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families

from energy_edge.messaging import BatteryTelemetry
from energy_edge.modulehost import ModuleMetrics
from energy_edge.modulehost.testing import module_on_hub
from energy_edge.statemachine import AssetState

from ..conftest import DESIRED, battery_asset, driver_of

pytestmark = pytest.mark.anyio


async def test_start_charging_runs_the_battery_and_soc_rises_in_telemetry() -> None:
    asset = battery_asset(soc=0.5)
    async with module_on_hub(asset, "battery-module", desired=DESIRED) as module:
        response = await module.call("start_charging", {"power_kw": 20.0})
        await anyio.sleep(30)
        state = module.host.lifecycle.state
        readings = module.received_telemetry()
    assert (response.status, response.payload) == (
        200,
        {"status": "ok", "state": "STARTING", "actual_kw": 20.0},
    )
    assert state is AssetState.RUNNING
    assert all(isinstance(r, BatteryTelemetry) for r in readings)
    last = readings[-1]
    assert isinstance(last, BatteryTelemetry)
    assert last.power_output_kw == pytest.approx(-20.0, abs=0.01)
    assert last.soc_percent > 50.0
    assert last.state is AssetState.RUNNING
    assert last.max_charge_kw == 50.0  # the operator's limit, below the equipment's 100 kW


async def test_start_discharging_delivers_power() -> None:
    asset = battery_asset(soc=0.5)
    async with module_on_hub(asset, "battery-module", desired=DESIRED) as module:
        response = await module.call("start_discharging", {"power_kw": 35.0})
        await anyio.sleep(10)
        [*_, last] = module.received_telemetry()
    assert response.payload["actual_kw"] == 35.0
    assert isinstance(last, BatteryTelemetry)
    assert last.power_output_kw == pytest.approx(35.0, abs=0.01)


async def test_a_new_set_point_while_running_changes_direction() -> None:
    asset = battery_asset()
    async with module_on_hub(asset, "battery-module", desired=DESIRED) as module:
        await module.call("start_charging", {"power_kw": 20.0})
        await anyio.sleep(5)
        response = await module.call("start_discharging", {"power_kw": 10.0})
        await anyio.sleep(10)
        [*_, last] = module.received_telemetry()
    assert response.payload == {"status": "ok", "state": "RUNNING", "actual_kw": 10.0}
    assert isinstance(last, BatteryTelemetry)
    assert last.power_output_kw == pytest.approx(10.0, abs=0.01)


async def test_stop_ramps_down_and_returns_to_idle() -> None:
    asset = battery_asset()
    async with module_on_hub(asset, "battery-module", desired=DESIRED) as module:
        await module.call("start_discharging", {"power_kw": 30.0})
        await anyio.sleep(5)
        response = await module.call("stop")
        await anyio.sleep(10)
        state = module.host.lifecycle.state
        [*_, last] = module.received_telemetry()
    assert response.payload == {"status": "ok", "state": "STOPPING"}
    assert state is AssetState.IDLE
    assert isinstance(last, BatteryTelemetry)
    assert last.power_output_kw == pytest.approx(0.0, abs=0.05)


@pytest.mark.parametrize(
    ("method", "payload", "status", "reason"),
    [
        ("start_charging", {"power_kw": "20"}, 400, "Expected `float`, got `str`"),
        ("start_charging", {}, 400, "missing required field `power_kw`"),
        ("start_charging", {"power_kw": math.nan}, 400, "non-finite number"),
        ("start_discharging", {"power_kw": -5.0}, 400, ">= 0.0"),
        ("start_charging", {"power_kw": 51.0}, 400, "power_kw 51 exceeds max_charge_kw 50"),
        ("start_discharging", {"power_kw": 80.0}, 400, "power_kw 80 exceeds max_discharge_kw 50"),
        ("start_charging", [20.0], 400, "Expected `object`"),
        ("set_output", {"target_kw": 5.0}, 404, "unknown method 'set_output'"),
        ("start", None, 404, "unknown method 'start'"),
        ("stop", None, 409, "'stop' is not allowed in state IDLE"),
        ("reset", None, 409, "'reset' is not allowed in state IDLE"),
    ],
)
async def test_bad_commands_are_refused_and_change_nothing(
    method: str, payload: object, status: int, reason: str
) -> None:
    asset = battery_asset()
    async with module_on_hub(asset, "battery-module", desired=DESIRED) as module:
        response = await module.call(method, payload)
        await anyio.sleep(3)
        state = module.host.lifecycle.state
        [*_, last] = module.received_telemetry()
    assert response.status == status
    assert response.payload["status"] == "error"
    assert reason in response.payload["error"]
    assert state is AssetState.IDLE
    assert asset.setpoint_kw == 0.0
    assert isinstance(last, BatteryTelemetry)
    assert last.power_output_kw == 0.0


async def test_charging_a_full_battery_is_409() -> None:
    asset = battery_asset(soc=0.92)
    async with module_on_hub(asset, "battery-module", desired=DESIRED) as module:
        response = await module.call("start_charging", {"power_kw": 10.0})
        discharge = await module.call("start_discharging", {"power_kw": 10.0})
    assert response.status == 409
    assert response.payload["error"].startswith("battery full: SoC 92.0 %")
    assert discharge.status == 200


async def test_charging_stops_at_the_top_of_the_soc_window() -> None:
    asset = battery_asset(soc=0.88)
    desired = {**DESIRED, "setpoint_hold_s": 3600.0}
    async with module_on_hub(asset, "battery-module", desired=desired) as module:
        await module.call("start_charging", {"power_kw": 50.0})
        await anyio.sleep(300)
        [*_, last] = module.received_telemetry()
    assert isinstance(last, BatteryTelemetry)
    assert last.power_output_kw == pytest.approx(0.0, abs=0.05)
    assert 90.0 <= last.soc_percent < 91.0
    assert last.max_charge_kw == 0.0  # nothing left to ask for
    assert last.state is AssetState.RUNNING


async def test_an_equipment_fault_latches_fault_with_its_code_and_reset_returns_to_idle() -> None:
    asset = battery_asset()
    async with module_on_hub(asset, "battery-module", desired=DESIRED) as module:
        await module.call("start_discharging", {"power_kw": 30.0})
        await anyio.sleep(5)
        driver_of(asset).inject_fault("BMS: cell over-voltage")
        await anyio.sleep(10)
        faulted = module.host.lifecycle.state
        refused = await module.call("start_discharging", {"power_kw": 30.0})
        readings = module.received_telemetry()
        reset = await module.call("reset")
        state = module.host.lifecycle.state
    assert faulted is AssetState.FAULT
    assert refused.status == 409
    last = readings[-1]
    assert isinstance(last, BatteryTelemetry)
    assert last.fault_code == "BMS: cell over-voltage"
    assert last.power_output_kw == pytest.approx(0.0, abs=0.05)  # the fault stopped the battery
    assert reset.payload == {"status": "ok", "state": "IDLE"}
    assert state is AssetState.IDLE


async def test_a_fault_that_persists_cannot_be_reset() -> None:
    asset = battery_asset()
    driver_of(asset).ambient_c = 65.0  # cooling failed in a heatwave: the pack heats past its 55 °C trip
    async with module_on_hub(asset, "battery-module", desired=DESIRED) as module:
        await anyio.sleep(3600)
        response = await module.call("reset")
        state = module.host.lifecycle.state
    assert response.status == 409
    assert response.payload["error"].startswith("fault persists: battery temperature")
    assert state is AssetState.FAULT


async def test_a_set_point_that_is_not_refreshed_stops_the_battery() -> None:
    asset = battery_asset()
    async with module_on_hub(asset, "battery-module", desired={**DESIRED, "setpoint_hold_s": 30.0}) as module:
        await module.call("start_discharging", {"power_kw": 40.0})
        await anyio.sleep(29)
        still = module.host.lifecycle.state
        await anyio.sleep(15)
        state = module.host.lifecycle.state
        [*_, last] = module.received_telemetry()
        reported = dict(module.reported)
    assert still is AssetState.RUNNING
    assert state is AssetState.IDLE
    assert isinstance(last, BatteryTelemetry)
    assert last.power_output_kw == pytest.approx(0.0, abs=0.05)
    assert "setpoint_expired_at" in reported


async def test_a_valid_patch_lowers_the_limit_and_the_running_set_point() -> None:
    asset = battery_asset()
    async with module_on_hub(asset, "battery-module", desired=DESIRED) as module:
        await module.call("start_discharging", {"power_kw": 40.0})
        await module.update_desired({"max_discharge_kw": 25.0})
        await anyio.sleep(10)
        [*_, last] = module.received_telemetry()
        reported = dict(module.reported)
    assert asset.setpoint_kw == 25.0
    assert isinstance(last, BatteryTelemetry)
    assert last.power_output_kw == pytest.approx(25.0, abs=0.05)
    assert reported["config"]["max_discharge_kw"] == 25.0


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        ({"soc_min_percent": 95.0}, "soc_min_percent (95) must be below soc_max_percent (90)"),
        ({"max_charge_kw": -1.0}, "max_charge_kw"),
        ({"max_charge_kw": True}, "Expected `float`, got `bool`"),
        ({"soc_max": 80.0}, "unknown field `soc_max`"),
    ],
)
async def test_an_invalid_patch_is_rejected_and_reported(patch: dict[str, object], reason: str) -> None:
    asset = battery_asset()
    async with module_on_hub(asset, "battery-module", desired=DESIRED) as module:
        await module.update_desired(patch)
        reported = dict(module.reported)
    assert asset.config.soc_min_percent == 10.0
    assert asset.config.max_charge_kw == 50.0
    assert reason in reported["config_error"]


async def test_the_template_desired_properties_are_valid_for_the_battery() -> None:
    asset = battery_asset()
    async with module_on_hub(asset, "battery-module") as module:
        reported = dict(module.reported)
    assert reported.get("config_error") is None
    assert reported["config"]["soc_min_percent"] == 10.0


async def test_a_command_is_traced_as_a_child_of_the_callers_span() -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    asset = battery_asset()
    async with module_on_hub(asset, "battery-module", desired=DESIRED, tracer_provider=provider) as module:
        with provider.get_tracer("controller").start_as_current_span("control cycle") as cycle:
            await module.call("start_charging", {"power_kw": 10.0})
    client = next(s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT)
    server = next(s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER)
    assert server.name == "battery-module/start_charging"
    assert client.context is not None
    assert server.context is not None
    assert server.context.trace_id == cycle.get_span_context().trace_id
    assert server.parent is not None
    assert server.parent.span_id == client.context.span_id


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # real time: the scrape is real HTTP
async def test_metrics_are_scraped_over_http() -> None:
    asset = battery_asset()
    metrics = ModuleMetrics(module_id="battery-module", asset_id="battery-01")
    port = metrics.serve(0, "127.0.0.1")
    try:
        desired = {**DESIRED, "telemetry_interval_s": 0.1}
        async with module_on_hub(asset, "battery-module", desired=desired, metrics=metrics) as module:
            await module.call("start_discharging", {"power_kw": 10.0})
            await anyio.sleep(0.5)
            text = await anyio.to_thread.run_sync(_scrape, port)
    finally:
        metrics.close()
    samples = {
        (sample.name, sample.labels.get("state", "")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert samples[("energy_edge_battery_soc_ratio", "")] == pytest.approx(0.5, abs=0.01)
    assert samples[("energy_edge_asset_state", "RUNNING")] == 1.0
    assert samples[("energy_edge_asset_power_watts", "")] > 0.0


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()
