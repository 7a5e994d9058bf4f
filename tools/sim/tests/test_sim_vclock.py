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


class _AsyncioScheduling(VirtualTimeLoop):
    """The same jumping clock with asyncio's own scheduling code: the reference for the lean one."""

    call_soon = asyncio.BaseEventLoop.call_soon
    call_at = asyncio.BaseEventLoop.call_at
    call_later = asyncio.BaseEventLoop.call_later
    _run_once = asyncio.BaseEventLoop._run_once  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]


def _busy_site(loop: VirtualTimeLoop) -> list[tuple[float, str]]:
    """Ticks that fall due at the same instants (ties in the timer heap), hand-offs through events,
    timeouts that are cancelled (enough for asyncio to purge its heap now and then) and plain callbacks."""
    trace: list[tuple[float, str]] = []

    async def ticker(name: str, period_s: float) -> None:
        for _ in range(40):
            await asyncio.sleep(period_s)
            trace.append((loop.time(), name))

    async def waiter(name: str, handoff: list[asyncio.Event]) -> None:
        for _ in range(30):
            event = handoff[0] = asyncio.Event()
            try:
                await asyncio.wait_for(event.wait(), timeout=7.0)
            except TimeoutError:
                trace.append((loop.time(), f"{name} timed out"))
            else:
                trace.append((loop.time(), f"{name} woken"))

    async def waker(handoff: list[asyncio.Event]) -> None:
        for n in range(30):
            await asyncio.sleep(2.0 if n % 5 else 9.0)
            handoff[0].set()
            loop.call_soon(trace.append, (loop.time(), "callback"))

    async def site() -> None:
        handoff: list[asyncio.Event] = [asyncio.Event()]
        parked = [loop.call_later(10_000.0 + n, trace.append, (0.0, "never")) for n in range(150)]
        for timer in parked[:120]:
            timer.cancel()
        await asyncio.gather(
            *(ticker(f"asset {n}", 1.0 if n % 2 else 5.0) for n in range(8)),
            ticker("controller", 5.0),
            waiter("caller", handoff),
            waker(handoff),
        )
        for timer in parked:
            timer.cancel()

    loop.run_until_complete(site())
    loop.close()
    return trace


def test_the_lean_scheduling_runs_everything_in_asyncios_order() -> None:
    lean = _busy_site(VirtualTimeLoop())
    reference = _busy_site(_AsyncioScheduling())
    assert len(reference) > 400
    assert lean == reference


def _callback_errors(loop: VirtualTimeLoop) -> list[tuple[str, str, bool]]:
    """What the exception handler is told of callbacks that raise, and whether the loop ran on."""
    told: list[tuple[str, str, bool]] = []
    loop.set_exception_handler(
        lambda _loop, context: told.append(
            (context["message"], repr(context["exception"]), isinstance(context["handle"], asyncio.Handle))
        )
    )

    def broken_driver(reading: float) -> None:
        raise ValueError(f"reading {reading} out of range")

    async def site() -> str:
        loop.call_soon(broken_driver, 1.5)
        loop.call_later(2.0, broken_driver, 2.5)
        await asyncio.sleep(5.0)
        return "ran on"

    told.append((loop.run_until_complete(site()), "", False))
    loop.close()
    return told


def test_a_callback_that_raises_is_reported_as_asyncio_reports_it() -> None:
    # The lean loop runs handles itself rather than through Handle._run: an exception must still reach the
    # loop's exception handler with asyncio's message, and the loop must carry on.
    lean = _callback_errors(VirtualTimeLoop())
    assert lean == _callback_errors(_AsyncioScheduling())
    assert lean[0][0].startswith("Exception in callback ")
    assert "broken_driver(1.5)" in lean[0][0]
    assert lean[0][1] == "ValueError('reading 1.5 out of range')"
    assert lean[-1][0] == "ran on"
