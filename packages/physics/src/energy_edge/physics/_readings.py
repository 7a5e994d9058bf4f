"""How the equipment models build their readings: ``NamedTuple``s, at the cost of a plain tuple.

A ``NamedTuple``'s constructor is a generated Python function (a frame, keyword handling, defaults) that
ends in ``tuple.__new__(cls, fields)``. The models build one reading each per step, hundreds of thousands a
simulated day, always with every field in order: they call ``tuple.__new__`` directly, which is C and costs
about half. The reading is the same object either way (same class, same fields).
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, cast

_Reading = TypeVar("_Reading", bound=tuple[Any, ...])


class _NewReading(Protocol):
    def __call__(self, cls: type[_Reading], fields: tuple[Any, ...], /) -> _Reading: ...


new_reading = cast(_NewReading, tuple.__new__)  # pyright: ignore[reportUnknownMemberType]
"""``new_reading(PvReading, (power_output_kw, ...))``: every field, in the order the class declares them."""
