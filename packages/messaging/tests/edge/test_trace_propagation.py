"""Each command is one trace: CLIENT span in the caller, SERVER span in the target as its child, and the
handler never sees the reserved key. Messages continue the sender's trace on the receiving side."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from energy_edge.messaging.edge.inprocess import InProcessHub
from energy_edge.messaging.edge.port import MethodRequest, MethodResponse
from energy_edge.messaging.manifest import load_manifest
from energy_edge.messaging.message import EdgeMessage

from .conftest import context_of, parent_of

pytestmark = pytest.mark.anyio

TEMPLATE = Path(__file__).parents[4] / "deployment" / "deployment.template.json"


async def test_a_method_call_is_one_trace_from_caller_to_handler(
    tracer_provider: TracerProvider, spans: InMemorySpanExporter
) -> None:
    seen_payloads: list[object] = []
    handler_trace_ids: list[int] = []

    async def battery_methods(request: MethodRequest) -> MethodResponse:
        seen_payloads.append(request.payload)
        handler_trace_ids.append(trace.get_current_span().get_span_context().trace_id)
        return MethodResponse(200, {"status": "ok", "actual_kw": 20.0})

    tracer = tracer_provider.get_tracer("controller")
    with InProcessHub(load_manifest(TEMPLATE), tracer_provider=tracer_provider) as hub:
        async with hub.client("battery-module") as battery, hub.client("controller-module") as controller:
            battery.serve_methods(battery_methods)
            with tracer.start_as_current_span("control cycle"):
                await controller.invoke_method("battery-module", "start_charging", {"power_kw": 20.0})

    assert seen_payloads == [{"power_kw": 20.0}]
    finished = spans.get_finished_spans()
    cycle = next(s for s in finished if s.name == "control cycle")
    client = next(s for s in finished if s.kind is SpanKind.CLIENT)
    server = next(s for s in finished if s.kind is SpanKind.SERVER)
    assert client.name == server.name == "battery-module/start_charging"
    trace_ids = {context_of(cycle).trace_id, context_of(client).trace_id, context_of(server).trace_id}
    assert trace_ids == set(handler_trace_ids)
    assert len(trace_ids) == 1
    assert parent_of(client).span_id == context_of(cycle).span_id
    assert parent_of(server).span_id == context_of(client).span_id
    assert dict(client.attributes or {}) == {
        "rpc.system": "azure_iot_edge",
        "rpc.service": "battery-module",
        "rpc.method": "start_charging",
        "rpc.response.status_code": "200",
    }
    assert (server.attributes or {})["rpc.method"] == "start_charging"


async def test_a_rejected_command_marks_the_client_span_as_an_error(
    tracer_provider: TracerProvider, spans: InMemorySpanExporter
) -> None:
    async def refuse(request: MethodRequest) -> MethodResponse:
        return MethodResponse(409, {"status": "error", "error": "not allowed in state FAULT"})

    with InProcessHub(load_manifest(TEMPLATE), tracer_provider=tracer_provider) as hub:
        async with hub.client("solar-module") as solar, hub.client("controller-module") as controller:
            solar.serve_methods(refuse)
            await controller.invoke_method("solar-module", "start")
    client = next(s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT)
    server = next(s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER)
    assert client.status.status_code is StatusCode.ERROR
    assert server.status.status_code is StatusCode.UNSET  # a 4xx is the caller's problem, not the server's


async def test_a_message_carries_traceparent_and_the_receiver_continues_the_trace(
    tracer_provider: TracerProvider, spans: InMemorySpanExporter
) -> None:
    with InProcessHub(load_manifest(TEMPLATE), tracer_provider=tracer_provider) as hub:
        async with hub.client("solar-module") as solar, hub.client("controller-module") as controller:
            await solar.send_message("telemetry", EdgeMessage(body=b"{}"))
            message = await anext(controller.messages("telemetry"))
            with controller.process_span(message):
                pass
    producer = next(s for s in spans.get_finished_spans() if s.kind is SpanKind.PRODUCER)
    consumer = next(s for s in spans.get_finished_spans() if s.kind is SpanKind.CONSUMER)
    assert message.properties["traceparent"].split("-")[2] == f"{context_of(producer).span_id:016x}"
    assert context_of(consumer).trace_id == context_of(producer).trace_id
    assert parent_of(consumer).span_id == context_of(producer).span_id
    assert consumer.name == "process telemetry"
    assert producer.name == "send telemetry"


async def test_without_a_tracer_provider_nothing_is_added_to_messages() -> None:
    with InProcessHub(load_manifest(TEMPLATE), tracer_provider=trace.NoOpTracerProvider()) as hub:
        async with hub.client("solar-module") as solar, hub.client("controller-module") as controller:
            await solar.send_message("telemetry", EdgeMessage(body=b"{}"))
            message = await anext(controller.messages("telemetry"))
    assert "traceparent" not in message.properties


async def test_a_no_op_provider_skips_spans_but_still_strips_the_reserved_key() -> None:
    seen: list[object] = []

    async def handler(request: MethodRequest) -> MethodResponse:
        seen.append(request.payload)
        return MethodResponse(200, {"status": "ok"})

    with InProcessHub(load_manifest(TEMPLATE), tracer_provider=trace.NoOpTracerProvider()) as hub:
        async with hub.client("solar-module") as solar, hub.client("controller-module") as controller:
            solar.serve_methods(handler)
            traced_payload = {
                "target_kw": 5.0,
                "$trace": {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"},
            }
            response = await controller.invoke_method("solar-module", "set_output", traced_payload)
    assert response.status == 200
    assert seen == [{"target_kw": 5.0}]
