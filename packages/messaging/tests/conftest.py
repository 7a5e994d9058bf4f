from __future__ import annotations

import json
from typing import Any

import pytest

SEED_TELEMETRY = """{
  "asset_id": "solar-01",
  "asset_type": "solar_inverter",
  "state": "RUNNING",
  "timestamp": "2024-06-01T12:00:00Z",
  "power_output_kw": 42.5,
  "irradiance_w_m2": 850.0,
  "efficiency": 0.178,
  "temperature_c": 42.0,
  "fault_code": null
}"""
"""The example envelope of the seed architecture, verbatim."""


@pytest.fixture
def seed_telemetry() -> str:
    return SEED_TELEMETRY


@pytest.fixture
def battery_reading() -> dict[str, Any]:
    return {
        "asset_id": "battery-01",
        "asset_type": "battery",
        "state": "RUNNING",
        "timestamp": "2024-06-01T12:00:01Z",
        "power_output_kw": -25.0,
        "soc_percent": 62.5,
        "temperature_c": 28.4,
        "fault_code": None,
    }


def to_json(obj: Any) -> bytes:
    return json.dumps(obj).encode()
