"""Compiled routes: one object per manifest entry, parsed and type-checked once, matched many times.

A manifest route is a string or, with ``$edgeHub`` schema 1.1 and later, an object
``{"route": "...", "priority": 0-9, "timeToLiveSecs": 0-4294967295}``. As in edgeHub's ``RouteFactory``,
a route without a priority gets :data:`DEFAULT_PRIORITY` (2,000,000,000), which ranks below every
explicit priority (0 is the highest). ``time_to_live_secs`` is ``None`` when the route sets no TTL of its
own, either by leaving ``timeToLiveSecs`` out or by giving 0, which edgeHub treats the same way; the
global ``storeAndForwardConfiguration.timeToLiveSecs`` then applies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, TypeAlias

from energy_edge.messaging.message import EdgeMessage
from energy_edge.messaging.routes.body import MessageContext
from energy_edge.messaging.routes.conditions import Evaluator, compile_condition
from energy_edge.messaging.routes.errors import RouteSpecError, RouteSyntaxError, RouteTextError
from energy_edge.messaging.routes.lexer import comments_before
from energy_edge.messaging.routes.parser import parse_route
from energy_edge.messaging.routes.sinks import Sink, parse_sink
from energy_edge.messaging.routes.sources import RouteSource, SourceKind, parse_source

DEFAULT_PRIORITY: Final = 2_000_000_000
"""edgeHub's ``RouteFactory.DefaultPriority``: routes without a priority come after all others."""
MAX_PRIORITY: Final = 9
MAX_TIME_TO_LIVE_SECS: Final = 4_294_967_295
"""edgeHub reads ``timeToLiveSecs`` as an unsigned 32-bit integer."""

RouteSpec: TypeAlias = str | Mapping[str, object]
"""A value under ``$edgeHub.properties.desired.routes``: route text or a route object."""

_ROUTE_OBJECT_KEYS: Final = ("route", "priority", "timeToLiveSecs")


@dataclass(frozen=True, slots=True)
class Route:
    """A compiled route. Build it with :func:`compile_route`; ``matches`` never parses again."""

    name: str
    text: str
    """The route string as written in the manifest."""
    source: RouteSource
    condition: str | None
    """The ``WHERE`` condition's text, or ``None`` when the route has none."""
    sink: Sink
    priority: int = DEFAULT_PRIORITY
    time_to_live_secs: int | None = None
    """The route's own TTL for messages held upstream, or ``None`` to use the hub's global TTL."""
    matches: Callable[[EdgeMessage], bool] = field(repr=False, compare=False, kw_only=True)
    """Whether edgeHub would deliver a message along this route: ``route.matches(message)``. A function
    composed at compile time (the source check, then the condition), so a call costs no dispatch."""
    evaluate: Evaluator | None = field(default=None, repr=False, compare=False, kw_only=True)
    """The compiled condition; a message that passes the source matches when it returns exactly ``True``."""


def matching_routes(routes: Iterable[Route], message: EdgeMessage) -> list[Route]:
    """The routes, in order, that deliver ``message``; its body is parsed at most once for all of them."""
    context: MessageContext | None = None
    matched: list[Route] = []
    for route in routes:
        if not route.source.matches(message):
            continue
        evaluate = route.evaluate
        if evaluate is not None:
            if context is None:
                context = MessageContext(message)
            if evaluate(context) is not True:
                continue
        matched.append(route)
    return matched


def compile_route(name: str, spec: RouteSpec) -> Route:
    """Compile one manifest route, a string or a route object.

    Raises :class:`RouteSyntaxError` (route name, 0-based position, reason) for route text that edgeHub
    would not accept or that this engine cannot honour, and :class:`RouteSpecError` for a malformed route
    object (missing ``route``, unknown key, priority outside 0-9, TTL outside 0-4294967295).
    """
    text, priority, time_to_live_secs = _unpack(name, spec)
    try:
        syntax = parse_route(text)
        source = parse_source(syntax.source, syntax.source_position)
        sink = parse_sink(syntax.sink)
        evaluate = None
        if syntax.condition is not None:
            twin = source.kind is SourceKind.TWIN_CHANGE_NOTIFICATIONS
            evaluate = compile_condition(syntax.condition, twin_source=twin)
    except RouteTextError as error:
        reason = error.reason
        for comment in comments_before(text, error.position):
            reason += f" (the '/*' at position {comment.start} starts a comment that ends at {comment.end})"
        raise RouteSyntaxError(name, error.position, reason) from None
    return Route(
        name,
        text,
        source,
        syntax.condition_text,
        sink,
        priority,
        time_to_live_secs,
        matches=_matcher(source, evaluate),
        evaluate=evaluate,
    )


def _matcher(source: RouteSource, evaluate: Evaluator | None) -> Callable[[EdgeMessage], bool]:
    from_source = source.matches
    if evaluate is None:
        return from_source
    return lambda message: from_source(message) and evaluate(MessageContext(message)) is True


def compile_routes(routes: Mapping[str, RouteSpec]) -> list[Route]:
    """Compile every route of ``$edgeHub.routes`` in manifest order; the first bad one raises."""
    return [compile_route(name, spec) for name, spec in routes.items()]


def _unpack(name: str, spec: object) -> tuple[str, int, int | None]:
    if isinstance(spec, str):
        return spec, DEFAULT_PRIORITY, None
    if not isinstance(spec, Mapping):
        raise RouteSpecError(name, f"a route must be a string or a route object, got {type(spec).__name__}")
    route_object: Mapping[object, object] = spec  # pyright: ignore[reportUnknownVariableType]
    unknown = [key for key in route_object if key not in _ROUTE_OBJECT_KEYS]
    if unknown:
        raise RouteSpecError(
            name, f"unknown key {unknown[0]!r} in route object (allowed: route, priority, timeToLiveSecs)"
        )
    text = route_object.get("route")
    if not isinstance(text, str):
        raise RouteSpecError(name, "a route object needs the route text under 'route'")
    priority = _integer(name, route_object, "priority", MAX_PRIORITY, DEFAULT_PRIORITY)
    time_to_live_secs = _integer(name, route_object, "timeToLiveSecs", MAX_TIME_TO_LIVE_SECS, 0)
    return text, priority, time_to_live_secs or None


def _integer(name: str, route_object: Mapping[object, object], key: str, maximum: int, default: int) -> int:
    if key not in route_object:
        return default
    value = route_object[key]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise RouteSpecError(name, f"{key} must be an integer from 0 to {maximum}, got {value!r}")
    return value
