"""``$body`` paths and the per-message evaluation context that parses a message body at most once.

edgeHub evaluates ``$body.<path>`` only for a message whose content type is ``application/json`` and whose
content encoding is ``utf-8``, ``utf-16`` or ``utf-32`` (both compared case-insensitively, as its
``Message.GetMessageEncoding`` and ``MessageQueryValueProviderFactory`` do); for any other message the
query is undefined, and so is it for a body that is not a JSON object. Energy Edge modules send UTF-8
(DESIGN.md); the UTF-16/32 variants are accepted because edgeHub accepts them, decoded little-endian as
.NET's ``Encoding.Unicode``/``UTF32`` do unless the body starts with a byte-order mark.

Path semantics follow edgeHub's JSON query: a path that leads nowhere is ``null`` (not undefined), a path
that ends at an object or array is undefined, numbers become floats.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, cast

from energy_edge.messaging.message import EdgeMessage
from energy_edge.messaging.routes.values import UNDEFINED, Value

_JSON_CONTENT_TYPE: Final = "application/json"
_BOMS: Final[dict[str, tuple[bytes, ...]]] = {
    "utf-16": (b"\xff\xfe", b"\xfe\xff"),
    "utf-32": (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"),
}
_LITTLE_ENDIAN: Final[dict[str, str]] = {"utf-16": "utf-16-le", "utf-32": "utf-32-le"}

# edgeHub's JsonPath.g4: identifiers separated by dots, each with at most one [index].
_SEGMENT: Final = re.compile(r"""([^()<>@,;:\\"/\[\]?={}.\t\n\r]+)(?:\[([0-9]+)\])?""")

_MISSING: Final = object()


@dataclass(frozen=True, slots=True)
class PathStep:
    """One ``name`` or ``name[index]`` step of a ``$body`` path."""

    name: str
    index: int | None


def parse_body_path(path: str) -> tuple[PathStep, ...] | str:
    """The steps of a ``$body`` path (the text after ``$body.``), or why it is not a supported path."""
    if not path:
        return "a $body path needs a property name after '$body.'"
    steps: list[PathStep] = []
    for part in path.split("."):
        match = _SEGMENT.fullmatch(part)
        if match is None:
            return f"unsupported $body path {path!r}: use dotted names with at most one [index] each"
        index = match.group(2)
        steps.append(PathStep(match.group(1), None if index is None else int(index)))
    return tuple(steps)


def path_reader(steps: tuple[PathStep, ...]) -> Callable[[dict[str, object]], Value]:
    """A function that walks a parsed JSON object along a path, with edgeHub's results for missing and
    composite values; a one-name path (the common ``$body.power_output_kw``) gets a direct lookup."""
    if len(steps) == 1 and steps[0].index is None:
        name = steps[0].name

        def read_member(document: dict[str, object]) -> Value:
            node = document.get(name, _MISSING)
            if node is None or type(node) is str or type(node) is bool:
                return node
            return None if node is _MISSING else _scalar(node)

        return read_member

    def read_path(document: dict[str, object]) -> Value:
        node: object = document
        for step in steps:
            node = _member(node, step.name)
            if step.index is not None:
                node = _item(node, step.index)
            if node is _MISSING:
                return None
        return _scalar(node)

    return read_path


def _member(node: object, name: str) -> object:
    if isinstance(node, dict):
        return cast("dict[str, object]", node).get(name, _MISSING)
    return _MISSING


def _item(node: object, index: int) -> object:
    if isinstance(node, list):
        items = cast("list[object]", node)
        return items[index] if index < len(items) else _MISSING
    return _MISSING


def _scalar(node: object) -> Value:
    if isinstance(node, float):
        return UNDEFINED if math.isnan(node) else node  # NaN is edgeHub's undefined number
    if node is None or isinstance(node, bool | str):
        return node
    if isinstance(node, int):
        try:
            return float(node)
        except OverflowError:  # a JSON integer beyond double range, as .NET's conversion gives
            return math.inf if node > 0 else -math.inf
    return UNDEFINED  # objects and arrays are not values a condition can use


def json_document(message: EdgeMessage) -> dict[str, object] | None:
    """The message body as a JSON object when edgeHub would query it, else ``None``."""
    content_type = message.content_type
    encoding = message.content_encoding
    if content_type is None or encoding is None or content_type.lower() != _JSON_CONTENT_TYPE:
        return None
    encoding = encoding.lower()
    try:
        if encoding == "utf-8":
            text = message.body.decode()
        elif encoding in _BOMS:
            body = message.body
            text = body.decode(encoding if body.startswith(_BOMS[encoding]) else _LITTLE_ENDIAN[encoding])
        else:
            return None
        document: object = json.loads(text.removeprefix("\ufeff"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return cast("dict[str, object]", document) if isinstance(document, dict) else None


class MessageContext:
    """One message under evaluation. Its body is parsed, and its ``$``-named application properties are
    collected, on first use only, and then shared by every condition evaluated in this context.

    :func:`~energy_edge.messaging.routes.matching_routes` evaluates all routes against one context, so a
    message is parsed at most once however many ``$body`` routes look at it. The attributes are read
    directly by the compiled closures, which is measurably faster than a method call per access.
    """

    __slots__ = ("document", "dollar_properties", "message", "parsed")

    def __init__(self, message: EdgeMessage) -> None:
        self.message = message
        self.parsed = False
        self.document: dict[str, object] | None = None
        self.dollar_properties: dict[str, str] | None = None

    def parse(self) -> dict[str, object] | None:
        """Parse the body (once); ``None`` when ``$body`` is undefined for this message."""
        if not self.parsed:
            self.document = json_document(self.message)
            self.parsed = True
        return self.document

    def collect_dollar_properties(self) -> dict[str, str]:
        """Application properties whose names start with ``$``, by lower-cased name: edgeHub lets such a
        property stand in for the system property or ``$body`` path of the same name."""
        if self.dollar_properties is None:
            self.dollar_properties = {
                name.lower(): value for name, value in self.message.properties.items() if name.startswith("$")
            }
        return self.dollar_properties
