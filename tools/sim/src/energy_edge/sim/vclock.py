"""Virtual time for asyncio: an event loop whose clock jumps to the next timer instead of waiting for it.

Every ``asyncio.sleep``/``anyio.sleep`` in the modules then takes no wall time, and a site day runs as fast
as the modules compute. trio's ``MockClock`` with autojump does the same and was measured first: on this
project's 2-core machine it costs about 45 µs per wake-up against about 11 µs here, and a site day has
hundreds of thousands of wake-ups. The loop must not do real I/O (sockets, threads): in the simulator
there is none — the in-process hub is in memory and no metrics endpoint is served.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import selectors
from asyncio import base_events, events, format_helpers
from collections import deque
from collections.abc import Callable
from contextvars import Context
from typing import Any, Final

# asyncio's own limits, so the lean iteration below waits and purges exactly where asyncio's would.
_MAXIMUM_WAIT_S: Final[float] = base_events.MAXIMUM_SELECT_TIMEOUT  # pyright: ignore[reportAttributeAccessIssue]
_PURGE_ABOVE_TIMERS: Final[int] = base_events._MIN_SCHEDULED_TIMER_HANDLES  # pyright: ignore[reportAttributeAccessIssue, reportPrivateUsage]
_PURGE_ABOVE_CANCELLED_SHARE: Final[float] = base_events._MIN_CANCELLED_TIMER_HANDLES_FRACTION  # pyright: ignore[reportAttributeAccessIssue, reportPrivateUsage]


class _JumpingSelector(selectors.DefaultSelector):
    """Never blocks: a wait for ``timeout`` seconds advances the loop's virtual clock by that much."""

    def __init__(self) -> None:
        super().__init__()
        self.loop: VirtualTimeLoop | None = None

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is not None and timeout > 0 and self.loop is not None:
            self.loop.virtual_time += timeout
        if len(self.get_map()) <= 1:
            # Only the loop's own wake-up pipe: nothing but another thread or a signal handler writes to it,
            # and the simulated stack has neither, so the poll (a system call per loop iteration, about 5 %
            # of a simulated day) would always come back empty.
            return []
        return super().select(0)


class _Handle(events.Handle):
    """asyncio's ``Handle``, made without its debug check and ``super()`` call: the lean path runs only
    outside debug mode, where ``Handle.__init__`` would ask the loop ``get_debug()`` for every one of
    them (about twenty per simulated control cycle)."""

    __slots__ = ()

    def __init__(
        self, callback: Callable[..., object], args: tuple[Any, ...], loop: Any, context: Context | None
    ) -> None:
        self._context = contextvars.copy_context() if context is None else context
        self._loop = loop
        self._callback = callback
        self._args = args
        self._cancelled = False
        self._repr = None
        self._source_traceback = None


class _TimerHandle(events.TimerHandle, _Handle):
    """asyncio's ``TimerHandle``, made as :class:`_Handle` is; it goes on the heap at once, so it is born
    scheduled."""

    __slots__ = ()

    def __init__(
        self,
        when: float,
        callback: Callable[..., object],
        args: tuple[Any, ...],
        loop: Any,
        context: Context | None,
    ) -> None:
        _Handle.__init__(self, callback, args, loop, context)
        self._when = when
        self._scheduled = True


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """``loop.time()`` is virtual and starts at 0.

    Scheduling is asyncio's own, step for step: the same timer heap (so timers due at the same instant fire
    in the same order), the same ready queue, one iteration running what was ready when it began. What a
    loop without I/O and without debug mode never needs is left out of the three calls every wake-up makes
    (``call_soon``, ``call_at``/``call_later`` and ``_run_once``): the closed and debug checks, the traceback
    trimming, the selector's poll and its empty event list. That was about a sixth of the loop's own work
    in a simulated site day. In debug mode, with a reader or writer registered, or when asyncio would purge
    cancelled timers, the loop runs asyncio's own code.
    """

    # asyncio's scheduling state, set by BaseEventLoop (typeshed leaves it out).
    _ready: deque[asyncio.Handle]
    _scheduled: list[asyncio.TimerHandle]
    _timer_cancelled_count: int
    _clock_resolution: float
    _stopping: bool
    _debug: bool
    _closed: bool

    def __init__(self) -> None:
        selector = _JumpingSelector()
        super().__init__(selector)
        selector.loop = self
        self._jumping_selector = selector
        self.virtual_time = 0.0

    def time(self) -> float:
        return self.virtual_time

    def call_soon(
        self, callback: Callable[..., object], *args: Any, context: Context | None = None
    ) -> asyncio.Handle:
        if self._debug or self._closed:
            return super().call_soon(callback, *args, context=context)
        handle = _Handle(callback, args, self, context)
        self._ready.append(handle)
        return handle

    def call_later(
        self, delay: float, callback: Callable[..., object], *args: Any, context: Context | None = None
    ) -> asyncio.TimerHandle:
        if self._debug or self._closed:
            return super().call_later(delay, callback, *args, context=context)
        return self.call_at(self.virtual_time + delay, callback, *args, context=context)

    def call_at(
        self, when: float, callback: Callable[..., object], *args: Any, context: Context | None = None
    ) -> asyncio.TimerHandle:
        if self._debug or self._closed:
            return super().call_at(when, callback, *args, context=context)
        timer = _TimerHandle(when, callback, args, self, context)
        heapq.heappush(self._scheduled, timer)
        return timer

    def _run_once(self) -> None:
        """One iteration of asyncio's ``BaseEventLoop._run_once``, for a loop with nothing to poll."""
        scheduled = self._scheduled
        count = len(scheduled)
        if (
            self._debug
            or len(self._jumping_selector.get_map()) > 1
            or (
                count > _PURGE_ABOVE_TIMERS
                and self._timer_cancelled_count / count > _PURGE_ABOVE_CANCELLED_SHARE
            )
        ):
            super()._run_once()  # pyright: ignore[reportAttributeAccessIssue]
            return
        # Cancelled timers at the head of the heap are dropped, as asyncio does.
        # (Attributes rather than cancelled() and when(): a method call per handle is what this saves.)
        while scheduled and scheduled[0]._cancelled:
            self._timer_cancelled_count -= 1
            heapq.heappop(scheduled)._scheduled = False  # pyright: ignore[reportAttributeAccessIssue]
        ready = self._ready
        if not (ready or self._stopping) and scheduled:
            # The wait asyncio would hand the selector, which jumps the clock by it: the same arithmetic.
            wait = min(max(0, scheduled[0]._when - self.virtual_time), _MAXIMUM_WAIT_S)  # pyright: ignore[reportAttributeAccessIssue]
            if wait > 0:
                self.virtual_time += wait
        end_time = self.virtual_time + self._clock_resolution
        while scheduled and scheduled[0]._when < end_time:  # pyright: ignore[reportAttributeAccessIssue]
            timer = heapq.heappop(scheduled)
            timer._scheduled = False  # pyright: ignore[reportAttributeAccessIssue]
            ready.append(timer)
        popleft = ready.popleft
        for _ in range(len(ready)):
            handle = popleft()
            if handle._cancelled:
                continue
            # Handle._run, inlined: a call less for each of the twenty or so handles of a control cycle.
            try:
                handle._context.run(handle._callback, *handle._args)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as error:  # what Handle._run hands the loop's exception handler
                self._report_callback_error(handle, error)

    def _report_callback_error(self, handle: asyncio.Handle, error: BaseException) -> None:
        callback = format_helpers._format_callback_source(handle._callback, handle._args)
        self.call_exception_handler(
            {"message": f"Exception in callback {callback}", "exception": error, "handle": handle}
        )

    def run_in_executor(self, executor: Any, func: Any, *args: Any) -> Any:
        raise RuntimeError("threads would run in wall time; the simulated stack must not use them")
