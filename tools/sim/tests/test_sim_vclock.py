"""The virtual-time event loop: sleeps jump the clock, real readiness is still seen, threads are refused."""

from __future__ import annotations

import asyncio
import selectors
import socket
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest

from energy_edge.sim.vclock import VirtualTimeLoop

T = TypeVar("T")


def _run(coro_factory: Callable[[VirtualTimeLoop], Coroutine[Any, Any, T]]) -> T:
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(coro_factory(loop))
    finally:
        loop.close()


def test_a_day_of_sleeps_takes_no_wall_time() -> None:
    async def sleeper(loop: VirtualTimeLoop) -> float:
        for _ in range(24):
            await asyncio.sleep(3600.0)
        return loop.time()

    started = time.perf_counter()
    assert _run(sleeper) == pytest.approx(86_400.0)
    # Generous: a real wait would take a day; the loop must not wait at all.
    assert time.perf_counter() - started < 30.0


def test_timers_fire_in_virtual_time_order() -> None:
    async def race(loop: VirtualTimeLoop) -> list[tuple[str, float]]:
        fired: list[tuple[str, float]] = []

        async def after(name: str, delay: float) -> None:
            await asyncio.sleep(delay)
            fired.append((name, loop.time()))

        await asyncio.gather(after("late", 5.0), after("early", 1.0), after("middle", 2.5))
        return fired

    assert _run(race) == [("early", 1.0), ("middle", 2.5), ("late", 5.0)]


def test_a_ready_socket_is_still_polled() -> None:
    """With more than the loop's own wake-up pipe registered the selector polls: readiness is not lost."""

    async def read_one(loop: VirtualTimeLoop) -> bytes:
        left, right = socket.socketpair()
        left.setblocking(False)
        right.setblocking(False)
        try:
            received: asyncio.Future[bytes] = loop.create_future()
            loop.add_reader(left, lambda: received.set_result(left.recv(16)))
            right.send(b"kW")
            try:
                return await asyncio.wait_for(received, timeout=60.0)
            finally:
                loop.remove_reader(left)
        finally:
            left.close()
            right.close()

    assert _run(read_one) == b"kW"


def test_only_the_wake_up_pipe_means_no_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    polls: list[float | None] = []
    real_select = selectors.DefaultSelector.select

    def counting(
        self: selectors.DefaultSelector, timeout: float | None = None
    ) -> list[tuple[selectors.SelectorKey, int]]:
        polls.append(timeout)
        return real_select(self, timeout)

    monkeypatch.setattr(selectors.DefaultSelector, "select", counting)

    async def sleeper(loop: VirtualTimeLoop) -> float:
        for _ in range(100):
            await asyncio.sleep(1.0)
        return loop.time()

    assert _run(sleeper) == pytest.approx(100.0)
    assert polls == []


def test_threads_are_refused() -> None:
    async def offload(loop: VirtualTimeLoop) -> None:
        await loop.run_in_executor(None, time.sleep, 0.0)

    with pytest.raises(RuntimeError, match="wall time"):
        _run(offload)
