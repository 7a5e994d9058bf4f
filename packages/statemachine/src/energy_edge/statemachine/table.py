"""States, events and the transition table of an energy asset.

The table is the seed architecture's state machine, plus one decision of ours:

    IDLE ──start──▶ STARTING ──startup_complete──▶ RUNNING ──stop──▶ STOPPING ──stop_complete──▶ IDLE
    FAULT ──reset──▶ IDLE
    IDLE, STARTING, RUNNING, STOPPING ──fault──▶ FAULT

The seed draws ``fault`` only out of RUNNING. Real equipment also fails while it is not producing:
an inverter's DC pre-charge fails during STARTING, a contactor welds during STOPPING, a battery's BMS
reports a cell over-voltage or an over-temperature while IDLE. In all these cases the asset must latch in
FAULT, so that nothing can start it again until an operator (or the controller) sends ``reset``. A fault
that could not be recorded while IDLE would let ``start`` energise faulty equipment, so ``fault`` is
accepted from every state except FAULT itself (a second fault while faulted is rejected; the first reason
is the one that matters for diagnosis).

Every other (state, event) pair is illegal; in particular ``stop`` while STARTING is rejected as in the
seed (the start sequence completes or faults, it is not aborted half-way).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class AssetState(StrEnum):
    """Lifecycle state of an asset, as reported in telemetry (``"RUNNING"``) and reported properties."""

    IDLE = "IDLE"
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    STOPPING = "STOPPING"
    FAULT = "FAULT"


class AssetEvent(StrEnum):
    """What can happen to an asset: commands from outside and completions/faults from the equipment."""

    START = "start"
    STARTUP_COMPLETE = "startup_complete"
    STOP = "stop"
    STOP_COMPLETE = "stop_complete"
    FAULT = "fault"
    RESET = "reset"


_S = AssetState
_E = AssetEvent

TRANSITIONS: Final[Mapping[tuple[AssetState, AssetEvent], AssetState]] = MappingProxyType(
    {
        (_S.IDLE, _E.START): _S.STARTING,
        (_S.STARTING, _E.STARTUP_COMPLETE): _S.RUNNING,
        (_S.RUNNING, _E.STOP): _S.STOPPING,
        (_S.STOPPING, _E.STOP_COMPLETE): _S.IDLE,
        (_S.FAULT, _E.RESET): _S.IDLE,
        # Faults latch from every state but FAULT itself (see the module docstring for why).
        (_S.IDLE, _E.FAULT): _S.FAULT,
        (_S.STARTING, _E.FAULT): _S.FAULT,
        (_S.RUNNING, _E.FAULT): _S.FAULT,
        (_S.STOPPING, _E.FAULT): _S.FAULT,
    }
)
"""The complete transition table: ``(state, event) -> next state``. Pairs not in it are illegal."""


def next_state(state: AssetState, event: AssetEvent) -> AssetState | None:
    """The state ``event`` leads to from ``state``, or ``None`` when the transition is illegal."""
    return TRANSITIONS.get((state, event))


def allowed_events(state: AssetState) -> frozenset[AssetEvent]:
    """Every event that is legal in ``state``."""
    return _ALLOWED[state]


_ALLOWED: Final[Mapping[AssetState, frozenset[AssetEvent]]] = MappingProxyType(
    {state: frozenset(event for (s, event) in TRANSITIONS if s is state) for state in AssetState}
)
