"""A set-point from outside lapses unless refreshed; the asset then falls back to safe behaviour."""

from __future__ import annotations

import anyio
import pytest

from .conftest import HeaterAsset, running

pytestmark = pytest.mark.anyio


async def test_a_set_point_that_is_not_refreshed_falls_back_and_is_counted_and_reported(
    heater: HeaterAsset,
) -> None:
    async with running(heater, {"setpoint_hold_s": 30.0}) as site:
        await site.call("set_power", {"power_kw": 20.0})
        await anyio.sleep(29.5)
        held = (heater.driver.setpoint_kw, heater.fallbacks)
        await anyio.sleep(1.0)
        lapsed = (heater.driver.setpoint_kw, heater.fallbacks)
        expiries = site.host.metrics.registry.get_sample_value(
            "energy_edge_setpoint_expiries_total", {"module": "boiler-module", "asset_id": "boiler-01"}
        )
        reported = dict(site.reported)
    assert held == (20.0, 0)
    assert lapsed == (0.0, 1)
    assert expiries == 1.0
    assert reported["setpoint_expired_at"] == "2024-06-01T12:00:30+00:00"


async def test_refreshing_the_set_point_keeps_it(heater: HeaterAsset) -> None:
    async with running(heater, {"setpoint_hold_s": 30.0}) as site:
        for _ in range(4):
            await site.call("set_power", {"power_kw": 20.0})
            await anyio.sleep(20)
    assert heater.fallbacks == 0
    assert heater.driver.setpoint_kw == 20.0


async def test_the_fallback_runs_once_per_lapse(heater: HeaterAsset) -> None:
    async with running(heater, {"setpoint_hold_s": 5.0}) as site:
        await site.call("set_power", {"power_kw": 20.0})
        await anyio.sleep(60)
    assert heater.fallbacks == 1


async def test_stopping_clears_the_hold(heater: HeaterAsset) -> None:
    async with running(heater, {"setpoint_hold_s": 5.0}) as site:
        await site.call("start")
        await site.call("set_power", {"power_kw": 20.0})
        await anyio.sleep(2.5)
        await site.call("stop")
        await anyio.sleep(10)
    assert heater.fallbacks == 0
