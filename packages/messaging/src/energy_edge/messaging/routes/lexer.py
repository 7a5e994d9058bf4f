"""Tokenizer for edgeHub route text, following ``GrammarLexer.g4`` of Azure/iotedge token for token.

edgeHub's ANTLR lexer takes the longest match among its rules and breaks ties by rule order. That decides
surprising but real cases, and a route must split into the same tokens here as on a device:

- identifiers may contain ``- + * . ' ! % | &``, so ``solar-module`` is one name, ``a-b`` is a property
  named ``a-b`` (write ``a - b`` to subtract) and ``5-3`` is a property name too;
- ``true``, ``false``, ``null`` and ``undefined`` are lower-case only (``TRUE`` is a property name), while
  ``SELECT FROM WHERE INTO AND OR NOT`` are case-insensitive;
- a number may carry its sign (``-5`` is one literal), and ``e5`` lexes as a (malformed) real literal;
- ``/* ... */`` is a comment when it is closed, so ``FROM /*`` alone stays a wildcard source.

Characters that no rule accepts, unterminated strings and bracketed names outside ``$body`` paths raise
:class:`RouteTextError` at their offset.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final, NoReturn

from energy_edge.messaging.routes.errors import RouteTextError


class TokenKind(enum.Enum):
    """Token types; the value is how an error message names the token."""

    LBRACE = "'{'"
    RBRACE = "'}'"
    SELECT = "SELECT"
    FROM = "FROM"
    WHERE = "WHERE"
    INTO = "INTO"
    STRING = "string"
    UNTERMINATED_STRING = "unterminated string"
    INTEGER = "integer"
    HEX = "hex integer"
    REAL = "real number"
    TRUE = "true"
    FALSE = "false"
    NULL = "null"
    UNDEFINED = "undefined"
    LPAREN = "'('"
    RPAREN = "')'"
    COMMA = "','"
    PLUS = "'+'"
    MINUS = "'-'"
    STAR = "'*'"
    SLASH = "'/'"
    PERCENT = "'%'"
    AND = "AND"
    OR = "OR"
    NOT = "NOT"
    EQ = "'='"
    NE = "'!='"
    NE_SQL = "'<>'"
    LE = "'<='"
    GE = "'>='"
    GT = "'>'"
    LT = "'<'"
    CONCAT = "'||'"
    COALESCE = "'??'"
    SYS_PROP = "system property"
    ID = "name"
    QUERY_PATH = "bracketed name"
    WHITESPACE = "whitespace"
    COMMENT = "comment"
    UNKNOWN = "character"
    EOF = "end of route"


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its exact text and its 0-based start offset in the route string."""

    kind: TokenKind
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def describe(self) -> str:
        """How an error message quotes this token."""
        if self.kind is TokenKind.EOF:
            return "end of route"
        return repr(self.text)


_ESCAPE: Final = r"""\\(?:["'\\]|u[0-9a-fA-F]{4})"""
_QUERY_PATH_CHARS: Final = r"""[^()<>@,;:\\"/?={} \t\n\r]"""
_ID_CHARS: Final = r"""[^()<>@,;:\\"/\[\]?={} \t\n\r]"""

# Rule order matters: on equal length the earlier rule wins, as in ANTLR. The '{' and '}' tokens come
# first because ANTLR defines the literals of parser rules before the lexer's own rules.
_RULES: Final[tuple[tuple[TokenKind, re.Pattern[str]], ...]] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        (TokenKind.LBRACE, r"\{"),
        (TokenKind.RBRACE, r"\}"),
        (TokenKind.SELECT, r"(?i:select)"),
        (TokenKind.FROM, r"(?i:from)"),
        (TokenKind.WHERE, r"(?i:where)"),
        (TokenKind.INTO, r"(?i:into)"),
        (TokenKind.STRING, rf""""(?:{_ESCAPE}|[^"\\])*"|'(?:{_ESCAPE}|[^'\\])*'"""),
        (TokenKind.UNTERMINATED_STRING, rf""""(?:{_ESCAPE}|[^"\\])*|'(?:{_ESCAPE}|[^'\\])*"""),
        (TokenKind.INTEGER, r"-?[0-9]+"),
        (TokenKind.HEX, r"0[xX][0-9a-fA-F]+"),
        (TokenKind.REAL, r"-?[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?|-?[0-9]*[eE][+-]?[0-9]+"),
        (TokenKind.TRUE, r"true"),
        (TokenKind.FALSE, r"false"),
        (TokenKind.NULL, r"null"),
        (TokenKind.UNDEFINED, r"undefined"),
        (TokenKind.LPAREN, r"\("),
        (TokenKind.RPAREN, r"\)"),
        (TokenKind.COMMA, r","),
        (TokenKind.PLUS, r"\+"),
        (TokenKind.MINUS, r"-"),
        (TokenKind.STAR, r"\*"),
        (TokenKind.SLASH, r"/"),
        (TokenKind.PERCENT, r"%"),
        (TokenKind.AND, r"(?i:and)"),
        (TokenKind.OR, r"(?i:or)"),
        (TokenKind.NOT, r"(?i:not)"),
        (TokenKind.EQ, r"="),
        (TokenKind.NE, r"!="),
        (TokenKind.NE_SQL, r"<>"),
        (TokenKind.LE, r"<="),
        (TokenKind.GE, r">="),
        (TokenKind.GT, r">"),
        (TokenKind.LT, r"<"),
        (TokenKind.CONCAT, r"\|\|"),
        (TokenKind.COALESCE, r"\?\?"),
        (TokenKind.SYS_PROP, rf"\${_QUERY_PATH_CHARS}+"),
        (TokenKind.ID, rf"{_ID_CHARS}+"),
        (TokenKind.QUERY_PATH, rf"{_QUERY_PATH_CHARS}+"),
        (TokenKind.WHITESPACE, r"[ \t\r\n]+"),
        (TokenKind.COMMENT, r"/\*(?s:.)*?\*/"),
        (TokenKind.UNKNOWN, r"(?s:.)"),
    )
)

_SKIPPED: Final = frozenset({TokenKind.WHITESPACE, TokenKind.COMMENT})


def tokenize(text: str) -> list[Token]:
    """Split route text into tokens (whitespace and comments dropped), ending with an EOF token."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        token = _longest_match(text, position)
        if token.kind is TokenKind.UNTERMINATED_STRING:
            _raise_unterminated(text, token)
        if token.kind is TokenKind.UNKNOWN:
            raise RouteTextError(position, f"unexpected character {token.text!r}")
        if token.kind is TokenKind.QUERY_PATH:
            raise RouteTextError(
                position, f"'[' and ']' are only allowed in $body paths, found {token.text!r}"
            )
        if token.kind not in _SKIPPED:
            tokens.append(token)
        position = token.end
    tokens.append(Token(TokenKind.EOF, "", len(text)))
    return tokens


def comments_before(text: str, position: int) -> list[Token]:
    """The ``/* ... */`` comments that start before ``position``, to explain errors they cause.

    A route such as ``FROM /* INTO BrokeredEndpoint("/modules/m/inputs/*/x")`` loses everything between
    its first ``/*`` and the ``*/`` to a comment, on edgeHub as here; the error alone would not say why.
    """
    comments: list[Token] = []
    start = 0
    while start < min(position, len(text)):
        token = _longest_match(text, start)
        if token.kind is TokenKind.COMMENT:
            comments.append(token)
        start = token.end
    return comments


def _raise_unterminated(text: str, token: Token) -> NoReturn:
    """edgeHub stops a string at a backslash that starts no valid escape; say which of the two happened."""
    if token.end < len(text):
        escape = text[token.end : token.end + 2]
        raise RouteTextError(token.end, f"invalid escape {escape!r} in string (use \\\" \\' \\\\ or \\uXXXX)")
    raise RouteTextError(token.start, "unterminated string")


def _longest_match(text: str, position: int) -> Token:
    best_kind = TokenKind.UNKNOWN
    best_end = position
    for kind, pattern in _RULES:
        match = pattern.match(text, position)
        if match is not None and match.end() > best_end:
            best_kind, best_end = kind, match.end()
    return Token(best_kind, text[position:best_end], position)
