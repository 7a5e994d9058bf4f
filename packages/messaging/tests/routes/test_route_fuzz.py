"""Whatever text a manifest holds, compiling it either succeeds or raises RouteError, and a compiled route
answers every message with a bool: no IndexError, KeyError, RecursionError or arithmetic error leaks."""

from __future__ import annotations

import contextlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energy_edge.messaging.message import EdgeMessage
from energy_edge.messaging.routes import RouteError, RouteSyntaxError, compile_route

# Pieces of the route language, so random routes get past the first token often enough to be interesting.
FRAGMENTS = [
    "FROM", "SELECT", "*", "WHERE", "INTO", "/", "/*", "*/", "/messages", "/modules", "/outputs", "m",
    "$upstream", "BrokeredEndpoint", "(", ")", '"/modules/a/inputs/b"', "'", '"', "\\", "{", "}", ",",
    "$body.a", "$body.a[0]", "$body.", "$outputName", "{$contentType}", "a", "b-c", "'x'", '"y"', "'\\u0041'",
    "0", "-1", "1.5", "1e999", "e5", "0x1F", "0xFFFFFFFFFFFFFFFFFF", "true", "false", "null", "undefined",
    "+", "-", "%", "||", "??", "=", "!=", "<>", "<", "<=", ">", ">=", "AND", "OR", "NOT", "[", "]", "@", ";",
    "IS_DEFINED", "LOWER", "CONCAT", "SUBSTRING", "AS_NUMBER", "POWER", "ABS", "TWIN_CHANGE_INCLUDES",
    "/twinChangeNotifications", " ", "\t", "\n",
]  # fmt: skip

route_like = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map(" ".join)
ATOMS = [
    "a", "b-c", "$outputName", "{$contentType}", "$body.a", "$body.a[0]", "$body.b", "'x'", "''", "1.5", "-1",
    "0", "true", "false", "null", "undefined", "1e999", "0x1F",
]  # fmt: skip
BINARY = ["+", "-", "*", "/", "%", "||", "??", "=", "!=", "<>", "<", "<=", ">", ">=", "AND", "OR"]
FUNCTIONS = [
    "ABS", "EXP", "POWER", "SQUARE", "CEILING", "FLOOR", "SIGN", "SQRT", "AS_NUMBER", "IS_BOOL", "IS_DEFINED",
    "IS_NULL", "IS_NUMBER", "IS_STRING", "CONCAT", "LENGTH", "LOWER", "UPPER", "SUBSTRING", "INDEX_OF",
    "STARTS_WITH", "ENDS_WITH", "CONTAINS",
]  # fmt: skip


def _compose(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(BINARY), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    unary = st.tuples(st.sampled_from(["NOT", "-"]), children).map(lambda t: f"{t[0]} ({t[1]})")
    call = st.tuples(st.sampled_from(FUNCTIONS), st.lists(children, min_size=1, max_size=3)).map(
        lambda t: f"{t[0]}({', '.join(t[1])})"
    )
    return binary | unary | call


conditions = st.recursive(st.sampled_from(ATOMS), _compose, max_leaves=8)
json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from("ab"), children, max_size=2)
    ),
    max_leaves=6,
)
messages = st.builds(
    EdgeMessage,
    body=st.one_of(
        st.binary(max_size=20),
        st.dictionaries(st.sampled_from(["a", "b"]), json_values, max_size=2).map(
            lambda d: json.dumps(d).encode()
        ),
    ),
    properties=st.dictionaries(
        st.sampled_from(["a", "A", "b-c", "$outputName", "$body.a"]), st.text(max_size=4)
    ),
    content_type=st.sampled_from(["application/json", "text/plain", None]),
    content_encoding=st.sampled_from(["utf-8", "utf-16", "utf-32", "latin-1", None]),
    connection_module_id=st.sampled_from(["m", "M", None]),
    output_name=st.sampled_from(["o", None]),
)


@given(text=st.text(max_size=80))
def test_random_text_raises_nothing_but_route_syntax_errors(text: str) -> None:
    try:
        compile_route("fuzz", text)
    except RouteSyntaxError as error:
        assert 0 <= error.position <= len(text)


@given(text=route_like)
def test_route_shaped_noise_raises_nothing_but_route_syntax_errors(text: str) -> None:
    try:
        compile_route("fuzz", text)
    except RouteSyntaxError as error:
        assert 0 <= error.position <= len(text)


@given(spec=st.dictionaries(st.text(max_size=15), st.one_of(st.integers(), st.text(max_size=10), st.none())))
def test_random_route_objects_raise_nothing_but_route_errors(spec: dict[str, object]) -> None:
    with contextlib.suppress(RouteError):
        compile_route("fuzz", spec)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(condition=conditions, message=messages)
def test_a_compiled_condition_answers_every_message_with_a_bool(condition: str, message: EdgeMessage) -> None:
    try:
        route = compile_route("fuzz", f"FROM /* WHERE {condition} INTO $upstream")
    except RouteSyntaxError:
        return
    assert route.matches(message) in (True, False)
