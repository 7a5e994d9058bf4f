"""OpenTelemetry tracing for a module, configured from its environment.

- ``APPLICATIONINSIGHTS_CONNECTION_STRING`` set: spans go to Azure Monitor (Application Insights), where
  operators follow each command from controller to asset.
- else ``OTEL_EXPORTER_OTLP_ENDPOINT`` set: spans go to an OTLP/HTTP collector (a local Jaeger or the
  OpenTelemetry Collector during development).
- neither: no tracer provider; spans are no-ops and nothing is added to messages.

``service.name`` is the module id (DESIGN.md). Exporter packages are imported only when used, so a module
without tracing does not pay for them at start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from opentelemetry.sdk.resources import SERVICE_INSTANCE_ID, SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

_log = logging.getLogger(__name__)

AZURE_MONITOR = "APPLICATIONINSIGHTS_CONNECTION_STRING"
OTLP = "OTEL_EXPORTER_OTLP_ENDPOINT"


def configure_tracing(module_id: str, device_id: str, environ: Mapping[str, str]) -> TracerProvider | None:
    """A tracer provider exporting this module's spans as the environment asks, or ``None`` for none."""
    exporter = _exporter(environ)
    if exporter is None:
        return None
    resource = Resource.create({SERVICE_NAME: module_id, SERVICE_INSTANCE_ID: f"{device_id}/{module_id}"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def _exporter(environ: Mapping[str, str]) -> SpanExporter | None:
    connection_string = environ.get(AZURE_MONITOR, "").strip()
    # An unresolved deployment placeholder (``${...}``) means "not configured", not a broken string.
    if connection_string and not connection_string.startswith("${"):
        from azure.monitor.opentelemetry.exporter import AzureMonitorTraceExporter  # noqa: PLC0415

        _log.info("tracing to Azure Monitor")
        return AzureMonitorTraceExporter(connection_string=connection_string)
    endpoint = environ.get(OTLP, "").strip()
    if endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415

        _log.info("tracing to OTLP endpoint %s", endpoint)
        return OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
    return None
