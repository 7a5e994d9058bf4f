"""Type-check a parsed condition and compile it into nested closures, once per route.

edgeHub compiles a condition into a typed expression tree and refuses operands whose static types do not
fit. The same happens here, so a manifest that edgeHub would reject fails in tests too. Application and
system properties are strings, which makes ``battery_soc > 50`` a compile error ("cannot compare string
with number"), exactly as on edgeHub; write ``AS_NUMBER(battery_soc) > 50``. ``$body`` values are typed per
message, so ``$body.soc_percent > 50`` compiles and is undefined for a message whose value is not a number.

Names are resolved as edgeHub does: lookups ignore case; a bare ``name`` is an application property; a
``$name`` is first an application property literally called ``$name`` (edgeHub gives those precedence),
then a ``$body`` path or a system property; ``{$name}`` skips the application properties. Subexpressions
without properties are folded into constants, and the closures never look at the route text again.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, NoReturn

from energy_edge.messaging.message import SYSTEM_PROPERTY_ATTRIBUTES, EdgeMessage
from energy_edge.messaging.routes import values
from energy_edge.messaging.routes.body import MessageContext, parse_body_path, path_reader
from energy_edge.messaging.routes.errors import RouteTextError
from energy_edge.messaging.routes.functions import BUILTINS, Builtin
from energy_edge.messaging.routes.lexer import Token, TokenKind
from energy_edge.messaging.routes.syntax import Binary, Call, DollarName, Literal, Node, Property, Unary
from energy_edge.messaging.routes.values import UNDEFINED, Value, ValueType

Evaluator = Callable[[MessageContext], Value]

_SYSTEM_PROPERTIES: Final = {name.lower(): name for name in SYSTEM_PROPERTY_ATTRIBUTES}
_BODY_PREFIX: Final = "$body."
_NUMERIC: Final = frozenset({ValueType.NUMBER, ValueType.DYNAMIC})
_TEXTUAL: Final = frozenset({ValueType.STRING, ValueType.DYNAMIC})
_LOGICAL: Final = frozenset({ValueType.BOOL, ValueType.NULL, ValueType.UNDEFINED, ValueType.DYNAMIC})
_ARITHMETIC: Final[dict[TokenKind, Callable[[Value, Value], Value]]] = {
    TokenKind.STAR: values.multiply,
    TokenKind.SLASH: values.divide,
    TokenKind.PERCENT: values.modulo,
    TokenKind.PLUS: values.add,
    TokenKind.MINUS: values.subtract,
}
_COMPARISONS: Final[dict[TokenKind, str]] = {
    TokenKind.LT: "<",
    TokenKind.LE: "<=",
    TokenKind.GT: ">",
    TokenKind.GE: ">=",
    TokenKind.EQ: "=",
    TokenKind.NE: "!=",
    TokenKind.NE_SQL: "!=",
}
_CONSTANT_CONTEXT: Final = MessageContext(EdgeMessage(body=b"", content_type=None, content_encoding=None))


@dataclass(frozen=True, slots=True)
class _Compiled:
    type: ValueType
    evaluate: Evaluator
    constant: bool = False
    property_name: str | None = None
    """Set for a bare application property, to suggest ``AS_NUMBER(name)`` when it meets a number."""


def compile_condition(node: Node, *, twin_source: bool = False) -> Evaluator:
    """Compile a condition; the route matches a message when the evaluator returns exactly ``True``."""
    return _Compiler(twin_source).compile(node).evaluate


def _constant(value: Value, value_type: ValueType) -> _Compiled:
    return _Compiled(value_type, lambda _context: value, constant=True)


def _folded(compiled: _Compiled) -> _Compiled:
    """Evaluate a subexpression that reads nothing from the message once, now."""
    return _constant(compiled.evaluate(_CONSTANT_CONTEXT), compiled.type)


class _Compiler:
    def __init__(self, twin_source: bool) -> None:
        self._twin_source = twin_source

    def compile(self, node: Node) -> _Compiled:
        match node:
            case Literal(value=value, type=value_type):
                return _constant(value, value_type)
            case Property(name=name):
                return _Compiled(ValueType.STRING, _application_property(name), property_name=name)
            case DollarName():
                return _dollar_name(node)
            case Unary():
                return self._unary(node)
            case Binary():
                return self._binary(node)
            case Call():
                return self._call(node)

    # -- operators ------------------------------------------------------------------------------------

    def _unary(self, node: Unary) -> _Compiled:
        operand = self.compile(node.operand)
        evaluate = operand.evaluate
        if node.operator.kind is TokenKind.MINUS:
            _require(node.operator, "unary '-' needs a number", _NUMERIC, operand)
            negate = values.negate
            compiled = _Compiled(operand.type, lambda context: negate(evaluate(context)))
        else:
            if operand.type not in (ValueType.BOOL, ValueType.NULL, ValueType.DYNAMIC):
                _fail(node.operator, f"NOT needs a bool, got {_describe(operand)}")
            invert = values.not_dynamic if operand.type is ValueType.DYNAMIC else values.not_value
            compiled = _Compiled(ValueType.BOOL, lambda context: invert(evaluate(context)))
        return _folded(compiled) if operand.constant else compiled

    def _binary(self, node: Binary) -> _Compiled:
        left = self.compile(node.left)
        right = self.compile(node.right)
        kind = node.operator.kind
        if kind in _ARITHMETIC:
            _require(node.operator, f"operator {node.operator.text!r} needs numbers", _NUMERIC, left, right)
            result_type = (
                ValueType.NUMBER if left.type is right.type is ValueType.NUMBER else ValueType.DYNAMIC
            )
            compiled = _Compiled(result_type, _pair(_ARITHMETIC[kind], left, right))
        elif kind is TokenKind.CONCAT:
            _require(node.operator, "operator '||' needs strings", _TEXTUAL, left, right)
            compiled = _Compiled(ValueType.STRING, _pair(values.concat, left, right))
        elif kind in _COMPARISONS:
            _require_comparable(node.operator, left, right)
            compiled = _Compiled(ValueType.BOOL, _comparison(_COMPARISONS[kind], left, right))
        elif kind is TokenKind.COALESCE:
            _require_comparable(node.operator, left, right)
            if left.type is ValueType.UNDEFINED:
                return right
            result_type = ValueType.DYNAMIC if ValueType.DYNAMIC in (left.type, right.type) else left.type
            compiled = _Compiled(result_type, _pair(values.coalesce, left, right))
        else:
            compiled = _logical(node.operator, left, right)
        return _folded(compiled) if left.constant and right.constant else compiled

    # -- functions ------------------------------------------------------------------------------------

    def _call(self, node: Call) -> _Compiled:
        token = node.function
        name = token.text.lower()
        if name == "twin_change_includes":
            return self._twin_change_includes(node)
        builtin = BUILTINS.get(name)
        if builtin is None:
            close = difflib.get_close_matches(name, list(BUILTINS), n=1)
            hint = f" (did you mean {close[0].upper()}?)" if close else ""
            _fail(token, f"unknown function {token.text!r}{hint}")
        if not builtin.accepts_count(len(node.arguments)):
            _fail(token, f"{builtin.signature()} cannot take {len(node.arguments)} argument(s)")
        arguments = [self.compile(argument) for argument in node.arguments]
        for index, argument in enumerate(arguments):
            if not builtin.accepts(index, argument.type):
                hint = _as_number_hint(argument) if builtin.accepts(index, ValueType.NUMBER) else ""
                _fail(
                    token,
                    f"{builtin.signature()} cannot take {_describe(argument)} as argument {index + 1}{hint}",
                )
        compiled = _Compiled(builtin.result, _apply(builtin, arguments))
        return _folded(compiled) if all(argument.constant for argument in arguments) else compiled

    def _twin_change_includes(self, node: Call) -> _Compiled:
        """Only meaningful on twin change notifications, which are not messages and never reach a
        condition here; edgeHub rejects it on any other source, and so does this compiler."""
        if not self._twin_source:
            _fail(node.function, "TWIN_CHANGE_INCLUDES is only valid on FROM /twinChangeNotifications routes")
        return _constant(UNDEFINED, ValueType.BOOL)


def _pair(operation: Callable[[Value, Value], Value], left: _Compiled, right: _Compiled) -> Evaluator:
    evaluate_left = left.evaluate
    if right.constant:  # the common `$body.x > 10`: no call for the right-hand side per message
        constant = right.evaluate(_CONSTANT_CONTEXT)
        return lambda context: operation(evaluate_left(context), constant)
    evaluate_right = right.evaluate
    return lambda context: operation(evaluate_left(context), evaluate_right(context))


def _comparison(symbol: str, left: _Compiled, right: _Compiled) -> Evaluator:
    """A comparison; against a constant of a plain type, values of that same type take a direct path."""
    compare = values.comparison(symbol)
    constant = right.evaluate(_CONSTANT_CONTEXT) if right.constant else None
    if constant is None or constant is UNDEFINED:
        return _pair(compare, left, right)
    same_type = values.SAME_TYPE_COMPARISONS[symbol]
    constant_type = type(constant)
    evaluate_left = left.evaluate

    def against_constant(context: MessageContext) -> Value:
        value = evaluate_left(context)
        if type(value) is constant_type:
            return same_type(value, constant)
        return compare(value, constant)

    return against_constant


def _logical(operator: Token, left: _Compiled, right: _Compiled) -> _Compiled:
    """AND / OR. Three-valued (Kleene) on bools; ``null`` follows edgeHub's ``Null`` operators; with a
    ``$body`` operand both sides must be JSON bools at run time or the result is undefined."""
    if left.type not in _LOGICAL or right.type not in _LOGICAL:
        _fail(
            operator,
            f"operator {operator.text.upper()!r} needs bools, got {_describe(left)} and {_describe(right)}",
        )
    is_and = operator.kind is TokenKind.AND
    first, second = left.evaluate, right.evaluate
    types = (left.type, right.type)
    if ValueType.DYNAMIC in types:

        def dynamic(context: MessageContext) -> Value:
            a = first(context)
            if type(a) is not bool:
                return UNDEFINED
            b = second(context)
            if type(b) is not bool:
                return UNDEFINED
            return (a and b) if is_and else (a or b)

        return _Compiled(ValueType.BOOL, dynamic)
    if ValueType.NULL in types:
        both_null = types == (ValueType.NULL, ValueType.NULL)
        result_type = ValueType.NULL if (is_and or both_null) else ValueType.BOOL
        return _Compiled(result_type, _pair(values.and_values if is_and else values.or_values, left, right))
    decisive = not is_and  # False decides an AND, True decides an OR, whatever the other side is

    def kleene(context: MessageContext) -> Value:
        a = first(context)
        if a is decisive:
            return decisive
        b = second(context)
        if b is decisive:
            return decisive
        if a is UNDEFINED or b is UNDEFINED:
            return UNDEFINED
        return not decisive

    return _Compiled(ValueType.BOOL, kleene)


def _apply(builtin: Builtin, arguments: list[_Compiled]) -> Evaluator:
    run = builtin.run
    if builtin.run_dynamic is not None and any(argument.type is ValueType.DYNAMIC for argument in arguments):
        run = builtin.run_dynamic
    evaluators = [argument.evaluate for argument in arguments]
    if len(evaluators) == 1:
        only = evaluators[0]
        return lambda context: run(only(context))
    if len(evaluators) == 2:  # most functions take two arguments; spare them the list
        first, second = evaluators
        return lambda context: run(first(context), second(context))
    return lambda context: run(*[evaluate(context) for evaluate in evaluators])


# -- names ----------------------------------------------------------------------------------------------


def _property_reader(name: str) -> Callable[[Mapping[str, str]], str | None]:
    """Case-insensitive lookup (edgeHub's property bags ignore case), exact spelling tried first."""
    folded = name.lower()

    def read(properties: Mapping[str, str]) -> str | None:
        value = properties.get(name)
        if value is None and properties:
            for key, candidate in properties.items():
                if key.lower() == folded:
                    return candidate
        return value

    return read


def _application_property(name: str) -> Evaluator:
    read = _property_reader(name)

    def evaluate(context: MessageContext) -> Value:
        value = read(context.message.properties)
        return UNDEFINED if value is None else value

    return evaluate


def _dollar_name(node: DollarName) -> _Compiled:
    name = node.name
    if name.lower().startswith(_BODY_PREFIX):
        steps = parse_body_path(name[len(_BODY_PREFIX) :])
        if isinstance(steps, str):
            raise RouteTextError(node.position, steps)
        read = path_reader(steps)

        def body_query(context: MessageContext) -> Value:
            document = context.document if context.parsed else context.parse()
            return UNDEFINED if document is None else read(document)

        evaluate: Evaluator = body_query
        result_type = ValueType.DYNAMIC
    elif "[" in name or "]" in name:
        return _constant(UNDEFINED, ValueType.UNDEFINED)  # edgeHub: no property name has brackets
    else:
        evaluate = _system_property(_SYSTEM_PROPERTIES.get(name[1:].lower()))
        result_type = ValueType.STRING
    if node.escaped:
        return _Compiled(result_type, evaluate)
    folded = name.lower()

    def property_first(context: MessageContext) -> Value:
        dollar = context.dollar_properties
        if dollar is None:
            dollar = context.collect_dollar_properties()
        if dollar:
            value = dollar.get(folded)
            if value is not None:
                return value
        return evaluate(context)

    return _Compiled(result_type, property_first)


def _system_property(name: str | None) -> Evaluator:
    """Unknown names (``$userId``, ``$to``, typos) are undefined for every message, as on edgeHub."""
    if name is None:
        return lambda _context: UNDEFINED

    def evaluate(context: MessageContext) -> Value:
        value = context.message.system_property(name)
        return UNDEFINED if value is None else value

    return evaluate


# -- type errors ----------------------------------------------------------------------------------------


def _describe(compiled: _Compiled) -> str:
    if compiled.property_name is not None:
        return f"string (application property {compiled.property_name!r})"
    return compiled.type.value


def _as_number_hint(compiled: _Compiled) -> str:
    if compiled.property_name is None:
        return ""
    return f"; application properties are strings, convert with AS_NUMBER({compiled.property_name})"


def _require(operator: Token, what: str, allowed: frozenset[ValueType], *operands: _Compiled) -> None:
    for operand in operands:
        if operand.type not in allowed:
            got = " and ".join(_describe(each) for each in operands)
            hint = _as_number_hint(operand) if ValueType.NUMBER in allowed else ""
            _fail(operator, f"{what}, got {got}{hint}")


def _require_comparable(operator: Token, left: _Compiled, right: _Compiled) -> None:
    a, b = left.type, right.type
    if a is b or (a is ValueType.DYNAMIC and b in values.COMPARABLE_WITH_DYNAMIC):
        return
    if b is ValueType.DYNAMIC and a in values.COMPARABLE_WITH_DYNAMIC:
        return
    hint = ""
    if {a, b} == {ValueType.STRING, ValueType.NUMBER}:
        hint = _as_number_hint(left) or _as_number_hint(right)
    symbol = operator.text.upper()
    _fail(operator, f"operator {symbol!r} cannot compare {_describe(left)} with {_describe(right)}{hint}")


def _fail(token: Token, reason: str) -> NoReturn:
    raise RouteTextError(token.start, reason)
