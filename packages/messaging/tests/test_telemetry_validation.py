"""Bad telemetry never decodes: each kind of garbage yields MessageDecodeError with a reason that says why."""

from __future__ import annotations

from typing import Any

import pytest

from energy_edge.messaging import BatteryTelemetry, MessageDecodeError, decode_telemetry

from .conftest import to_json


def reason_for(body: bytes | str) -> str:
    with pytest.raises(MessageDecodeError) as caught:
        decode_telemetry(body)
    assert caught.value.kind == "telemetry"
    return caught.value.reason


@pytest.mark.parametrize(
    "body",
    [b"{", b"not json", b'{"asset_id": "solar-01",}', b"\xff\xfe\x00"],
    ids=["truncated", "text", "trailing-comma", "binary"],
)
def test_invalid_json_is_reported_as_malformed(body: bytes) -> None:
    assert "JSON is malformed" in reason_for(body)


def test_a_json_value_that_is_not_an_object_is_rejected() -> None:
    assert "Expected `object`, got `array`" in reason_for(b"[1, 2]")


def test_unknown_asset_type_is_named_with_the_known_ones(battery_reading: dict[str, Any]) -> None:
    battery_reading["asset_type"] = "wind_turbine"
    reason = reason_for(to_json(battery_reading))
    assert "unknown asset_type 'wind_turbine'" in reason
    assert "battery, boiler, grid_meter, solar_inverter" in reason


def test_missing_asset_type_is_reported(battery_reading: dict[str, Any]) -> None:
    del battery_reading["asset_type"]
    assert "missing required field `asset_type`" in reason_for(to_json(battery_reading))


@pytest.mark.parametrize("field", ["asset_id", "state", "timestamp", "power_output_kw", "soc_percent"])
def test_missing_required_field_is_named(battery_reading: dict[str, Any], field: str) -> None:
    del battery_reading[field]
    assert f"missing required field `{field}`" in reason_for(to_json(battery_reading))


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("power_output_kw", "12.5", "Expected `float`, got `str` - at `$.power_output_kw`"),
        ("power_output_kw", True, "Expected `float`, got `bool` - at `$.power_output_kw`"),
        ("soc_percent", None, "Expected `float`, got `null` - at `$.soc_percent`"),
        ("asset_id", 17, "Expected `str`, got `int` - at `$.asset_id`"),
        ("state", "EXPLODED", "Invalid enum value 'EXPLODED' - at `$.state`"),
        ("timestamp", "yesterday", "Invalid RFC3339 encoded datetime - at `$.timestamp`"),
    ],
)
def test_wrong_types_are_rejected_with_the_path(
    battery_reading: dict[str, Any], field: str, value: object, expected: str
) -> None:
    battery_reading[field] = value
    assert expected in reason_for(to_json(battery_reading))


def test_nan_literal_is_rejected() -> None:
    body = b'{"asset_type":"battery","asset_id":"b","state":"IDLE","timestamp":"2024-06-01T00:00:00Z",'
    body += b'"power_output_kw":NaN,"soc_percent":50,"temperature_c":20}'
    assert "JSON is malformed" in reason_for(body)


@pytest.mark.parametrize("literal", ["1e400", "-1e400"])
def test_numbers_that_overflow_to_infinity_are_rejected(
    battery_reading: dict[str, Any], literal: str
) -> None:
    body = to_json(battery_reading).replace(b"-25.0", literal.encode())
    assert "out of range - at `$.power_output_kw`" in reason_for(body)


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("soc_percent", -0.1, "$.soc_percent"),
        ("soc_percent", 100.5, "$.soc_percent"),
        ("temperature_c", -300.0, "$.temperature_c"),
        ("power_output_kw", 5e6, "$.power_output_kw"),
    ],
)
def test_values_outside_physical_ranges_are_rejected(
    battery_reading: dict[str, Any], field: str, value: float, path: str
) -> None:
    battery_reading[field] = value
    assert f"at `{path}`" in reason_for(to_json(battery_reading))


def test_a_boiler_cannot_deliver_power(battery_reading: dict[str, Any]) -> None:
    boiler = {**battery_reading, "asset_type": "boiler", "power_output_kw": 3.0}
    boiler |= {"temperature_c": 60.0, "target_celsius": 70.0}
    assert "<= 0.0 - at `$.power_output_kw`" in reason_for(to_json(boiler))


@pytest.mark.parametrize("hysteresis", [0.0, -2.0, 150.0])
def test_a_thermostat_differential_must_be_a_positive_plausible_kelvin_span(
    battery_reading: dict[str, Any], hysteresis: float
) -> None:
    boiler = {**battery_reading, "asset_type": "boiler", "power_output_kw": -3.0}
    boiler |= {"temperature_c": 60.0, "target_celsius": 70.0, "hysteresis_k": hysteresis}
    assert "at `$.hysteresis_k`" in reason_for(to_json(boiler))


def test_efficiency_above_one_is_rejected(seed_telemetry: str) -> None:
    assert "at `$.efficiency`" in reason_for(seed_telemetry.replace("0.178", "1.78"))


def test_timestamp_without_offset_is_rejected(battery_reading: dict[str, Any]) -> None:
    battery_reading["timestamp"] = "2024-06-01T12:00:01"
    assert "at `$.timestamp`" in reason_for(to_json(battery_reading))


def test_empty_asset_id_is_rejected(battery_reading: dict[str, Any]) -> None:
    battery_reading["asset_id"] = ""
    assert "at `$.asset_id`" in reason_for(to_json(battery_reading))


def test_unknown_extra_fields_are_tolerated(battery_reading: dict[str, Any]) -> None:
    battery_reading["cell_voltage_max_v"] = 3.41
    battery_reading["firmware"] = {"bms": "2.7.1"}
    reading = decode_telemetry(to_json(battery_reading))
    assert isinstance(reading, BatteryTelemetry)
    assert reading.soc_percent == 62.5


def test_decode_error_is_a_value_error_carrying_the_reason(battery_reading: dict[str, Any]) -> None:
    battery_reading["soc_percent"] = 140
    with pytest.raises(ValueError, match=r"^invalid telemetry: .*soc_percent"):
        decode_telemetry(to_json(battery_reading))
