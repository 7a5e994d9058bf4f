"""The yardstick msgspec is measured against: stdlib ``json`` + dataclasses doing the same validation.

Validation matches the msgspec schema for the seed's solar-inverter envelope: ``asset_type`` dispatch with
a clear error for unknown types, strict types (bools are not numbers, strings are not numbers), finite
numbers within the same physical bounds, an aware RFC 3339 timestamp, an enum state, the asset-id length,
and unknown fields ignored. Encoding builds a shallow dict from the dataclass fields and calls
``json.dumps``; ``dataclasses.asdict`` would be the more common idiom, but it deep-copies every value and
would make the baseline several times slower than it needs to be.
"""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import UTC, datetime
from typing import Any

from energy_edge.statemachine import AssetState


class BaselineDecodeError(ValueError):
    pass


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SolarReading:
    asset_id: str
    state: AssetState
    timestamp: datetime
    power_output_kw: float
    irradiance_w_m2: float
    efficiency: float
    temperature_c: float
    fault_code: str | None = None
    output_limit_kw: float | None = None


def _number(obj: dict[str, Any], key: str, low: float, high: float) -> float:
    if key not in obj:
        raise BaselineDecodeError(f"Object missing required field `{key}`")
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BaselineDecodeError(f"Expected `float` - at `$.{key}`")
    value = float(value)
    if not math.isfinite(value) or not low <= value <= high:
        raise BaselineDecodeError(f"Number out of range - at `$.{key}`")
    return value


def _optional_number(obj: dict[str, Any], key: str, low: float, high: float) -> float | None:
    return _number(obj, key, low, high) if key in obj else None


def _decode_solar(obj: dict[str, Any]) -> SolarReading:
    asset_id = obj.get("asset_id")
    if not isinstance(asset_id, str) or not 1 <= len(asset_id) <= 128:
        raise BaselineDecodeError("Invalid `asset_id`")
    try:
        state = AssetState(obj["state"])
        timestamp = datetime.fromisoformat(obj["timestamp"])
    except (KeyError, ValueError, TypeError) as error:
        raise BaselineDecodeError(str(error)) from error
    if timestamp.tzinfo is None:
        raise BaselineDecodeError("Expected a timezone-aware timestamp")
    fault_code = obj.get("fault_code")
    if fault_code is not None and not isinstance(fault_code, str):
        raise BaselineDecodeError("Expected `str | null` - at `$.fault_code`")
    return SolarReading(
        asset_id=asset_id,
        state=state,
        timestamp=timestamp,
        power_output_kw=_number(obj, "power_output_kw", -1e6, 1e6),
        irradiance_w_m2=_number(obj, "irradiance_w_m2", 0.0, 2000.0),
        efficiency=_number(obj, "efficiency", 0.0, 1.0),
        temperature_c=_number(obj, "temperature_c", -60.0, 250.0),
        fault_code=fault_code,
        output_limit_kw=_optional_number(obj, "output_limit_kw", 0.0, 1e6),
    )


_DECODERS = {"solar_inverter": _decode_solar}


def decode(data: bytes) -> SolarReading:
    try:
        obj = json.loads(data)
    except ValueError as error:
        raise BaselineDecodeError(f"JSON is malformed: {error}") from error
    if not isinstance(obj, dict):
        raise BaselineDecodeError("Expected `object`")
    decoder = _DECODERS.get(obj.get("asset_type"))  # type: ignore[arg-type]
    if decoder is None:
        raise BaselineDecodeError(f"unknown asset_type {obj.get('asset_type')!r}")
    return decoder(obj)


_FIELDS = dataclasses.fields(SolarReading)


def encode(reading: SolarReading) -> bytes:
    fields = {field.name: getattr(reading, field.name) for field in _FIELDS}
    if fields["output_limit_kw"] is None:
        del fields["output_limit_kw"]
    fields["asset_type"] = "solar_inverter"
    fields["state"] = reading.state.value
    fields["timestamp"] = reading.timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(fields).encode()
