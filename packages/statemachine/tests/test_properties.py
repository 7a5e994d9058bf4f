"""Property-based checks: whatever events arrive, the lifecycle only ever follows the table."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from energy_edge.statemachine import (
    TRANSITIONS,
    AssetEvent,
    AssetLifecycle,
    AssetState,
    IllegalTransitionError,
    Transition,
)

from .conftest import SteppingClock

events = st.sampled_from(list(AssetEvent))


@given(st.lists(events, max_size=200))
def test_no_event_sequence_reaches_an_undeclared_state_or_moves_on_rejection(
    sequence: list[AssetEvent],
) -> None:
    lifecycle = AssetLifecycle(SteppingClock())
    for event in sequence:
        before = (lifecycle.state, lifecycle.last_transition_at, lifecycle.fault_reason)
        try:
            transition = lifecycle.fire(event, reason="fault injected by hypothesis")
        except IllegalTransitionError as error:
            assert (before[0], event) not in TRANSITIONS
            assert error.state is before[0]
            assert (lifecycle.state, lifecycle.last_transition_at, lifecycle.fault_reason) == before
        else:
            assert TRANSITIONS[(before[0], event)] is transition.current is lifecycle.state
        assert lifecycle.state in AssetState
        assert (lifecycle.fault_reason is not None) == (lifecycle.state is AssetState.FAULT)


class LifecycleAgainstTable(RuleBasedStateMachine):
    """Model-based test: the lifecycle and a plain walk over the table never disagree."""

    def __init__(self) -> None:
        super().__init__()
        self.lifecycle = AssetLifecycle(SteppingClock())
        self.model = AssetState.IDLE
        self.notified: list[Transition] = []
        self.accepted = 0
        self.lifecycle.add_listener(self.notified.append)

    @rule(event=events, reason=st.text(min_size=1).filter(str.strip))
    def fire(self, event: AssetEvent, reason: str) -> None:
        expected = TRANSITIONS.get((self.model, event))
        try:
            self.lifecycle.fire(event, reason=reason)
        except IllegalTransitionError:
            assert expected is None
        else:
            assert expected is not None
            self.model = expected
            self.accepted += 1

    @invariant()
    def state_matches_model(self) -> None:
        assert self.lifecycle.state is self.model

    @invariant()
    def every_accepted_event_was_announced_once(self) -> None:
        assert len(self.notified) == self.accepted
        if self.notified:
            assert self.notified[-1].at == self.lifecycle.last_transition_at


TestLifecycleAgainstTable = LifecycleAgainstTable.TestCase
