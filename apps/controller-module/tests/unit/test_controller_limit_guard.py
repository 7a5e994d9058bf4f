"""A meter reading beyond a grid limit starts a control cycle at once, not at the next interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import anyio.abc
import pytest
from controller_module.decision import Decision
from controller_module.service import LIMIT_GUARD_GAP_S, ControllerService
from opentelemetry.trace import NoOpTracerProvider

from energy_edge.messaging import TELEMETRY, GridMeterTelemetry
from energy_edge.messaging.edge import InProcessHub
from energy_edge.messaging.manifest import load_manifest
from energy_edge.messaging.message import EdgeMessage
from energy_edge.modulehost.testing import find_deployment_template
from energy_edge.statemachine import AssetState

pytestmark = pytest.mark.anyio
START = datetime(2024, 6, 1, 12, tzinfo=UTC)


class CountedController(ControllerService):
    """The controller, noting the (virtual) time of every control cycle."""

    cycles: list[float]

    def control_cycle(self, tasks: anyio.abc.TaskGroup) -> Decision:
        self.cycles.append(anyio.current_time())
        return super().control_cycle(tasks)


async def cycles_after_readings(readings: list[tuple[float, float]]) -> tuple[float, list[float]]:
    """Send ``(at_s, grid_kw)`` meter readings; returns when the controller started and its cycles."""
    started = 0.0
    with InProcessHub(load_manifest(find_deployment_template())) as hub:
        async with hub.client("meter-module") as meter, hub.client("controller-module") as client:
            controller = CountedController(client, clock=lambda: START, tracer_provider=NoOpTracerProvider())
            controller.cycles = []
            async with anyio.create_task_group() as tasks:
                await tasks.start(controller.run)
                started = anyio.current_time()
                for at_s, grid_kw in readings:
                    await anyio.sleep(started + at_s - anyio.current_time())
                    reading = GridMeterTelemetry(
                        asset_id="meter-01",
                        state=AssetState.RUNNING,
                        timestamp=START + timedelta(seconds=at_s),
                        grid_power_kw=grid_kw,
                    )
                    await meter.send_message("telemetry", EdgeMessage(body=TELEMETRY.encode(reading)))
                await anyio.sleep(started + 30.0 - anyio.current_time())
                tasks.cancel_scope.cancel()
    return started, controller.cycles


async def test_export_beyond_the_limit_starts_a_cycle_within_the_guard_gap() -> None:
    # The template's export limit is 100 kW. Cycles run every 5 s; a reading of 130 kW export at 6.2 s is
    # acted on by 7.2 s, not at 10 s.
    started, cycles = await cycles_after_readings([(0.5, -20.0), (6.2, -130.0)])
    relative = [round(t - started, 3) for t in cycles]
    assert relative[0] == pytest.approx(5.0, abs=0.01)
    assert any(6.2 <= t <= 6.2 + LIMIT_GUARD_GAP_S + 0.01 for t in relative), relative
    assert 10.0 not in relative  # the rhythm restarts from the early cycle


async def test_a_reading_beyond_the_limit_inside_the_guard_gap_starts_a_cycle_when_the_gap_ends() -> None:
    # Cycles at 5 s; a reading of 130 kW export at 5.5 s, while the loop keeps its guard gap after that
    # cycle, is acted on when the gap ends (6 s), and the rhythm restarts from there.
    started, cycles = await cycles_after_readings([(0.5, -20.0), (5.5, -130.0)])
    relative = [round(t - started, 3) for t in cycles]
    assert relative[:3] == pytest.approx([5.0, 5.0 + LIMIT_GUARD_GAP_S, 10.0 + LIMIT_GUARD_GAP_S], abs=0.01)


async def test_readings_inside_the_limits_keep_the_interval() -> None:
    started, cycles = await cycles_after_readings([(0.5, -20.0), (6.2, -90.0), (7.0, 200.0)])
    relative = [round(t - started, 3) for t in cycles]
    assert relative[:5] == pytest.approx([5.0, 10.0, 15.0, 20.0, 25.0], abs=0.01)
