"""Recursive-descent parser for route text (``Route.g4`` and ``Condition.g4`` of Azure/iotedge).

``[SELECT *] FROM /path [WHERE condition] INTO sink``, then nothing more (edgeHub's ANTLR rule would
silently ignore trailing tokens; here they are an error). Conditions use precedence climbing with
edgeHub's levels, tightest first, all binary operators left-associative::

    unary - and NOT  >  * / %  >  + - ||  >  < <= > >=  >  = != <>  >  AND  >  OR  >  ??

Unary operators bind tighter than any binary one, so ``NOT a = b`` means ``(NOT a) = b`` as on edgeHub.
Nesting is capped so hostile input fails with :class:`RouteTextError`, never with a RecursionError.
"""

from __future__ import annotations

import re
from typing import Final, NoReturn

from energy_edge.messaging.routes.errors import RouteTextError
from energy_edge.messaging.routes.lexer import Token, TokenKind, tokenize
from energy_edge.messaging.routes.syntax import (
    Binary,
    Call,
    DollarName,
    Literal,
    Node,
    Property,
    RouteSyntax,
    SinkSyntax,
    Unary,
)
from energy_edge.messaging.routes.values import UNDEFINED, Value, ValueType

MAX_NESTING: Final = 64
"""Deepest condition accepted (parentheses, operators and calls); real routes use a handful."""

_BINARY_PRECEDENCE: Final[dict[TokenKind, int]] = {
    TokenKind.STAR: 7,
    TokenKind.SLASH: 7,
    TokenKind.PERCENT: 7,
    TokenKind.PLUS: 6,
    TokenKind.MINUS: 6,
    TokenKind.CONCAT: 6,
    TokenKind.LT: 5,
    TokenKind.LE: 5,
    TokenKind.GT: 5,
    TokenKind.GE: 5,
    TokenKind.EQ: 4,
    TokenKind.NE: 4,
    TokenKind.NE_SQL: 4,
    TokenKind.AND: 3,
    TokenKind.OR: 2,
    TokenKind.COALESCE: 1,
}

_KEYWORD_LITERALS: Final[dict[TokenKind, tuple[Value, ValueType]]] = {
    TokenKind.TRUE: (True, ValueType.BOOL),
    TokenKind.FALSE: (False, ValueType.BOOL),
    TokenKind.NULL: (None, ValueType.NULL),
    TokenKind.UNDEFINED: (UNDEFINED, ValueType.UNDEFINED),
}

_ESCAPE: Final = re.compile(r"""\\(u[0-9a-fA-F]{4}|["'\\])""")
_INT64: Final = 1 << 64


def parse_route(text: str) -> RouteSyntax:
    """Parse a whole route string; raise :class:`RouteTextError` at the first problem."""
    return _Parser(text).route()


class _Parser:
    def __init__(self, text: str) -> None:
        self._text = text
        self._tokens = tokenize(text)
        self._index = 0
        self._nesting = 0

    # -- tokens ---------------------------------------------------------------------------------------

    def _peek(self) -> Token:
        return self._tokens[self._index]

    def _advance(self) -> Token:
        token = self._tokens[self._index]
        if token.kind is not TokenKind.EOF:
            self._index += 1
        return token

    def _previous_end(self) -> int:
        return self._tokens[self._index - 1].end

    def _expect(self, kind: TokenKind, what: str) -> Token:
        if self._peek().kind is not kind:
            self._fail(what)
        return self._advance()

    def _fail(self, what: str) -> NoReturn:
        token = self._peek()
        raise RouteTextError(token.start, f"expected {what}, found {token.describe()}")

    # -- route ----------------------------------------------------------------------------------------

    def route(self) -> RouteSyntax:
        if self._peek().kind is TokenKind.SELECT:
            self._advance()
            self._expect(TokenKind.STAR, "'*' after SELECT")
        self._expect(TokenKind.FROM, "FROM")
        source_position = self._peek().start
        source = self._path()
        condition: Node | None = None
        condition_text: str | None = None
        if self._peek().kind is TokenKind.WHERE:
            self._advance()
            start = self._peek().start
            if self._peek().kind is TokenKind.INTO:
                self._fail("a condition after WHERE")
            condition = self._expression(1)
            condition_text = self._text[start : self._previous_end()]
            self._expect(TokenKind.INTO, "INTO")
        else:
            self._expect(TokenKind.INTO, "WHERE or INTO")
        sink = self._sink()
        self._expect(TokenKind.EOF, "end of route after the sink")
        return RouteSyntax(source, source_position, condition, condition_text, sink)

    def _path(self) -> tuple[Token, ...]:
        segments: list[Token] = []
        self._expect(TokenKind.SLASH, "a source starting with '/'")
        while True:
            if self._peek().kind not in (TokenKind.STAR, TokenKind.ID):
                self._fail("a source path segment or '*' after '/'")
            segments.append(self._advance())
            if self._peek().kind is not TokenKind.SLASH:
                return tuple(segments)
            self._advance()

    def _sink(self) -> SinkSyntax:
        token = self._peek()
        if token.kind is TokenKind.SYS_PROP:
            return SinkSyntax(None, self._advance())
        if token.kind is TokenKind.ID:
            function = self._advance()
            if self._peek().kind is not TokenKind.LPAREN:
                raise RouteTextError(
                    token.start, f"unknown sink {token.text!r}; use $upstream or BrokeredEndpoint(...)"
                )
            self._expect(TokenKind.LPAREN, f"'(' after {function.text}")
            target = self._expect(TokenKind.STRING, f"a quoted endpoint address in {function.text}(...)")
            self._expect(TokenKind.RPAREN, f"')' after the address of {function.text}")
            return SinkSyntax(function, target)
        return self._fail('a sink, $upstream or BrokeredEndpoint("/modules/<module>/inputs/<input>")')

    # -- conditions -----------------------------------------------------------------------------------

    def _enter(self) -> None:
        self._nesting += 1
        if self._nesting > MAX_NESTING:
            raise RouteTextError(self._peek().start, f"condition nested more than {MAX_NESTING} levels deep")

    def _expression(self, min_precedence: int) -> Node:
        self._enter()
        left = self._unary()
        while True:
            operator = self._peek()
            precedence = _BINARY_PRECEDENCE.get(operator.kind)
            if precedence is None or precedence < min_precedence:
                break
            self._advance()
            right = self._expression(precedence + 1)
            left = Binary(operator, left, right, _deeper(left, right))
        self._nesting -= 1
        return left

    def _unary(self) -> Node:
        token = self._peek()
        if token.kind in (TokenKind.MINUS, TokenKind.NOT):
            self._enter()
            self._advance()
            operand = self._unary()
            self._nesting -= 1
            return Unary(token, operand, _deeper(operand))
        return self._primary()

    def _primary(self) -> Node:
        token = self._peek()
        kind = token.kind
        if kind is TokenKind.LPAREN:
            self._advance()
            inner = self._expression(1)
            self._expect(TokenKind.RPAREN, f"')' to close the '(' opened at position {token.start}")
            return inner
        if kind is TokenKind.SYS_PROP:
            self._advance()
            return DollarName(token.text, False, token.start)
        if kind is TokenKind.LBRACE:
            self._advance()
            name = self._expect(TokenKind.SYS_PROP, "a $name inside '{ }'")
            self._expect(TokenKind.RBRACE, "'}' after " + name.text)
            return DollarName(name.text, True, name.start)
        if kind is TokenKind.ID:
            self._advance()
            if self._peek().kind is TokenKind.LPAREN:
                return self._call(token)
            return Property(token.text, token.start)
        literal = _literal(token)
        if literal is None:
            self._fail("a value, property, function call or '('")
        self._advance()
        return literal

    def _call(self, function: Token) -> Call:
        self._advance()  # the '('
        arguments: list[Node] = []
        if self._peek().kind is not TokenKind.RPAREN:
            arguments.append(self._expression(1))
            while self._peek().kind is TokenKind.COMMA:
                self._advance()
                arguments.append(self._expression(1))
        self._expect(TokenKind.RPAREN, f"',' or ')' in the arguments of {function.text}")
        return Call(function, tuple(arguments), _deeper(*arguments))


def _deeper(*children: Node) -> int:
    depth = 1 + max((child.depth for child in children), default=0)
    if depth > MAX_NESTING:
        # A long flat chain (a + a + a ...) nests on its left; evaluating it would recurse as deep.
        reason = f"condition nested more than {MAX_NESTING} levels deep (each operator of a chain is a level)"
        raise RouteTextError(_position(children[0]), reason)
    return depth


def _position(node: Node) -> int:
    match node:
        case Literal(position=position) | Property(position=position) | DollarName(position=position):
            return position
        case Unary(operator=token) | Binary(operator=token) | Call(function=token):
            return token.start


def _literal(token: Token) -> Literal | None:
    kind = token.kind
    if kind is TokenKind.STRING:
        return Literal(_unescape(token.text[1:-1]), ValueType.STRING, token.start)
    if kind in (TokenKind.INTEGER, TokenKind.REAL):
        try:
            return Literal(float(token.text), ValueType.NUMBER, token.start)
        except (
            ValueError
        ):  # e.g. "e5": a real literal by the lexer's rules but no number (edgeHub: undefined)
            return Literal(UNDEFINED, ValueType.UNDEFINED, token.start)
    if kind is TokenKind.HEX:
        return _hex(token)
    keyword = _KEYWORD_LITERALS.get(kind)
    if keyword is not None:
        return Literal(keyword[0], keyword[1], token.start)
    return None


def _hex(token: Token) -> Literal:
    """Hex literals are signed 64-bit as on edgeHub: ``0xFFFFFFFFFFFFFFFF`` is -1, wider ones undefined."""
    value = int(token.text[2:], 16)
    if value >= _INT64:
        return Literal(UNDEFINED, ValueType.UNDEFINED, token.start)
    if value >= _INT64 >> 1:
        value -= _INT64
    return Literal(float(value), ValueType.NUMBER, token.start)


def _unescape(content: str) -> str:
    def replace(match: re.Match[str]) -> str:
        escape = match.group(1)
        return chr(int(escape[1:], 16)) if escape[0] == "u" else escape

    return _ESCAPE.sub(replace, content)
