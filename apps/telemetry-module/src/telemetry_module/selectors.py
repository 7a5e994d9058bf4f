"""Metric selectors (``AllowedMetrics``, ``BlockedMetrics``), in the syntax of Microsoft's metrics collector.

A list holds selectors separated by whitespace or commas. One selector::

    name                         edgehub_messages_*   energy_edge_asset_?tate
    name{label=value,...}        energy_edge_commands_total{status="500",method!=reset}
    name[endpoint]               *[http://battery-module:9600/metrics]   *[battery-module]
    name{...}[endpoint]

- **name**: letters, digits, ``_`` and ``:``, with ``*`` (any run of name characters) and ``?`` (one).
  It matches a sample's own name (``x_seconds_bucket``) or the name of its metric family (``x_seconds``
  selects every series of that histogram, ``foo`` every series of counter ``foo_total``).
- **labels**: ``=`` / ``!=`` compare exactly, ``=~`` / ``!~`` with a regular expression over the whole
  value; values may be quoted (``"..."`` with ``\\"`` and ``\\\\`` escapes), as the collector requires, or
  bare. As in the collector, a selector that names a label matches only samples that carry it (even with
  ``!=``). Labels are the scraped sample's, before the module adds its identifying labels.
- **endpoint**: the endpoint's URL exactly as configured, or the module name (its host).

A sample is shipped when ``AllowedMetrics`` is empty or one of its selectors matches, and no selector of
``BlockedMetrics`` matches: the block list wins. Pure code: parsing and matching, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

_NAME: Final = re.compile(r"[a-zA-Z_:*?][a-zA-Z0-9_:*?]*")
_LABEL_NAME: Final = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_BARE_VALUE: Final = re.compile(r'[^\s,}"]+')
_OPERATORS: Final = ("=~", "!~", "!=", "=")  # longest first
_SEPARATORS: Final = " \t\r\n,"


class SelectorError(ValueError):
    """A selector list that cannot be parsed; the message names the position and what was expected."""


@dataclass(frozen=True, slots=True)
class LabelMatcher:
    name: str
    operator: str
    value: str
    pattern: re.Pattern[str]

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.name)
        if value is None:
            return False
        found = self.pattern.fullmatch(value) is not None
        return found if self.operator in {"=", "=~"} else not found


@dataclass(frozen=True, slots=True)
class Selector:
    text: str
    name: re.Pattern[str]
    labels: tuple[LabelMatcher, ...] = ()
    endpoint: str | None = None

    def matches(
        self, endpoint_url: str, module_name: str, family: str, name: str, labels: Mapping[str, str]
    ) -> bool:
        if self.endpoint is not None and self.endpoint not in (endpoint_url, module_name):
            return False
        if self.name.fullmatch(name) is None and (family == name or self.name.fullmatch(family) is None):
            return False
        return all(matcher.matches(labels) for matcher in self.labels)


@dataclass(frozen=True, slots=True)
class MetricFilter:
    """``allowed`` (empty: everything) minus ``blocked``."""

    allowed: tuple[Selector, ...] = ()
    blocked: tuple[Selector, ...] = ()

    @property
    def admits_everything(self) -> bool:
        return not self.allowed and not self.blocked

    def admits(
        self, endpoint_url: str, module_name: str, family: str, name: str, labels: Mapping[str, str]
    ) -> bool:
        if self.allowed and not any(
            selector.matches(endpoint_url, module_name, family, name, labels) for selector in self.allowed
        ):
            return False
        return not any(
            selector.matches(endpoint_url, module_name, family, name, labels) for selector in self.blocked
        )


def parse_selectors(text: str) -> tuple[Selector, ...]:
    """Every selector of a list; raises :class:`SelectorError`."""
    return tuple(_Parser(text).selectors())


def name_pattern(name: str) -> re.Pattern[str]:
    """The metric-name wildcard as a regular expression: ``*`` any run of name characters, ``?`` one."""
    parts = (
        "[a-zA-Z0-9_:]*" if char == "*" else "[a-zA-Z0-9_:]" if char == "?" else re.escape(char)
        for char in name
    )
    return re.compile("".join(parts))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def fail(self, expected: str) -> SelectorError:
        rest = self.text[self.at : self.at + 20]
        found = repr(rest) if rest else "the end"
        return SelectorError(f"expected {expected} at position {self.at}, found {found}")

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def skip(self, characters: str) -> None:
        while self.at < len(self.text) and self.text[self.at] in characters:
            self.at += 1

    def next_part_is(self, opening: str) -> bool:
        """Whether the selector goes on with ``opening`` (whitespace may come before it)."""
        start = self.at
        self.skip(" \t")
        if self.peek() == opening:
            return True
        self.at = start
        return False

    def selectors(self) -> list[Selector]:
        found: list[Selector] = []
        self.skip(_SEPARATORS)
        while self.at < len(self.text):
            found.append(self.selector())
            if self.peek() not in ("", *_SEPARATORS):
                raise self.fail("whitespace or a comma between selectors")
            self.skip(_SEPARATORS)
        return found

    def selector(self) -> Selector:
        start = self.at
        match = _NAME.match(self.text, self.at)
        if match is None:
            raise self.fail("a metric name (letters, digits, _, :, * and ?)")
        self.at = match.end()
        name = match.group()
        labels = self.label_list() if self.next_part_is("{") else ()
        endpoint = self.endpoint() if self.next_part_is("[") else None
        return Selector(self.text[start : self.at].strip(), name_pattern(name), labels, endpoint)

    def label_list(self) -> tuple[LabelMatcher, ...]:
        self.at += 1  # "{"
        matchers: list[LabelMatcher] = []
        while True:
            self.skip(" \t")
            if self.peek() == "}" and not matchers:
                self.at += 1
                return ()
            matcher = self.label()
            if any(existing.name == matcher.name for existing in matchers):
                raise SelectorError(f"label {matcher.name!r} is named twice in one selector")
            matchers.append(matcher)
            self.skip(" \t")
            if self.peek() == "}":
                self.at += 1
                return tuple(matchers)
            if self.peek() != ",":
                raise self.fail("',' or '}' after a label matcher")
            self.at += 1

    def label(self) -> LabelMatcher:
        match = _LABEL_NAME.match(self.text, self.at)
        if match is None:
            raise self.fail("a label name")
        self.at = match.end()
        self.skip(" \t")
        operator = next((op for op in _OPERATORS if self.text.startswith(op, self.at)), None)
        if operator is None:
            raise self.fail("=, !=, =~ or !~ after the label name")
        self.at += len(operator)
        self.skip(" \t")
        value = self.quoted() if self.peek() == '"' else self.bare()
        if operator in {"=", "!="}:
            pattern = re.compile(re.escape(value))
        else:
            try:
                pattern = re.compile(value)
            except re.error as error:
                raise SelectorError(f"label {match.group()!r}: invalid regular expression: {error}") from None
        return LabelMatcher(match.group(), operator, value, pattern)

    def quoted(self) -> str:
        self.at += 1  # opening quote
        value: list[str] = []
        while self.at < len(self.text):
            char = self.text[self.at]
            if char == '"':
                self.at += 1
                return "".join(value)
            if char == "\\" and self.at + 1 < len(self.text):
                escaped = self.text[self.at + 1]
                value.append("\n" if escaped == "n" else escaped)
                self.at += 2
                continue
            value.append(char)
            self.at += 1
        raise self.fail('a closing quote (")')

    def bare(self) -> str:
        match = _BARE_VALUE.match(self.text, self.at)
        if match is None:
            raise self.fail('a label value (bare or in "quotes")')
        self.at = match.end()
        return match.group()

    def endpoint(self) -> str:
        close = self.text.find("]", self.at)
        if close == -1:
            raise self.fail("']' closing the endpoint")
        endpoint = self.text[self.at + 1 : close].strip()
        if not endpoint or any(char.isspace() for char in endpoint):
            raise SelectorError(f"endpoint {endpoint!r} at position {self.at}: a URL or a module name")
        self.at = close + 1
        return endpoint
