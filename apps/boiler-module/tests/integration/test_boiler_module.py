"""The boiler module on an in-process hub routed by the real manifest, in virtual time."""

from __future__ import annotations

import itertools
import math
import urllib.request
from collections.abc import Callable

import anyio
import msgspec
import pytest
from boiler_module import BoilerConfig
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families

from energy_edge.messaging import BoilerTelemetry, Telemetry
from energy_edge.modulehost import ModuleMetrics
from energy_edge.modulehost.testing import ModuleUnderTest, module_on_hub
from energy_edge.statemachine import AssetState

from ..conftest import DESIRED, STOPPED, boiler_asset, driver_of

pytestmark = pytest.mark.anyio

MODULE = "boiler-module"
LABELS = {"module": MODULE, "asset_id": "boiler-01"}
TEMPLATE_CONFIG = msgspec.convert(DESIRED, BoilerConfig)
TRIP = "boiler over-temperature: water reached the 95.0 °C trip"


def latest(module: ModuleUnderTest) -> BoilerTelemetry:
    """The last telemetry message controller-module received (draining the rest)."""
    [*_, last] = module.received_telemetry()
    assert isinstance(last, BoilerTelemetry)
    return last


async def until(module: ModuleUnderTest, condition: Callable[[], bool], *, within_s: float) -> None:
    """Let the module run (virtual time) until ``condition`` holds, one telemetry period at a time."""
    with anyio.fail_after(within_s):
        while not condition():
            await anyio.sleep(1.0)
            module.received_telemetry()  # keep controller-module's inbox from filling up


async def run_for(module: ModuleUnderTest, seconds: float) -> BoilerTelemetry:
    """Let the module run for ``seconds``; the last telemetry message at the end.

    The controller's input holds 1000 messages and the hub drops what does not fit, so a long run is
    drained as it goes: otherwise the "last" message would be one from before the inbox filled up.
    """
    last: Telemetry | None = None
    while seconds > 0:
        chunk = min(seconds, 500.0)
        await anyio.sleep(chunk)
        seconds -= chunk
        last = ([last, *module.received_telemetry()])[-1]
    assert isinstance(last, BoilerTelemetry)
    return last


def in_state(module: ModuleUnderTest, state: AssetState) -> Callable[[], bool]:
    return lambda: module.host.lifecycle.state is state


# -- the module starting, and every method with a good payload ---------------------------------------------


async def test_the_boiler_heats_on_its_own_thermostat_when_the_module_starts() -> None:
    asset = boiler_asset(temperature_c=50.0)
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await anyio.sleep(5)
        heating = latest(module)
        holding = await run_for(module, 900)
    assert heating.state is AssetState.RUNNING
    assert heating.target_celsius == 65.0
    assert heating.power_output_kw == pytest.approx(-150.0)
    assert heating.rated_power_kw == 150.0
    assert heating.hysteresis_k == 4.0  # the thermostat differential a controller plans the swing with
    assert 63.0 - 1e-6 <= holding.temperature_c <= 67.0 + 1e-6  # the 4 K hysteresis band around 65 °C


async def test_start_enables_the_heater() -> None:
    asset = boiler_asset(temperature_c=50.0)
    async with module_on_hub(asset, MODULE, desired=STOPPED) as module:
        await anyio.sleep(5)
        idle = latest(module)
        response = await module.call("start")
        await anyio.sleep(5)
        running = latest(module)
    assert idle.state is AssetState.IDLE
    assert idle.power_output_kw == 0.0
    assert (response.status, response.payload) == (200, {"status": "ok", "state": "STARTING"})
    assert running.state is AssetState.RUNNING
    assert running.power_output_kw == pytest.approx(-150.0)


async def test_stop_switches_the_heater_off_and_returns_to_idle() -> None:
    asset = boiler_asset(temperature_c=50.0)
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await anyio.sleep(5)
        response = await module.call("stop")
        await anyio.sleep(5)
        state = module.host.lifecycle.state
        last = latest(module)
    assert (response.status, response.payload) == (200, {"status": "ok", "state": "STOPPING"})
    assert state is AssetState.IDLE
    assert last.power_output_kw == 0.0
    assert last.heating is False
    assert last.temperature_c < 60.0  # the process draws on a tank nothing heats


async def test_set_temperature_moves_the_thermostat_target() -> None:
    asset = boiler_asset(temperature_c=64.0)
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await anyio.sleep(2)
        response = await module.call("set_temperature", {"target_celsius": 80.0})
        await anyio.sleep(5)
        heating = latest(module)
        await anyio.sleep(280)  # inside the 300 s hold
        warmer = latest(module)
    assert (response.status, response.payload) == (
        200,
        {"status": "ok", "state": "RUNNING", "target_celsius": 80.0},
    )
    assert heating.target_celsius == 80.0
    assert heating.power_output_kw == pytest.approx(-150.0)
    assert warmer.temperature_c > 75.0
    assert asset.setpoint_celsius == 80.0


async def test_a_target_set_while_stopped_applies_at_the_next_start() -> None:
    asset = boiler_asset(temperature_c=64.0, draw_l_min=0.0)
    async with module_on_hub(asset, MODULE, desired=STOPPED) as module:
        response = await module.call("set_temperature", {"target_celsius": 75.0})
        await anyio.sleep(10)
        stopped = latest(module)
        await module.call("start")
        await anyio.sleep(10)
        started = latest(module)
    assert response.payload == {"status": "ok", "state": "IDLE", "target_celsius": 75.0}
    assert stopped.power_output_kw == 0.0
    assert stopped.target_celsius == 75.0
    assert started.power_output_kw == pytest.approx(-150.0)  # 64 °C is below 75 - 2 °C


async def test_stop_drops_the_controllers_target_so_a_restart_heats_to_the_default() -> None:
    asset = boiler_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await anyio.sleep(2)
        await module.call("set_temperature", {"target_celsius": 85.0})
        await anyio.sleep(2)
        await module.call("stop")
        await anyio.sleep(2)
        await module.call("start")
        await anyio.sleep(2)
        last = latest(module)
    assert last.target_celsius == 65.0
    assert asset.setpoint_celsius is None
    assert not asset.setpoint_hold.armed


# -- bad commands: status, body, and nothing changed ------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "payload", "status", "reason"),
    [
        ("set_temperature", {"target_celsius": "70"}, 400, "Expected `float`, got `str`"),
        ("set_temperature", {}, 400, "missing required field `target_celsius`"),
        ("set_temperature", {"target_celsius": None}, 400, "Expected `float`, got `null`"),
        ("set_temperature", {"target_celsius": math.nan}, 400, "non-finite number"),
        ("set_temperature", {"target_celsius": math.inf}, 400, "non-finite number"),
        (
            "set_temperature",
            {"target_celsius": -5.0},
            400,
            "target_celsius -5 is outside the allowed band 55-90 °C",
        ),
        (
            "set_temperature",
            {"target_celsius": 40.0},
            400,
            "target_celsius 40 is outside the allowed band 55-90 °C",
        ),
        (
            "set_temperature",
            {"target_celsius": 90.5},
            400,
            "target_celsius 90.5 is outside the allowed band 55-90",
        ),
        ("set_temperature", {"target_celsius": 300.0}, 400, "<= 250.0"),
        ("set_temperature", [70.0], 400, "Expected `object`, got `array`"),
        ("stop", "now", 400, "Expected `object`, got `str`"),
        ("set_output", {"target_kw": 5.0}, 404, "unknown method 'set_output'"),
        ("start_charging", {"power_kw": 5.0}, 404, "unknown method 'start_charging'"),
        ("start", None, 409, "'start' is not allowed in state RUNNING"),
        ("reset", None, 409, "'reset' is not allowed in state RUNNING"),
    ],
)
async def test_bad_commands_are_refused_and_change_nothing(
    method: str, payload: object, status: int, reason: str
) -> None:
    asset = boiler_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await anyio.sleep(2)
        response = await module.call(method, payload)
        await anyio.sleep(3)
        state = module.host.lifecycle.state
        last = latest(module)
        commands = module.host.metrics.registry.get_sample_value(
            "energy_edge_commands_total", {**LABELS, "method": method, "status": str(status)}
        )
    assert response.status == status
    assert response.payload["status"] == "error"
    assert reason in response.payload["error"]
    assert state is AssetState.RUNNING
    assert last.target_celsius == 65.0
    assert asset.setpoint_celsius is None
    assert not asset.setpoint_hold.armed
    assert commands == (None if status == 404 else 1.0)  # unknown methods are counted as "unknown"


@pytest.mark.parametrize(
    ("method", "reason"),
    [("stop", "'stop' is not allowed in state IDLE"), ("reset", "'reset' is not allowed in state IDLE")],
)
async def test_commands_a_stopped_boiler_cannot_take_are_409(method: str, reason: str) -> None:
    asset = boiler_asset()
    async with module_on_hub(asset, MODULE, desired=STOPPED) as module:
        response = await module.call(method)
        await anyio.sleep(3)
        state = module.host.lifecycle.state
        last = latest(module)
    assert (response.status, response.payload) == (
        409,
        {"status": "error", "error": response.payload["error"]},
    )
    assert reason in response.payload["error"]
    assert state is AssetState.IDLE
    assert last.power_output_kw == 0.0


async def test_a_target_is_refused_while_the_boiler_is_stopping() -> None:
    asset = boiler_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await anyio.sleep(2)
        await module.call("stop")
        response = await module.call("set_temperature", {"target_celsius": 70.0})
        await anyio.sleep(3)
        last = latest(module)
    assert response.status == 409
    assert "'set_temperature' is not allowed in state STOPPING" in response.payload["error"]
    assert last.target_celsius == 65.0


# -- faults -----------------------------------------------------------------------------------------------


async def test_a_welded_contactor_trips_to_fault_and_reset_waits_for_the_water_to_cool() -> None:
    asset = boiler_asset(temperature_c=64.0)
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await anyio.sleep(2)
        driver_of(asset).weld_contactor()
        await until(module, in_state(module, AssetState.FAULT), within_s=1800)
        reported = dict(module.reported)
        hot_reset = await module.call("reset")
        refused = [
            await module.call("set_temperature", {"target_celsius": 70.0}),
            await module.call("start"),
            await module.call("stop"),
        ]
        await anyio.sleep(5)
        faulted = latest(module)
        await run_for(module, 600)  # the process draw cools the tank below the trip's re-arm point
        reset = await module.call("reset")
        after_reset = module.host.lifecycle.state
        await module.call("start")
        repaired = await run_for(module, 900)
    assert reported["state"] == "FAULT"
    assert reported["fault_reason"] == TRIP
    assert hot_reset.status == 409
    assert hot_reset.payload["error"].startswith("fault persists: water temperature")
    assert "above the re-arm point 91.0 °C" in hot_reset.payload["error"]
    assert [r.status for r in refused] == [409, 409, 409]
    assert "'set_temperature' is not allowed in state FAULT" in refused[0].payload["error"]
    assert faulted.state is AssetState.FAULT
    assert faulted.fault_code == TRIP
    assert faulted.power_output_kw == 0.0  # the trip cut the heater
    assert (reset.status, reset.payload) == (200, {"status": "ok", "state": "IDLE"})
    assert after_reset is AssetState.IDLE
    # The reset stands for the repair: the thermostat holds its band again.
    assert repaired.state is AssetState.RUNNING
    assert repaired.temperature_c <= 67.0 + 1e-6


async def test_an_equipment_alarm_latches_fault_with_its_code_and_reset_returns_to_idle() -> None:
    asset = boiler_asset(temperature_c=50.0)
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await anyio.sleep(5)
        driver_of(asset).inject_fault("heater element 2: earth fault")
        await anyio.sleep(5)
        faulted = latest(module)
        reset = await module.call("reset")
        await anyio.sleep(5)
        after = latest(module)
        faults = module.host.metrics.registry.get_sample_value("energy_edge_asset_faults_total", LABELS)
    assert faulted.state is AssetState.FAULT
    assert faulted.fault_code == "heater element 2: earth fault"
    assert faulted.power_output_kw == 0.0  # the module stopped the heater
    assert reset.payload == {"status": "ok", "state": "IDLE"}
    assert after.state is AssetState.IDLE
    assert after.fault_code is None
    assert after.power_output_kw == 0.0  # a reset does not restart the boiler
    assert faults == 1.0


async def test_set_power_limit_caps_the_heater_and_reports_the_cap() -> None:
    asset = boiler_asset(temperature_c=60.0)
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await module.call("set_temperature", {"target_celsius": 80.0})
        response = await module.call("set_power_limit", {"power_kw": 40.0})
        await anyio.sleep(5)
        capped = latest(module)
    assert (response.status, response.payload) == (
        200,
        {"status": "ok", "state": "RUNNING", "actual_kw": 40.0},
    )
    assert capped.power_output_kw == pytest.approx(-40.0)
    assert capped.power_limit_kw == 40.0
    assert capped.rated_power_kw == 150.0  # the heater's own power is unchanged
    assert capped.min_power_kw is not None


async def test_below_the_band_the_cap_gives_way_to_comfort() -> None:
    # Water at 50 °C, under the 55 °C band: the process needs heat, the cap waits until the band is reached.
    # (A light draw: 20 kW then still warms the tank.)
    asset = boiler_asset(temperature_c=50.0, draw_l_min=2.0)
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await module.call("set_temperature", {"target_celsius": 80.0})
        await module.call("set_power_limit", {"power_kw": 20.0})
        await anyio.sleep(3)
        cold = latest(module)
        await until(module, lambda: asset.heater_limit_kw() == 20.0, within_s=200)
        await anyio.sleep(3)
        warm = latest(module)
    assert cold.power_output_kw == pytest.approx(-150.0)
    assert cold.power_limit_kw == 150.0  # the cap in force: none, for comfort
    assert warm.temperature_c >= 55.0
    assert warm.power_output_kw == pytest.approx(-20.0)


async def test_a_capped_heater_stops_above_the_band_whatever_its_thermostat_says() -> None:
    # Target at the band's top (90 °C: the thermostat would heat on to 92 °C), a generous cap: the module
    # switches the heater off once the water passes 90 °C.
    asset = boiler_asset(temperature_c=88.0, draw_l_min=0.0)
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await module.call("set_temperature", {"target_celsius": 90.0})
        await module.call("set_power_limit", {"power_kw": 150.0})
        await until(module, lambda: asset.heater_limit_kw() == 0.0, within_s=120)
        await anyio.sleep(30)
        warm = latest(module)
    assert 90.0 < warm.temperature_c < 91.0
    assert warm.power_output_kw == 0.0
    assert warm.power_limit_kw == 0.0


async def test_a_cap_above_the_heater_is_refused_and_a_lapsed_cap_restores_full_power() -> None:
    asset = boiler_asset(temperature_c=60.0)
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await module.call("set_temperature", {"target_celsius": 85.0})
        refused = await module.call("set_power_limit", {"power_kw": 200.0})
        negative = await module.call("set_power_limit", {"power_kw": -5.0})
        await module.call("set_power_limit", {"power_kw": 30.0})
        await anyio.sleep(305)  # past the 300 s hold: target and cap lapse together
        lapsed = latest(module)
    assert refused.status == 400
    assert refused.payload["error"] == "power_kw 200 is above the heater's 150 kW (max_power_kw)"
    assert negative.status == 400
    assert lapsed.power_limit_kw is msgspec.UNSET
    assert lapsed.target_celsius == 65.0
    assert asset.heater_limit_kw() == 150.0


# -- set-point expiry -------------------------------------------------------------------------------------


async def test_a_target_that_is_not_refreshed_falls_back_to_the_default_thermostat() -> None:
    asset = boiler_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await module.call("set_temperature", {"target_celsius": 80.0})
        await anyio.sleep(295)
        held = latest(module)
        expired_early = "setpoint_expired_at" in module.reported
        await anyio.sleep(10)
        lapsed = latest(module)
        reported = dict(module.reported)
        expiries = module.host.metrics.registry.get_sample_value(
            "energy_edge_setpoint_expiries_total", LABELS
        )
    assert held.target_celsius == 80.0
    assert not expired_early
    assert lapsed.target_celsius == 65.0
    assert lapsed.state is AssetState.RUNNING  # the process still needs hot water: it keeps heating
    assert asset.setpoint_celsius is None
    assert reported["setpoint_expired_at"] == "2024-06-01T12:05:00+00:00"
    assert expiries == 1.0


async def test_refreshing_the_target_keeps_it() -> None:
    asset = boiler_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        for _ in range(4):
            await module.call("set_temperature", {"target_celsius": 80.0})
            await anyio.sleep(200)
        last = latest(module)
    assert last.target_celsius == 80.0
    assert "setpoint_expired_at" not in module.reported


# -- configuration from the module twin -------------------------------------------------------------------


async def test_the_template_desired_properties_are_accepted_as_they_are() -> None:
    asset = boiler_asset()
    async with module_on_hub(asset, MODULE) as module:
        await anyio.sleep(2)
        reported = dict(module.reported)
    assert reported.get("config_error") is None
    assert reported["config"] == {**DESIRED, "auto_start": True}
    assert reported["state"] == "RUNNING"  # auto_start: not in the template, so the boiler's default
    assert asset.config == TEMPLATE_CONFIG


async def test_desired_properties_the_boiler_cannot_hold_at_start_leave_it_on_its_defaults() -> None:
    asset = boiler_asset(temperature_c=50.0)
    desired = {**DESIRED, "max_celsius": 93.0, "max_power_kw": 60.0}
    async with module_on_hub(asset, MODULE, desired=desired) as module:
        await anyio.sleep(3)
        last = latest(module)
        reported = dict(module.reported)
    assert "95 °C safety trip" in reported["config_error"]
    assert asset.config == BoilerConfig()
    assert last.state is AssetState.RUNNING
    assert last.power_output_kw == pytest.approx(-150.0)  # none of the rejected document applies


async def test_a_lower_power_limit_caps_the_heater() -> None:
    asset = boiler_asset(temperature_c=50.0)
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await anyio.sleep(2)
        await module.update_desired({"max_power_kw": 60.0})
        await anyio.sleep(5)
        last = latest(module)
        reported = dict(module.reported)
    assert last.power_output_kw == pytest.approx(-60.0)
    assert last.rated_power_kw == 60.0  # what a controller can plan with
    assert reported["config"]["max_power_kw"] == 60.0
    assert reported.get("config_error") is None


async def test_a_narrower_band_brings_the_target_in_force_into_it() -> None:
    asset = boiler_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await module.call("set_temperature", {"target_celsius": 85.0})
        await module.update_desired({"max_celsius": 75.0})
        await anyio.sleep(3)
        last = latest(module)
    assert last.target_celsius == 75.0
    assert last.max_celsius == 75.0
    assert asset.setpoint_celsius == 75.0


async def test_a_new_default_target_moves_the_thermostat_when_nobody_steers_it() -> None:
    asset = boiler_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await module.update_desired({"default_target_celsius": 70.0})
        await anyio.sleep(3)
        last = latest(module)
    assert last.target_celsius == 70.0


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        ({"min_celsius": 80.0, "max_celsius": 70.0}, "min_celsius (80) must be below max_celsius (70)"),
        ({"min_celsius": 70.0}, "min_celsius (70) must be below default_target_celsius (65)"),
        ({"default_target_celsius": 95.0}, "default_target_celsius (95) must be below max_celsius (90)"),
        (
            {"max_celsius": 93.0},
            "highest target whose thermostat band stays below the boiler's 95 °C safety trip",
        ),
        ({"max_celsius": 120.0}, "< 100.0"),
        ({"max_power_kw": 0.0}, "max_power_kw"),
        ({"max_power_kw": -150.0}, "max_power_kw"),
        ({"max_power_kw": 10.0}, "below the heater's minimum stable power (15 kW)"),
        ({"max_power_kw": "150"}, "Expected `float`, got `str`"),
        ({"max_temp": 80.0}, "unknown field `max_temp`"),
        ({"max_power_kw": 60.0, "max_celsius": 93.0}, "safety trip"),  # all of it or none of it
    ],
)
async def test_an_invalid_patch_is_rejected_and_reported(patch: dict[str, object], reason: str) -> None:
    asset = boiler_asset(temperature_c=50.0)
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await anyio.sleep(2)
        await module.update_desired(patch)
        await anyio.sleep(3)
        last = latest(module)
        reported = dict(module.reported)
    assert reason in reported["config_error"]
    assert asset.config == TEMPLATE_CONFIG
    assert last.power_output_kw == pytest.approx(-150.0)  # the heater limit is untouched
    assert last.target_celsius == 65.0


# -- telemetry, tracing, metrics --------------------------------------------------------------------------


async def test_telemetry_reaches_the_controller_and_decodes_with_the_shared_schema() -> None:
    asset = boiler_asset(temperature_c=50.0)
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await anyio.sleep(10.5)
        readings: list[Telemetry] = module.received_telemetry()
    assert len(readings) == 11  # one a second, the first when the module starts
    assert all(isinstance(r, BoilerTelemetry) for r in readings)
    boiler = [r for r in readings if isinstance(r, BoilerTelemetry)]
    assert {r.asset_id for r in boiler} == {"boiler-01"}
    assert [(b.timestamp - a.timestamp).total_seconds() for a, b in itertools.pairwise(boiler)] == [1.0] * 10
    assert all(r.power_output_kw <= 0.0 for r in boiler)  # heating draws from the site bus
    assert boiler[-1].temperature_c > boiler[1].temperature_c > 50.0
    assert boiler[-1].fault_code is None
    assert boiler[-1].heating is True
    assert (boiler[-1].min_celsius, boiler[-1].max_celsius) == (55.0, 90.0)  # the targets it may send


async def test_a_command_is_traced_as_a_child_of_the_callers_span() -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    asset = boiler_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED, tracer_provider=provider) as module:
        with provider.get_tracer("controller").start_as_current_span("control cycle") as cycle:
            await module.call("set_temperature", {"target_celsius": 75.0})
    client = next(s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT)
    server = next(s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER)
    assert server.name == "boiler-module/set_temperature"
    assert client.context is not None
    assert server.context is not None
    assert server.context.trace_id == cycle.get_span_context().trace_id
    assert server.parent is not None
    assert server.parent.span_id == client.context.span_id


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # real time: the scrape is real HTTP
async def test_metrics_are_scraped_over_http() -> None:
    asset = boiler_asset(temperature_c=50.0)
    metrics = ModuleMetrics(module_id=MODULE, asset_id="boiler-01")
    port = metrics.serve(0, "127.0.0.1")
    try:
        desired = {**DESIRED, "telemetry_interval_s": 0.1}
        async with module_on_hub(asset, MODULE, desired=desired, metrics=metrics) as module:
            await module.call("set_temperature", {"target_celsius": 80.0})
            await anyio.sleep(0.5)
            text = await anyio.to_thread.run_sync(_scrape, port)
    finally:
        metrics.close()
    samples = {
        (sample.name, sample.labels.get("state", ""), sample.labels.get("method", "")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert samples[("energy_edge_asset_temperature_celsius", "", "")] == pytest.approx(50.0, abs=0.5)
    assert samples[("energy_edge_asset_state", "RUNNING", "")] == 1.0
    assert samples[("energy_edge_asset_power_watts", "", "")] == pytest.approx(-150_000.0)
    assert samples[("energy_edge_commands_total", "", "set_temperature")] == 1.0
    assert samples[("energy_edge_telemetry_messages_total", "", "")] >= 3.0


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()
