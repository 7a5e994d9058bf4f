from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from energy_edge.statemachine import (
    AssetEvent,
    AssetLifecycle,
    AssetState,
    IllegalTransitionError,
    Transition,
)

from .conftest import SteppingClock


def running(clock: SteppingClock) -> AssetLifecycle:
    lifecycle = AssetLifecycle(clock)
    lifecycle.start()
    lifecycle.startup_complete()
    return lifecycle


def test_a_new_asset_is_idle_with_no_transition_yet(clock: SteppingClock) -> None:
    lifecycle = AssetLifecycle(clock)
    assert lifecycle.state is AssetState.IDLE
    assert lifecycle.last_transition_at is None
    assert lifecycle.fault_reason is None


def test_full_cycle_start_run_stop(clock: SteppingClock) -> None:
    lifecycle = running(clock)
    assert lifecycle.state is AssetState.RUNNING
    lifecycle.stop()
    assert lifecycle.state is AssetState.STOPPING
    lifecycle.stop_complete()
    assert lifecycle.state is AssetState.IDLE


def test_transition_time_comes_from_the_injected_clock(clock: SteppingClock) -> None:
    lifecycle = AssetLifecycle(clock)
    transition = lifecycle.start()
    assert transition.at == clock.now
    assert lifecycle.last_transition_at == datetime(2024, 6, 1, 12, 0, 1, tzinfo=UTC)


def test_illegal_event_raises_naming_state_and_event(clock: SteppingClock) -> None:
    lifecycle = AssetLifecycle(clock)
    with pytest.raises(IllegalTransitionError) as caught:
        lifecycle.stop()
    assert caught.value.state is AssetState.IDLE
    assert caught.value.event is AssetEvent.STOP
    assert "'stop'" in str(caught.value)
    assert "IDLE" in str(caught.value)


def test_illegal_event_changes_nothing(clock: SteppingClock) -> None:
    lifecycle = running(clock)
    lifecycle.fault("inverter over-temperature")
    before = (lifecycle.state, lifecycle.last_transition_at, lifecycle.fault_reason)
    seen: list[Transition] = []
    lifecycle.add_listener(seen.append)
    with pytest.raises(IllegalTransitionError):
        lifecycle.start()
    assert (lifecycle.state, lifecycle.last_transition_at, lifecycle.fault_reason) == before
    assert seen == []


def test_fault_keeps_its_reason_until_reset(clock: SteppingClock) -> None:
    lifecycle = running(clock)
    lifecycle.fault("  battery cell over-voltage  ")
    assert lifecycle.state is AssetState.FAULT
    assert lifecycle.fault_reason == "battery cell over-voltage"
    lifecycle.reset()
    assert lifecycle.state is AssetState.IDLE
    assert lifecycle.fault_reason is None


def test_fault_without_reason_is_refused_and_changes_nothing(clock: SteppingClock) -> None:
    lifecycle = running(clock)
    with pytest.raises(ValueError, match="reason"):
        lifecycle.fire(AssetEvent.FAULT)
    with pytest.raises(ValueError, match="reason"):
        lifecycle.fault("   ")
    assert lifecycle.state is AssetState.RUNNING


def test_fault_while_starting_and_stopping_latches(clock: SteppingClock) -> None:
    starting = AssetLifecycle(clock)
    starting.start()
    starting.fault("DC pre-charge failed")
    assert starting.state is AssetState.FAULT

    stopping = running(clock)
    stopping.stop()
    stopping.fault("contactor did not open")
    assert stopping.state is AssetState.FAULT


def test_a_faulted_asset_cannot_be_started_until_reset(clock: SteppingClock) -> None:
    lifecycle = AssetLifecycle(clock)
    lifecycle.fault("BMS reports cell over-temperature")
    with pytest.raises(IllegalTransitionError):
        lifecycle.start()
    lifecycle.reset()
    lifecycle.start()
    assert lifecycle.state is AssetState.STARTING


def test_listeners_receive_each_transition_in_order(clock: SteppingClock) -> None:
    lifecycle = AssetLifecycle(clock)
    seen: list[tuple[AssetState, AssetEvent, AssetState, str | None]] = []
    lifecycle.add_listener(lambda t: seen.append((t.previous, t.event, t.current, t.reason)))
    lifecycle.start()
    lifecycle.fault("pre-charge timeout")
    assert seen == [
        (AssetState.IDLE, AssetEvent.START, AssetState.STARTING, None),
        (AssetState.STARTING, AssetEvent.FAULT, AssetState.FAULT, "pre-charge timeout"),
    ]


def test_removed_listener_is_not_called(clock: SteppingClock) -> None:
    lifecycle = AssetLifecycle(clock)
    seen: list[Transition] = []
    remove = lifecycle.add_listener(seen.append)
    remove()
    remove()  # removing twice is harmless
    lifecycle.start()
    assert seen == []


def test_failing_listener_does_not_stop_the_transition_or_other_listeners(
    clock: SteppingClock, caplog: pytest.LogCaptureFixture
) -> None:
    lifecycle = AssetLifecycle(clock)
    seen: list[Transition] = []

    def broken(_: Transition) -> None:
        raise RuntimeError("metrics backend gone")

    lifecycle.add_listener(broken)
    lifecycle.add_listener(seen.append)
    with caplog.at_level(logging.ERROR):
        lifecycle.start()
    assert lifecycle.state is AssetState.STARTING
    assert len(seen) == 1
    assert "metrics backend gone" in caplog.text


def test_listener_sees_the_committed_state(clock: SteppingClock) -> None:
    lifecycle = AssetLifecycle(clock)
    observed: list[AssetState] = []
    lifecycle.add_listener(lambda _: observed.append(lifecycle.state))
    lifecycle.start()
    assert observed == [AssetState.STARTING]


def test_can_and_allowed_events_follow_the_table(clock: SteppingClock) -> None:
    lifecycle = running(clock)
    assert lifecycle.can(AssetEvent.STOP)
    assert not lifecycle.can(AssetEvent.START)
    assert lifecycle.allowed_events() == {AssetEvent.STOP, AssetEvent.FAULT}


def test_initial_state_can_be_restored(clock: SteppingClock) -> None:
    lifecycle = AssetLifecycle(clock, initial=AssetState.RUNNING)
    lifecycle.stop()
    assert lifecycle.state is AssetState.STOPPING
