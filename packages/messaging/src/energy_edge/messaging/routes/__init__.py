"""edgeHub's route language, compiled once per route and matched against :class:`EdgeMessage` objects.

from energy_edge.messaging.routes import compile_routes, matching_routes, ModuleInputSink
routes = compile_routes(manifest["modulesContent"]["$edgeHub"]["properties.desired"]["routes"])
for route in matching_routes(routes, message):   # $body parsed at most once for all routes
    deliver(route.sink, message)                   # UpstreamSink() or ModuleInputSink(module_id, input_name)

A bad route raises :class:`RouteSyntaxError` (``route_name``, 0-based ``position``, ``reason``) or, for a
malformed route object, :class:`RouteSpecError`; both are :class:`RouteError`, a ``ValueError``.
"""

from energy_edge.messaging.routes.errors import RouteError, RouteSpecError, RouteSyntaxError
from energy_edge.messaging.routes.route import (
    DEFAULT_PRIORITY,
    MAX_TIME_TO_LIVE_SECS,
    Route,
    RouteSpec,
    compile_route,
    compile_routes,
    matching_routes,
)
from energy_edge.messaging.routes.sinks import ModuleInputSink, Sink, UpstreamSink
from energy_edge.messaging.routes.sources import RouteSource, SourceKind

__all__ = [
    "DEFAULT_PRIORITY",
    "MAX_TIME_TO_LIVE_SECS",
    "ModuleInputSink",
    "Route",
    "RouteError",
    "RouteSource",
    "RouteSpec",
    "RouteSpecError",
    "RouteSyntaxError",
    "Sink",
    "SourceKind",
    "UpstreamSink",
    "compile_route",
    "compile_routes",
    "matching_routes",
]
