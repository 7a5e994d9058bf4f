from __future__ import annotations

import pytest

from energy_edge.messaging.edge.upstream import CloudUpstream
from energy_edge.messaging.message import EdgeMessage


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def message(n: int) -> EdgeMessage:
    return EdgeMessage(body=str(n).encode())


def bodies(sink: CloudUpstream) -> list[int]:
    return [int(m.body) for m in sink.delivered]


def test_reachable_cloud_receives_at_once() -> None:
    sink = CloudUpstream(clock=FakeClock())
    sink.accept(message(1), route="r", ttl_s=60)
    assert bodies(sink) == [1]


def test_outage_holds_messages_and_delivers_them_in_order() -> None:
    sink = CloudUpstream(clock=FakeClock())
    sink.set_reachable(False)
    for n in range(5):
        sink.accept(message(n), route="r", ttl_s=60)
    assert (bodies(sink), sink.held) == ([], 5)
    sink.set_reachable(True)
    assert bodies(sink) == [0, 1, 2, 3, 4]
    assert sink.held == 0


def test_messages_older_than_their_ttl_expire_and_are_counted() -> None:
    clock = FakeClock()
    sink = CloudUpstream(clock=clock)
    sink.set_reachable(False)
    sink.accept(message(1), route="metrics", ttl_s=10)
    sink.accept(message(2), route="rollup", ttl_s=100)
    clock.now = 50.0
    sink.set_reachable(True)
    assert bodies(sink) == [2]
    assert sink.expired == 1


def test_a_full_buffer_drops_the_oldest_and_counts_it() -> None:
    sink = CloudUpstream(clock=FakeClock(), capacity=3)
    sink.set_reachable(False)
    for n in range(5):
        sink.accept(message(n), route="r", ttl_s=60)
    sink.set_reachable(True)
    assert bodies(sink) == [2, 3, 4]
    assert sink.overflowed == 2


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity"):
        CloudUpstream(clock=FakeClock(), capacity=0)
