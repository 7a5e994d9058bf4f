"""Direct methods: DESIGN.md's statuses and bodies, and a rejected command changes nothing."""

from __future__ import annotations

import math

import pytest

from energy_edge.statemachine import AssetState

from .conftest import HeaterAsset, HeaterDriverDouble, running

pytestmark = pytest.mark.anyio


async def test_start_enters_starting_and_answers_with_the_state(heater: HeaterAsset) -> None:
    async with running(heater) as site:
        response = await site.call("start")
    assert (response.status, response.payload) == (200, {"status": "ok", "state": "STARTING"})
    assert heater.driver.energised


async def test_set_power_answers_with_the_applied_power(heater: HeaterAsset) -> None:
    async with running(heater) as site:
        response = await site.call("set_power", {"power_kw": 20})
    assert response.payload == {"status": "ok", "state": "IDLE", "actual_kw": 20.0}


async def test_unknown_method_is_404_naming_the_known_ones(heater: HeaterAsset) -> None:
    async with running(heater) as site:
        response = await site.call("self_destruct")
    assert response.status == 404
    assert response.payload["status"] == "error"
    assert "unknown method 'self_destruct'" in response.payload["error"]
    assert "set_power" in response.payload["error"]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"power_kw": "20"}, "Expected `float`, got `str`"),
        ({}, "missing required field `power_kw`"),
        ({"power_kw": -5.0}, ">= 0.0"),
        ({"power_kw": math.nan}, "non-finite number at `$.power_kw`"),
        ({"power_kw": math.inf}, "non-finite number"),
        ("20", "Expected `object`"),
    ],
    ids=["string", "missing", "negative", "nan", "inf", "not-an-object"],
)
async def test_bad_payloads_are_400_and_change_nothing(
    heater: HeaterAsset, payload: object, reason: str
) -> None:
    async with running(heater) as site:
        response = await site.call("set_power", payload)
        state = site.host.lifecycle.state
    assert response.status == 400
    assert reason in response.payload["error"]
    assert (state, heater.driver.setpoint_kw, heater.setpoint_hold.armed) == (AssetState.IDLE, 0.0, False)


async def test_above_the_configured_limit_is_400_and_changes_nothing(heater: HeaterAsset) -> None:
    async with running(heater, {"max_power_kw": 30.0}) as site:
        response = await site.call("set_power", {"power_kw": 31.0})
    assert response.status == 400
    assert response.payload["error"] == "power_kw 31.0 exceeds max_power_kw 30.0"
    assert heater.driver.setpoint_kw == 0.0


async def test_a_command_not_allowed_in_the_state_is_409_and_changes_nothing(heater: HeaterAsset) -> None:
    async with running(heater) as site:
        stop = await site.call("stop")
        reset = await site.call("reset")
        state = site.host.lifecycle.state
    assert (stop.status, reset.status) == (409, 409)
    assert "'stop' is not allowed in state IDLE" in stop.payload["error"]
    assert state is AssetState.IDLE
    assert heater.driver.stops == 0


async def test_a_handler_refusal_keeps_its_status(heater: HeaterAsset) -> None:
    async with running(heater) as site:
        response = await site.call("set_power", {"power_kw": 13.0})
    assert (response.status, response.payload) == (409, {"status": "error", "error": "unlucky power"})


async def test_a_handler_crash_is_500_and_the_module_keeps_serving(heater: HeaterAsset) -> None:
    async with running(heater) as site:
        crashed = await site.call("explode", {"power_kw": 1.0})
        after = await site.call("start")
    assert crashed.status == 500
    assert crashed.payload["error"] == "RuntimeError: heater element short-circuit in the handler"
    assert after.status == 200


async def test_equipment_that_refuses_to_start_leaves_the_asset_idle(
    heater: HeaterAsset, driver: HeaterDriverDouble
) -> None:
    driver.start_error = OSError("contactor feedback missing")
    async with running(heater) as site:
        response = await site.call("start")
        state = site.host.lifecycle.state
    assert response.status == 500
    assert state is AssetState.IDLE


async def test_commands_are_counted_by_method_and_status(heater: HeaterAsset) -> None:
    async with running(heater) as site:
        await site.call("start")
        await site.call("stop")
        await site.call("nonsense")
        await site.call("start")  # the same method again, now refused: its own series
        await site.call("nonsense")
        metrics = site.host.metrics

    def count(method: str, status: str) -> float | None:
        return metrics.registry.get_sample_value(
            "energy_edge_commands_total",
            {"module": "boiler-module", "asset_id": "boiler-01", "method": method, "status": status},
        )

    assert count("start", "200") == 1.0
    assert count("start", "409") == 1.0
    assert count("stop", "409") == 1.0
    assert count("unknown", "404") == 2.0
    durations = metrics.registry.get_sample_value(
        "energy_edge_method_duration_seconds_count",
        {"module": "boiler-module", "asset_id": "boiler-01", "method": "start"},
    )
    assert durations == 2.0
