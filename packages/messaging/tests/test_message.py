"""EdgeMessage: immutable, copied with changes, JSON/UTF-8 by default."""

from __future__ import annotations

import pytest

from energy_edge.messaging.message import JSON_CONTENT_TYPE, UTF8, EdgeMessage


def test_a_message_defaults_to_json_utf8_without_properties() -> None:
    message = EdgeMessage(body=b"{}")
    assert (message.content_type, message.content_encoding) == (JSON_CONTENT_TYPE, UTF8)
    assert dict(message.properties) == {}
    assert message.input_name is None


def test_a_message_cannot_be_changed_in_place() -> None:
    message = EdgeMessage(body=b"{}")
    with pytest.raises(AttributeError):
        message.body = b"[]"  # pyright: ignore[reportAttributeAccessIssue]


def test_copies_change_only_what_they_name() -> None:
    message = EdgeMessage(body=b"{}", properties={"a": "1"}, message_id="m")
    copy = message.replace(input_name="telemetry")
    assert copy.input_name == "telemetry"
    assert (copy.body, copy.properties, copy.message_id) == (message.body, message.properties, "m")
    assert message.input_name is None
    assert copy == EdgeMessage(body=b"{}", properties={"a": "1"}, message_id="m", input_name="telemetry")


def test_with_properties_adds_and_replaces_application_properties() -> None:
    message = EdgeMessage(body=b"{}", properties={"a": "1", "b": "2"})
    assert dict(message.with_properties(b="3", c="4").properties) == {"a": "1", "b": "3", "c": "4"}
    assert dict(message.properties) == {"a": "1", "b": "2"}
