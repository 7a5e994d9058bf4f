"""Route sources: which messages a route looks at, decided from the hub-stamped module and output names.

edgeHub turns the source into a path prefix and matches a message's own path against it, ignoring case:
a module's output message has the path ``/messages/modules/<module>/outputs/<output>``, a module message
without an output ``/messages/modules/<module>``, and a message from a leaf device or the device itself
(no ``connection_module_id``) ``/messages/events``. So ``/messages/modules/m`` and ``/messages/modules/m/*``
select the same messages; both spellings are accepted. Anything else (an unknown path, a wildcard that is
not the whole last segment) is rejected, where edgeHub would accept a route that never matches.
``/twinChangeNotifications`` compiles but matches no message: twin change notifications are not messages.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from energy_edge.messaging.message import EdgeMessage
from energy_edge.messaging.routes.errors import RouteTextError
from energy_edge.messaging.routes.lexer import Token

_VALID_SOURCES = (
    "/*, /messages/*, /messages/modules/*, /messages/modules/<module>/*, "
    "/messages/modules/<module>/outputs/* or /messages/modules/<module>/outputs/<output>"
)


def _always(_message: EdgeMessage) -> bool:
    return True


def _never(_message: EdgeMessage) -> bool:
    return False


def _from_any_module(message: EdgeMessage) -> bool:
    return message.connection_module_id is not None


class SourceKind(enum.Enum):
    """What a ``FROM`` clause selects; the value describes it in words."""

    ALL = "all messages"
    MESSAGES = "all device and module messages"
    ALL_MODULES = "messages from any module"
    MODULE = "messages from one module"
    MODULE_OUTPUTS = "messages from any output of one module"
    MODULE_OUTPUT = "messages from one output of one module"
    TWIN_CHANGE_NOTIFICATIONS = "twin change notifications"


@dataclass(frozen=True, slots=True)
class RouteSource:
    """A parsed ``FROM`` clause. ``text`` is the path as written (without whitespace)."""

    text: str
    kind: SourceKind
    module_id: str | None = None
    output_name: str | None = None
    matches: Callable[[EdgeMessage], bool] = field(default=_never, repr=False, compare=False)
    """Whether a message comes from where this source points (module and output names ignore case).
    A function chosen for the source's kind when the route is compiled, so matching is one call."""


def parse_source(segments: tuple[Token, ...], position: int) -> RouteSource:
    """Build a :class:`RouteSource` from the path segments the parser found."""
    names = [segment.text for segment in segments]
    text = "/" + "/".join(names)
    for segment in segments:
        if "*" in segment.text and segment is not segments[-1]:
            raise RouteTextError(segment.start, f"a wildcard may only end the source, found {segment.text!r}")
        if "*" in segment.text and segment.text != "*":
            raise RouteTextError(segment.start, f"a wildcard must be a whole segment, found {segment.text!r}")
    if names[-1] == "*":
        names.pop()
    module = names[2] if len(names) > 2 else None  # messages/modules/<module>
    output = names[4] if len(names) > 4 else None  # messages/modules/<module>/outputs/<output>
    match [name.lower() for name in names]:
        case []:
            kind, matcher = SourceKind.ALL, _always
        case ["messages"]:
            kind, matcher = SourceKind.MESSAGES, _always
        case ["messages", "modules"]:
            kind, matcher = SourceKind.ALL_MODULES, _from_any_module
        case ["messages", "modules", _]:
            kind, matcher = SourceKind.MODULE, _from_module(names[2])
        case ["messages", "modules", _, "outputs"]:
            kind, matcher = SourceKind.MODULE_OUTPUTS, _from_module_outputs(names[2])
        case ["messages", "modules", _, "outputs", _]:
            kind, matcher = SourceKind.MODULE_OUTPUT, _from_module_output(names[2], names[4])
        case ["twinchangenotifications"]:
            kind, matcher = SourceKind.TWIN_CHANGE_NOTIFICATIONS, _never
        case _:
            raise RouteTextError(position, f"unknown source {text!r}; use {_VALID_SOURCES}")
    return RouteSource(text, kind, module, output, matches=matcher)


def _from_module(module_id: str) -> Callable[[EdgeMessage], bool]:
    module_folded = module_id.lower()  # edgeHub compares source paths ignoring case

    def matches(message: EdgeMessage) -> bool:
        module = message.connection_module_id
        return module is not None and (module == module_id or module.lower() == module_folded)

    return matches


def _from_module_outputs(module_id: str) -> Callable[[EdgeMessage], bool]:
    from_module = _from_module(module_id)
    return lambda message: message.output_name is not None and from_module(message)


def _from_module_output(module_id: str, output_name: str) -> Callable[[EdgeMessage], bool]:
    module_folded = module_id.lower()
    output_folded = output_name.lower()

    def matches(message: EdgeMessage) -> bool:
        module = message.connection_module_id
        output = message.output_name
        if module is None or output is None:
            return False
        return (output == output_name or output.lower() == output_folded) and (
            module == module_id or module.lower() == module_folded
        )

    return matches
