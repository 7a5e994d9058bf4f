"""UploadTarget=AzureMonitor: samples become OpenTelemetry gauges, read here by an in-memory metric reader."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from opentelemetry.sdk.metrics.export import (
    Gauge,
    InMemoryMetricReader,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
)
from telemetry_module.azure_monitor import (
    AzureMonitorUploader,
    CountingExporter,
    instrument_name,
    module_resource,
)
from telemetry_module.metrics import TelemetryMetrics
from telemetry_module.samples import MetricSample

AT = "2024-06-01T12:00:00.000000Z"


def points(reader: InMemoryMetricReader) -> dict[str, list[tuple[float, dict[str, Any]]]]:
    """{metric name: [(value, attributes)]} of one collection."""
    data = reader.get_metrics_data()
    found: dict[str, list[tuple[float, dict[str, Any]]]] = {}
    if data is None:
        return found
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                assert isinstance(metric.data, Gauge)
                found[metric.name] = [(p.value, dict(p.attributes or {})) for p in metric.data.data_points]
    return found


def test_each_sample_name_is_a_gauge_with_the_labels_as_attributes() -> None:
    reader = InMemoryMetricReader()
    uploader = AzureMonitorUploader(reader, resource=module_resource("telemetry-module", "edge-01", "/sub/x"))
    uploader.submit(
        [
            MetricSample(
                AT, "energy_edge_commands_total", 3.0, {"method": "stop", "module_name": "battery-module"}
            ),
            MetricSample(
                AT, "energy_edge_commands_total", 1.0, {"method": "start", "module_name": "battery-module"}
            ),
            MetricSample(AT, "edgehub:queue_length", 7.0, {}),
        ]
    )
    found = points(reader)
    assert sorted(found["energy_edge_commands_total"], key=lambda p: p[0]) == [
        (1.0, {"method": "start", "module_name": "battery-module"}),
        (3.0, {"method": "stop", "module_name": "battery-module"}),
    ]
    assert found["edgehub_queue_length"] == [(7.0, {})]
    resource = reader.get_metrics_data()
    assert resource is not None
    attributes = resource.resource_metrics[0].resource.attributes
    assert attributes["service.name"] == "telemetry-module"
    assert attributes["service.instance.id"] == "edge-01/telemetry-module"
    assert attributes["cloud.resource_id"] == "/sub/x"


def test_the_gauges_report_the_last_scrape_only() -> None:
    reader = InMemoryMetricReader()
    uploader = AzureMonitorUploader(reader)
    uploader.submit([MetricSample(AT, "a", 1.0, {"m": "x"}), MetricSample(AT, "b", 2.0, {})])
    uploader.submit([MetricSample(AT, "a", 5.0, {"m": "x"})])  # b's endpoint stopped answering
    found = points(reader)
    assert found["a"] == [(5.0, {"m": "x"})]
    assert "b" not in found  # no stale value repeated


@pytest.mark.parametrize(
    ("prometheus", "otel"),
    [("up", "up"), ("edgehub:queue", "edgehub_queue"), ("_private", "m_private"), (":x", "m_x")],
)
def test_instrument_names(prometheus: str, otel: str) -> None:
    assert instrument_name(prometheus) == otel


class RecordingExporter(MetricExporter):
    """An exporter that succeeds or fails as told and keeps what it was given."""

    def __init__(self, result: MetricExportResult) -> None:
        super().__init__()
        self.result = result
        self.exported: list[MetricsData] = []

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        self.exported.append(metrics_data)
        return self.result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        pass


@pytest.mark.parametrize("outcome", [MetricExportResult.SUCCESS, MetricExportResult.FAILURE])
@pytest.mark.anyio
async def test_exports_run_after_each_scrape_and_are_counted(outcome: MetricExportResult) -> None:
    metrics = TelemetryMetrics()
    inner = RecordingExporter(outcome)
    reader = PeriodicExportingMetricReader(
        CountingExporter(inner, metrics), export_interval_millis=float("inf")
    )
    uploader = AzureMonitorUploader(reader)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(uploader.run)
        uploader.submit([MetricSample(AT, "a", 1.0, {"i": str(i)}) for i in range(4)])
        with anyio.fail_after(5):
            while not inner.exported:  # noqa: ASYNC110 - the export runs in a worker thread
                await anyio.sleep(0.005)
        tasks.cancel_scope.cancel()
    shipped = metrics.registry.get_sample_value("energy_edge_telemetry_samples_shipped_total")
    failures = metrics.registry.get_sample_value("energy_edge_telemetry_upload_failures_total")
    if outcome is MetricExportResult.SUCCESS:
        assert (shipped, failures) == (4.0, 0.0)
    else:
        assert (shipped, failures) == (0.0, 1.0)
