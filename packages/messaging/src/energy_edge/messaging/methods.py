"""Direct-method payloads (the seed's command table) and the response bodies of DESIGN.md.

Payloads arrive from the IoT SDK already parsed into Python objects, so they are validated with
:meth:`Codec.convert`; unknown keys are ignored (a newer controller may send more). Methods without
arguments (``start``, ``stop``, ``reset``) accept ``null`` or ``{}``.

Responses: a 200 body is ``{"status": "ok", ...}`` with the asset's state after the command and any value
the method echoes (``actual_kw`` for power commands, ``target_celsius``); every non-200 body is
``{"status": "error", "error": "<human-readable reason>"}``. ``status`` tags the two shapes, so a caller
decodes either with one decoder.
"""

from __future__ import annotations

from enum import IntEnum

import msgspec

from energy_edge.messaging.quantities import Celsius, Kilowatts, NonNegativeKilowatts
from energy_edge.statemachine import AssetState


class MethodStatus(IntEnum):
    """Status codes of a direct-method response."""

    OK = 200
    INVALID_PAYLOAD = 400
    UNKNOWN_METHOD = 404
    NOT_ALLOWED_IN_STATE = 409
    INTERNAL_ERROR = 500


class NoArguments(msgspec.Struct, frozen=True):
    """Payload of ``start``, ``stop`` and ``reset``."""


class SetOutput(msgspec.Struct, frozen=True, kw_only=True):
    """``set_output``: limit a PV inverter's active power to ``target_kw`` (never negative)."""

    target_kw: NonNegativeKilowatts


class SetPower(msgspec.Struct, frozen=True, kw_only=True):
    """``start_charging`` / ``start_discharging``: power magnitude in kW; the method gives the direction.
    Also the boiler's ``set_power_limit``: the heater cap in kW."""

    power_kw: NonNegativeKilowatts


class SetTemperature(msgspec.Struct, frozen=True, kw_only=True):
    """``set_temperature``: the boiler's thermostat set-point."""

    target_celsius: Celsius


class CommandAccepted(
    msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, tag_field="status", tag="ok"
):
    """Body of a 200 response."""

    state: AssetState | None = None
    actual_kw: Kilowatts | None = None
    """The power the asset actually applied (after its own limits), for power commands."""
    target_celsius: Celsius | None = None
    message: str | None = None


class CommandRejected(msgspec.Struct, frozen=True, kw_only=True, tag_field="status", tag="error"):
    """Body of every non-200 response."""

    error: str


MethodResult = CommandAccepted | CommandRejected
