"""The entry point of a module process: environment, observability, edgeHub, signals.

``run_asset_module(build_asset)`` is what each asset app's console script and ``python -m <app>`` call;
``run_edge_module(factory)`` does the same for any module with a ``run()`` (the controller). Both read the
environment edgeAgent sets (``IOTEDGE_*``, the manifest's ``ASSET_ID``, ``METRICS_PORT``, ``LOG_LEVEL`` and
the tracing variables), serve ``/metrics``, connect to edgeHub through ``azure-iot-device`` and run the module
until SIGTERM or SIGINT. Shutdown is graceful: the module's tasks are cancelled (its own cleanup runs
shielded, e.g. the final reported state), the client closes, buffered spans are flushed.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import anyio
import anyio.abc
from opentelemetry.sdk.trace import TracerProvider

from energy_edge.messaging.edge import AzureEdgeClient, EdgeClient, identity_from_environment
from energy_edge.modulehost.asset import AssetModule
from energy_edge.modulehost.host import ModuleHost
from energy_edge.modulehost.metrics import ModuleMetrics
from energy_edge.modulehost.observability import configure_log_export, configure_tracing

_log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ModuleContext:
    """What a module factory gets to build its module with."""

    device_id: str
    module_id: str
    environ: Mapping[str, str]
    tracer_provider: TracerProvider | None


class EdgeModule(Protocol):
    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = ...) -> None: ...


class MetricsEndpoint(Protocol):
    def serve(self, port: int, address: str = ...) -> int: ...
    def close(self) -> None: ...


ModuleFactory = Callable[[ModuleContext], tuple[MetricsEndpoint, Callable[[EdgeClient], EdgeModule]]]
"""Prepares a module from its context *before* edgeHub is reached (so a bad environment fails with its own
message, not as a connection error): returns its metrics endpoint and how to bind it to the client."""
AssetFactory = Callable[[str, Mapping[str, str]], AssetModule[Any, Any]]
"""Builds the asset from its id and the process environment (e.g. to pick a driver)."""
ClientFactory = Callable[[TracerProvider | None], EdgeClient]


def run_edge_module(factory: ModuleFactory) -> None:
    """Run a module in this process until SIGTERM/SIGINT (a console-script entry point)."""
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    anyio.run(serve_edge_module, factory, dict(os.environ))


def run_asset_module(build_asset: AssetFactory) -> None:
    """Run an asset module in this process until SIGTERM/SIGINT."""
    run_edge_module(_asset_module(build_asset))


async def serve_asset_module(
    build_asset: AssetFactory,
    environ: Mapping[str, str],
    client_factory: ClientFactory | None = None,
    *,
    task_status: anyio.abc.TaskStatus[int | None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    await serve_edge_module(_asset_module(build_asset), environ, client_factory, task_status=task_status)


def _asset_module(build_asset: AssetFactory) -> ModuleFactory:
    def factory(context: ModuleContext) -> tuple[MetricsEndpoint, Callable[[EdgeClient], EdgeModule]]:
        asset_id = context.environ.get("ASSET_ID") or context.module_id
        metrics = ModuleMetrics(module_id=context.module_id, asset_id=asset_id)
        asset = build_asset(asset_id, context.environ)

        def bind(client: EdgeClient) -> EdgeModule:
            tracer_provider = context.tracer_provider
            return ModuleHost(asset, client, clock=utc_now, metrics=metrics, tracer_provider=tracer_provider)

        return metrics, bind

    return factory


async def serve_edge_module(
    factory: ModuleFactory,
    environ: Mapping[str, str],
    client_factory: ClientFactory | None = None,
    *,
    task_status: anyio.abc.TaskStatus[int | None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Serve one module until a termination signal; ``task_status`` receives the metrics port (or None)."""
    device_id, module_id = identity_from_environment(environ)
    tracer_provider = configure_tracing(module_id, device_id, environ)
    logger_provider = configure_log_export(module_id, device_id, environ)
    context = ModuleContext(device_id, module_id, environ, tracer_provider)
    make_client = client_factory or _azure_client(device_id, module_id)
    metrics, bind = factory(context)  # before edgeHub: a bad environment fails with its own message
    try:
        port_setting = environ.get("METRICS_PORT", "").strip()
        metrics_port = metrics.serve(int(port_setting)) if port_setting else None
        async with make_client(tracer_provider) as client, anyio.create_task_group() as tasks:
            await tasks.start(bind(client).run)
            tasks.start_soon(_cancel_on_signal, tasks.cancel_scope, module_id)
            task_status.started(metrics_port)
    finally:
        metrics.close()
        if tracer_provider is not None:
            tracer_provider.shutdown()
        if logger_provider is not None:
            logger_provider.shutdown()
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
