"""The asset lifecycle state machine shared by every Energy Edge asset module.

lifecycle = AssetLifecycle(clock=lambda: datetime.now(UTC))
lifecycle.add_listener(lambda t: print(t.previous, "->", t.current))
lifecycle.start(); lifecycle.startup_complete()
lifecycle.fault("over-temperature 86.0 °C")   # latched until reset()
"""

from energy_edge.statemachine.lifecycle import (
    AssetLifecycle,
    Clock,
    IllegalTransitionError,
    Transition,
    TransitionListener,
)
from energy_edge.statemachine.table import TRANSITIONS, AssetEvent, AssetState, allowed_events, next_state

__all__ = [
    "TRANSITIONS",
    "AssetEvent",
    "AssetLifecycle",
    "AssetState",
    "Clock",
    "IllegalTransitionError",
    "Transition",
    "TransitionListener",
    "allowed_events",
    "next_state",
]
