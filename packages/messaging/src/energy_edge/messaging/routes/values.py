"""Values of the route condition language and the three-valued rules edgeHub applies to them.

A condition evaluates to a string, a number (always a float, as edgeHub's ``double``), a bool, ``None``
for JSON/literal ``null``, or :data:`UNDEFINED` for "no value": a missing property, ``$body`` of a message
that is not JSON, a failed conversion, or a number that would be NaN. A route fires only when its
condition is exactly ``True``; ``UNDEFINED`` and ``None`` both mean "does not match".

:class:`ValueType` is the static type the compiler infers for an expression. edgeHub type-checks
conditions when it compiles them: application and system properties are strings, literals have their
literal type, and only ``$body`` paths are :attr:`ValueType.DYNAMIC` (their type is known per message).
"""

from __future__ import annotations

import enum
import math
import operator
from collections.abc import Callable
from typing import Any, Final, TypeAlias


class Undefined:
    """The type of :data:`UNDEFINED`, the one instance that is compared by identity."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Final = Undefined()

Value: TypeAlias = str | float | bool | Undefined | None
"""A runtime value: string, number (float), bool, ``None`` (null) or :data:`UNDEFINED`."""


class ValueType(enum.Enum):
    """Static type of an expression; the value is how error messages name it."""

    STRING = "string"
    NUMBER = "number"
    BOOL = "bool"
    NULL = "null"
    UNDEFINED = "undefined"
    DYNAMIC = "$body value"


COMPARABLE_WITH_DYNAMIC: Final = frozenset(
    {ValueType.STRING, ValueType.NUMBER, ValueType.BOOL, ValueType.NULL}
)
"""Static types a ``$body`` value may meet in a comparison (edgeHub: ``QueryValue.IsSupportedType``)."""

# edgeHub orders $body values of different JSON types by type before value (QueryValueType: Bool < Double
# < String < Null), so `$body.x != 'on'` is true for a number and `$body.fault_code != null` for a string.
_TYPE_ORDER: Final[dict[type, int]] = {bool: 1, float: 2, str: 3, type(None): 4}

SAME_TYPE_COMPARISONS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    # Comparisons of two non-null values of one Python type (str, float or bool).
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    "!=": operator.ne,
}

_ORDERING_TEST: Final[dict[str, Callable[[int], bool]]] = {
    "<": lambda order: order < 0,
    "<=": lambda order: order <= 0,
    ">": lambda order: order > 0,
    ">=": lambda order: order >= 0,
    "=": lambda order: order == 0,
    "!=": lambda order: order != 0,
}


def comparison(symbol: str) -> Callable[[Value, Value], Value]:
    """``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` with edgeHub's rules.

    Undefined on either side gives undefined; ``null`` equals ``null``; values of one type compare by value
    (strings ordinally); values of different types (only possible with ``$body``) by type order.
    """
    same_type = SAME_TYPE_COMPARISONS[symbol]
    ordering = _ORDERING_TEST[symbol]

    def compare(left: Value, right: Value) -> Value:
        if left is UNDEFINED or right is UNDEFINED:
            return UNDEFINED
        left_type = type(left)
        right_type = type(right)
        if left_type is right_type:
            return ordering(0) if left is None else same_type(left, right)
        return ordering(_TYPE_ORDER[left_type] - _TYPE_ORDER[right_type])

    return compare


def and_values(left: Value, right: Value) -> Value:
    """edgeHub's ``AND`` on statically boolean operands: Kleene logic, and ``null`` absorbs."""
    if left is None or right is None:
        return None
    if left is False or right is False:
        return False
    if left is True and right is True:
        return True
    return UNDEFINED


def or_values(left: Value, right: Value) -> Value:
    """edgeHub's ``OR`` on statically boolean operands: Kleene logic, and ``null`` yields the other side."""
    if left is None:
        return right
    if right is None:
        return left
    if left is True or right is True:
        return True
    if left is False and right is False:
        return False
    return UNDEFINED


def not_value(operand: Value) -> Value:
    """``NOT`` on a statically boolean operand; ``NOT null`` is true in edgeHub."""
    if operand is None:
        return True
    if type(operand) is bool:
        return not operand
    return UNDEFINED


def not_dynamic(operand: Value) -> Value:
    """``NOT`` on a ``$body`` value: only a JSON bool has a negation."""
    return (not operand) if type(operand) is bool else UNDEFINED


def finite_or_undefined(number: float) -> float | Undefined:
    """edgeHub's undefined number is NaN; here NaN never escapes an operation."""
    return UNDEFINED if math.isnan(number) else number


def negate(operand: Value) -> Value:
    return -operand if type(operand) is float else UNDEFINED


def add(left: Value, right: Value) -> Value:
    if type(left) is float and type(right) is float:
        return finite_or_undefined(left + right)
    return UNDEFINED


def subtract(left: Value, right: Value) -> Value:
    if type(left) is float and type(right) is float:
        return finite_or_undefined(left - right)
    return UNDEFINED


def multiply(left: Value, right: Value) -> Value:
    if type(left) is float and type(right) is float:
        return finite_or_undefined(left * right)
    return UNDEFINED


def divide(left: Value, right: Value) -> Value:
    """IEEE division as in .NET: ``x / 0`` is an infinity, ``0 / 0`` is undefined (NaN)."""
    if type(left) is not float or type(right) is not float:
        return UNDEFINED
    if right == 0.0:
        if left == 0.0 or math.isnan(left):
            return UNDEFINED
        return math.copysign(math.inf, left) * math.copysign(1.0, right)
    return finite_or_undefined(left / right)


def modulo(left: Value, right: Value) -> Value:
    """.NET's ``%`` keeps the dividend's sign (``math.fmod``); a zero divisor or infinite dividend is NaN."""
    if type(left) is not float or type(right) is not float:
        return UNDEFINED
    if right == 0.0 or math.isinf(left):
        return UNDEFINED
    return finite_or_undefined(math.fmod(left, right))


def concat(left: Value, right: Value) -> Value:
    if type(left) is str and type(right) is str:
        return left + right
    return UNDEFINED


def coalesce(left: Value, right: Value) -> Value:
    return right if left is UNDEFINED else left
