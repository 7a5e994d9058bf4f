"""Route conditions: literals, operators and their precedence, three-valued logic, names and static types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import pytest

from energy_edge.messaging.message import EdgeMessage
from energy_edge.messaging.routes import RouteSyntaxError, compile_route

PREFIX = "FROM /* WHERE "
MESSAGE = EdgeMessage(
    body=b"{}",
    properties={"asset_type": "battery", "battery_soc": "62.5", "present": "v", "empty": ""},
    message_id="m-1",
    correlation_id="c-1",
    connection_device_id="edge-01",
    connection_module_id="solar-module",
    output_name="telemetry",
    enqueued_time=datetime(2024, 6, 1, 12, 0, tzinfo=UTC),
)

Truth = Literal[True, False, "undefined"]


def holds(condition: str, message: EdgeMessage = MESSAGE) -> bool:
    return compile_route("r", f"{PREFIX}{condition} INTO $upstream").matches(message)


def truth(condition: str, message: EdgeMessage = MESSAGE) -> Truth:
    """True, False, or 'undefined' when neither the condition nor its negation holds (bool conditions)."""
    if holds(condition, message):
        return True
    if holds(f"NOT ({condition})", message):
        return False
    return "undefined"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("1 + 2 * 3 = 7", True),
        ("(1 + 2) * 3 = 9", True),
        ("10 - 4 - 3 = 3", True),
        ("2 * 3 % 4 = 2", True),
        ("7 % 3 = 1", True),
        ("-7 % 3 = -1", True),
        ("1 / 4 = 0.25", True),
        ("1 / 0 > 1000000", True),
        ("-1 / 0 < -1000000", True),
        ("0 / 0 = 0", "undefined"),
        ("5 % 0 = 0", "undefined"),
        ("- 2 * 3 = -6", True),
        ("-(2 + 3) = -5", True),
        ("- - 2 = 2", True),
        ("0x1F = 31", True),
        ("0XfF = 255", True),
        ("0xFFFFFFFFFFFFFFFF = -1", True),
        ("1.5e3 = 1500", True),
        (".5 = 0.5", True),
        ("-.5 = -0.5", True),
        ("1e-2 = 0.01", True),
        ("2.50 = 2.5", True),
        ("'a' || 'b' = 'ab'", True),
        ("'a' || 'b' || 'c' = 'abc'", True),
        ("\"double\" = 'double'", True),
        ("'it\\'s' = \"it's\"", True),
        ("'\\u0041\\u00e9' = 'Aé'", True),
        ("'back\\\\slash' = 'back' || '\\\\' || 'slash'", True),
    ],
)
def test_literals_and_arithmetic(condition: str, expected: Truth) -> None:
    assert truth(condition) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("'abc' < 'abd'", True),
        ("'B' < 'a'", True),  # ordinal, not culture-aware
        ("'a' <= 'a'", True),
        ("'b' >= 'a'", True),
        ("'b' > 'a'", True),
        ("'a' <> 'b'", True),
        ("'a' != 'a'", False),
        ("'a' = 'A'", False),
        ("2 > 10", False),
        ("10 >= 10", True),
        ("true = true", True),
        ("false < true", True),
        ("true != false", True),
        ("null = null", True),
        ("null <= null", True),
        ("null != null", False),
        ("null < null", False),
        ("undefined = undefined", "undefined"),
    ],
)
def test_comparisons(condition: str, expected: Truth) -> None:
    assert truth(condition) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("true AND false", False),
        ("true AND true", True),
        ("true OR false", True),
        ("false OR false", False),
        ("NOT false", True),
        ("NOT NOT true", True),
        ("true or false and false", True),  # AND binds tighter than OR
        ("(true OR false) AND false", False),
        ("1 < 2 AND 'a' = 'a'", True),  # comparisons bind tighter than AND
        ("1 + 1 = 2 OR false", True),
        ("missing = 'x' AND false", False),  # Kleene logic: false decides an AND
        ("false AND missing = 'x'", False),
        ("missing = 'x' AND true", "undefined"),
        ("missing = 'x' OR true", True),  # and true decides an OR
        ("true OR missing = 'x'", True),
        ("missing = 'x' OR false", "undefined"),
        ("NOT (missing = 'x')", "undefined"),
    ],
)
def test_logic_is_three_valued(condition: str, expected: Truth) -> None:
    assert truth(condition) == expected


@pytest.mark.parametrize(
    ("condition", "matches"),
    [
        ("null OR true", True),
        ("null OR false", False),
        ("null AND true", False),
        ("IS_NULL(null AND true)", True),
        ("NOT null", True),  # edgeHub's Null.operator !
        ("null", False),
        ("undefined", False),
        ("'true'", False),
        ("1", False),
        ("true", True),
    ],
)
def test_only_an_exact_true_matches(condition: str, matches: bool) -> None:
    assert holds(condition) is matches


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("(missing ?? 'fallback') = 'fallback'", True),
        ("(present ?? 'fallback') = 'v'", True),
        ("(missing ?? other_missing) = 'x'", "undefined"),
        ("(undefined ?? undefined) = undefined", "undefined"),
    ],
)
def test_coalesce_takes_the_first_defined_value(condition: str, expected: Truth) -> None:
    assert truth(condition) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("asset_type = 'battery'", True),
        ("ASSET_TYPE = 'battery'", True),  # names ignore case, as edgeHub's property bags do
        ("asset_type = 'Battery'", False),  # values do not
        ("empty = ''", True),
        ("missing = 'x'", "undefined"),
        ("missing != 'x'", "undefined"),
        ("missing < 'x'", "undefined"),
        ("IS_DEFINED(missing)", False),
        ("IS_DEFINED(present)", True),
        ("NOT IS_DEFINED(missing)", True),
        ("AS_NUMBER(battery_soc) > 50", True),
        ("AS_NUMBER(asset_type) > 50", "undefined"),
    ],
)
def test_application_properties_are_strings_found_by_any_case(condition: str, expected: Truth) -> None:
    assert truth(condition) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("$connectionModuleId = 'solar-module'", True),
        ("$CONNECTIONMODULEID = 'solar-module'", True),
        ("{$connectionModuleId} = 'solar-module'", True),
        ("$outputName = 'telemetry'", True),
        ("$connectionDeviceId = 'edge-01'", True),
        ("$messageId = 'm-1'", True),
        ("$correlationId = 'c-1'", True),
        ("$contentType = 'application/json'", True),
        ("$contentEncoding = 'utf-8'", True),
        ("$enqueuedTime = '2024-06-01T12:00:00+00:00'", True),
        ("$inputName = 'x'", "undefined"),  # not stamped on this message
        ("IS_DEFINED($inputName)", False),
        ("$userId = 'x'", "undefined"),  # a system property modules never set
        ("$noSuchProperty = 'x'", "undefined"),
        ("$body = 'x'", "undefined"),  # `$body` without a path is not a body query
        ("$a[0] = undefined", "undefined"),
    ],
)
def test_system_properties(condition: str, expected: Truth) -> None:
    assert truth(condition) == expected


def test_a_leaf_device_message_has_no_connection_module_id() -> None:
    leaf = EdgeMessage(body=b"{}", connection_device_id="sensor-7")
    assert holds("NOT IS_DEFINED($connectionModuleId)", leaf)
    assert not holds("NOT IS_DEFINED($connectionModuleId)", MESSAGE)


def test_an_application_property_named_like_a_system_property_wins_unless_escaped() -> None:
    spoofed = EdgeMessage(
        body=b"{}", properties={"$outputName": "spoofed"}, connection_module_id="m", output_name="telemetry"
    )
    assert holds("$outputName = 'spoofed'", spoofed)
    assert holds("{$outputName} = 'telemetry'", spoofed)


@pytest.mark.parametrize(
    ("condition", "at", "reason"),
    [
        (
            "battery_soc > 50",
            ">",
            "operator '>' cannot compare string (application property 'battery_soc') with number; "
            "application properties are strings, convert with AS_NUMBER(battery_soc)",
        ),
        ("50 <= battery_soc", "<=", "convert with AS_NUMBER(battery_soc)"),
        ("$connectionModuleId = 5", "=", "operator '=' cannot compare string with number"),
        ("'a' = true", "=", "cannot compare string with bool"),
        ("'a' != null", "!=", "cannot compare string with null"),
        ("'a' <> undefined", "<>", "cannot compare string with undefined"),
        ("$body.x = undefined", "=", "cannot compare $body value with undefined"),
        ("1 + 'a' = 2", "+", "operator '+' needs numbers, got number and string"),
        (
            "battery_soc * 2 = 1",
            "*",
            "needs numbers, got string (application property 'battery_soc') and number",
        ),
        ("'a' || 1 = 'a1'", "||", "operator '||' needs strings, got string and number"),
        ("1 AND true", "AND", "operator 'AND' needs bools, got number and bool"),
        ("true or 'x'", "or", "operator 'OR' needs bools"),
        ("NOT 'a'", "NOT", "NOT needs a bool, got string"),
        ("NOT undefined", "NOT", "NOT needs a bool, got undefined"),
        ("NOT asset_type = 'battery'", "NOT", "NOT needs a bool"),  # NOT binds tighter than '='
        ("- 'a' = 'b'", "-", "unary '-' needs a number, got string"),
        ("(asset_type ?? 1) = 1", "??", "operator '??' cannot compare"),
    ],
)
def test_operands_of_the_wrong_static_type_do_not_compile(condition: str, at: str, reason: str) -> None:
    with pytest.raises(RouteSyntaxError) as caught:
        compile_route("r", f"{PREFIX}{condition} INTO $upstream")
    assert reason in caught.value.reason
    assert caught.value.position == len(PREFIX) + condition.index(at)


def test_a_deep_flat_chain_is_rejected_not_a_recursion_error() -> None:
    condition = " + ".join(["1"] * 200) + " = 200"
    with pytest.raises(RouteSyntaxError, match="nested more than 64 levels"):
        compile_route("r", f"{PREFIX}{condition} INTO $upstream")


def test_deep_parentheses_are_rejected_not_a_recursion_error() -> None:
    condition = "(" * 500 + "true" + ")" * 500
    with pytest.raises(RouteSyntaxError, match="nested more than 64 levels"):
        compile_route("r", f"{PREFIX}{condition} INTO $upstream")


def test_a_long_chain_within_the_limit_evaluates() -> None:
    condition = (
        " OR ".join(f"asset_type = 'kind{index}'" for index in range(40)) + " OR asset_type = 'battery'"
    )
    assert holds(condition)
