"""The one error every decode in this package raises."""

from __future__ import annotations


class MessageDecodeError(ValueError):
    """Bytes or a parsed payload did not match a message schema.

    ``reason`` is a human-readable sentence naming what was wrong and where (a JSON path such as
    ``$.power_output_kw``); it is what a module logs and what a 400 method response carries.
    """

    def __init__(self, kind: str, reason: str) -> None:
        self.kind = kind
        self.reason = reason
        super().__init__(f"invalid {kind}: {reason}")
