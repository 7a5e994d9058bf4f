"""Routing and direct methods through the in-process hub against a bare anyio hand-off, same run.

Each round moves a batch of messages (or method calls) inside an event loop that stays up for the whole
benchmark (a blocking portal), so loop start-up is not measured. The baseline does the same hand-off with a
bare memory object stream: one producer, one consumer, no routing, no stamping, no tracing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import anyio.abc
import anyio.streams.memory
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from pytest_benchmark.fixture import BenchmarkFixture

from energy_edge.messaging.edge.inprocess import InProcessEdgeClient, InProcessHub
from energy_edge.messaging.edge.port import MethodRequest, MethodResponse
from energy_edge.messaging.manifest import load_manifest
from energy_edge.messaging.message import EdgeMessage

TEMPLATE = Path(__file__).parents[3] / "deployment" / "deployment.template.json"
BATCH = 200
TELEMETRY = EdgeMessage(
    body=b'{"asset_id":"solar-01","asset_type":"solar_inverter","state":"RUNNING",'
    b'"timestamp":"2024-06-01T12:00:00Z","power_output_kw":42.5,"irradiance_w_m2":850.0,'
    b'"efficiency":0.178,"temperature_c":42.0,"fault_code":null}'
)


@pytest.fixture(scope="module")
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as portal:
        yield portal


class Site:
    """A hub with the solar module and the controller connected, kept up across benchmark rounds."""

    def __init__(self) -> None:
        self.hub = InProcessHub(load_manifest(TEMPLATE), input_capacity=BATCH)
        self.solar: InProcessEdgeClient = self.hub.client("solar-module")
        self.controller: InProcessEdgeClient = self.hub.client("controller-module")
        self.stop: anyio.Event | None = None

    async def run(self, *, task_status: anyio.abc.TaskStatus[None]) -> None:
        self.stop = anyio.Event()
        async with self.solar, self.controller:
            self.solar.serve_methods(_set_output)
            task_status.started()
            await self.stop.wait()
        self.hub.close()

    async def shut_down(self) -> None:
        if self.stop is not None:
            self.stop.set()


async def _set_output(request: MethodRequest) -> MethodResponse:
    return MethodResponse(200, {"status": "ok", "actual_kw": request.payload["target_kw"]})


@pytest.fixture(scope="module")
def site(portal: BlockingPortal) -> Iterator[Site]:
    site = Site()
    running, _ = portal.start_task(site.run)
    yield site
    portal.call(site.shut_down)
    running.result()


def test_routing_through_the_hub(benchmark: BenchmarkFixture, portal: BlockingPortal, site: Site) -> None:
    inbox = site.controller.messages("telemetry")

    async def batch() -> int:
        for _ in range(BATCH):
            await site.solar.send_message("telemetry", TELEMETRY)
        return sum([len((await anext(inbox)).body) > 0 for _ in range(BATCH)])

    benchmark.group = "message hand-off (batch of 200)"
    benchmark.extra_info["role"] = "candidate"
    assert benchmark(portal.call, batch) == BATCH


def test_bare_memory_stream_hand_off(benchmark: BenchmarkFixture, portal: BlockingPortal) -> None:
    send, receive = portal.call(_stream)

    async def batch() -> int:
        for _ in range(BATCH):
            await send.send(TELEMETRY)
        return sum([len((await receive.receive()).body) > 0 for _ in range(BATCH)])

    benchmark.group = "message hand-off (batch of 200)"
    benchmark.extra_info["role"] = "baseline"
    assert benchmark(portal.call, batch) == BATCH
    send.close()
    receive.close()


async def _stream() -> tuple[
    anyio.streams.memory.MemoryObjectSendStream[EdgeMessage],
    anyio.streams.memory.MemoryObjectReceiveStream[EdgeMessage],
]:
    return anyio.create_memory_object_stream[EdgeMessage](BATCH)


def test_method_round_trip_through_the_hub(
    benchmark: BenchmarkFixture, portal: BlockingPortal, site: Site
) -> None:
    async def batch() -> int:
        ok = 0
        for _ in range(BATCH):
            response = await site.controller.invoke_method("solar-module", "set_output", {"target_kw": 30.0})
            ok += response.status == 200
        return ok

    benchmark.group = "method round trip (batch of 200)"
    benchmark.extra_info["role"] = "candidate"
    assert benchmark(portal.call, batch) == BATCH


def test_bare_request_response_between_two_tasks(benchmark: BenchmarkFixture, portal: BlockingPortal) -> None:
    async def batch() -> int:
        requests_send, requests_receive = anyio.create_memory_object_stream[MethodRequest](1)
        replies_send, replies_receive = anyio.create_memory_object_stream[MethodResponse](1)
        ok = 0
        async with (
            anyio.create_task_group() as tg,
            requests_send,
            requests_receive,
            replies_send,
            replies_receive,
        ):

            async def serve() -> None:
                async for request in requests_receive:
                    await replies_send.send(await _set_output(request))

            tg.start_soon(serve)
            for _ in range(BATCH):
                await requests_send.send(MethodRequest("set_output", {"target_kw": 30.0}))
                ok += (await replies_receive.receive()).status == 200
            tg.cancel_scope.cancel()
        return ok

    benchmark.group = "method round trip (batch of 200)"
    benchmark.extra_info["role"] = "baseline"
    assert benchmark(portal.call, batch) == BATCH
