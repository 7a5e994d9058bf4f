"""Entry point of the telemetry-module container (``telemetry-module``, ``python -m telemetry_module``).

The environment is read once, before edgeHub is reached, so a bad setting stops the module with a message
naming the variable (``SystemExit``) instead of surfacing later as a connection or export error.
"""

from __future__ import annotations

from collections.abc import Callable

from energy_edge.messaging.edge import EdgeClient
from energy_edge.modulehost.runner import EdgeModule, MetricsEndpoint, ModuleContext, run_edge_module, utc_now
from telemetry_module.azure_monitor import AzureMonitorUploader, azure_monitor_reader, module_resource
from telemetry_module.config import ConfigurationError, Settings, UploadTarget
from telemetry_module.metrics import TelemetryMetrics
from telemetry_module.service import TelemetryService
from telemetry_module.upload import IoTMessageUploader, Uploader


def build(context: ModuleContext) -> tuple[MetricsEndpoint, Callable[[EdgeClient], EdgeModule]]:
    try:
        settings = Settings.from_environ(context.environ)
    except ConfigurationError as error:
        raise SystemExit(f"{context.module_id}: invalid environment: {error}") from None
    metrics = TelemetryMetrics(endpoint.url for endpoint in settings.endpoints)
    azure: AzureMonitorUploader | None = None
    if settings.upload_target is UploadTarget.AZURE_MONITOR:
        assert settings.connection_string is not None  # checked by Settings
        try:
            reader = azure_monitor_reader(settings.connection_string, metrics)
        except ValueError as error:
            raise SystemExit(f"{context.module_id}: APPLICATIONINSIGHTS_CONNECTION_STRING: {error}") from None
        resource = module_resource(context.module_id, context.device_id, settings.resource_id)
        azure = AzureMonitorUploader(reader, resource=resource)

    def bind(client: EdgeClient) -> EdgeModule:
        uploader: Uploader = azure or IoTMessageUploader(
            client, metrics, compress=settings.compress, capacity=settings.max_buffered_samples
        )
        return TelemetryService(client, settings, uploader=uploader, clock=utc_now, metrics=metrics)

    return metrics, bind


def main() -> None:
    run_edge_module(build)
