"""A message as it travels between IoT Edge modules through edgeHub (or the in-process hub).

The sender sets the body, application properties and content type/encoding. edgeHub stamps the routing
system properties (``connection_device_id``, ``connection_module_id``, ``output_name``, ``enqueued_time``)
when it accepts a message from a module, and ``input_name`` when it delivers it; route conditions read them
as ``$connectionModuleId`` etc.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Final

import msgspec

JSON_CONTENT_TYPE: Final = "application/json"
UTF8: Final = "utf-8"

_NO_PROPERTIES: Final[Mapping[str, str]] = MappingProxyType({})


class EdgeMessage(msgspec.Struct, frozen=True, kw_only=True):
    """Body bytes plus the properties edgeHub routes on.

    Content type and encoding default to JSON/UTF-8 because edgeHub evaluates ``$body`` route conditions
    only when both are set (DESIGN.md).

    A frozen msgspec Struct rather than a frozen dataclass: a message is built by its sender and copied by
    the hub (stamped on acceptance, once more per module input it is delivered to), hundreds of thousands of
    times in a simulated site day, and a Struct is built in C about ten times faster than a frozen
    dataclass sets its eleven fields. Nothing here validates on construction either way. Copy with
    :meth:`replace`.
    """

    body: bytes
    properties: Mapping[str, str] = _NO_PROPERTIES
    """Application (custom) properties, e.g. ``traceparent``."""
    content_type: str | None = JSON_CONTENT_TYPE
    content_encoding: str | None = UTF8
    message_id: str | None = None
    correlation_id: str | None = None
    # Stamped by the hub, never by the sender:
    connection_device_id: str | None = None
    connection_module_id: str | None = None
    output_name: str | None = None
    input_name: str | None = None
    enqueued_time: datetime | None = None

    def system_property(self, name: str) -> str | None:
        """The value of a system property by its route-condition name (``messageId``, ``outputName`` ...)."""
        attribute = SYSTEM_PROPERTY_ATTRIBUTES.get(name)
        if attribute is None:
            return None
        value: str | datetime | None = getattr(self, attribute)
        return value.isoformat() if isinstance(value, datetime) else value

    def with_properties(self, **properties: str) -> EdgeMessage:
        """A copy with application properties added or replaced."""
        return self.replace(properties={**self.properties, **properties})

    def replace(self, **changes: object) -> EdgeMessage:
        """A copy with some fields changed (what ``dataclasses.replace`` did when this was a dataclass)."""
        return msgspec.structs.replace(self, **changes)


SYSTEM_PROPERTY_ATTRIBUTES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "messageId": "message_id",
        "correlationId": "correlation_id",
        "contentType": "content_type",
        "contentEncoding": "content_encoding",
        "connectionDeviceId": "connection_device_id",
        "connectionModuleId": "connection_module_id",
        "outputName": "output_name",
        "inputName": "input_name",
        "enqueuedTime": "enqueued_time",
    }
)
"""System properties a route condition can name (``$name``), mapped to :class:`EdgeMessage` attributes.
edgeHub also knows ``userId``, ``to``, ``messageSchema`` and ``creationTime``; modules here never set them,
so conditions on them evaluate to undefined, as they would on edgeHub for a message without them."""
