"""Built-in functions of route conditions (edgeHub's ``ConditionVisitor`` builtins), names case-insensitive.

Each entry lists what static types each parameter accepts, so a call with the wrong number or kind of
arguments fails when the route is compiled, as on edgeHub. A parameter that takes a string or a number also
takes a ``$body`` value, whose type is checked per message instead: a mismatch then yields undefined.

Deliberate details:
- ``AS_NUMBER`` parses what .NET's ``double.TryParse(NumberStyles.Any)`` commonly meets: optional sign and
  surrounding whitespace, thousands separators, a decimal point, an exponent, and ``Infinity``.
- String positions (``LENGTH``, ``INDEX_OF``, ``SUBSTRING``) count Unicode code points; edgeHub counts
  UTF-16 units, which differs only for characters outside the Basic Multilingual Plane (e.g. emoji).
- ``IS_NULL`` of a ``$body`` value is true exactly for JSON ``null`` (and for a path that leads nowhere,
  which edgeHub reads as null); edgeHub's own implementation compares by reference and inverts that.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from energy_edge.messaging.routes.values import UNDEFINED, Value, ValueType, finite_or_undefined

_STRING: Final = frozenset({ValueType.STRING, ValueType.DYNAMIC})
_NUMBER: Final = frozenset({ValueType.NUMBER, ValueType.DYNAMIC})
_ANY: Final = frozenset(ValueType)


@dataclass(frozen=True, slots=True)
class Builtin:
    """One function: accepted argument types, result type and its implementation on runtime values."""

    name: str
    parameters: tuple[frozenset[ValueType], ...]
    result: ValueType
    run: Callable[..., Value]
    required: int | None = None
    """Fewest arguments; ``None`` means all parameters are required."""
    variadic: bool = False
    """The last parameter repeats (``CONCAT``)."""
    run_dynamic: Callable[..., Value] | None = None
    """Used instead of ``run`` when an argument is a ``$body`` value and the rules differ."""

    def accepts_count(self, count: int) -> bool:
        minimum = len(self.parameters) if self.required is None else self.required
        return count >= minimum and (self.variadic or count <= len(self.parameters))

    def accepts(self, position: int, argument: ValueType) -> bool:
        return argument in self.parameters[min(position, len(self.parameters) - 1)]

    def signature(self) -> str:
        names = [
            " | ".join(sorted(t.value for t in types if t is not ValueType.DYNAMIC))
            for types in self.parameters
        ]
        if len(self.parameters[0]) == len(ValueType):
            names = ["any"]
        minimum = len(self.parameters) if self.required is None else self.required
        shown = ", ".join(names[:minimum])
        if len(names) > minimum:
            shown += "[, " + ", ".join(names[minimum:]) + "]"
        if self.variadic:
            shown += ", ..."
        return f"{self.name}({shown})"


def _on_number(operation: Callable[[float], float]) -> Callable[[Value], Value]:
    def run(value: Value) -> Value:
        if type(value) is not float:
            return UNDEFINED
        try:
            return finite_or_undefined(operation(value))
        except ValueError:  # a math domain error is NaN in .NET
            return UNDEFINED

    return run


def _exp(number: float) -> float:
    try:
        return math.exp(number)
    except OverflowError:
        return math.inf


def _whole(rounding: Callable[[float], int]) -> Callable[[float], float]:
    return lambda number: float(rounding(number)) if math.isfinite(number) else number


def _power(base: Value, exponent: Value) -> Value:
    if type(base) is not float or type(exponent) is not float:
        return UNDEFINED
    try:
        return finite_or_undefined(math.pow(base, exponent))
    except OverflowError:
        odd = exponent.is_integer() and exponent % 2 == 1
        return -math.inf if base < 0 and odd else math.inf
    except ValueError:  # 0 ** negative is an infinity in .NET; a negative base with a fraction is NaN
        return math.inf if base == 0.0 else UNDEFINED


_NUMBER_TEXT: Final = re.compile(
    r"\s*([+-]?)(?:(\d[\d,]*)?(?:\.(\d*))?(?:[eE]([+-]?\d+))?|(infinity))\s*", re.I
)


def _as_number(value: Value) -> Value:
    if type(value) is float:
        return value
    if type(value) is not str:
        return UNDEFINED
    match = _NUMBER_TEXT.fullmatch(value)
    if match is None:
        return UNDEFINED
    sign, whole, fraction, exponent, infinity = match.groups()
    if infinity is not None:
        return -math.inf if sign == "-" else math.inf
    if not whole and not fraction:
        return UNDEFINED
    text = f"{sign}{(whole or '0').replace(',', '')}.{fraction or '0'}e{exponent or '0'}"
    return finite_or_undefined(float(text))


def _on_string(operation: Callable[[str], Value]) -> Callable[[Value], Value]:
    return lambda text: operation(text) if type(text) is str else UNDEFINED


def _on_strings(operation: Callable[[str, str], Value]) -> Callable[[Value, Value], Value]:
    return lambda text, part: operation(text, part) if type(text) is str and type(part) is str else UNDEFINED


def _concat(*parts: Value) -> Value:
    strings: list[str] = []
    for part in parts:
        if type(part) is not str:
            return UNDEFINED
        strings.append(part)
    return "".join(strings)


def _length(text: str) -> Value:
    return float(len(text))


def _index_of(text: str, part: str) -> Value:
    return float(text.find(part))


def _contains(text: str, part: str) -> Value:
    return part in text


def _square(number: float) -> float:
    return number * number


def _sign(number: float) -> float:
    return float((number > 0) - (number < 0))


def _is_bool(value: Value) -> Value:
    return type(value) is bool


def _is_defined(value: Value) -> Value:
    return value is not UNDEFINED


def _is_null(value: Value) -> Value:
    return value is None


def _is_number(value: Value) -> Value:
    return type(value) is float


def _is_string(value: Value) -> Value:
    return type(value) is str


def _substring(text: Value, start: Value, *length: Value) -> Value:
    """edgeHub's bounds: the start inside the string (or at its end without a length), the length within
    what is left; anything else is undefined. Fractional positions are truncated, as .NET's casts do."""
    if type(text) is not str or type(start) is not float:
        return UNDEFINED
    size = len(text)
    if not length:
        return text[int(start) :] if 0 <= start <= size else UNDEFINED
    count = length[0]
    if type(count) is not float or not (0 <= start < size and 0 <= count <= size - start):
        return UNDEFINED
    first = int(start)
    return text[first : first + int(count)]


def _is_null_dynamic(value: Value) -> Value:
    return UNDEFINED if value is UNDEFINED else value is None


def _builtins(*builtins: Builtin) -> Mapping[str, Builtin]:
    return MappingProxyType({builtin.name.lower(): builtin for builtin in builtins})


BUILTINS: Final = _builtins(
    Builtin("ABS", (_NUMBER,), ValueType.NUMBER, _on_number(abs)),
    Builtin("EXP", (_NUMBER,), ValueType.NUMBER, _on_number(_exp)),
    Builtin("POWER", (_NUMBER, _NUMBER), ValueType.NUMBER, _power),
    Builtin("SQUARE", (_NUMBER,), ValueType.NUMBER, _on_number(_square)),
    Builtin("CEILING", (_NUMBER,), ValueType.NUMBER, _on_number(_whole(math.ceil))),
    Builtin("FLOOR", (_NUMBER,), ValueType.NUMBER, _on_number(_whole(math.floor))),
    Builtin("SIGN", (_NUMBER,), ValueType.NUMBER, _on_number(_sign)),
    Builtin("SQRT", (_NUMBER,), ValueType.NUMBER, _on_number(math.sqrt)),
    Builtin("AS_NUMBER", (_STRING | _NUMBER,), ValueType.NUMBER, _as_number),
    Builtin("IS_BOOL", (_ANY,), ValueType.BOOL, _is_bool),
    Builtin("IS_DEFINED", (_ANY,), ValueType.BOOL, _is_defined),
    Builtin("IS_NULL", (_ANY,), ValueType.BOOL, _is_null, run_dynamic=_is_null_dynamic),
    Builtin("IS_NUMBER", (_ANY,), ValueType.BOOL, _is_number),
    Builtin("IS_STRING", (_ANY,), ValueType.BOOL, _is_string),
    Builtin("CONCAT", (_STRING, _STRING), ValueType.STRING, _concat, variadic=True),
    Builtin("LENGTH", (_STRING,), ValueType.NUMBER, _on_string(_length)),
    Builtin("LOWER", (_STRING,), ValueType.STRING, _on_string(str.lower)),
    Builtin("UPPER", (_STRING,), ValueType.STRING, _on_string(str.upper)),
    Builtin("SUBSTRING", (_STRING, _NUMBER, _NUMBER), ValueType.STRING, _substring, required=2),
    Builtin("INDEX_OF", (_STRING, _STRING), ValueType.NUMBER, _on_strings(_index_of)),
    Builtin("STARTS_WITH", (_STRING, _STRING), ValueType.BOOL, _on_strings(str.startswith)),
    Builtin("ENDS_WITH", (_STRING, _STRING), ValueType.BOOL, _on_strings(str.endswith)),
    Builtin("CONTAINS", (_STRING, _STRING), ValueType.BOOL, _on_strings(_contains)),
)
"""Every function a condition may call, keyed by lower-case name."""
