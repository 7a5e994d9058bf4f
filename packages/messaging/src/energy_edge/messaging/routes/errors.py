"""Errors a route definition can raise, each naming the route so a bad manifest points at its culprit.

edgeHub refuses a whole ``$edgeHub`` configuration when one route does not compile; the hub built from the
manifest does the same, so the message must say which route and, for route text, where in it.
"""

from __future__ import annotations


class RouteError(ValueError):
    """A route in the manifest is unusable. ``route_name`` is its key under ``$edgeHub.routes``."""

    def __init__(self, route_name: str, reason: str, message: str) -> None:
        self.route_name = route_name
        self.reason = reason
        super().__init__(message)


class RouteSyntaxError(RouteError):
    """The route text does not compile: bad syntax, an unknown function, operands of the wrong type.

    ``position`` is the 0-based character offset into the route string where the problem starts (the
    offending token, or the end of the text when something is missing), e.g.
    ``route 'solarToController': expected INTO at position 57``.
    """

    def __init__(self, route_name: str, position: int, reason: str) -> None:
        self.position = position
        super().__init__(route_name, reason, f"route {route_name!r}: {reason} at position {position}")


class RouteSpecError(RouteError):
    """A route object (``{"route": ..., "priority": ..., "timeToLiveSecs": ...}``) is malformed."""

    def __init__(self, route_name: str, reason: str) -> None:
        super().__init__(route_name, reason, f"route {route_name!r}: {reason}")


class RouteTextError(Exception):
    """Raised inside the lexer and parser, which do not know the route's name; compile_route adds it."""

    def __init__(self, position: int, reason: str) -> None:
        self.position = position
        self.reason = reason
        super().__init__(f"{reason} at position {position}")
