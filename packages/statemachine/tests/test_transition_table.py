"""The transition table is the seed's state machine plus latching faults from every non-FAULT state."""

from __future__ import annotations

from energy_edge.statemachine import TRANSITIONS, AssetEvent, AssetState, allowed_events, next_state

S, E = AssetState, AssetEvent


def test_table_holds_the_seed_transitions() -> None:
    assert next_state(S.IDLE, E.START) is S.STARTING
    assert next_state(S.STARTING, E.STARTUP_COMPLETE) is S.RUNNING
    assert next_state(S.RUNNING, E.STOP) is S.STOPPING
    assert next_state(S.STOPPING, E.STOP_COMPLETE) is S.IDLE
    assert next_state(S.RUNNING, E.FAULT) is S.FAULT
    assert next_state(S.FAULT, E.RESET) is S.IDLE


def test_a_fault_latches_from_every_state_but_fault() -> None:
    for state in (S.IDLE, S.STARTING, S.RUNNING, S.STOPPING):
        assert next_state(state, E.FAULT) is S.FAULT
    assert next_state(S.FAULT, E.FAULT) is None


def test_table_has_no_other_transitions() -> None:
    assert len(TRANSITIONS) == 9


def test_fault_is_left_only_by_reset() -> None:
    assert allowed_events(S.FAULT) == {E.RESET}


def test_stop_is_not_accepted_while_starting() -> None:
    assert next_state(S.STARTING, E.STOP) is None


def test_states_serialise_as_the_seed_telemetry_spells_them() -> None:
    assert [str(s) for s in AssetState] == ["IDLE", "STARTING", "RUNNING", "STOPPING", "FAULT"]
