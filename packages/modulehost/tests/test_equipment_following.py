"""The lifecycle follows the equipment; faults latch and make the equipment safe; telemetry flows."""

from __future__ import annotations

import anyio
import pytest

from energy_edge.statemachine import AssetState

from .conftest import HeaterAsset, HeaterDriverDouble, running

pytestmark = pytest.mark.anyio


async def test_starting_ends_when_the_equipment_runs_and_stopping_when_it_stops(heater: HeaterAsset) -> None:
    async with running(heater) as site:
        await site.call("start")
        await anyio.sleep(2.5)
        after_start = site.host.lifecycle.state
        await site.call("stop")
        await anyio.sleep(2.5)
        after_stop = site.host.lifecycle.state
    assert (after_start, after_stop) == (AssetState.RUNNING, AssetState.IDLE)


async def test_telemetry_is_sent_every_interval_with_the_state(heater: HeaterAsset) -> None:
    async with running(heater, {"telemetry_interval_s": 5.0}) as site:
        await anyio.sleep(20.5)
        readings = site.received_telemetry()
    assert len(readings) == 5  # t = 0, 5, 10, 15, 20
    assert [r.timestamp.second for r in readings] == [0, 5, 10, 15, 20]
    assert {r.asset_id for r in readings} == {"boiler-01"}
    assert {r.state for r in readings} == {AssetState.IDLE}


async def test_an_equipment_fault_latches_stops_the_equipment_and_is_reported(
    heater: HeaterAsset, driver: HeaterDriverDouble
) -> None:
    async with running(heater) as site:
        await site.call("start")
        await site.call("set_power", {"power_kw": 20.0})
        await anyio.sleep(2)
        driver.fault = "over-temperature 96.0 °C"
        await anyio.sleep(1)
        state, reason = site.host.lifecycle.state, site.host.lifecycle.fault_reason
        refused = await site.call("start")
        readings = site.received_telemetry()
        reported = dict(site.reported)
    assert (state, reason) == (AssetState.FAULT, "over-temperature 96.0 °C")
    assert driver.stops == 1
    assert not driver.energised
    assert not heater.setpoint_hold.armed
    assert refused.status == 409
    assert readings[-1].state is AssetState.FAULT
    assert readings[-1].fault_code == "over-temperature 96.0 °C"
    assert (reported["state"], reported["fault_reason"]) == ("FAULT", "over-temperature 96.0 °C")


async def test_reset_returns_to_idle_once_the_fault_clears(
    heater: HeaterAsset, driver: HeaterDriverDouble
) -> None:
    async with running(heater) as site:
        driver.fault = "over-temperature"
        driver.fault_persists = True
        await anyio.sleep(1)
        refused = await site.call("reset")
        driver.fault_persists = False
        accepted = await site.call("reset")
        await anyio.sleep(1)
        state = site.host.lifecycle.state
    assert (refused.status, refused.payload["error"]) == (409, "heater still over temperature")
    assert accepted.payload == {"status": "ok", "state": "IDLE"}
    assert state is AssetState.IDLE


async def test_equipment_that_stops_answering_latches_a_communication_fault(
    heater: HeaterAsset, driver: HeaterDriverDouble
) -> None:
    async with running(heater) as site:
        await site.call("start")
        await anyio.sleep(2.5)  # reads at t = 0, 1, 2: RUNNING
        driver.read_error = TimeoutError("Modbus read timed out")
        await anyio.sleep(2.1)  # reads at t = 3, 4 fail
        still_running = site.host.lifecycle.state
        await anyio.sleep(1.0)  # the read at t = 5 fails too
        state, reason = site.host.lifecycle.state, site.host.lifecycle.fault_reason
    assert still_running is AssetState.RUNNING  # two misses are tolerated
    assert state is AssetState.FAULT
    assert reason == "equipment not responding: Modbus read timed out"
    assert driver.stops == 1


async def test_auto_start_starts_the_equipment_with_the_module(heater: HeaterAsset) -> None:
    async with running(heater, {"auto_start": True}) as site:
        await anyio.sleep(1.5)
        state = site.host.lifecycle.state
    assert state is AssetState.RUNNING


async def test_telemetry_send_failures_are_counted_and_do_not_stop_the_tick(heater: HeaterAsset) -> None:
    async with running(heater) as site:
        site.hub.set_link("boiler-module", up=False)  # edgeHub restarting
        await anyio.sleep(2.5)
        site.hub.set_link("boiler-module", up=True)
        await anyio.sleep(1)
        failed = site.host.metrics.registry.get_sample_value(
            "energy_edge_telemetry_send_failures_total", {"module": "boiler-module", "asset_id": "boiler-01"}
        )
        sent = site.host.metrics.registry.get_sample_value(
            "energy_edge_telemetry_messages_total", {"module": "boiler-module", "asset_id": "boiler-01"}
        )
    assert (failed, sent) == (3.0, 1.0)  # ticks at t = 0, 1, 2 lost; t = 3 sent


async def test_equipment_still_silent_after_a_reset_latches_the_fault_again(
    heater: HeaterAsset, driver: HeaterDriverDouble
) -> None:
    async with running(heater) as site:
        driver.read_error = TimeoutError("Modbus read timed out")
        await anyio.sleep(3.5)
        reset = await site.call("reset")
        await anyio.sleep(1)
        state = site.host.lifecycle.state
    assert reset.status == 200
    assert state is AssetState.FAULT
