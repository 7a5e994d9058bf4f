"""Which messages each source form selects, decided from the module and output edgeHub stamped."""

from __future__ import annotations

import pytest

from energy_edge.messaging.message import EdgeMessage
from energy_edge.messaging.routes import compile_route

SOLAR_TELEMETRY = EdgeMessage(body=b"{}", connection_module_id="solar-module", output_name="telemetry")
SOLAR_ALERTS = EdgeMessage(body=b"{}", connection_module_id="solar-module", output_name="alerts")
BATTERY_TELEMETRY = EdgeMessage(body=b"{}", connection_module_id="battery-module", output_name="telemetry")
SOLAR_WITHOUT_OUTPUT = EdgeMessage(body=b"{}", connection_module_id="solar-module")
LEAF_DEVICE = EdgeMessage(body=b"{}", connection_device_id="sensor-7")

MESSAGES = {
    "solar/telemetry": SOLAR_TELEMETRY,
    "solar/alerts": SOLAR_ALERTS,
    "battery/telemetry": BATTERY_TELEMETRY,
    "solar/no output": SOLAR_WITHOUT_OUTPUT,
    "leaf device": LEAF_DEVICE,
}


@pytest.mark.parametrize(
    ("source", "matched"),
    [
        ("/*", set(MESSAGES)),
        ("/messages/*", set(MESSAGES)),
        ("/messages", set(MESSAGES)),
        ("/messages/modules/*", set(MESSAGES) - {"leaf device"}),
        ("/messages/modules", set(MESSAGES) - {"leaf device"}),
        ("/messages/modules/solar-module/*", {"solar/telemetry", "solar/alerts", "solar/no output"}),
        ("/messages/modules/solar-module", {"solar/telemetry", "solar/alerts", "solar/no output"}),
        ("/messages/modules/solar-module/outputs/*", {"solar/telemetry", "solar/alerts"}),
        ("/messages/modules/solar-module/outputs", {"solar/telemetry", "solar/alerts"}),
        ("/messages/modules/solar-module/outputs/telemetry", {"solar/telemetry"}),
        ("/messages/modules/battery-module/outputs/telemetry", {"battery/telemetry"}),
        ("/messages/modules/solar/*", set()),
        ("/messages/modules/solar-module/outputs/tele", set()),
        ("/twinChangeNotifications", set()),
    ],
)
def test_each_source_form_selects_its_messages(source: str, matched: set[str]) -> None:
    route = compile_route("r", f"FROM {source} INTO $upstream")
    assert {label for label, message in MESSAGES.items() if route.matches(message)} == matched


def test_module_and_output_names_ignore_case_as_on_edgehub() -> None:
    route = compile_route("r", "FROM /messages/modules/Solar-Module/outputs/TELEMETRY INTO $upstream")
    assert route.matches(SOLAR_TELEMETRY)
    assert not route.matches(SOLAR_ALERTS)


def test_the_seed_route_takes_solar_telemetry_only() -> None:
    route = compile_route(
        "solarToController",
        "FROM /messages/modules/solar-module/outputs/telemetry "
        'INTO BrokeredEndpoint("/modules/controller-module/inputs/telemetry")',
    )
    assert route.matches(SOLAR_TELEMETRY)
    assert not route.matches(SOLAR_ALERTS)
    assert not route.matches(BATTERY_TELEMETRY)
    assert not route.matches(SOLAR_WITHOUT_OUTPUT)
    assert not route.matches(LEAF_DEVICE)


def test_a_route_source_tells_what_it_selects() -> None:
    source = compile_route("r", "FROM /messages/modules/solar-module/outputs/* INTO $upstream").source
    assert source.text == "/messages/modules/solar-module/outputs/*"
    assert source.matches(SOLAR_ALERTS)
    assert not source.matches(LEAF_DEVICE)


def test_the_source_is_checked_before_the_condition() -> None:
    route = compile_route("r", "FROM /messages/modules/battery-module/* WHERE true INTO $upstream")
    assert route.matches(BATTERY_TELEMETRY)
    assert not route.matches(SOLAR_TELEMETRY)
