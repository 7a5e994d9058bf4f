"""Building the module from the container's environment: documented defaults, and clear refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from boiler_module import SimulatedBoilerDriver
from boiler_module.main import build


def simulated(environ: dict[str, str]) -> SimulatedBoilerDriver:
    asset = build("boiler-01", environ)
    assert isinstance(asset.driver, SimulatedBoilerDriver)
    return asset.driver


def test_the_defaults_are_a_150_kw_boiler_on_a_5_m3_tank_feeding_a_two_shift_process() -> None:
    driver = simulated({})
    params = driver.boiler.params
    assert (params.rated_power_kw, params.min_power_kw, params.tank_volume_l) == (150.0, 15.0, 5000.0)
    assert driver.boiler.temperature_c == pytest.approx(60.0)
    assert driver.boiler.target_celsius == 65.0  # the module's default target until the twin says more
    monday = datetime(2024, 6, 3, tzinfo=UTC)
    assert driver.draw.flow_l_min(monday.replace(hour=7)) == 40.0  # the shift's peak
    assert driver.draw.flow_l_min(monday.replace(hour=3)) == 2.0  # night: a trickle
    assert driver.draw.tz is UTC


def test_the_environment_sizes_the_boiler_and_its_process() -> None:
    driver = simulated(
        {
            "BOILER_DRIVER": "simulated",
            "BOILER_RATED_POWER_KW": "300",
            "BOILER_TANK_VOLUME_L": "12000",
            "BOILER_INITIAL_TEMPERATURE_C": "45",
            "BOILER_DRAW_PEAK_L_MIN": "100",
            "BOILER_DRAW_TIMEZONE": "Europe/Berlin",
        }
    )
    params = driver.boiler.params
    assert (params.rated_power_kw, params.min_power_kw, params.tank_volume_l) == (300.0, 30.0, 12000.0)
    assert driver.boiler.temperature_c == pytest.approx(45.0)
    # 05:00 UTC is 07:00 in Berlin in summer: the morning shift is running.
    assert driver.draw.flow_l_min(datetime(2024, 6, 3, 5, tzinfo=UTC)) == 100.0
    assert driver.draw.tz == ZoneInfo("Europe/Berlin")


def test_a_zero_peak_is_a_tank_nothing_draws_from() -> None:
    driver = simulated({"BOILER_DRAW_PEAK_L_MIN": "0"})
    assert all(driver.draw.flow_l_min(datetime(2024, 6, 3, hour, tzinfo=UTC)) == 0.0 for hour in range(24))


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"BOILER_DRIVER": "modbus"}, "BOILER_DRIVER='modbus': only 'simulated' is available"),
        ({"BOILER_TANK_VOLUME_L": "5 m3"}, "BOILER_TANK_VOLUME_L='5 m3' is not a number"),
        ({"BOILER_RATED_POWER_KW": "-150"}, "rated_power_kw must be a finite number > 0"),
        ({"BOILER_RATED_POWER_KW": "nan"}, "rated_power_kw must be a finite number > 0"),
        ({"BOILER_INITIAL_TEMPERATURE_C": "120"}, "initial_temperature_c must be within [0.0, 95.0]"),
        ({"BOILER_DRAW_PEAK_L_MIN": "-1"}, "peak_l_min must be a finite number > 0"),
        ({"BOILER_DRAW_TIMEZONE": "Mars/Olympus_Mons"}, "'Mars/Olympus_Mons' is not a known IANA time zone"),
        # A 3 MW heater's 300 kW turndown is above the default 150 kW limit the module would fall back to.
        ({"BOILER_RATED_POWER_KW": "3000"}, "default configuration does not fit this boiler: max_power_kw"),
    ],
)
def test_an_unusable_environment_stops_the_module_with_a_reason(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        build("boiler-01", environ)
    assert message in str(stopped.value)


def test_a_large_boiler_runs_when_its_turndown_is_given() -> None:
    driver = simulated({"BOILER_RATED_POWER_KW": "3000", "BOILER_MIN_POWER_KW": "100"})
    assert driver.ratings.min_power_kw == 100.0
