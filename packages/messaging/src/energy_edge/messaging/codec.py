"""JSON codecs for the message schemas, each built once at import and reused for every message.

A :class:`Codec` owns one msgspec decoder for its type and shares the module's encoder. Every failure to
decode (malformed JSON, wrong types, missing fields, out-of-range or non-finite numbers, an unknown
``asset_type``) becomes one :class:`MessageDecodeError` whose ``reason`` says what and where.
"""

from __future__ import annotations

import math
from typing import Any, Final, Generic, TypeVar, cast

import msgspec

from energy_edge.messaging.errors import MessageDecodeError
from energy_edge.messaging.methods import MethodResult, NoArguments, SetOutput, SetPower, SetTemperature
from energy_edge.messaging.rollup import SiteRollup
from energy_edge.messaging.telemetry import AssetType, Telemetry

T = TypeVar("T")

_ENCODER: Final = msgspec.json.Encoder()
_TAG_ERROR_SUFFIX: Final = " - at `$.asset_type`"
_KNOWN_ASSET_TYPES: Final = ", ".join(sorted(t.value for t in AssetType))


class Codec(Generic[T]):
    """Encode values of one schema to JSON bytes and decode/validate them back."""

    __slots__ = ("_decoder", "_null_is_empty", "_type", "kind")

    def __init__(self, message_type: Any, kind: str, *, null_is_empty: bool = False) -> None:
        # ``message_type`` is Any because a union of Structs is not a ``type[T]``.
        self._type: Any = message_type
        self._decoder: msgspec.json.Decoder[T] = msgspec.json.Decoder(message_type)
        self._null_is_empty = null_is_empty
        self.kind = kind

    def encode(self, value: T) -> bytes:
        """UTF-8 JSON bytes; datetimes in UTC are written as RFC 3339 with ``Z``."""
        return _ENCODER.encode(value)

    def decode(self, data: bytes | bytearray | memoryview | str) -> T:
        """Parse and validate JSON; raise :class:`MessageDecodeError` on anything that does not fit."""
        try:
            return self._decoder.decode(data)
        except msgspec.DecodeError as error:
            raise MessageDecodeError(self.kind, _explain(error)) from error

    def convert(self, obj: object) -> T:
        """Validate an already-parsed JSON value (e.g. a direct-method payload handed over by the IoT SDK).

        Python's ``json`` module accepts ``NaN`` and ``Infinity``, so parsed values are checked for
        non-finite numbers first, with a clearer message than a failed range check would give.
        """
        if obj is None and self._null_is_empty:
            obj = {}
        where = _find_non_finite(obj, "$")
        if where is not None:
            raise MessageDecodeError(self.kind, f"non-finite number at `{where}`")
        try:
            return msgspec.convert(obj, self._type, strict=True)
        except msgspec.ValidationError as error:
            raise MessageDecodeError(self.kind, _explain(error)) from error


def _explain(error: msgspec.DecodeError) -> str:
    message = str(error)
    if message == "Input data was truncated":
        return "JSON is malformed: input ends before the document does"
    if message.startswith("Invalid value ") and message.endswith(_TAG_ERROR_SUFFIX):
        value = message.removeprefix("Invalid value ").removesuffix(_TAG_ERROR_SUFFIX)
        return f"unknown asset_type {value} (known: {_KNOWN_ASSET_TYPES})"
    return message


def _find_non_finite(obj: object, path: str) -> str | None:
    """JSON path of the first NaN/inf inside a parsed JSON value (dicts, lists, scalars), or ``None``."""
    if isinstance(obj, float):
        return None if math.isfinite(obj) else path
    if isinstance(obj, dict):
        for key, value in cast("dict[object, object]", obj).items():
            found = _find_non_finite(value, f"{path}.{key}")
            if found is not None:
                return found
    elif isinstance(obj, list | tuple):
        for index, value in enumerate(cast("list[object]", obj)):
            found = _find_non_finite(value, f"{path}[{index}]")
            if found is not None:
                return found
    return None


TELEMETRY: Final[Codec[Telemetry]] = Codec(Telemetry, "telemetry")
ROLLUP: Final[Codec[SiteRollup]] = Codec(SiteRollup, "roll-up")
METHOD_RESULT: Final[Codec[MethodResult]] = Codec(MethodResult, "method response")
NO_ARGUMENTS: Final[Codec[NoArguments]] = Codec(NoArguments, "payload", null_is_empty=True)
SET_OUTPUT: Final[Codec[SetOutput]] = Codec(SetOutput, "set_output payload")
SET_POWER: Final[Codec[SetPower]] = Codec(SetPower, "power payload")
SET_TEMPERATURE: Final[Codec[SetTemperature]] = Codec(SetTemperature, "set_temperature payload")


def decode_telemetry(data: bytes | bytearray | memoryview | str) -> Telemetry:
    return TELEMETRY.decode(data)


def encode_telemetry(message: Telemetry) -> bytes:
    return TELEMETRY.encode(message)
