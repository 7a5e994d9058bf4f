"""A module input of the in-process hub: bounded, oldest dropped first, iterated like an anyio stream."""

from __future__ import annotations

import anyio
import pytest

from energy_edge.messaging.edge.inprocess import BACKLOG_RUN, ModuleInput
from energy_edge.messaging.message import EdgeMessage

pytestmark = pytest.mark.anyio


def message(n: int) -> EdgeMessage:
    return EdgeMessage(body=b"%d" % n)


async def test_messages_come_out_in_order_and_a_full_input_drops_the_oldest() -> None:
    queue = ModuleInput(2)
    kept = [queue.put(message(n)) for n in range(4)]
    assert kept == [True, True, False, False]
    assert [(await anext(queue)).body for _ in range(2)] == [b"2", b"3"]
    with pytest.raises(anyio.WouldBlock):
        queue.receive_nowait()


async def test_a_waiting_reader_gets_the_next_message() -> None:
    queue = ModuleInput(10)
    received: list[bytes] = []

    async def read_two() -> None:
        received.extend([(await anext(queue)).body for _ in range(2)])

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(read_two)
        await anyio.sleep(0.01)  # the reader waits on an empty input
        queue.put(message(1))
        await anyio.sleep(0.01)
        queue.put(message(2))
    assert received == [b"1", b"2"]


async def test_each_message_goes_to_one_of_several_readers() -> None:
    queue = ModuleInput(10)
    received: list[bytes] = []

    async def read() -> None:
        received.append((await anext(queue)).body)

    async with anyio.create_task_group() as tasks:
        for _ in range(3):
            tasks.start_soon(read)
        await anyio.sleep(0.01)
        for n in range(3):
            queue.put(message(n))
    assert sorted(received) == [b"0", b"1", b"2"]


async def test_a_reader_cancelled_after_being_woken_hands_the_message_on() -> None:
    queue = ModuleInput(10)
    received: list[bytes] = []

    async def read() -> None:
        received.append((await anext(queue)).body)

    async with anyio.create_task_group() as tasks:
        async with anyio.create_task_group() as doomed:
            doomed.start_soon(read)
            await anyio.sleep(0.01)
            tasks.start_soon(read)  # waits behind the doomed reader
            await anyio.sleep(0.01)
            queue.put(message(1))  # wakes the first waiter: the doomed reader...
            doomed.cancel_scope.cancel()  # ...cancelled before it runs
        await anyio.sleep(0.01)
        assert received == [b"1"]
        queue.put(message(2))
    assert sorted(received) == [b"1", b"2"]


async def test_closing_ends_the_iteration_of_waiting_and_later_readers() -> None:
    queue = ModuleInput(10)
    seen: list[bytes] = []

    async def read_all() -> None:
        seen.extend([m.body async for m in queue])

    with anyio.fail_after(1):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(read_all)
            queue.put(message(1))
            await anyio.sleep(0.01)
            queue.close()
    assert seen == [b"1"]
    assert [m async for m in queue] == []
    with pytest.raises(anyio.EndOfStream):
        queue.receive_nowait()


async def _read_beside_another_task(queue: ModuleInput, count: int) -> list[str]:
    """Who ran when: ``count`` reads from ``queue`` beside a task that yields between its steps."""
    order: list[str] = []

    async def read() -> None:
        for _ in range(count):
            await anext(queue)
            order.append("read")

    async def other() -> None:
        while order.count("read") < count:  # steps for as long as the reader reads
            order.append("other")
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(read)
        tasks.start_soon(other)
    return order


def _runs_of_reads(order: list[str]) -> list[int]:
    """Lengths of the stretches of reads with no other task's step between them (trio may start either
    task first)."""
    return [len(run) for run in "".join("r" if step == "read" else " " for step in order).split()]


async def test_a_burst_already_held_is_read_in_one_go() -> None:
    # A tick of every asset module reaches the controller as one burst: no yield between its messages.
    queue = ModuleInput(10)
    for n in range(3):
        queue.put(message(n))
    assert _runs_of_reads(await _read_beside_another_task(queue, 3)) == [3]


async def test_a_long_backlog_yields_to_other_tasks() -> None:
    # Two runs' worth: trio may run the reader on first in the round after its yield, but not twice over.
    count = 2 * BACKLOG_RUN + 5
    queue = ModuleInput(count)
    for n in range(count):
        queue.put(message(n))
    runs = _runs_of_reads(await _read_beside_another_task(queue, count))
    # The reader yielded at least once on the way: the other task ran before the backlog was through.
    assert sum(runs) == count
    assert len(runs) >= 2


async def test_every_held_message_is_a_cancellation_point() -> None:
    queue = ModuleInput(10)
    for n in range(3):
        queue.put(message(n))
    received: list[bytes] = []
    with anyio.CancelScope() as scope:
        received.append((await anext(queue)).body)
        scope.cancel()
        received.append((await anext(queue)).body)
    assert scope.cancelled_caught
    assert received == [b"0"]
    assert len(queue) == 2  # the cancelled read took nothing
