"""``$body`` conditions: evaluated only for JSON with a supported encoding, parsed once per message."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

import pytest

from energy_edge.messaging.message import EdgeMessage
from energy_edge.messaging.routes import RouteSyntaxError, compile_route, compile_routes, matching_routes
from energy_edge.messaging.routes import body as body_module

READING = {
    "asset_id": "solar-01",
    "state": "RUNNING",
    "power_output_kw": 42.5,
    "online": True,
    "fault_code": None,
    "limits": {"max_kw": 100, "phases": [230.1, 229.8, 231.0]},
    "tags": ["roof", "south"],
}
Truth = Literal[True, False, "undefined"]


def json_message(document: object = READING, **overrides: Any) -> EdgeMessage:
    return EdgeMessage(body=json.dumps(document).encode(), **overrides)


def holds(condition: str, message: EdgeMessage) -> bool:
    return compile_route("r", f"FROM /* WHERE {condition} INTO $upstream").matches(message)


def truth(condition: str, message: EdgeMessage | None = None) -> Truth:
    message = message or json_message()
    if holds(condition, message):
        return True
    if holds(f"NOT ({condition})", message):
        return False
    return "undefined"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("$body.power_output_kw > 10", True),
        ("$body.power_output_kw = 42.5", True),
        ("$body.state = 'RUNNING'", True),
        ("$body.online = true", True),
        ("$body.online", True),
        ("NOT $body.online", False),
        ("$body.limits.max_kw = 100", True),
        ("$body.limits.phases[1] = 229.8", True),
        ("$body.tags[0] = 'roof'", True),
        ("$BODY.state = 'RUNNING'", True),  # the prefix ignores case ...
        ("IS_NULL($body.State)", True),  # ... the path does not
        ("$body.fault_code = null", True),
        ("IS_NULL($body.fault_code)", True),
        ("IS_NULL($body.state)", False),
        ("IS_STRING($body.state)", True),
        ("IS_NUMBER($body.power_output_kw)", True),
        ("IS_BOOL($body.online)", True),
        ("$body.power_output_kw + 7.5 = 50", True),
        ("- $body.power_output_kw = -42.5", True),
        ("$body.state || '!' = 'RUNNING!'", True),
        ("($body.nothing ?? 5) = null", True),  # a missing path is null, which is defined
        ("($body.limits ?? 5) = 5", True),  # an object is undefined
    ],
)
def test_body_paths_read_the_json_document(condition: str, expected: Truth) -> None:
    assert truth(condition) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("IS_DEFINED($body.limits)", False),  # objects and arrays are not values
        ("IS_DEFINED($body.tags)", False),
        ("$body.tags = 'roof'", "undefined"),
        ("IS_DEFINED($body.nothing)", True),  # edgeHub reads a path that leads nowhere as null
        ("$body.nothing = null", True),
        ("$body.tags[5] = null", True),
        ("$body.state.inner = null", True),
        ("$body.limits[0] = null", True),
    ],
)
def test_missing_and_composite_values_follow_edgehub(condition: str, expected: Truth) -> None:
    assert truth(condition) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("$body.power_output_kw = '42.5'", False),  # JSON types differ: unequal, not undefined
        ("$body.power_output_kw != '42.5'", True),
        ("$body.fault_code != 'E1'", True),
        ("$body.state != 5", True),
        ("$body.fault_code > 10", True),  # edgeHub orders bool < number < string < null
        ("$body.online < 0", True),
        ("$body.state > 1000", True),
        ("$body.online AND true", True),
        ("$body.state AND true", "undefined"),  # only JSON bools take part in logic
        ("$body.fault_code OR true", "undefined"),
        ("$body.state + 1 = 2", "undefined"),
        ("LOWER($body.power_output_kw) = 'x'", "undefined"),
    ],
)
def test_body_values_of_other_types_compare_as_on_edgehub(condition: str, expected: Truth) -> None:
    assert truth(condition) == expected


@pytest.mark.parametrize(
    ("content_type", "content_encoding"),
    [
        ("application/json", "utf-8"),
        ("Application/JSON", "UTF-8"),
    ],
)
def test_body_is_evaluated_for_json_in_utf8(content_type: str, content_encoding: str) -> None:
    message = json_message(content_type=content_type, content_encoding=content_encoding)
    assert holds("$body.state = 'RUNNING'", message)


@pytest.mark.parametrize(
    ("content_type", "content_encoding"),
    [
        ("text/plain", "utf-8"),
        ("application/octet-stream", "utf-8"),
        ("application/json; charset=utf-8", "utf-8"),
        (None, "utf-8"),
        ("application/json", None),
        ("application/json", "latin-1"),
        ("application/json", "gzip"),
    ],
)
def test_body_is_undefined_for_any_other_content(
    content_type: str | None, content_encoding: str | None
) -> None:
    message = json_message(content_type=content_type, content_encoding=content_encoding)
    assert truth("$body.state = 'RUNNING'", message) == "undefined"
    assert not holds("IS_DEFINED($body.state)", message)
    assert not holds("IS_NULL($body.state)", message)


@pytest.mark.parametrize(
    ("encoding", "codec"),
    [
        ("utf-16", "utf-16-le"),
        ("utf-16", "utf-16"),  # with a byte-order mark
        ("UTF-16", "utf-16-be-bom"),
        ("utf-32", "utf-32-le"),
        ("utf-32", "utf-32"),
        ("utf-8", "utf-8-sig"),
    ],
)
def test_body_accepts_the_other_encodings_edgehub_accepts(encoding: str, codec: str) -> None:
    text = json.dumps(READING)
    data = b"\xfe\xff" + text.encode("utf-16-be") if codec == "utf-16-be-bom" else text.encode(codec)
    message = EdgeMessage(body=data, content_encoding=encoding)
    assert holds("$body.state = 'RUNNING'", message)


@pytest.mark.parametrize(
    "body",
    [b"[1, 2]", b'"text"', b"{not json", b"\xff\xfe\x00", b"", b"null"],
)
def test_body_that_is_not_a_json_object_is_undefined(body: bytes) -> None:
    message = EdgeMessage(body=body)
    assert truth("$body.state = 'RUNNING'", message) == "undefined"


def test_a_property_named_like_a_body_path_wins_unless_escaped() -> None:
    message = json_message(properties={"$body.state": "OVERRIDDEN"})
    assert holds("$body.state = 'OVERRIDDEN'", message)
    assert holds("{$body.state} = 'RUNNING'", message)


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        ("$body. = 1", "a $body path needs a property name after '$body.'"),
        ("$body.a..b = 1", "unsupported $body path 'a..b'"),
        ("$body.a[x] = 1", "unsupported $body path 'a[x]'"),
        ("$body.a[0][1] = 1", "unsupported $body path"),
        ("$body.[0] = 1", "unsupported $body path"),
    ],
)
def test_unsupported_body_paths_do_not_compile(condition: str, reason: str) -> None:
    with pytest.raises(RouteSyntaxError) as caught:
        compile_route("r", f"FROM /* WHERE {condition} INTO $upstream")
    assert reason in caught.value.reason
    assert caught.value.position == len("FROM /* WHERE ")


@pytest.fixture
def parse_count(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    calls: list[EdgeMessage] = []
    parse = body_module.json_document

    def counting(message: EdgeMessage) -> dict[str, object] | None:
        calls.append(message)
        return parse(message)

    monkeypatch.setattr(body_module, "json_document", counting)
    return lambda: len(calls)


def test_one_route_parses_the_body_once_however_often_it_reads_it(parse_count: Callable[[], int]) -> None:
    route = compile_route(
        "r",
        "FROM /* WHERE $body.state = 'RUNNING' AND $body.power_output_kw > 10 AND $body.online "
        "INTO $upstream",
    )
    assert route.matches(json_message())
    assert parse_count() == 1


def test_all_routes_share_one_parse_of_a_message(parse_count: Callable[[], int]) -> None:
    routes = compile_routes(
        {
            "running": "FROM /* WHERE $body.state = 'RUNNING' INTO $upstream",
            "producing": "FROM /* WHERE $body.power_output_kw > 10 INTO $upstream",
            "faulted": "FROM /* WHERE $body.fault_code != null INTO $upstream",
            "plain": "FROM /* INTO $upstream",
        }
    )
    matched = matching_routes(routes, json_message())
    assert [route.name for route in matched] == ["running", "producing", "plain"]
    assert parse_count() == 1


def test_routes_without_body_conditions_never_parse_the_body(parse_count: Callable[[], int]) -> None:
    routes = compile_routes(
        {
            "modules": "FROM /messages/modules/* WHERE $connectionModuleId = 'solar-module' INTO $upstream",
            "plain": "FROM /* INTO $upstream",
        }
    )
    assert len(matching_routes(routes, json_message(connection_module_id="solar-module"))) == 2
    assert parse_count() == 0
