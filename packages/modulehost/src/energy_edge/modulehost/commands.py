"""The direct methods of an asset, declared as a table, answered with DESIGN.md's statuses.

Each entry names its payload codec and the states it may run in. Dispatch never lets an exception out:

- unknown method -> 404; payload that does not validate -> 400; not allowed in the current state -> 409;
- a handler raising :class:`CommandRefused` -> its status (400 for values outside the configured limits,
  409 for what the equipment cannot do right now); :class:`IllegalTransitionError` -> 409;
- anything else -> 500, logged with its traceback.

Handlers check everything before they change anything, so a rejected command changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from energy_edge.messaging import Codec, CommandAccepted, CommandRejected, MessageDecodeError
from energy_edge.messaging.edge import MethodRequest, MethodResponse
from energy_edge.statemachine import AssetState, IllegalTransitionError

_log = logging.getLogger(__name__)

OK, BAD_REQUEST, NOT_FOUND, CONFLICT, INTERNAL_ERROR = 200, 400, 404, 409, 500

ANY_STATE: frozenset[AssetState] = frozenset(AssetState)


class CommandRefused(Exception):  # noqa: N818 - it is a refusal, not an internal error
    """A handler's refusal: ``status`` 400 (invalid for this asset's configuration) or 409 (not now)."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(reason)


def invalid(reason: str) -> CommandRefused:
    return CommandRefused(BAD_REQUEST, reason)


def not_now(reason: str) -> CommandRefused:
    return CommandRefused(CONFLICT, reason)


@dataclass(frozen=True, slots=True)
class Command:
    """One direct method: how to validate its payload, where it may run, and what it does."""

    payload: Codec[Any]
    handler: Callable[[Any], Awaitable[CommandAccepted]]
    allowed_in: frozenset[AssetState] = ANY_STATE


class Outcome(msgspec.Struct, frozen=True):
    """A dispatched command's response plus what the host records about it (a frozen msgspec Struct, as
    :class:`MethodResponse`: built in C on every command)."""

    response: MethodResponse
    method_label: str
    """The method name for metrics: the real name, or ``unknown`` so a caller cannot inflate cardinality."""


async def dispatch(  # noqa: PLR0911 - one return per status of the contract
    commands: Mapping[str, Command], request: MethodRequest, state: AssetState
) -> Outcome:
    command = commands.get(request.name)
    if command is None:
        known = ", ".join(sorted(commands))
        return Outcome(
            _error(NOT_FOUND, f"unknown method '{request.name}' (this asset has: {known})"), "unknown"
        )
    label = request.name
    try:
        payload = command.payload.convert(request.payload)
    except MessageDecodeError as error:
        return Outcome(_error(BAD_REQUEST, error.reason), label)
    if state not in command.allowed_in:
        allowed = ", ".join(sorted(command.allowed_in))
        return Outcome(
            _error(CONFLICT, f"'{request.name}' is not allowed in state {state} (allowed in: {allowed})"),
            label,
        )
    try:
        accepted = await command.handler(payload)
    except CommandRefused as refusal:
        return Outcome(_error(refusal.status, refusal.reason), label)
    except IllegalTransitionError as error:
        return Outcome(_error(CONFLICT, str(error)), label)
    except Exception as error:
        _log.exception("direct method %r failed", request.name)
        return Outcome(_error(INTERNAL_ERROR, f"{type(error).__name__}: {error}"), label)
    return Outcome(MethodResponse(OK, _body(accepted)), label)


def _error(status: int, reason: str) -> MethodResponse:
    return MethodResponse(status, _body(CommandRejected(error=reason)))


def _body(result: CommandAccepted | CommandRejected) -> dict[str, Any]:
    # The transport serialises the payload itself; hand it the schema's builtin form (tag, no unset fields).
    return msgspec.to_builtins(result)
