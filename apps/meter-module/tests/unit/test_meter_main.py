"""Building the module from the container's environment."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from meter_module import MeterAsset, SimulatedMeterDriver
from meter_module.main import build

from energy_edge.physics import LoadShape


def driver_built_from(environ: dict[str, str]) -> SimulatedMeterDriver:
    asset = build("meter-01", environ)
    assert isinstance(asset, MeterAsset)
    assert asset.asset_id == "meter-01"
    assert isinstance(asset.driver, SimulatedMeterDriver)
    return asset.driver


def test_without_settings_it_simulates_a_small_industrial_site_on_utc() -> None:
    params = driver_built_from({}).load.params
    assert (params.shape, params.annual_kwh, params.tz) == (LoadShape.INDUSTRIAL, 600_000.0, UTC)


def test_the_site_is_shaped_by_the_environment() -> None:
    params = driver_built_from(
        {
            "METER_DRIVER": "simulated",
            "METER_LOAD_PROFILE": "household",
            "METER_ANNUAL_KWH": "4500",
            "METER_TIMEZONE": "Europe/Berlin",
        }
    ).load.params
    assert (params.shape, params.annual_kwh, params.tz) == (
        LoadShape.HOUSEHOLD,
        4500.0,
        ZoneInfo("Europe/Berlin"),
    )


@pytest.mark.anyio
async def test_a_seed_replays_the_same_supply() -> None:
    async def first_reading(seed: str) -> tuple[float | None, float | None]:
        reading = await driver_built_from({"METER_SEED": seed}).read()
        return reading.voltage_v, reading.frequency_hz

    assert await first_reading("42") == await first_reading("42")
    assert await first_reading("42") != await first_reading("43")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("METER_DRIVER", "modbus", "METER_DRIVER='modbus': only 'simulated' is available"),
        (
            "METER_LOAD_PROFILE",
            "H0",
            "METER_LOAD_PROFILE='H0': expected one of household, commercial, industrial",
        ),
        ("METER_ANNUAL_KWH", "-5", "METER_ANNUAL_KWH='-5': expected the site's kWh a year, > 0"),
        ("METER_ANNUAL_KWH", "lots", "METER_ANNUAL_KWH='lots'"),
        ("METER_ANNUAL_KWH", "nan", "METER_ANNUAL_KWH='nan'"),
        ("METER_TIMEZONE", "Mars/Olympus_Mons", "METER_TIMEZONE='Mars/Olympus_Mons': not a time zone name"),
        ("METER_SEED", "abc", "METER_SEED='abc': expected an integer"),
    ],
)
def test_an_unusable_setting_stops_the_container_naming_it(variable: str, value: str, message: str) -> None:
    with pytest.raises(SystemExit, match=message):
        build("meter-01", {variable: value})
