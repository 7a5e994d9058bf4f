"""The controller keeps what it learns in its state directory and starts from it after a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest
from controller_module.demand_profile import DemandProfile
from controller_module.main import build
from controller_module.service import ControllerService
from controller_module.state import StateStore
from opentelemetry.trace import NoOpTracerProvider

from energy_edge.messaging import TELEMETRY, GridMeterTelemetry
from energy_edge.messaging.edge import InProcessHub
from energy_edge.messaging.manifest import load_manifest
from energy_edge.messaging.message import EdgeMessage
from energy_edge.modulehost.runner import ModuleContext
from energy_edge.modulehost.testing import find_deployment_template
from energy_edge.statemachine import AssetState

pytestmark = pytest.mark.anyio
MIDNIGHT = datetime(2024, 4, 16, tzinfo=UTC)  # a Tuesday
BLOCK = int(MIDNIGHT.timestamp()) // 900


async def run_controller(store: StateStore, *, seconds: float, grid_kw: float) -> DemandProfile:
    """The controller on the in-process hub for ``seconds`` from midnight, the meter reading ``grid_kw``
    every 5 s; returns the profile in its memory at the end."""
    with InProcessHub(load_manifest(find_deployment_template())) as hub:
        async with hub.client("meter-module") as meter, hub.client("controller-module") as client:
            origin = anyio.current_time()

            def clock() -> datetime:
                return MIDNIGHT + timedelta(seconds=anyio.current_time() - origin)

            controller = ControllerService(
                client, clock=clock, tracer_provider=NoOpTracerProvider(), state=store
            )
            async with anyio.create_task_group() as tasks:
                await tasks.start(controller.run)
                while anyio.current_time() - origin < seconds:
                    reading = GridMeterTelemetry(
                        asset_id="meter-01",
                        state=AssetState.RUNNING,
                        timestamp=clock(),
                        grid_power_kw=grid_kw,
                    )
                    await meter.send_message("telemetry", EdgeMessage(body=TELEMETRY.encode(reading)))
                    await anyio.sleep(5.0)
                tasks.cancel_scope.cancel()
    return controller.memory.profile


async def test_a_learned_quarter_hour_is_saved_and_read_back_after_a_restart(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    # Twenty minutes at 80 kW: the first quarter hour (00:00-00:15) is learned and written.
    learned = await run_controller(store, seconds=1200.0, grid_kw=80.0)
    assert learned.workday[0] == pytest.approx(80.0)
    assert store.load_profile() == learned
    # The next start begins from the file; a new day at 40 kW is weighted in.
    again = await run_controller(store, seconds=1200.0, grid_kw=40.0)
    assert again.workday[0] == pytest.approx(60.0)


async def test_the_container_entry_point_keeps_state_where_the_environment_says(tmp_path: Path) -> None:
    # The module's factory reads CONTROLLER_STATE_DIR (the manifest binds a volume there); without it the
    # controller keeps nothing.
    async def controller_for(environ: dict[str, str]) -> ControllerService:
        context = ModuleContext(
            device_id="site-01", module_id="controller-module", environ=environ, tracer_provider=None
        )
        _metrics, bind = build(context)
        with InProcessHub(load_manifest(find_deployment_template())) as hub:
            async with hub.client("controller-module") as client:
                service = bind(client)
        assert isinstance(service, ControllerService)
        return service

    kept = await controller_for({"CONTROLLER_STATE_DIR": str(tmp_path)})
    assert kept.state is not None
    assert kept.state.profile_path == tmp_path / "demand-profile.json"
    assert (await controller_for({})).state is None
