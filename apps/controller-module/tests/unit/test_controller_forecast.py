"""The controller's own surplus forecast: clear sky of its array, learnt clearness and load, the outlook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from controller_module.forecast import Outlook, PvArray, SurplusForecaster
from controller_module.snapshot import BatteryView, MeterView, PvView, SiteSnapshot

from energy_edge.statemachine import AssetState

FRANKFURT = PvArray(latitude=50.11, longitude=8.68, altitude_m=112.0, peak_kw=120.0)
SOLSTICE = datetime(2024, 6, 21, tzinfo=UTC)
RUNNING = AssetState.RUNNING


def snapshot(at: datetime, *, available_kw: float, load_kw: float, soc: float = 30.0) -> SiteSnapshot:
    """PV delivering all it can, the battery idle, the meter showing load minus PV."""
    pv = PvView("solar-01", "solar-module", RUNNING, available_kw, available_kw, None, 100.0)
    battery = BatteryView("battery-01", "battery-module", RUNNING, 0.0, soc, 60.0, 30.0, 30.0)
    meter = MeterView("meter-01", RUNNING, load_kw - available_kw)
    return SiteSnapshot(at, at.timestamp(), (pv,), (battery,), (), meter, frozenset())


def test_the_clear_sky_of_the_array_peaks_near_solar_noon_and_is_dark_at_night() -> None:
    forecaster = SurplusForecaster(FRANKFURT)
    noon = SOLSTICE + timedelta(hours=11, minutes=25)  # solar noon at 8.68 deg E is about 11:25 UTC
    at_noon = forecaster.clear_sky_kw(noon.timestamp())
    assert 80.0 < at_noon < 110.0  # ~1000 W/m2 on a 30 deg south plane x 120 kWp x 0.85
    assert forecaster.clear_sky_kw((SOLSTICE + timedelta(hours=23)).timestamp()) == 0.0
    morning = forecaster.clear_sky_kw((noon - timedelta(hours=3)).timestamp())
    afternoon = forecaster.clear_sky_kw((noon + timedelta(hours=3)).timestamp())
    assert morning == pytest.approx(afternoon, rel=0.05)
    assert morning < at_noon


def test_clearness_and_load_are_learnt_from_what_the_site_measures() -> None:
    forecaster = SurplusForecaster(FRANKFURT)
    start = SOLSTICE + timedelta(hours=8)
    for minute in range(240):
        at = start + timedelta(minutes=minute)
        half_sun = 0.5 * forecaster.clear_sky_kw(at.timestamp())
        forecaster.observe(snapshot(at, available_kw=half_sun, load_kw=5.0))
    assert forecaster.clearness == pytest.approx(0.5, abs=0.01)
    assert forecaster.load_kw == pytest.approx(5.0, abs=0.01)


def test_without_measurements_there_is_no_outlook() -> None:
    forecaster = SurplusForecaster(FRANKFURT)
    night = SOLSTICE + timedelta(hours=1)
    forecaster.observe(snapshot(night, available_kw=0.0, load_kw=3.0))
    assert forecaster.clearness is None  # the dark teaches nothing about clearness
    assert forecaster.outlook(snapshot(night, available_kw=0.0, load_kw=3.0), 29.0) is None


def test_a_clear_morning_forecasts_surplus_well_beyond_a_30_kw_limit() -> None:
    forecaster = SurplusForecaster(FRANKFURT)
    at = SOLSTICE + timedelta(hours=7)
    for minute in range(0, 60, 5):
        now = at + timedelta(minutes=minute)
        forecaster.observe(snapshot(now, available_kw=forecaster.clear_sky_kw(now.timestamp()), load_kw=4.0))
    outlook = forecaster.outlook(snapshot(at + timedelta(hours=1), available_kw=40.0, load_kw=4.0), 29.0)
    assert outlook is not None
    assert outlook.beyond_limit_kwh > 150.0  # ~50 kW beyond the limit for several hours
    assert 6.0 < outlook.surplus_hours < 14.0
    assert outlook.battery_room_kwh == pytest.approx(42.0)  # 70 % of 60 kWh
    assert outlook.waits_for_the_limit(1.5)  # the limit's excess fills the battery many times over


def test_charging_waits_only_while_the_excess_covers_the_room_with_the_safety_margin() -> None:
    assert Outlook(60.0, 80.0, 4.0, 40.0).waits_for_the_limit(1.5)
    assert not Outlook(59.0, 80.0, 4.0, 40.0).waits_for_the_limit(1.5)
    assert not Outlook(0.0, 300.0, 8.0, 40.0).waits_for_the_limit(1.5)  # a limit that never binds
    assert not Outlook(60.0, 80.0, 4.0, 0.0).waits_for_the_limit(1.5)  # full batteries: nothing to plan


@pytest.mark.parametrize("hour", [6.0, 8.3, 11.4, 15.7])
def test_between_slots_the_clear_sky_is_interpolated_closely(hour: float) -> None:
    forecaster = SurplusForecaster(FRANKFURT)
    unix_s = (SOLSTICE + timedelta(hours=hour)).timestamp()
    exact = forecaster.clear_sky_kw(unix_s)
    interpolated = forecaster._interpolated_kw(unix_s)  # pyright: ignore[reportPrivateUsage]
    assert interpolated == pytest.approx(exact, rel=0.01, abs=0.2)
