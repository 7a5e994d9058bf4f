"""Route matching against a hand-written Python predicate doing the same check, same run.

The compiled route pays for generality (source kinds, case-insensitive names, three-valued logic, the
per-message context that parses a body once for all routes); the baseline is the predicate a developer
would write for exactly this route. The ratio (baseline time / route time, below 1 when the route is
slower) says what the route language costs per message.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from energy_edge.messaging.message import EdgeMessage
from energy_edge.messaging.routes import compile_route

SEED_ROUTE = compile_route(
    "solarToController",
    "FROM /messages/modules/solar-module/outputs/telemetry "
    'INTO BrokeredEndpoint("/modules/controller-module/inputs/telemetry")',
)
BODY_ROUTE = compile_route(
    "producingSolarToController",
    "FROM /messages/modules/solar-module/outputs/telemetry "
    "WHERE $body.power_output_kw > 10 AND $body.state = 'RUNNING' "
    'INTO BrokeredEndpoint("/modules/controller-module/inputs/telemetry")',
)

MESSAGE = EdgeMessage(
    body=json.dumps(
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
    ).encode(),
    properties={"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
    connection_device_id="edge-01",
    connection_module_id="solar-module",
    output_name="telemetry",
)


def seed_predicate(message: EdgeMessage) -> bool:
    return message.connection_module_id == "solar-module" and message.output_name == "telemetry"


def body_predicate(message: EdgeMessage) -> bool:
    """The same rule by hand: source, JSON + UTF-8 only, a number above 10 and a state string."""
    if not seed_predicate(message):
        return False
    content_type, encoding = message.content_type, message.content_encoding
    if content_type is None or encoding is None:
        return False
    if content_type.lower() != "application/json" or encoding.lower() != "utf-8":
        return False
    try:
        document = json.loads(message.body)
    except ValueError:
        return False
    if not isinstance(document, dict):
        return False
    power = document.get("power_output_kw")
    return (
        isinstance(power, int | float)
        and not isinstance(power, bool)
        and power > 10
        and document.get("state") == "RUNNING"
    )


@pytest.mark.parametrize(
    ("role", "match"),
    [("candidate", SEED_ROUTE.matches), ("baseline", seed_predicate)],
    ids=["compiled route", "hand-written predicate"],
)
def test_seed_route_match(
    benchmark: BenchmarkFixture, role: str, match: Callable[[EdgeMessage], bool]
) -> None:
    benchmark.group = "route match: seed route (source only)"
    benchmark.extra_info["role"] = role
    assert benchmark(match, MESSAGE) is True


@pytest.mark.parametrize(
    ("role", "match"),
    [("candidate", BODY_ROUTE.matches), ("baseline", body_predicate)],
    ids=["compiled route", "hand-written predicate"],
)
def test_body_route_match(
    benchmark: BenchmarkFixture, role: str, match: Callable[[EdgeMessage], bool]
) -> None:
    benchmark.group = "route match: $body condition"
    benchmark.extra_info["role"] = role
    assert benchmark(match, MESSAGE) is True
