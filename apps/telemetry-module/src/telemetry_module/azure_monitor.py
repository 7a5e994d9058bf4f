"""``UploadTarget=AzureMonitor``: the scraped samples as OpenTelemetry metrics, exported to Application
Insights by ``azure-monitor-opentelemetry-exporter`` (connection string from
``APPLICATIONINSIGHTS_CONNECTION_STRING``).

Mapping: one ``ObservableGauge`` per sample name (``energy_edge_commands_total``,
``x_seconds_bucket`` ...), created when the name is first seen; each scrape's samples are its observations,
with the sample's labels (identifying labels included) as attributes. Values are shipped as scraped —
counters as their running totals, histogram buckets as cumulative counts — exactly what the ``IoTMessage``
target ships, so the same queries work on both (in Application Insights: ``customMetrics`` with the labels in
``customDimensions``). The gauges report what the last scrape found: an endpoint that stops answering
stops contributing series instead of repeating stale values.

Each scrape is exported right after it (``MeterProvider.force_flush`` in a worker thread; the production
reader has no timer of its own). The metric reader is the seam: production builds a
``PeriodicExportingMetricReader`` around the Azure Monitor exporter, tests pass an ``InMemoryMetricReader``.
Export outcomes are counted by :class:`CountingExporter` (samples shipped, upload failures). Retrying failed
exports across outages is the Azure Monitor exporter's own job (its local storage), so this target keeps no
buffer of its own.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any, Final

import anyio
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricReader,
    MetricsData,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import SERVICE_INSTANCE_ID, SERVICE_NAME, Resource

from telemetry_module.metrics import TelemetryMetrics
from telemetry_module.samples import MetricSample

_log = logging.getLogger(__name__)

INSTRUMENTATION_SCOPE: Final = "telemetry_module"
CLOUD_RESOURCE_ID: Final = "cloud.resource_id"
_INVALID_NAME_CHARACTERS: Final = re.compile(r"[^A-Za-z0-9_./-]")
_MAX_NAME_LENGTH: Final = 255


def instrument_name(sample_name: str) -> str:
    """A Prometheus name as a valid OpenTelemetry instrument name (``:`` -> ``_``, starting with a letter)."""
    name = _INVALID_NAME_CHARACTERS.sub("_", sample_name)
    if not name[:1].isalpha():
        name = "m" + name
    return name[:_MAX_NAME_LENGTH]


def data_points(metrics_data: MetricsData | None) -> int:
    if metrics_data is None:
        return 0
    return sum(
        len(metric.data.data_points)
        for resource_metrics in metrics_data.resource_metrics
        for scope_metrics in resource_metrics.scope_metrics
        for metric in scope_metrics.metrics
    )


class CountingExporter(MetricExporter):
    """Wraps an exporter and counts its outcomes in the module's health metrics."""

    def __init__(self, inner: MetricExporter, metrics: TelemetryMetrics) -> None:
        super().__init__(
            preferred_temporality=inner._preferred_temporality,
            preferred_aggregation=inner._preferred_aggregation,
        )
        self._inner = inner
        self._metrics = metrics

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        result = self._inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs)
        if result is MetricExportResult.SUCCESS:
            self._metrics.samples_shipped.inc(data_points(metrics_data))
        else:
            self._metrics.upload_failures.inc()
            _log.warning("metrics export to Azure Monitor failed; the exporter retries from its storage")
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._inner.force_flush(timeout_millis=timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._inner.shutdown(timeout_millis=timeout_millis, **kwargs)


def azure_monitor_reader(connection_string: str, metrics: TelemetryMetrics) -> MetricReader:
    """The production reader: exports to Application Insights when flushed, never on a timer of its own."""
    from azure.monitor.opentelemetry.exporter import AzureMonitorMetricExporter  # noqa: PLC0415 - only if used

    exporter = AzureMonitorMetricExporter(connection_string=connection_string)
    return PeriodicExportingMetricReader(CountingExporter(exporter, metrics), export_interval_millis=math.inf)


def module_resource(module_id: str, device_id: str, resource_id: str | None = None) -> Resource:
    attributes: dict[str, str] = {SERVICE_NAME: module_id, SERVICE_INSTANCE_ID: f"{device_id}/{module_id}"}
    if resource_id:
        attributes[CLOUD_RESOURCE_ID] = resource_id
    return Resource.create(attributes)


class AzureMonitorUploader:
    def __init__(self, reader: MetricReader, *, resource: Resource | None = None) -> None:
        self.reader = reader
        self._provider = MeterProvider(metric_readers=[reader], resource=resource or Resource.create({}))
        self._meter = self._provider.get_meter(INSTRUMENTATION_SCOPE)
        self._current: dict[str, list[Observation]] = {}
        self._owners: dict[str, str] = {}
        """Instrument name -> the sample name it reports (if two sanitize alike, the first keeps it)."""
        self._gauges: set[str] = set()
        self._wakeup = anyio.Event()

    def submit(self, samples: Sequence[MetricSample]) -> None:
        current: dict[str, list[Observation]] = {}
        for sample in samples:
            name = instrument_name(sample.name)
            owner = self._owners.setdefault(name, sample.name)
            if owner != sample.name:
                continue
            observations = current.get(name)
            if observations is None:
                observations = current[name] = []
                if name not in self._gauges:
                    self._create_gauge(name)
            observations.append(Observation(sample.value, sample.labels))
        self._current = current  # one reference swap: an export sees this scrape or the previous one
        self.wake()

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        try:
            while True:
                await self._wakeup.wait()
                self._wakeup = anyio.Event()
                await anyio.to_thread.run_sync(self._provider.force_flush)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._provider.shutdown)

    def _create_gauge(self, name: str) -> None:
        def observe(options: CallbackOptions) -> Iterable[Observation]:
            return self._current.get(name, ())

        self._meter.create_observable_gauge(name, callbacks=[observe])
        self._gauges.add(name)
