"""The seed's telemetry example is the contract: it decodes, and re-encodes to the same fields and values."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from energy_edge.messaging import (
    TELEMETRY,
    BatteryTelemetry,
    BoilerTelemetry,
    GridMeterTelemetry,
    SolarInverterTelemetry,
    decode_telemetry,
    encode_telemetry,
)
from energy_edge.statemachine import AssetState


def test_seed_example_decodes_to_a_solar_inverter_reading(seed_telemetry: str) -> None:
    reading = decode_telemetry(seed_telemetry.encode())
    assert reading == SolarInverterTelemetry(
        asset_id="solar-01",
        state=AssetState.RUNNING,
        timestamp=datetime(2024, 6, 1, 12, 0, tzinfo=UTC),
        power_output_kw=42.5,
        irradiance_w_m2=850.0,
        efficiency=0.178,
        temperature_c=42.0,
        fault_code=None,
    )


def test_seed_example_reencodes_to_the_same_fields_and_values(seed_telemetry: str) -> None:
    reencoded = encode_telemetry(decode_telemetry(seed_telemetry))
    assert json.loads(reencoded) == json.loads(seed_telemetry)


def test_timestamps_are_written_in_utc_with_z() -> None:
    reading = GridMeterTelemetry(
        asset_id="meter-01",
        state=AssetState.RUNNING,
        timestamp=datetime(2024, 6, 1, 12, 0, 0, 250_000, tzinfo=UTC),
        grid_power_kw=-12.5,
    )
    assert json.loads(encode_telemetry(reading))["timestamp"] == "2024-06-01T12:00:00.250000Z"


def test_every_asset_type_round_trips_with_its_own_fields() -> None:
    at = datetime(2024, 6, 1, 12, tzinfo=UTC)
    readings = [
        BatteryTelemetry(
            asset_id="battery-01",
            state=AssetState.RUNNING,
            timestamp=at,
            power_output_kw=-25.0,
            soc_percent=62.5,
            temperature_c=28.4,
            capacity_kwh=200.0,
            max_charge_kw=100.0,
            max_discharge_kw=100.0,
        ),
        BoilerTelemetry(
            asset_id="boiler-01",
            state=AssetState.RUNNING,
            timestamp=at,
            power_output_kw=-150.0,
            temperature_c=71.2,
            target_celsius=75.0,
        ),
        GridMeterTelemetry(
            asset_id="meter-01",
            state=AssetState.RUNNING,
            timestamp=at,
            grid_power_kw=12.5,
            voltage_v=400.0,
            frequency_hz=50.01,
        ),
    ]
    for reading in readings:
        body = encode_telemetry(reading)
        assert decode_telemetry(body) == reading
        assert json.loads(body)["asset_type"] == type(reading).__struct_config__.tag


def test_unreported_optional_fields_are_not_sent() -> None:
    reading = BoilerTelemetry(
        asset_id="boiler-01",
        state=AssetState.IDLE,
        timestamp=datetime(2024, 6, 1, tzinfo=UTC),
        power_output_kw=0.0,
        temperature_c=60.0,
        target_celsius=75.0,
    )
    assert "rated_power_kw" not in json.loads(encode_telemetry(reading))


finite = st.floats(allow_nan=False, allow_infinity=False)


@given(
    power=finite.filter(lambda x: abs(x) <= 1e6),
    soc=st.floats(0.0, 100.0),
    temperature=st.floats(-60.0, 250.0),
    state=st.sampled_from(list(AssetState)),
    fault=st.none() | st.text(max_size=40),
    at=st.datetimes(timezones=st.just(UTC)),
)
def test_any_valid_battery_reading_round_trips_exactly(
    power: float, soc: float, temperature: float, state: AssetState, fault: str | None, at: datetime
) -> None:
    reading = BatteryTelemetry(
        asset_id="battery-01",
        state=state,
        timestamp=at,
        power_output_kw=power,
        soc_percent=soc,
        temperature_c=temperature,
        fault_code=fault,
    )
    assert TELEMETRY.decode(TELEMETRY.encode(reading)) == reading
