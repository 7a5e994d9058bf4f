from __future__ import annotations

import msgspec
import pytest
from boiler_module import BoilerConfig, BoilerRatings

from energy_edge.modulehost import ConfigError

RATINGS = BoilerRatings(
    rated_power_kw=150.0,
    min_power_kw=15.0,
    min_target_celsius=14.0,
    max_target_celsius=91.0,
    trip_celsius=95.0,
    hysteresis_k=4.0,
)


def test_defaults_are_the_deployment_templates_band_and_heat_on_their_own() -> None:
    config = BoilerConfig()
    assert (config.min_celsius, config.default_target_celsius, config.max_celsius) == (55.0, 65.0, 90.0)
    assert config.max_power_kw == 150.0
    assert config.auto_start is True  # a process boiler keeps its water hot without a controller
    config.check_fits(RATINGS)


def test_the_templates_desired_properties_convert() -> None:
    document = {
        "min_celsius": 55.0,
        "max_celsius": 90.0,
        "default_target_celsius": 65.0,
        "max_power_kw": 150.0,
        "telemetry_interval_s": 1.0,
        "setpoint_hold_s": 300.0,
    }
    config = msgspec.convert(document, BoilerConfig, strict=True)
    assert config.setpoint_hold_s == 300.0


@pytest.mark.parametrize(
    ("band", "reason"),
    [
        ({"min_celsius": 90.0, "max_celsius": 60.0}, r"min_celsius \(90\) must be below max_celsius \(60\)"),
        ({"min_celsius": 70.0, "max_celsius": 70.0}, r"min_celsius \(70\) must be below max_celsius \(70\)"),
        ({"min_celsius": 65.0}, r"min_celsius \(65\) must be below default_target_celsius \(65\)"),
        ({"default_target_celsius": 90.0}, r"default_target_celsius \(90\) must be below max_celsius \(90\)"),
        ({"default_target_celsius": 50.0}, r"min_celsius \(55\) must be below default_target_celsius \(50\)"),
    ],
)
def test_the_band_is_open_and_the_default_target_lies_strictly_inside_it(
    band: dict[str, float], reason: str
) -> None:
    with pytest.raises(msgspec.ValidationError, match=reason):
        msgspec.convert(band, BoilerConfig)


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_celsius", 100.0), ("min_celsius", 0.0), ("min_celsius", -5.0), ("max_power_kw", 0.0)],
)
def test_values_outside_physical_bounds_are_refused(field: str, value: float) -> None:
    with pytest.raises(msgspec.ValidationError, match=field):
        msgspec.convert({field: value}, BoilerConfig)


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(msgspec.ValidationError, match="unknown field `max_temp`"):
        msgspec.convert({"max_temp": 80.0}, BoilerConfig)


def test_a_band_reaching_the_safety_trip_does_not_fit() -> None:
    config = BoilerConfig(max_celsius=93.0)
    with pytest.raises(ConfigError, match=r"max_celsius \(93\) is above 91 °C.*95 °C safety trip"):
        config.check_fits(RATINGS)


def test_a_band_below_the_thermostats_range_does_not_fit() -> None:
    config = BoilerConfig(min_celsius=10.0)
    with pytest.raises(ConfigError, match=r"min_celsius \(10\) is below 14 °C"):
        config.check_fits(RATINGS)


def test_a_power_limit_below_the_heaters_turndown_does_not_fit() -> None:
    config = BoilerConfig(max_power_kw=10.0)
    with pytest.raises(ConfigError, match=r"max_power_kw \(10\) is below the heater's minimum stable power"):
        config.check_fits(RATINGS)
