"""OpenTelemetry tracing for a module, configured from its environment.

- ``APPLICATIONINSIGHTS_CONNECTION_STRING`` set: spans go to Azure Monitor (Application Insights), where
  operators follow each command from controller to asset.
- else ``OTEL_EXPORTER_OTLP_ENDPOINT`` set: spans go to an OTLP/HTTP collector (a local Jaeger or the
  OpenTelemetry Collector during development).
- neither: no tracer provider; spans are no-ops and nothing is added to messages.

``service.name`` is the module id (DESIGN.md). Exporter packages are imported only when used, so a module
without tracing does not pay for them at start-up.

Log records of WARNING and above go the same way (:func:`configure_log_export`), with their ``extra``
attributes: in Application Insights they are the ``AppTraces`` table, which the alert rules of ``infra/``
query (the controller logs each active alert with ``alert.code``, ``alert.severity``, ``asset.id`` and
``device.id``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from opentelemetry.instrumentation.logging.handler import LoggingHandler  # pyright: ignore[reportMissingTypeStubs]
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter
from opentelemetry.sdk.resources import SERVICE_INSTANCE_ID, SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

_log = logging.getLogger(__name__)

AZURE_MONITOR = "APPLICATIONINSIGHTS_CONNECTION_STRING"
OTLP = "OTEL_EXPORTER_OTLP_ENDPOINT"


def configure_tracing(module_id: str, device_id: str, environ: Mapping[str, str]) -> TracerProvider | None:
    """A tracer provider exporting this module's spans as the environment asks, or ``None`` for none."""
    exporter = _span_exporter(environ)
    if exporter is None:
        return None
    provider = TracerProvider(resource=_resource(module_id, device_id))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def configure_log_export(
    module_id: str,
    device_id: str,
    environ: Mapping[str, str],
    *,
    level: int = logging.WARNING,
    logger: logging.Logger | None = None,
) -> LoggerProvider | None:
    """Export log records at ``level`` and above (with their ``extra`` attributes) where spans go, from
    ``logger`` (default: the root logger). ``None`` when nothing is configured."""
    exporter = _log_exporter(environ)
    if exporter is None:
        return None
    provider = LoggerProvider(resource=_resource(module_id, device_id))
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
    (logger or logging.getLogger()).addHandler(LoggingHandler(level=level, logger_provider=provider))
    return provider


def _resource(module_id: str, device_id: str) -> Resource:
    return Resource.create({SERVICE_NAME: module_id, SERVICE_INSTANCE_ID: f"{device_id}/{module_id}"})


def _azure_connection_string(environ: Mapping[str, str]) -> str | None:
    connection_string = environ.get(AZURE_MONITOR, "").strip()
    # An unresolved deployment placeholder (``${...}``) means "not configured", not a broken string.
    return connection_string if connection_string and not connection_string.startswith("${") else None


def _otlp_endpoint(environ: Mapping[str, str]) -> str | None:
    endpoint = environ.get(OTLP, "").strip()
    return endpoint.rstrip("/") if endpoint else None


def _span_exporter(environ: Mapping[str, str]) -> SpanExporter | None:
    if (connection_string := _azure_connection_string(environ)) is not None:
        from azure.monitor.opentelemetry.exporter import AzureMonitorTraceExporter  # noqa: PLC0415

        _log.info("tracing to Azure Monitor")
        return AzureMonitorTraceExporter(connection_string=connection_string)
    if (endpoint := _otlp_endpoint(environ)) is not None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415

        _log.info("tracing to OTLP endpoint %s", endpoint)
        return OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")
    return None


def _log_exporter(environ: Mapping[str, str]) -> LogRecordExporter | None:
    if (connection_string := _azure_connection_string(environ)) is not None:
        from azure.monitor.opentelemetry.exporter import AzureMonitorLogExporter  # noqa: PLC0415

        return AzureMonitorLogExporter(connection_string=connection_string)
    if (endpoint := _otlp_endpoint(environ)) is not None:
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter  # noqa: PLC0415

        return OTLPLogExporter(endpoint=f"{endpoint}/v1/logs")
    return None
