"""Desired properties: validated as a whole, applied atomically, the result reported back."""

from __future__ import annotations

import anyio
import pytest

from .conftest import HeaterAsset, running

pytestmark = pytest.mark.anyio


async def test_start_up_configuration_comes_from_the_twin_and_is_reported(heater: HeaterAsset) -> None:
    async with running(heater, {"max_power_kw": 30.0, "telemetry_interval_s": 2.0}) as site:
        reported = dict(site.reported)
    assert heater.config.max_power_kw == 30.0
    assert reported["config"]["max_power_kw"] == 30.0
    assert reported["config"]["telemetry_interval_s"] == 2.0
    assert reported.get("config_error") is None  # null deletes a reported property
    assert reported["config_version"] == 1
    assert reported["state"] == "IDLE"


async def test_invalid_start_up_properties_leave_the_defaults_and_report_why(heater: HeaterAsset) -> None:
    async with running(heater, {"max_power_kw": -3}) as site:
        reported = dict(site.reported)
    assert heater.config.max_power_kw == 50.0
    assert "max_power_kw" in reported["config_error"]
    assert reported["config"]["max_power_kw"] == 50.0


async def test_a_valid_patch_is_applied_and_reported_with_its_version(heater: HeaterAsset) -> None:
    async with running(heater) as site:
        await site.update_desired({"max_power_kw": 25.0})
        response = await site.call("set_power", {"power_kw": 26.0})
        reported = dict(site.reported)
    assert heater.config.max_power_kw == 25.0
    assert response.status == 400  # the new limit is in force
    assert reported["config"]["max_power_kw"] == 25.0
    assert reported["config_version"] == 2


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        ({"max_power_kw": "lots"}, "Expected `float`, got `str`"),
        ({"max_power_kw": 40.0, "telemetry_interval_s": 0.0}, "telemetry_interval_s"),
        ({"min_power_kw": 80.0}, "min_power_kw must not exceed max_power_kw"),
        ({"max_ouput_kw": 10.0}, "unknown field `max_ouput_kw`"),
        ({"max_power_kw": float("nan")}, "max_power_kw"),
    ],
    ids=["wrong-type", "one-bad-field-among-good", "cross-field", "typo", "nan"],
)
async def test_an_invalid_patch_changes_nothing_and_reports_why(
    heater: HeaterAsset, patch: dict[str, object], reason: str
) -> None:
    async with running(heater, {"max_power_kw": 60.0}) as site:
        before = heater.config
        await site.update_desired(patch)
        reported = dict(site.reported)
        rejections = site.host.metrics.registry.get_sample_value(
            "energy_edge_config_rejections_total", {"module": "boiler-module", "asset_id": "boiler-01"}
        )
    assert heater.config is before
    assert reason in reported["config_error"]
    assert reported["config_rejected_version"] == 2
    assert reported["config"]["max_power_kw"] == 60.0
    assert rejections == 1.0


async def test_a_later_good_patch_builds_on_the_last_accepted_one(heater: HeaterAsset) -> None:
    async with running(heater) as site:
        await site.update_desired({"max_power_kw": 40.0})
        await site.update_desired({"max_power_kw": -1.0})
        await site.update_desired({"min_power_kw": 5.0})
        reported = dict(site.reported)
    assert (heater.config.max_power_kw, heater.config.min_power_kw) == (40.0, 5.0)
    assert reported.get("config_error") is None  # null deletes a reported property


async def test_null_returns_a_setting_to_its_default(heater: HeaterAsset) -> None:
    async with running(heater, {"max_power_kw": 40.0}) as site:
        await site.update_desired({"max_power_kw": None})
    assert heater.config.max_power_kw == 50.0


async def test_a_patch_the_equipment_refuses_changes_nothing(heater: HeaterAsset) -> None:
    async with running(heater) as site:
        heater.refuse_config = "inverter rejected the new limit"
        await site.update_desired({"max_power_kw": 20.0})
        reported = dict(site.reported)
    assert heater.config.max_power_kw == 50.0
    assert reported["config_error"] == "inverter rejected the new limit"


async def test_a_new_telemetry_interval_takes_effect(heater: HeaterAsset) -> None:
    async with running(heater, {"telemetry_interval_s": 10.0}) as site:
        await anyio.sleep(0.5)
        await site.update_desired({"telemetry_interval_s": 1.0})
        await anyio.sleep(20.2)
        readings = site.received_telemetry()
    # t = 0 and 10 at the old interval, then every second up to t = 20.
    assert [round(r.timestamp.second) for r in readings][:3] == [0, 10, 11]
    assert len(readings) == 12
