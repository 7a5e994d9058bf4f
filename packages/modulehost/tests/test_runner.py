"""The module process entry: environment, /metrics, and a graceful stop on SIGTERM/SIGINT."""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping

import anyio
import pytest
from opentelemetry.sdk.trace import TracerProvider

from energy_edge.messaging.edge import EdgeClient, InProcessHub
from energy_edge.modulehost import serve_asset_module

from .conftest import HeaterAsset, HeaterDriverDouble, manifest_with
from .test_observability import scrape

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])]

ENVIRONMENT = {
    "IOTEDGE_DEVICEID": "edge-device-01",
    "IOTEDGE_MODULEID": "boiler-module",
    "ASSET_ID": "boiler-07",
    "METRICS_PORT": "0",
}


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
async def test_a_termination_signal_stops_the_module_gracefully(signal_number: signal.Signals) -> None:
    built: list[HeaterAsset] = []

    def build(asset_id: str, environ: Mapping[str, str]) -> HeaterAsset:
        built.append(HeaterAsset(asset_id, HeaterDriverDouble()))
        return built[-1]

    with InProcessHub(manifest_with({"telemetry_interval_s": 0.1})) as hub:

        def client(tracer_provider: TracerProvider | None) -> EdgeClient:
            return hub.client("boiler-module")

        port: int | None = None
        samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
        async with anyio.create_task_group() as tasks:
            port = await tasks.start(serve_asset_module, build, ENVIRONMENT, client)
            assert port is not None
            samples = await anyio.to_thread.run_sync(scrape, port)
            os.kill(os.getpid(), signal_number)
        reported = hub.twins["boiler-module"].reported

    assert built[0].asset_id == "boiler-07"
    labels = (("asset_id", "boiler-07"), ("module", "boiler-module"))
    assert samples["energy_edge_asset_state"][(*labels, ("state", "IDLE"))] == 1.0
    assert reported["state"] == "IDLE"
    assert "module_stopped_at" in reported
    assert not hub.is_connected("boiler-module")
    assert port is not None
    with pytest.raises(OSError, match="Connection refused"):
        scrape(port)


async def test_a_bad_environment_fails_before_edgehub_is_reached() -> None:
    connected: list[str] = []

    def refuse(asset_id: str, environ: Mapping[str, str]) -> HeaterAsset:
        raise SystemExit("HEATER_DRIVER='modbus': only 'simulated' is available")

    def client(tracer_provider: TracerProvider | None) -> EdgeClient:
        connected.append("edgeHub")
        raise AssertionError("must not connect")

    with pytest.raises(SystemExit, match="HEATER_DRIVER"):
        await serve_asset_module(refuse, ENVIRONMENT, client)
    assert connected == []
