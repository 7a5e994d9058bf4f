"""The module as its container runs it: built from the environment by ``main.build``, in real time."""

from __future__ import annotations

import anyio
import pytest
from boiler_module.main import build
from opentelemetry.sdk.trace import TracerProvider

from energy_edge.messaging import TELEMETRY, BoilerTelemetry
from energy_edge.messaging.edge import EdgeClient, EdgeMessage, InProcessHub
from energy_edge.messaging.edge.twin import ModuleTwin
from energy_edge.messaging.manifest import load_manifest
from energy_edge.modulehost import serve_asset_module, utc_now
from energy_edge.modulehost.testing import find_deployment_template

from ..conftest import DESIRED

pytestmark = pytest.mark.anyio

ENVIRONMENT = {
    "IOTEDGE_DEVICEID": "edge-device-01",
    "IOTEDGE_MODULEID": "boiler-module",
    "ASSET_ID": "boiler-01",
    "BOILER_INITIAL_TEMPERATURE_C": "50",
}


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # real time, as on a device
async def test_the_built_module_heats_and_reports_on_the_hub() -> None:
    received: list[EdgeMessage] = []
    with InProcessHub(load_manifest(find_deployment_template()), wall_clock=utc_now) as hub:
        hub.twins["boiler-module"] = ModuleTwin(desired={**DESIRED, "telemetry_interval_s": 0.1})

        def client(_: TracerProvider | None) -> EdgeClient:
            return hub.client("boiler-module")

        async with hub.client("controller-module") as controller, anyio.create_task_group() as tasks:
            await tasks.start(serve_asset_module, build, ENVIRONMENT, client)
            with anyio.fail_after(5):
                async for message in controller.messages("telemetry"):
                    received.append(message)
                    if len(received) == 2:
                        break
            tasks.cancel_scope.cancel()
        reported = hub.twins["boiler-module"].reported
    decoded = [_decode(m) for m in received]
    assert [t.asset_id for t in decoded] == ["boiler-01", "boiler-01"]
    assert decoded[-1].target_celsius == 65.0
    assert decoded[-1].temperature_c == pytest.approx(50.0, abs=0.1)
    assert reported["state"] in {"STARTING", "RUNNING"}  # auto_start: it heats without a controller
    assert "module_stopped_at" in reported


def _decode(message: EdgeMessage) -> BoilerTelemetry:
    telemetry = TELEMETRY.decode(message.body)
    assert isinstance(telemetry, BoilerTelemetry)
    return telemetry
