"""msgspec against stdlib json + dataclasses on the seed's telemetry envelope, same validation, same run.

Each pair shares a benchmark group; the root conftest turns every group's baseline/candidate pair into a
speed-up ratio in ``out/bench/results.json`` (``ratios``) and in the terminal summary.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from energy_edge.messaging import TELEMETRY

from . import json_baseline

SEED_TELEMETRY = json.dumps(
    {
        "asset_id": "solar-01",
        "asset_type": "solar_inverter",
        "state": "RUNNING",
        "timestamp": "2024-06-01T12:00:00Z",
        "power_output_kw": 42.5,
        "irradiance_w_m2": 850.0,
        "efficiency": 0.178,
        "temperature_c": 42.0,
        "fault_code": None,
    }
).encode()

MSGSPEC_READING = TELEMETRY.decode(SEED_TELEMETRY)
BASELINE_READING = json_baseline.decode(SEED_TELEMETRY)


def run(benchmark: BenchmarkFixture, group: str, role: str, fn: Callable[[], Any]) -> Any:
    benchmark.group = group
    benchmark.extra_info["role"] = role
    return benchmark(fn)


def as_fields(result: Any) -> dict[str, Any]:
    """Both codecs must produce the same message, or the comparison is meaningless."""
    if isinstance(result, bytes):
        return json.loads(result)
    return {name: getattr(result, name) for name in ("asset_id", "state", "timestamp", "power_output_kw")}


EXPECTED = json.loads(SEED_TELEMETRY)


@pytest.mark.parametrize(
    ("role", "fn"),
    [
        ("candidate", lambda: TELEMETRY.decode(SEED_TELEMETRY)),
        ("baseline", lambda: json_baseline.decode(SEED_TELEMETRY)),
    ],
    ids=["msgspec", "json+dataclasses"],
)
def test_telemetry_decode(benchmark: BenchmarkFixture, role: str, fn: Callable[[], Any]) -> None:
    reading = as_fields(run(benchmark, "telemetry decode", role, fn))
    assert reading == {name: getattr(MSGSPEC_READING, name) for name in reading}


@pytest.mark.parametrize(
    ("role", "fn"),
    [
        ("candidate", lambda: TELEMETRY.encode(MSGSPEC_READING)),
        ("baseline", lambda: json_baseline.encode(BASELINE_READING)),
    ],
    ids=["msgspec", "json+dataclasses"],
)
def test_telemetry_encode(benchmark: BenchmarkFixture, role: str, fn: Callable[[], Any]) -> None:
    assert as_fields(run(benchmark, "telemetry encode", role, fn)) == EXPECTED


@pytest.mark.parametrize(
    ("role", "fn"),
    [
        ("candidate", lambda: TELEMETRY.encode(TELEMETRY.decode(SEED_TELEMETRY))),
        ("baseline", lambda: json_baseline.encode(json_baseline.decode(SEED_TELEMETRY))),
    ],
    ids=["msgspec", "json+dataclasses"],
)
def test_telemetry_decode_and_encode(benchmark: BenchmarkFixture, role: str, fn: Callable[[], Any]) -> None:
    assert as_fields(run(benchmark, "telemetry decode+encode", role, fn)) == EXPECTED
