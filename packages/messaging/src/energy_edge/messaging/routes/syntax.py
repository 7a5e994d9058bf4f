"""The parse tree of a route: what the parser recognised, before names and types are resolved.

Every node keeps the 0-based offset of the token an error about it should point at (an operator, a
function name, a property), so the compiler can reject a well-formed but meaningless condition, such as a
string compared with a number, at the right place.
"""

from __future__ import annotations

from dataclasses import dataclass

from energy_edge.messaging.routes.lexer import Token
from energy_edge.messaging.routes.values import Value, ValueType


@dataclass(frozen=True, slots=True)
class Literal:
    value: Value
    type: ValueType
    position: int
    depth: int = 1


@dataclass(frozen=True, slots=True)
class Property:
    """An application property named bare, e.g. ``asset_type``."""

    name: str
    position: int
    depth: int = 1


@dataclass(frozen=True, slots=True)
class DollarName:
    """``$name`` or ``{$name}``: a ``$body`` path or a system property; ``name`` includes the ``$``."""

    name: str
    escaped: bool
    position: int
    depth: int = 1


@dataclass(frozen=True, slots=True)
class Unary:
    operator: Token
    operand: Node
    depth: int


@dataclass(frozen=True, slots=True)
class Binary:
    operator: Token
    left: Node
    right: Node
    depth: int


@dataclass(frozen=True, slots=True)
class Call:
    function: Token
    arguments: tuple[Node, ...]
    depth: int


Node = Literal | Property | DollarName | Unary | Binary | Call


@dataclass(frozen=True, slots=True)
class SinkSyntax:
    """``$upstream`` (``function`` is None, ``target`` the ``$`` token) or ``Name("address")``."""

    function: Token | None
    target: Token


@dataclass(frozen=True, slots=True)
class RouteSyntax:
    """``[SELECT *] FROM <source> [WHERE <condition>] INTO <sink>`` split into its parts."""

    source: tuple[Token, ...]
    """The path's segment tokens (``*`` or names), without the slashes."""
    source_position: int
    condition: Node | None
    condition_text: str | None
    sink: SinkSyntax
