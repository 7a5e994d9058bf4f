"""The entry point of an asset module process: environment, observability, edgeHub, signals.

``run_asset_module(build_asset)`` is what each app's console script and ``python -m <app>`` call. It reads
the environment edgeAgent sets (``IOTEDGE_*``, the manifest's ``ASSET_ID``, ``METRICS_PORT``, ``LOG_LEVEL``
and the tracing variables), serves ``/metrics``, connects to edgeHub through ``azure-iot-device`` and runs
the host until SIGTERM or SIGINT. Shutdown is graceful: the tick stops, the final state is reported, the
client closes, buffered spans are flushed.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import anyio
from opentelemetry.sdk.trace import TracerProvider

from energy_edge.messaging.edge import AzureEdgeClient, EdgeClient, identity_from_environment
from energy_edge.modulehost.asset import AssetModule
from energy_edge.modulehost.host import ModuleHost
from energy_edge.modulehost.metrics import ModuleMetrics
from energy_edge.modulehost.observability import configure_tracing

_log = logging.getLogger(__name__)

AssetFactory = Callable[[str, Mapping[str, str]], AssetModule[Any, Any]]
"""Builds the asset from its id and the process environment (e.g. to pick a driver)."""
ClientFactory = Callable[[TracerProvider | None], EdgeClient]


def utc_now() -> datetime:
    return datetime.now(UTC)


def run_asset_module(build_asset: AssetFactory) -> None:
    """Run an asset module in this process until SIGTERM/SIGINT (the console-script entry point)."""
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    anyio.run(serve_asset_module, build_asset, dict(os.environ))


async def serve_asset_module(
    build_asset: AssetFactory,
    environ: Mapping[str, str],
    client_factory: ClientFactory | None = None,
    *,
    task_status: anyio.abc.TaskStatus[int | None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Serve one module until a termination signal; ``task_status`` receives the metrics port (or None)."""
    device_id, module_id = identity_from_environment(environ)
    asset_id = environ.get("ASSET_ID") or module_id
    tracer_provider = configure_tracing(module_id, device_id, environ)
    metrics = ModuleMetrics(module_id=module_id, asset_id=asset_id)
    port_setting = environ.get("METRICS_PORT", "").strip()
    metrics_port = metrics.serve(int(port_setting)) if port_setting else None
    asset = build_asset(asset_id, environ)
    make_client = client_factory or _azure_client(device_id, module_id)
    try:
        async with make_client(tracer_provider) as client, anyio.create_task_group() as tasks:
            host = ModuleHost(asset, client, clock=utc_now, metrics=metrics, tracer_provider=tracer_provider)
            await tasks.start(host.run)
            tasks.start_soon(_cancel_on_signal, tasks.cancel_scope, module_id)
            task_status.started(metrics_port)
    finally:
        metrics.close()
        if tracer_provider is not None:
            tracer_provider.shutdown()
        _log.info("%s stopped", module_id)


def _azure_client(device_id: str, module_id: str) -> ClientFactory:
    def make(tracer_provider: TracerProvider | None) -> EdgeClient:
        return AzureEdgeClient(device_id=device_id, module_id=module_id, tracer_provider=tracer_provider)

    return make


async def _cancel_on_signal(scope: anyio.CancelScope, module_id: str) -> None:
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for received in signals:
            _log.info("%s: %s received, shutting down", module_id, signal.Signals(received).name)
            scope.cancel()
            return
