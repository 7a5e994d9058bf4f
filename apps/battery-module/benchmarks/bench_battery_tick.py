"""CPU cost of one telemetry tick of a real module: read the driver (physics step), follow the lifecycle,
check the set-point hold, build the telemetry, encode it, send it through the in-process hub.

Baseline in the same run: the least any module must do to ship a reading — a dict of the same fields,
``json.dumps`` and a hand-off on a memory stream. The ratio is what the module host's safety and structure
cost on top of that.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import anyio
import anyio.abc
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from battery_module import BatteryAsset, SimulatedBatteryDriver
from pytest_benchmark.fixture import BenchmarkFixture

from energy_edge.messaging.edge import InProcessHub
from energy_edge.messaging.manifest import load_manifest
from energy_edge.messaging.message import EdgeMessage
from energy_edge.modulehost import ModuleHost
from energy_edge.modulehost.testing import find_deployment_template
from energy_edge.physics import Battery, BatteryParams

TICKS = 100


@pytest.fixture(scope="module")
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as portal:
        yield portal


class Module:
    def __init__(self) -> None:
        self.hub = InProcessHub(load_manifest(find_deployment_template()), input_capacity=TICKS)
        asset = BatteryAsset("battery-01", SimulatedBatteryDriver(Battery(BatteryParams(capacity_kwh=100.0))))
        self.client = self.hub.client("battery-module")
        self.host: ModuleHost[Any, Any] = ModuleHost(asset, self.client, clock=lambda: datetime.now(UTC))
        self.inbox = self.hub.input_queue("controller-module", "telemetry")
        self.stop: anyio.Event | None = None

    async def connected(self, *, task_status: anyio.abc.TaskStatus[None]) -> None:
        """Keep the module connected (one task enters and leaves the client) until told to stop."""
        self.stop = anyio.Event()
        with self.hub:
            async with self.client:
                task_status.started()
                await self.stop.wait()

    async def shut_down(self) -> None:
        assert self.stop is not None
        self.stop.set()

    async def ticks(self) -> int:
        for _ in range(TICKS):
            await self.host.tick()
        return sum(1 for _ in range(TICKS) if self.inbox.receive_nowait())


def test_battery_module_tick(benchmark: BenchmarkFixture, portal: BlockingPortal) -> None:
    module = Module()
    running, _ = portal.start_task(module.connected)
    try:
        benchmark.group = "telemetry tick (100 ticks)"
        benchmark.extra_info["role"] = "candidate"
        benchmark.extra_info["items"] = TICKS
        assert benchmark(portal.call, module.ticks) == TICKS
    finally:
        portal.call(module.shut_down)
        running.result()


def test_bare_reading_shipped_with_json(benchmark: BenchmarkFixture, portal: BlockingPortal) -> None:
    send, receive = anyio.create_memory_object_stream[EdgeMessage](TICKS)

    async def ticks() -> int:
        for index in range(TICKS):
            reading = {
                "asset_id": "battery-01", "asset_type": "battery", "state": "IDLE",
                "timestamp": datetime.now(UTC).isoformat(), "fault_code": None, "power_output_kw": 0.0,
                "soc_percent": 50.0 + index * 1e-6, "temperature_c": 25.0, "capacity_kwh": 100.0,
                "max_charge_kw": 50.0, "max_discharge_kw": 50.0,
            }  # fmt: skip
            await send.send(EdgeMessage(body=json.dumps(reading).encode()))
        return sum(1 for _ in range(TICKS) if receive.receive_nowait())

    benchmark.group = "telemetry tick (100 ticks)"
    benchmark.extra_info["role"] = "baseline"
    benchmark.extra_info["items"] = TICKS
    try:
        assert benchmark(portal.call, ticks) == TICKS
    finally:
        send.close()
        receive.close()
