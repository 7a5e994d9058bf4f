"""Route objects with priority and time-to-live, whole route tables, and the project's own manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from energy_edge.messaging.message import EdgeMessage
from energy_edge.messaging.routes import (
    DEFAULT_PRIORITY,
    MAX_TIME_TO_LIVE_SECS,
    ModuleInputSink,
    RouteError,
    RouteSpec,
    RouteSpecError,
    RouteSyntaxError,
    UpstreamSink,
    compile_route,
    compile_routes,
    matching_routes,
)

UPSTREAM = "FROM /messages/modules/controller-module/outputs/cloud INTO $upstream"
CONTROLLER_TELEMETRY = 'BrokeredEndpoint("/modules/controller-module/inputs/telemetry")'
SEED_ROUTE = "FROM /messages/modules/solar-module/outputs/telemetry INTO " + CONTROLLER_TELEMETRY
MANIFEST = Path(__file__).resolve().parents[4] / "deployment" / "deployment.template.json"


def test_a_route_string_gets_edgehubs_default_priority_and_no_ttl_of_its_own() -> None:
    route = compile_route("r", UPSTREAM)
    assert route.priority == DEFAULT_PRIORITY == 2_000_000_000
    assert route.time_to_live_secs is None


def test_a_route_object_carries_priority_and_ttl() -> None:
    route = compile_route("r", {"route": UPSTREAM, "priority": 0, "timeToLiveSecs": 86400})
    assert (route.priority, route.time_to_live_secs) == (0, 86400)
    assert route.sink == UpstreamSink()
    assert route.text == UPSTREAM


@pytest.mark.parametrize(
    ("spec", "priority", "ttl"),
    [
        ({"route": UPSTREAM}, DEFAULT_PRIORITY, None),
        ({"route": UPSTREAM, "priority": 9}, 9, None),
        ({"route": UPSTREAM, "timeToLiveSecs": 0}, DEFAULT_PRIORITY, None),  # 0 means "not set" to edgeHub
        ({"route": UPSTREAM, "timeToLiveSecs": 1}, DEFAULT_PRIORITY, 1),
        ({"route": UPSTREAM, "timeToLiveSecs": MAX_TIME_TO_LIVE_SECS}, DEFAULT_PRIORITY, 4_294_967_295),
    ],
)
def test_route_object_fields_are_optional_within_range(
    spec: RouteSpec, priority: int, ttl: int | None
) -> None:
    route = compile_route("r", spec)
    assert (route.priority, route.time_to_live_secs) == (priority, ttl)


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"route": UPSTREAM, "priority": 10}, "priority must be an integer from 0 to 9, got 10"),
        ({"route": UPSTREAM, "priority": -1}, "priority must be an integer from 0 to 9, got -1"),
        ({"route": UPSTREAM, "priority": 1.0}, "priority must be an integer from 0 to 9, got 1.0"),
        ({"route": UPSTREAM, "priority": "1"}, "priority must be an integer from 0 to 9, got '1'"),
        ({"route": UPSTREAM, "priority": True}, "priority must be an integer"),
        ({"route": UPSTREAM, "timeToLiveSecs": -1}, "timeToLiveSecs must be an integer from 0 to 4294967295"),
        ({"route": UPSTREAM, "timeToLiveSecs": 4_294_967_296}, "timeToLiveSecs must be an integer"),
        ({"route": UPSTREAM, "timeToLiveSecs": None}, "timeToLiveSecs must be an integer"),
        ({"priority": 1}, "a route object needs the route text under 'route'"),
        ({"route": 5}, "a route object needs the route text under 'route'"),
        ({"route": UPSTREAM, "ttl": 5}, "unknown key 'ttl' in route object"),
        ({"route": UPSTREAM, "timeToLiveSec": 5}, "unknown key 'timeToLiveSec'"),
    ],
)
def test_malformed_route_objects_are_rejected_by_name(spec: RouteSpec, reason: str) -> None:
    with pytest.raises(RouteSpecError) as caught:
        compile_route("controllerToUpstream", spec)
    assert reason in caught.value.reason
    assert str(caught.value).startswith("route 'controllerToUpstream': ")


def test_a_route_that_is_neither_text_nor_object_is_rejected() -> None:
    with pytest.raises(
        RouteSpecError, match="route 'r': a route must be a string or a route object, got list"
    ):
        compile_route("r", [UPSTREAM])  # type: ignore[arg-type]


def test_bad_text_inside_a_route_object_is_a_syntax_error() -> None:
    with pytest.raises(RouteSyntaxError) as caught:
        compile_route("r", {"route": "FROM /messages/* INTO nowhere", "priority": 1})
    assert caught.value.position == 22


def test_compile_routes_keeps_manifest_order_and_mixes_forms() -> None:
    routes = compile_routes(
        {
            "solarToController": SEED_ROUTE,
            "controllerToUpstream": {"route": UPSTREAM, "priority": 0, "timeToLiveSecs": 86400},
            "everythingElse": "FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream",
        }
    )
    assert [route.name for route in routes] == ["solarToController", "controllerToUpstream", "everythingElse"]
    assert [route.priority for route in routes] == [DEFAULT_PRIORITY, 0, DEFAULT_PRIORITY]


def test_the_first_bad_route_names_itself() -> None:
    with pytest.raises(RouteError, match="route 'broken'"):
        compile_routes({"fine": UPSTREAM, "broken": "FROM /messages/* INTO", "later": UPSTREAM})


def test_matching_routes_fans_out_in_route_order() -> None:
    routes = compile_routes(
        {
            "toController": "FROM /messages/modules/solar-module/* INTO " + CONTROLLER_TELEMETRY,
            "toCloud": "FROM /messages/modules/* INTO $upstream",
            "batteryOnly": "FROM /messages/modules/battery-module/* INTO "
            + 'BrokeredEndpoint("/modules/x/inputs/y")',
        }
    )
    message = EdgeMessage(body=b"{}", connection_module_id="solar-module", output_name="telemetry")
    matched = matching_routes(routes, message)
    assert [route.name for route in matched] == ["toController", "toCloud"]
    assert [route.sink for route in matched] == [
        ModuleInputSink("controller-module", "telemetry"),
        UpstreamSink(),
    ]


def test_every_route_of_the_deployment_manifest_compiles() -> None:
    manifest = json.loads(MANIFEST.read_text())
    routes = compile_routes(manifest["modulesContent"]["$edgeHub"]["properties.desired"]["routes"])
    solar = next(route for route in routes if route.name == "solarToController")
    message = EdgeMessage(body=b"{}", connection_module_id="solar-module", output_name="telemetry")
    assert solar.matches(message)
    assert solar.sink == ModuleInputSink("controller-module", "telemetry")
