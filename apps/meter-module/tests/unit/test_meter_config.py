from __future__ import annotations

import json
import math

import msgspec
import pytest
from meter_module import MeterConfig

from energy_edge.modulehost.testing import find_deployment_template


def test_a_meter_goes_into_service_by_itself_and_expects_a_230_v_50_hz_supply() -> None:
    config = MeterConfig()
    assert config.auto_start is True
    assert config.voltage_band_v == pytest.approx((207.0, 253.0))
    assert config.frequency_band_hz == (49.0, 51.0)


def test_the_templates_desired_properties_are_a_valid_meter_configuration() -> None:
    template = json.loads(find_deployment_template().read_text())
    desired = template["modulesContent"]["meter-module"]["properties.desired"]
    config = msgspec.convert(desired, MeterConfig, strict=True)
    assert config.telemetry_interval_s == desired["telemetry_interval_s"]
    assert config.auto_start is True


def test_a_60_hz_grid_has_its_own_band() -> None:
    config = msgspec.convert({"nominal_frequency_hz": 60, "nominal_voltage_v": 120}, MeterConfig, strict=True)
    assert config.frequency_band_hz == (59.0, 61.0)
    assert config.voltage_band_v == pytest.approx((108.0, 132.0))


def test_only_50_and_60_hz_grids_exist() -> None:
    with pytest.raises(msgspec.ValidationError, match="nominal_frequency_hz must be 50 or 60, got 55"):
        msgspec.convert({"nominal_frequency_hz": 55.0}, MeterConfig)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("nominal_voltage_v", 0.0),
        ("nominal_voltage_v", -230.0),
        ("voltage_tolerance_percent", 0.0),
        ("voltage_tolerance_percent", 60.0),
        ("frequency_tolerance_hz", 0.0),
        ("frequency_tolerance_hz", 10.0),
        ("nominal_frequency_hz", 0.0),
    ],
)
def test_settings_outside_their_bounds_are_refused(field: str, value: float) -> None:
    with pytest.raises(msgspec.ValidationError, match=field):
        msgspec.convert({field: value}, MeterConfig)


@pytest.mark.parametrize(
    ("voltage_v", "frequency_hz"),
    [(230.0, 50.0), (207.0, 49.0), (253.0, 51.0), (None, None), (None, 50.2), (229.0, None)],
)
def test_a_supply_inside_the_band_is_healthy(voltage_v: float | None, frequency_hz: float | None) -> None:
    assert MeterConfig().supply_fault(voltage_v, frequency_hz) is None


@pytest.mark.parametrize(
    ("voltage_v", "frequency_hz", "reason"),
    [
        (195.4, 50.0, "grid voltage 195.4 V outside 207.0-253.0 V (230 V ± 10 %)"),
        (0.0, None, "grid voltage 0.0 V outside 207.0-253.0 V (230 V ± 10 %)"),
        (260.0, 48.0, "grid voltage 260.0 V outside"),  # the voltage is named first
        (230.0, 48.87, "grid frequency 48.87 Hz outside 49.00-51.00 Hz (50 Hz ± 1 Hz)"),
        (230.0, 51.2, "grid frequency 51.20 Hz outside"),
        (math.nan, 50.0, "grid voltage unreadable V outside"),
        (230.0, math.nan, "grid frequency unreadable Hz outside"),
    ],
)
def test_a_supply_outside_the_band_is_named_with_the_band(
    voltage_v: float, frequency_hz: float | None, reason: str
) -> None:
    fault = MeterConfig().supply_fault(voltage_v, frequency_hz)
    assert fault is not None
    assert fault.startswith(reason)


def test_the_band_follows_the_tolerance() -> None:
    tight = MeterConfig(voltage_tolerance_percent=5.0, frequency_tolerance_hz=0.2)
    assert tight.supply_fault(240.0, 50.0) is None
    assert tight.supply_fault(245.0, 50.0) is not None
    assert tight.supply_fault(230.0, 49.75) is not None
