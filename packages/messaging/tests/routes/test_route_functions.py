"""Built-in functions of route conditions: results, undefined inputs, arity and argument types."""

from __future__ import annotations

import json
from typing import Literal

import pytest

from energy_edge.messaging.message import EdgeMessage
from energy_edge.messaging.routes import RouteSyntaxError, compile_route

MESSAGE = EdgeMessage(
    body=json.dumps({"name": "Solar-01", "kw": -42.5, "count": 3, "text_kw": "12.5", "flag": False}).encode(),
    properties={"asset_type": "battery", "soc": "62.5", "grouped": "1,234.5"},
    connection_module_id="solar-module",
)
Truth = Literal[True, False, "undefined"]


def truth(condition: str) -> Truth:
    def holds(text: str) -> bool:
        return compile_route("r", f"FROM /* WHERE {text} INTO $upstream").matches(MESSAGE)

    if holds(condition):
        return True
    if holds(f"NOT ({condition})"):
        return False
    return "undefined"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("ABS(-2.5) = 2.5", True),
        ("ABS($body.kw) = 42.5", True),
        ("ABS($body.name) = 1", "undefined"),
        ("EXP(0) = 1", True),
        ("EXP(1000) > 1e300", True),
        ("POWER(2, 10) = 1024", True),
        ("POWER(-8, 0.5) = 0", "undefined"),
        ("POWER(0, -1) > 1e300", True),
        ("POWER(10, 400) > 1e300", True),
        ("POWER(-10, 401) < -1e300", True),
        ("SQUARE(-3) = 9", True),
        ("CEILING(1.2) = 2", True),
        ("CEILING(-1.2) = -1", True),
        ("FLOOR(1.8) = 1", True),
        ("FLOOR(-1.2) = -2", True),
        ("FLOOR(1 / 0) > 1e300", True),
        ("SIGN(-3) = -1", True),
        ("SIGN(0) = 0", True),
        ("SIGN($body.count) = 1", True),
        ("SQRT(16) = 4", True),
        ("SQRT(-1) = 0", "undefined"),
        ("AS_NUMBER('12.5') = 12.5", True),
        ("AS_NUMBER(soc) > 50", True),
        ("AS_NUMBER(grouped) = 1234.5", True),
        ("AS_NUMBER(' -1e3 ') = -1000", True),
        ("AS_NUMBER('.5') = 0.5", True),
        ("AS_NUMBER('Infinity') > 1e300", True),
        ("AS_NUMBER('abc') = 0", "undefined"),
        ("AS_NUMBER('') = 0", "undefined"),
        ("AS_NUMBER('NaN') = 0", "undefined"),
        ("AS_NUMBER(7) = 7", True),
        ("AS_NUMBER($body.text_kw) = 12.5", True),
        ("AS_NUMBER($body.flag) = 0", "undefined"),
        ("AS_NUMBER(missing) = 0", "undefined"),
    ],
)
def test_math_and_conversion(condition: str, expected: Truth) -> None:
    assert truth(condition) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("IS_DEFINED(asset_type)", True),
        ("IS_DEFINED(missing)", False),
        ("IS_DEFINED(null)", True),
        ("IS_DEFINED(undefined)", False),
        ("IS_DEFINED($body.flag)", True),
        ("IS_NULL(null)", True),
        ("IS_NULL(asset_type)", False),
        ("IS_NULL(missing)", False),
        ("IS_NULL(1)", False),
        ("IS_NULL($body.flag)", False),
        ("IS_NULL($body.nothing)", True),
        ("IS_BOOL(true)", True),
        ("IS_BOOL($body.flag)", True),
        ("IS_BOOL('true')", False),
        ("IS_NUMBER(1)", True),
        ("IS_NUMBER($body.count)", True),
        ("IS_NUMBER(soc)", False),  # application properties are strings
        ("IS_NUMBER($body.text_kw)", False),
        ("IS_STRING(asset_type)", True),
        ("IS_STRING(missing)", False),
        ("IS_STRING($body.name)", True),
        ("IS_STRING(1)", False),
        ("is_defined(asset_type)", True),  # function names ignore case
        ("Is_Defined(asset_type)", True),
    ],
)
def test_type_checks(condition: str, expected: Truth) -> None:
    assert truth(condition) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("LOWER('SoLaR') = 'solar'", True),
        ("UPPER(asset_type) = 'BATTERY'", True),
        ("LOWER($body.name) = 'solar-01'", True),
        ("LOWER(missing) = 'x'", "undefined"),
        ("LENGTH('abc') = 3", True),
        ("LENGTH('') = 0", True),
        ("LENGTH($body.name) = 8", True),
        ("CONCAT('a', 'b') = 'ab'", True),
        ("CONCAT('a', 'b', 'c', 'd') = 'abcd'", True),
        ("CONCAT(asset_type, '-', $body.name) = 'battery-Solar-01'", True),
        ("CONCAT('a', missing) = 'a'", "undefined"),
        ("CONCAT('a', $body.count) = 'a3'", "undefined"),
        ("SUBSTRING('hello', 1) = 'ello'", True),
        ("SUBSTRING('hello', 5) = ''", True),
        ("SUBSTRING('hello', 6) = ''", "undefined"),
        ("SUBSTRING('hello', 1, 3) = 'ell'", True),
        ("SUBSTRING('hello', 1, 4) = 'ello'", True),
        ("SUBSTRING('hello', 1, 5) = 'ello'", "undefined"),
        ("SUBSTRING('hello', 5, 0) = ''", "undefined"),
        ("SUBSTRING('hello', -1) = 'hello'", "undefined"),
        ("SUBSTRING('hello', 1.7, 2) = 'el'", True),
        ("INDEX_OF('solar-module', '-') = 5", True),
        ("INDEX_OF('solar', 'x') = -1", True),
        ("INDEX_OF('solar', '') = 0", True),
        ("STARTS_WITH($body.name, 'Solar')", True),
        ("STARTS_WITH($body.name, 'solar')", False),
        ("ENDS_WITH(asset_type, 'ery')", True),
        ("CONTAINS(asset_type, 'tte')", True),
        ("CONTAINS(asset_type, 'x')", False),
        ("CONTAINS(missing, 'x')", "undefined"),
        ("CONTAINS($body.count, '3')", "undefined"),
    ],
)
def test_string_functions(condition: str, expected: Truth) -> None:
    assert truth(condition) == expected


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        ("NO_SUCH(a) = 1", "unknown function 'NO_SUCH'"),
        ("LOWR(a) = 'x'", "unknown function 'LOWR' (did you mean LOWER?)"),
        ("IS_DEFINED() ", "IS_DEFINED(any) cannot take 0 argument(s)"),
        ("LOWER('a', 'b') = 'a'", "LOWER(string) cannot take 2 argument(s)"),
        ("CONCAT('a') = 'a'", "CONCAT(string, string, ...) cannot take 1 argument(s)"),
        ("SUBSTRING('a') = 'a'", "SUBSTRING(string, number[, number]) cannot take 1 argument(s)"),
        ("SUBSTRING('a', 1, 2, 3) = 'a'", "cannot take 4 argument(s)"),
        ("POWER(2) = 4", "POWER(number, number) cannot take 1 argument(s)"),
        ("ABS('a') = 1", "ABS(number) cannot take string as argument 1"),
        (
            "ABS(soc) = 1",
            "cannot take string (application property 'soc') as argument 1; application properties are "
            "strings, convert with AS_NUMBER(soc)",
        ),
        ("LOWER(1) = 'a'", "LOWER(string) cannot take number as argument 1"),
        ("LOWER(null) = 'a'", "cannot take null as argument 1"),
        ("CONTAINS('a', true)", "CONTAINS(string, string) cannot take bool as argument 2"),
        ("AS_NUMBER(true) = 1", "AS_NUMBER(number | string) cannot take bool"),
        ("TWIN_CHANGE_INCLUDES(properties.reported.x)", "only valid on FROM /twinChangeNotifications routes"),
    ],
)
def test_unknown_functions_and_bad_arguments_do_not_compile(condition: str, reason: str) -> None:
    with pytest.raises(RouteSyntaxError) as caught:
        compile_route("r", f"FROM /* WHERE {condition} INTO $upstream")
    assert reason in caught.value.reason
    assert caught.value.position == len("FROM /* WHERE ")


def test_twin_change_includes_compiles_on_twin_routes_which_never_match_messages() -> None:
    route = compile_route(
        "twin",
        "FROM /twinChangeNotifications WHERE TWIN_CHANGE_INCLUDES(properties.reported.x) INTO $upstream",
    )
    assert not route.matches(MESSAGE)


def test_constant_conditions_are_folded_at_compile_time() -> None:
    # Functions of literals are evaluated once; the route still answers per message.
    route = compile_route(
        "r", "FROM /messages/modules/* WHERE LOWER('A') || UPPER('b') = 'aB' INTO $upstream"
    )
    assert route.matches(MESSAGE)
    assert not route.matches(EdgeMessage(body=b"{}"))
