"""Run an asset module on an in-process hub built from the real deployment manifest — for tests.

    async with module_on_hub(BatteryAsset("battery-01", driver), "battery-module") as module:
        response = await module.call("start_charging", {"power_kw": 20})
        await anyio.sleep(5)                       # virtual time under trio's MockClock
        readings = module.received_telemetry()     # what controller-module's `telemetry` input got
        module.reported["state"]

Nothing here is a stand-in: the hub routes by ``deployment/deployment.template.json`` and the module runs
in a real :class:`ModuleHost`; only time is virtual when the test runs under trio's ``MockClock``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import anyio
from opentelemetry.trace import TracerProvider

from energy_edge.messaging import TELEMETRY, Telemetry
from energy_edge.messaging.edge import EdgeClient, EdgeMessage, InProcessHub, MethodResponse
from energy_edge.messaging.edge.inprocess import ModuleInput
from energy_edge.messaging.edge.twin import ModuleTwin
from energy_edge.messaging.manifest import DeploymentManifest, load_manifest
from energy_edge.modulehost.asset import AssetModule
from energy_edge.modulehost.host import ModuleHost
from energy_edge.modulehost.metrics import ModuleMetrics

DEFAULT_START: Final = datetime(2024, 6, 1, 12, tzinfo=UTC)
CONTROLLER: Final = "controller-module"


def find_deployment_template(start: Path | None = None) -> Path:
    """``deployment/deployment.template.json`` of the repository containing ``start`` (default: here)."""
    folder = (start or Path(__file__)).resolve()
    for parent in (folder, *folder.parents):
        candidate = parent / "deployment" / "deployment.template.json"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("deployment/deployment.template.json not found above " + str(folder))


def wall_clock_from(start: datetime) -> Callable[[], datetime]:
    """A wall clock that starts at ``start`` and advances with anyio's (possibly virtual) clock."""
    origin = anyio.current_time()
    return lambda: start + timedelta(seconds=anyio.current_time() - origin)


class ModuleUnderTest:
    """A running module, the hub it is on, and the controller's client to talk to it."""

    def __init__(self, hub: InProcessHub, host: ModuleHost[Any, Any], controller: EdgeClient) -> None:
        self.hub = hub
        self.host = host
        self.controller = controller
        self.module_id = host.client.module_id

    async def call(self, method: str, payload: object = None, *, timeout_s: float = 10.0) -> MethodResponse:
        """Invoke a direct method of the module, as the controller does."""
        return await self.controller.invoke_method(self.module_id, method, payload, timeout_s=timeout_s)

    @property
    def reported(self) -> dict[str, Any]:
        return self.hub.twins[self.module_id].reported

    async def update_desired(self, patch: Mapping[str, Any]) -> None:
        """Patch the module's desired properties as an operator would; return once the module has answered
        (reported the patch's version as applied or as rejected)."""
        await self.hub.update_desired(self.module_id, patch)
        version = self.hub.twins[self.module_id].desired_version
        answered = ("config_version", "config_rejected_version")
        with anyio.fail_after(10):
            while version not in (self.reported.get(key) for key in answered):  # noqa: ASYNC110 - twin has no event
                await anyio.sleep(0.001)

    def received_telemetry(self) -> list[Telemetry]:
        """Drain what has reached controller-module's ``telemetry`` input, decoded with the shared schema."""
        inbox = self.controller.messages("telemetry")
        assert isinstance(inbox, ModuleInput)
        received: list[Telemetry] = []
        while True:
            try:
                message: EdgeMessage = inbox.receive_nowait()
            except anyio.WouldBlock:
                return received
            received.append(TELEMETRY.decode(message.body))


@asynccontextmanager
async def module_on_hub(
    asset: AssetModule[Any, Any],
    module_id: str,
    *,
    desired: Mapping[str, Any] | None = None,
    manifest: DeploymentManifest | None = None,
    start: datetime = DEFAULT_START,
    metrics: ModuleMetrics | None = None,
    tracer_provider: TracerProvider | None = None,
) -> AsyncGenerator[ModuleUnderTest]:
    """Run ``asset`` as ``module_id``; ``desired`` replaces the module's desired properties."""
    clock = wall_clock_from(start)
    with InProcessHub(
        manifest or load_manifest(find_deployment_template()),
        wall_clock=clock,
        tracer_provider=tracer_provider,
    ) as hub:
        if desired is not None:
            hub.twins[module_id] = ModuleTwin(desired=dict(desired))
        async with (
            hub.client(module_id) as client,
            hub.client(CONTROLLER) as controller,
            anyio.create_task_group() as tasks,
        ):
            host = ModuleHost(asset, client, clock=clock, metrics=metrics, tracer_provider=tracer_provider)
            await tasks.start(host.run)
            yield ModuleUnderTest(hub, host, controller)
            tasks.cancel_scope.cancel()
