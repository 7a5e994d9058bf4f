"""The lifecycle of one asset: current state, when it last changed, why it faulted, and who is told.

Sans-IO: no clock is read and nothing is awaited. The time of every transition comes from the clock the
caller injects (wall-clock time on a device, virtual time in the simulator), and listeners are plain
callables, so the same object runs unchanged inside an IoT Edge module, a test and the site simulator.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from energy_edge.statemachine.table import AssetEvent, AssetState, allowed_events, next_state

_log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
"""Returns the current time (timezone-aware UTC by convention)."""


@dataclass(frozen=True, slots=True)
class Transition:
    """One accepted event: what the asset was, what happened, what it is now, when, and why (faults)."""

    previous: AssetState
    event: AssetEvent
    current: AssetState
    at: datetime
    reason: str | None = None


TransitionListener = Callable[[Transition], None]


class IllegalTransitionError(Exception):
    """An event was fired that the transition table does not allow in the current state.

    The lifecycle is left exactly as it was. Asset modules turn this into a 409 method response.
    """

    def __init__(self, state: AssetState, event: AssetEvent) -> None:
        self.state = state
        self.event = event
        allowed = ", ".join(sorted(allowed_events(state))) or "none"
        super().__init__(f"event '{event}' is not allowed in state {state} (allowed: {allowed})")


class AssetLifecycle:
    """State machine of one asset, with transition listeners and an injected clock.

    Listeners run synchronously after a transition is committed, in registration order. They observe,
    they cannot veto: an exception in one listener is logged and the remaining listeners still run, because
    a broken metrics or tracing hook must never make a module believe that its equipment did not change
    state.
    """

    __slots__ = ("_clock", "_fault_reason", "_last_transition_at", "_listeners", "_state")

    def __init__(self, clock: Clock, initial: AssetState = AssetState.IDLE) -> None:
        self._clock = clock
        self._state = initial
        self._last_transition_at: datetime | None = None
        self._fault_reason: str | None = None
        self._listeners: list[TransitionListener] = []

    # -- observation ---------------------------------------------------------------------------------

    @property
    def state(self) -> AssetState:
        return self._state

    @property
    def last_transition_at(self) -> datetime | None:
        """When the last accepted event happened; ``None`` until the first one."""
        return self._last_transition_at

    @property
    def fault_reason(self) -> str | None:
        """Why the asset is in FAULT; ``None`` in every other state."""
        return self._fault_reason

    def can(self, event: AssetEvent) -> bool:
        """Whether ``event`` would be accepted now."""
        return next_state(self._state, event) is not None

    def allowed_events(self) -> frozenset[AssetEvent]:
        return allowed_events(self._state)

    def add_listener(self, listener: TransitionListener) -> Callable[[], None]:
        """Call ``listener`` after every accepted transition; returns a function that unregisters it."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    # -- events ----------------------------------------------------------------------------------------

    def fire(self, event: AssetEvent, reason: str | None = None) -> Transition:
        """Apply ``event``; raise :class:`IllegalTransitionError` and change nothing when it is illegal.

        ``reason`` is required for :attr:`AssetEvent.FAULT` (an unexplained fault cannot be diagnosed) and
        kept as :attr:`fault_reason` until the asset leaves FAULT.
        """
        target = next_state(self._state, event)
        if target is None:
            raise IllegalTransitionError(self._state, event)
        if event is AssetEvent.FAULT:
            if reason is None or not reason.strip():
                raise ValueError("a fault needs a non-empty reason")
            reason = reason.strip()
        at = self._clock()
        transition = Transition(previous=self._state, event=event, current=target, at=at, reason=reason)
        self._state = target
        self._last_transition_at = at
        self._fault_reason = reason if target is AssetState.FAULT else None
        self._notify(transition)
        return transition

    def start(self) -> Transition:
        return self.fire(AssetEvent.START)

    def startup_complete(self) -> Transition:
        return self.fire(AssetEvent.STARTUP_COMPLETE)

    def stop(self) -> Transition:
        return self.fire(AssetEvent.STOP)

    def stop_complete(self) -> Transition:
        return self.fire(AssetEvent.STOP_COMPLETE)

    def fault(self, reason: str) -> Transition:
        return self.fire(AssetEvent.FAULT, reason)

    def reset(self) -> Transition:
        return self.fire(AssetEvent.RESET)

    def _notify(self, transition: Transition) -> None:
        for listener in tuple(self._listeners):
            try:
                listener(transition)
            except Exception:
                _log.exception("transition listener %r failed on %s", listener, transition)

    def __repr__(self) -> str:
        return f"AssetLifecycle(state={self._state}, fault_reason={self._fault_reason!r})"
