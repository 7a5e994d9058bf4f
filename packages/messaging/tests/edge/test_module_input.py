"""A module input of the in-process hub: bounded, oldest dropped first, iterated like an anyio stream."""

from __future__ import annotations

import anyio
import pytest

from energy_edge.messaging.edge.inprocess import ModuleInput
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


async def test_a_backlog_is_read_with_a_checkpoint_per_message() -> None:
    # Each message is a scheduling point, as with an anyio stream: a reader with a backlog does not run
    # through it in one go while other tasks wait.
    queue = ModuleInput(10)
    for n in range(3):
        queue.put(message(n))
    order: list[str] = []

    async def read() -> None:
        for _ in range(3):
            await anext(queue)
            order.append("read")

    async def other() -> None:
        for _ in range(3):
            order.append("other")
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(read)
        tasks.start_soon(other)
    assert order.count("read") == 3
    assert order != ["read", "read", "read", "other", "other", "other"]
