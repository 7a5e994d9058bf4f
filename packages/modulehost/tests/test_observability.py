"""/metrics over real HTTP, state transitions as span events, tracing configured from the environment."""

from __future__ import annotations

import logging
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import anyio
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families

from energy_edge.modulehost import ModuleMetrics, configure_log_export, configure_tracing

from .conftest import HeaterAsset, running


def scrape(port: int) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # real time: the scrape is real I/O
async def test_metrics_are_served_over_http_in_prometheus_format(heater: HeaterAsset) -> None:
    metrics = ModuleMetrics(module_id="boiler-module", asset_id="boiler-01")
    port = metrics.serve(0, "127.0.0.1")
    try:
        async with running(heater, {"telemetry_interval_s": 0.2}, metrics=metrics) as site:
            await site.call("start")
            await site.call("set_power", {"power_kw": 20.0})
            await anyio.sleep(0.7)
            samples = await anyio.to_thread.run_sync(scrape, port)
    finally:
        metrics.close()
    labels = (("asset_id", "boiler-01"), ("module", "boiler-module"))
    assert samples["energy_edge_asset_power_watts"][labels] == -20_000.0
    assert samples["energy_edge_asset_temperature_celsius"][labels] == 60.0
    assert samples["energy_edge_asset_state"][(*labels, ("state", "RUNNING"))] == 1.0
    assert samples["energy_edge_asset_state"][(*labels, ("state", "IDLE"))] == 0.0
    assert samples["energy_edge_telemetry_messages_total"][labels] >= 3.0
    command = (("asset_id", "boiler-01"), ("method", "start"), ("module", "boiler-module"), ("status", "200"))
    assert samples["energy_edge_commands_total"][command] == 1.0
    latency = (("asset_id", "boiler-01"), ("method", "set_power"), ("module", "boiler-module"))
    assert samples["energy_edge_method_duration_seconds_count"][latency] == 1.0


def test_closing_stops_the_http_endpoint() -> None:
    metrics = ModuleMetrics(module_id="meter-module", asset_id="meter-01")
    port = metrics.serve(0, "127.0.0.1")
    metrics.close()
    with pytest.raises(OSError, match="Connection refused"):
        scrape(port)


@pytest.mark.anyio
async def test_state_transitions_are_span_events_of_the_command_that_caused_them(heater: HeaterAsset) -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    async with running(heater, tracer_provider=provider) as site:
        await site.call("start")
        await anyio.sleep(2.5)
    server = next(s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER)
    [event] = [e for e in server.events if e.name == "asset.state_change"]
    assert dict(event.attributes or {}) == {
        "asset.id": "boiler-01",
        "asset.state.previous": "IDLE",
        "asset.state": "STARTING",
        "asset.event": "start",
    }
    # STARTING -> RUNNING happened on a tick, outside any command: it gets a span of its own.
    tick_spans = [s for s in spans.get_finished_spans() if s.name == "boiler-module/state_change"]
    assert [dict(s.events[0].attributes or {})["asset.state"] for s in tick_spans] == ["RUNNING"]


class OtlpCollector:
    """A minimal OTLP/HTTP receiver on loopback: records every trace and log export request it gets."""

    def __init__(self) -> None:
        self.requests: list[ExportTraceServiceRequest] = []
        self.log_requests: list[ExportLogsServiceRequest] = []
        self.received = threading.Event()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/v1/logs":
                    logs = ExportLogsServiceRequest()
                    logs.ParseFromString(body)
                    collector.log_requests.append(logs)
                else:
                    request = ExportTraceServiceRequest()
                    request.ParseFromString(body)
                    collector.requests.append(request)
                collector.received.set()
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"


@pytest.fixture
def collector() -> Iterator[OtlpCollector]:
    collector = OtlpCollector()
    collector.thread.start()
    yield collector
    collector.server.shutdown()
    collector.server.server_close()


def test_otlp_endpoint_in_the_environment_exports_spans_named_after_the_module(
    collector: OtlpCollector,
) -> None:
    provider = configure_tracing(
        "battery-module", "edge-device-01", {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint}
    )
    assert provider is not None
    with provider.get_tracer("test").start_as_current_span("battery-module/start_charging"):
        pass
    provider.shutdown()
    assert collector.received.wait(5)
    [resource_spans] = collector.requests[0].resource_spans
    attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert attributes["service.name"] == "battery-module"
    assert attributes["service.instance.id"] == "edge-device-01/battery-module"
    assert resource_spans.scope_spans[0].spans[0].name == "battery-module/start_charging"


def test_application_insights_connection_string_selects_azure_monitor() -> None:
    connection = (
        "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/"
    )
    provider = configure_tracing(
        "solar-module", "edge-device-01", {"APPLICATIONINSIGHTS_CONNECTION_STRING": connection}
    )
    assert provider is not None
    processor = provider._active_span_processor._span_processors[0]
    assert type(processor.span_exporter).__name__ == "AzureMonitorTraceExporter"  # pyright: ignore[reportAttributeAccessIssue]
    provider.shutdown()


def test_no_tracing_without_configuration_or_with_an_unresolved_placeholder() -> None:
    assert configure_tracing("meter-module", "d", {}) is None
    placeholder = {"APPLICATIONINSIGHTS_CONNECTION_STRING": "${APPLICATIONINSIGHTS_CONNECTION_STRING}"}
    assert configure_tracing("meter-module", "d", placeholder) is None


def test_warnings_are_exported_as_log_records_with_their_attributes(collector: OtlpCollector) -> None:
    logger = logging.getLogger("controller_module.test_export")
    logger.propagate = False
    environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint}
    provider = configure_log_export("controller-module", "edge-device-01", environ, logger=logger)
    assert provider is not None
    logger.info("not exported: below WARNING")
    logger.warning("alert %s", "asset_fault", extra={"alert.code": "asset_fault", "asset.id": "battery-01"})
    provider.shutdown()
    assert collector.received.wait(5)
    [resource_logs] = collector.log_requests[0].resource_logs
    resource = {a.key: a.value.string_value for a in resource_logs.resource.attributes}
    [record] = resource_logs.scope_logs[0].log_records
    attributes = {a.key: a.value.string_value for a in record.attributes}
    assert resource["service.name"] == "controller-module"
    assert record.body.string_value == "alert asset_fault"
    assert (attributes["alert.code"], attributes["asset.id"]) == ("asset_fault", "battery-01")
