"""The meter module on an in-process hub routed by the real manifest, in virtual time."""

from __future__ import annotations

import itertools
import math
import urllib.request
from typing import Any

import anyio
import anyio.lowlevel
import msgspec
import pytest
from meter_module import MeterAsset, MeterMeasurement
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families

from energy_edge.messaging import TELEMETRY, GridMeterTelemetry, Telemetry
from energy_edge.modulehost import ModuleMetrics
from energy_edge.modulehost.testing import ModuleUnderTest, module_on_hub
from energy_edge.statemachine import AssetState

from ..conftest import DESIRED, driver_of, meter_asset

pytestmark = pytest.mark.anyio

MODULE = "meter-module"


def meter_readings(module: ModuleUnderTest) -> list[GridMeterTelemetry]:
    readings: list[Telemetry] = module.received_telemetry()
    assert all(isinstance(r, GridMeterTelemetry) for r in readings)
    return [r for r in readings if isinstance(r, GridMeterTelemetry)]


def imported_kwh(reading: GridMeterTelemetry) -> float:
    """The import register, which the meter module always sends."""
    assert isinstance(reading.import_energy_kwh, float)
    return reading.import_energy_kwh


# -- in service ----------------------------------------------------------------------------------------------


async def test_the_meter_goes_into_service_by_itself_and_reports_the_grid() -> None:
    asset = meter_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await anyio.sleep(10)
        state = module.host.lifecycle.state
        reported = dict(module.reported)
        readings = meter_readings(module)
    assert state is AssetState.RUNNING
    assert reported["state"] == "RUNNING"
    assert len(readings) >= 10
    assert all(r.state is AssetState.RUNNING and r.fault_code is None for r in readings)
    last = readings[-1]
    assert last.asset_id == "meter-01"
    # Alone, the meter sees the site's load and nothing behind it: all of it imported, import > 0.
    assert isinstance(last.site_load_kw, float)
    assert last.grid_power_kw == last.site_load_kw > 0.0
    assert last.voltage_v == pytest.approx(230.0, rel=0.03)
    assert last.frequency_hz == pytest.approx(50.0, abs=0.1)
    assert last.export_energy_kwh == 0.0
    registers = [imported_kwh(r) for r in readings]
    assert registers == sorted(registers)
    assert registers[-1] > registers[0]


async def test_telemetry_arrives_at_the_configured_interval() -> None:
    asset = meter_asset()
    async with module_on_hub(asset, MODULE, desired={**DESIRED, "telemetry_interval_s": 2.5}) as module:
        await anyio.sleep(21)
        readings = meter_readings(module)
    gaps = {(b.timestamp - a.timestamp).total_seconds() for a, b in itertools.pairwise(readings)}
    assert gaps == {2.5}
    assert len(readings) == 9  # t = 0, 2.5, ..., 20


async def test_telemetry_is_the_shared_schema_on_the_wire() -> None:
    asset = meter_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await anyio.sleep(1.5)
        message = await anext(aiter(module.controller.messages("telemetry")))
    document = msgspec.json.decode(message.body)
    assert document["asset_type"] == "grid_meter"
    assert document["timestamp"].endswith("Z")
    assert set(document) == {
        "asset_type",
        "asset_id",
        "state",
        "timestamp",
        "fault_code",
        "grid_power_kw",
        "site_load_kw",
        "voltage_v",
        "frequency_hz",
        "import_energy_kwh",
        "export_energy_kwh",
    }


async def test_with_auto_start_off_the_meter_stays_idle_until_it_is_switched_on() -> None:
    asset = meter_asset()
    async with module_on_hub(asset, MODULE, desired={**DESIRED, "auto_start": False}) as module:
        await anyio.sleep(5)
        idle = module.host.lifecycle.state
        idle_readings = meter_readings(module)
        await module.update_desired({"auto_start": True})
        await anyio.sleep(1)
        state = module.host.lifecycle.state
    assert idle is AssetState.IDLE
    assert idle_readings  # still reporting while out of service
    assert all(r.state is AssetState.IDLE for r in idle_readings)
    assert state is AssetState.RUNNING


class RevenueMeter:
    """A meter that measures only what a bidirectional revenue meter must: power and its registers; the
    kind of driver a site without sub-metering, or the site simulator's shared model, hands the module."""

    def __init__(self) -> None:
        self.power_kw = -42.0  # the site exports

    async def read(self) -> MeterMeasurement:
        await anyio.lowlevel.checkpoint()
        return MeterMeasurement(power_kw=self.power_kw, import_energy_kwh=1200.0, export_energy_kwh=310.5)

    async def acknowledge_fault(self) -> None:
        await anyio.lowlevel.checkpoint()


async def test_any_meter_driver_will_do_and_what_it_does_not_measure_is_not_sent() -> None:
    asset = MeterAsset("meter-01", RevenueMeter())
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await anyio.sleep(1.5)
        message = await anext(aiter(module.controller.messages("telemetry")))
        state = module.host.lifecycle.state
    reading = TELEMETRY.decode(message.body)
    assert isinstance(reading, GridMeterTelemetry)
    assert (reading.grid_power_kw, reading.import_energy_kwh, reading.export_energy_kwh) == (
        -42.0,
        1200.0,
        310.5,
    )
    assert reading.site_load_kw is reading.voltage_v is reading.frequency_hz is msgspec.UNSET
    assert not {"site_load_kw", "voltage_v", "frequency_hz"} & set(msgspec.json.decode(message.body))
    assert state is AssetState.RUNNING  # nothing to judge the supply by: in service on its word


# -- faults and reset ----------------------------------------------------------------------------------------


async def test_a_meter_error_latches_fault_and_reset_puts_the_meter_back_in_service() -> None:
    asset = meter_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await anyio.sleep(3)
        driver_of(asset).inject_fault("meter: measurement circuit error")
        await anyio.sleep(2)
        faulted, reason = module.host.lifecycle.state, dict(module.reported)["fault_reason"]
        readings = meter_readings(module)
        reset = await module.call("reset")
        after_reset = module.host.lifecycle.state
        await anyio.sleep(1.5)  # the next tick
        state = module.host.lifecycle.state
        reported = dict(module.reported)
    assert faulted is AssetState.FAULT
    assert reason == "meter: measurement circuit error"
    last = readings[-1]
    assert (last.state, last.fault_code) == (AssetState.FAULT, "meter: measurement circuit error")
    assert last.grid_power_kw > 0.0  # a faulted meter still shows the grid
    assert (reset.status, reset.payload) == (200, {"status": "ok", "state": "IDLE"})
    assert after_reset is AssetState.IDLE
    # No start command exists for a meter: the next clean reading puts it back in service.
    assert state is AssetState.RUNNING
    assert (reported["state"], reported.get("fault_reason")) == ("RUNNING", None)


async def test_an_error_whose_cause_persists_cannot_be_reset() -> None:
    asset = meter_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        driver_of(asset).inject_fault("meter: voltage path fuse blown", persists=True)
        await anyio.sleep(2)
        refused = await module.call("reset")
        await anyio.sleep(2)
        still = module.host.lifecycle.state
        driver_of(asset).repair()
        accepted = await module.call("reset")
        await anyio.sleep(1.5)  # the next tick
        state = module.host.lifecycle.state
    assert (refused.status, refused.payload) == (
        409,
        {"status": "error", "error": "fault persists: meter: voltage path fuse blown"},
    )
    assert still is AssetState.FAULT
    assert accepted.status == 200
    assert state is AssetState.RUNNING


@pytest.mark.parametrize(
    ("excursion", "fault"),
    [
        ({"grid_voltage_v": 190.0}, "grid voltage 1"),  # a sagging feeder
        ({"grid_voltage_v": 0.0}, "grid voltage 0.0 V outside 207.0-253.0 V (230 V ± 10 %)"),  # loss of mains
        ({"grid_frequency_hz": 48.7}, "grid frequency 48."),  # an under-frequency event
    ],
)
async def test_a_supply_outside_the_band_latches_fault_until_it_recovers(
    excursion: dict[str, float], fault: str
) -> None:
    asset = meter_asset()
    driver = driver_of(asset)
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await anyio.sleep(2)
        for name, value in excursion.items():
            setattr(driver, name, value)
        await anyio.sleep(2)
        faulted = module.host.lifecycle.state
        refused = await module.call("reset")
        driver.grid_voltage_v, driver.grid_frequency_hz = 230.0, 50.0
        await anyio.sleep(3)
        still = module.host.lifecycle.state  # latched: the excursion is over but not acknowledged
        readings = meter_readings(module)
        accepted = await module.call("reset")
        await anyio.sleep(1.5)  # the next tick
        state = module.host.lifecycle.state
    assert faulted is AssetState.FAULT
    assert refused.status == 409
    assert refused.payload["error"].startswith(f"fault persists: {fault}")
    assert still is AssetState.FAULT
    faulted_readings = [r for r in readings if r.state is AssetState.FAULT]
    assert faulted_readings
    assert all(r.fault_code is not None and r.fault_code.startswith(fault) for r in faulted_readings)
    assert accepted.payload == {"status": "ok", "state": "IDLE"}
    assert state is AssetState.RUNNING


async def test_a_frequency_no_grid_can_have_is_left_out_and_the_message_still_decodes() -> None:
    asset = meter_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        driver_of(asset).grid_frequency_hz = 0.0  # a register reading garbage
        await anyio.sleep(2)
        [*_, last] = meter_readings(module)
    assert last.frequency_hz is msgspec.UNSET
    assert last.fault_code is not None
    assert last.fault_code.startswith("grid frequency 0.")
    assert last.voltage_v == pytest.approx(230.0, rel=0.03)


async def test_a_meter_that_stops_answering_latches_a_communication_fault() -> None:
    asset = meter_asset()
    driver = driver_of(asset)
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await anyio.sleep(2.5)  # reads at t = 0, 1, 2
        [*_, before] = meter_readings(module)
        driver.lose_link()
        await anyio.sleep(2.0)  # reads at t = 3, 4 fail
        tolerated = module.host.lifecycle.state
        await anyio.sleep(1.0)  # and the one at t = 5
        faulted, reason = module.host.lifecycle.state, module.host.lifecycle.fault_reason
        silent = meter_readings(module)
        refused = await module.call("reset")
        await anyio.sleep(10)
        driver.restore_link()
        await anyio.sleep(1)
        [back, *_] = meter_readings(module)
        accepted = await module.call("reset")
        await anyio.sleep(1.5)  # the next tick
        state = module.host.lifecycle.state
    assert tolerated is AssetState.RUNNING  # two misses are tolerated
    assert faulted is AssetState.FAULT
    assert reason == "equipment not responding: meter did not answer (Modbus TCP timeout)"
    assert silent == []  # no reading, no telemetry
    assert (refused.status, refused.payload["error"]) == (
        409,
        "fault persists: meter not responding: meter did not answer (Modbus TCP timeout)",
    )
    # The meter kept counting while silent: the first reading back has the whole gap's energy.
    elapsed_h = (back.timestamp - before.timestamp).total_seconds() / 3600.0
    assert imported_kwh(back) - imported_kwh(before) == pytest.approx(back.grid_power_kw * elapsed_h, rel=0.2)
    assert accepted.payload == {"status": "ok", "state": "IDLE"}
    assert state is AssetState.RUNNING


async def test_a_refused_reset_acknowledges_nothing() -> None:
    asset = meter_asset()
    driver = driver_of(asset)
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        driver.inject_fault("meter: measurement circuit error")
        driver.grid_voltage_v = 190.0
        await anyio.sleep(2)
        refused = await module.call("reset")
        error_kept = (await driver.read()).fault
        driver.grid_voltage_v = 230.0
        accepted = await module.call("reset")
        error_after = (await driver.read()).fault
    assert refused.status == 409
    assert refused.payload["error"].startswith("fault persists: grid voltage 1")
    assert error_kept == "meter: measurement circuit error"  # the meter's error is still there to see
    assert accepted.status == 200
    assert error_after is None


# -- rejected commands ---------------------------------------------------------------------------------------


async def observe(module: ModuleUnderTest) -> tuple[AssetState, dict[str, Any], GridMeterTelemetry]:
    await anyio.sleep(2)
    [*_, last] = meter_readings(module)
    reported = dict(module.reported)
    return module.host.lifecycle.state, {key: reported.get(key) for key in ("state", "fault_reason")}, last


@pytest.mark.parametrize("payload", [None, {}])
async def test_reset_in_service_is_409_and_changes_nothing(payload: object) -> None:
    asset = meter_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        before = await observe(module)
        response = await module.call("reset", payload)
        state, reported, last = await observe(module)
    assert (response.status, response.payload) == (
        409,
        {"status": "error", "error": "'reset' is not allowed in state RUNNING (allowed in: FAULT)"},
    )
    assert (state, reported) == before[:2] == (AssetState.RUNNING, {"state": "RUNNING", "fault_reason": None})
    assert (last.state, last.fault_code) == (AssetState.RUNNING, None)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ([], "Expected `object`, got `array`"),
        ("now", "Expected `object`, got `str`"),
        (1, "Expected `object`, got `int`"),
        ({"confirm": math.nan}, "non-finite number at `$.confirm`"),
    ],
)
async def test_a_bad_reset_payload_is_400_and_changes_nothing(payload: object, reason: str) -> None:
    asset = meter_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        driver_of(asset).inject_fault("meter: measurement circuit error")
        before = await observe(module)
        response = await module.call("reset", payload)
        state, reported, last = await observe(module)
        good = await module.call("reset")
    assert response.status == 400
    assert response.payload["status"] == "error"
    assert reason in response.payload["error"]
    assert (state, reported) == before[:2]
    assert state is AssetState.FAULT
    assert last.fault_code == "meter: measurement circuit error"  # the meter's error was not acknowledged
    assert good.status == 200  # and a good reset still can


@pytest.mark.parametrize(
    "method",
    ["start", "stop", "set_output", "start_charging", "start_discharging", "set_temperature", "Reset"],
)
async def test_every_other_method_is_404_and_changes_nothing(method: str) -> None:
    asset = meter_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        before = await observe(module)
        response = await module.call(method, {"power_kw": 10.0} if "charg" in method else None)
        state, reported, last = await observe(module)
        counted = module.host.metrics.registry.get_sample_value(
            "energy_edge_commands_total",
            {"module": MODULE, "asset_id": "meter-01", "method": "unknown", "status": "404"},
        )
    assert (response.status, response.payload) == (
        404,
        {"status": "error", "error": f"unknown method '{method}' (this asset has: reset)"},
    )
    assert (state, reported) == before[:2]
    assert state is AssetState.RUNNING
    assert last.state is AssetState.RUNNING
    assert counted == 1.0


# -- configuration -------------------------------------------------------------------------------------------


async def test_the_templates_desired_properties_are_accepted_as_they_are() -> None:
    asset = meter_asset()
    async with module_on_hub(asset, MODULE) as module:  # desired properties from the deployment template
        await anyio.sleep(1)
        reported = dict(module.reported)
        state = module.host.lifecycle.state
    assert reported.get("config_error") is None
    assert reported["config"]["telemetry_interval_s"] == 1.0
    assert reported["config"]["auto_start"] is True
    assert reported["config"]["nominal_voltage_v"] == 230.0
    assert state is AssetState.RUNNING


async def test_a_good_patch_is_applied_whole_and_reported() -> None:
    asset = meter_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        await module.update_desired(
            {"voltage_tolerance_percent": 5.0, "frequency_tolerance_hz": 0.5, "telemetry_interval_s": 5.0}
        )
        module.received_telemetry()
        await anyio.sleep(20)
        readings = meter_readings(module)
        reported = dict(module.reported)
    assert asset.config.voltage_band_v == pytest.approx((218.5, 241.5))
    assert asset.config.frequency_band_hz == (49.5, 50.5)
    assert reported["config"]["voltage_tolerance_percent"] == 5.0
    assert reported.get("config_error") is None
    assert len(readings) == 4  # every 5 s now


async def test_a_new_band_applies_at_once() -> None:
    asset = meter_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        # Somebody entered the 110 V of another site: the 230 V supply is out of band on the next read.
        await module.update_desired({"nominal_voltage_v": 110.0})
        await anyio.sleep(1)
        reason = module.host.lifecycle.fault_reason
        await module.update_desired({"nominal_voltage_v": 230.0})
        reset = await module.call("reset")
    assert reason is not None
    assert reason.startswith("grid voltage 2")
    assert reason.endswith("V outside 99.0-121.0 V (110 V ± 10 %)")
    assert reset.status == 200


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        ({"nominal_frequency_hz": 55.0}, "nominal_frequency_hz must be 50 or 60, got 55"),
        ({"voltage_tolerance_percent": 0.0}, "Expected `float` > 0.0 - at `$.voltage_tolerance_percent`"),
        ({"nominal_voltage_v": -230.0}, "at `$.nominal_voltage_v`"),
        ({"auto_start": "yes"}, "Expected `bool`, got `str` - at `$.auto_start`"),
        ({"nominal_voltage": 230.0}, "unknown field `nominal_voltage`"),
        ({"telemetry_interval_s": 0.0}, "at `$.telemetry_interval_s`"),
        # Valid with an invalid companion: none of the patch takes effect.
        ({"voltage_tolerance_percent": 5.0, "frequency_tolerance_hz": 9.0}, "`$.frequency_tolerance_hz`"),
    ],
)
async def test_a_bad_patch_is_rejected_whole_and_reported(patch: dict[str, object], reason: str) -> None:
    asset = meter_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED) as module:
        before = asset.config
        await module.update_desired(patch)
        await anyio.sleep(2)
        reported = dict(module.reported)
        state = module.host.lifecycle.state
    assert asset.config == before
    assert reason in reported["config_error"]
    assert reported["config"]["voltage_tolerance_percent"] == 10.0
    assert state is AssetState.RUNNING


# -- observability -------------------------------------------------------------------------------------------


async def test_a_reset_is_traced_as_a_child_of_the_callers_span() -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    asset = meter_asset()
    async with module_on_hub(asset, MODULE, desired=DESIRED, tracer_provider=provider) as module:
        driver_of(asset).inject_fault("meter: measurement circuit error")
        await anyio.sleep(1)
        with provider.get_tracer("controller").start_as_current_span("control cycle") as cycle:
            await module.call("reset")
    finished = spans.get_finished_spans()
    client = next(s for s in finished if s.kind is SpanKind.CLIENT)
    server = next(s for s in finished if s.kind is SpanKind.SERVER)
    assert server.name == "meter-module/reset"
    assert client.context is not None
    assert server.context is not None
    assert server.context.trace_id == cycle.get_span_context().trace_id
    assert server.parent is not None
    assert server.parent.span_id == client.context.span_id
    [event] = [e for e in server.events if e.name == "asset.state_change"]
    assert event.attributes is not None
    assert (event.attributes["asset.state.previous"], event.attributes["asset.state"]) == ("FAULT", "IDLE")


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # real time: the scrape is real HTTP
async def test_metrics_are_scraped_over_http() -> None:
    asset = meter_asset()
    metrics = ModuleMetrics(module_id=MODULE, asset_id="meter-01")
    port = metrics.serve(0, "127.0.0.1")
    try:
        desired = {**DESIRED, "telemetry_interval_s": 0.1}
        async with module_on_hub(asset, MODULE, desired=desired, metrics=metrics) as module:
            await module.call("reset")  # in service: 409
            await anyio.sleep(0.5)
            last = module.host.last_measurement
            text = await anyio.to_thread.run_sync(_scrape, port)
    finally:
        metrics.close()
    samples = {
        (sample.name, sample.labels.get("state", ""), sample.labels.get("status", "")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.labels.get("module") == MODULE and sample.labels.get("asset_id") == "meter-01"
    }
    assert last is not None
    # The tick goes on while the scrape runs in real time: the reading of a moment later, within noise.
    assert samples[("energy_edge_asset_power_watts", "", "")] == pytest.approx(
        last.power_kw * 1000.0, rel=0.05
    )
    assert samples[("energy_edge_asset_power_watts", "", "")] > 0.0  # import is positive
    assert samples[("energy_edge_asset_state", "RUNNING", "")] == 1.0
    assert samples[("energy_edge_asset_state", "FAULT", "")] == 0.0
    assert samples[("energy_edge_commands_total", "", "409")] == 1.0
    assert samples[("energy_edge_telemetry_messages_total", "", "")] >= 3.0


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()
