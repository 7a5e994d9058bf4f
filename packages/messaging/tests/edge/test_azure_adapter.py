"""The azure-iot-device binding, tested at the SDK seam: a stand-in for IoTHubModuleClient that calls the
adapter's handlers from its own threads exactly as the SDK does, and records what the adapter asks of it.
The SDK's own Message, MethodRequest, MethodResponse and ServiceError types are used throughout."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import pytest
from azure.iot.device import Message, MethodRequest
from azure.iot.device.exceptions import ServiceError
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from energy_edge.messaging.edge.azure import AzureEdgeClient, identity_from_environment
from energy_edge.messaging.edge.port import EdgeTransportError, MethodResponse
from energy_edge.messaging.edge.port import MethodRequest as PortRequest
from energy_edge.messaging.edge.tracing import TRACE_CONTEXT_KEY
from energy_edge.messaging.message import EdgeMessage

from .conftest import context_of

pytestmark = pytest.mark.anyio


class SdkStandIn:
    """Behaves like azure.iot.device.IoTHubModuleClient from the adapter's side of the seam."""

    def __init__(self) -> None:
        self.on_message_received: Any = None
        self.on_method_request_received: Any = None
        self.on_twin_desired_properties_patch_received: Any = None
        self.on_connection_state_change: Any = None
        self.connected = False
        self.shut_down = False
        self.sent: list[tuple[Message, str]] = []
        self.method_responses: list[Any] = []
        self.invocations: list[tuple[dict[str, Any], str, str | None]] = []
        self.invoke_result: Any = {"status": 200, "payload": {"status": "ok"}}
        self.reported: list[dict[str, Any]] = []

    def connect(self) -> None:
        self.connected = True

    def shutdown(self) -> None:
        self.shut_down = True
        self.connected = False

    def send_message_to_output(self, message: Message, output_name: str) -> None:
        self.sent.append((message, output_name))

    def send_method_response(self, method_response: Any) -> None:
        self.method_responses.append(method_response)

    def invoke_method(
        self, method_params: dict[str, Any], device_id: str, module_id: str | None = None
    ) -> Any:
        self.invocations.append((method_params, device_id, module_id))
        if isinstance(self.invoke_result, Exception):
            raise self.invoke_result
        return self.invoke_result

    def get_twin(self) -> dict[str, Any]:
        return {"desired": {"max_output_kw": 80.0, "$version": 3}, "reported": {}}

    def patch_twin_reported_properties(self, reported_properties_patch: dict[str, Any]) -> None:
        self.reported.append(reported_properties_patch)

    def from_sdk_thread(self, handler: Any, *args: Any) -> None:
        """Call a handler on a thread of its own, as the SDK's handler runner does, and wait for it."""
        thread = threading.Thread(target=handler, args=args)
        thread.start()
        thread.join()


@pytest.fixture
def sdk() -> SdkStandIn:
    return SdkStandIn()


def adapter(sdk: SdkStandIn, tracer_provider: TracerProvider | None = None) -> AzureEdgeClient:
    return AzureEdgeClient(
        client_factory=lambda: sdk,  # pyright: ignore[reportReturnType]
        device_id="edge-device-01",
        module_id="solar-module",
        tracer_provider=tracer_provider,
    )


async def test_connect_installs_handlers_and_reports_connected(sdk: SdkStandIn) -> None:
    async with adapter(sdk) as client:
        assert client.connected
        assert sdk.on_message_received is not None
        assert sdk.on_method_request_received is not None
        assert await client.connection_changes().receive() is True
    assert sdk.shut_down
    assert not client.connected


async def test_send_builds_an_sdk_message_with_type_encoding_and_trace_property(
    sdk: SdkStandIn, tracer_provider: TracerProvider
) -> None:
    async with adapter(sdk, tracer_provider) as client:
        await client.send_message("telemetry", EdgeMessage(body=b'{"a":1}', properties={"site": "north"}))
    [(message, output)] = sdk.sent
    assert output == "telemetry"
    assert message.data == b'{"a":1}'
    assert (message.content_type, message.content_encoding) == ("application/json", "utf-8")
    assert message.custom_properties["site"] == "north"
    assert message.custom_properties["traceparent"].startswith("00-")


async def test_incoming_messages_reach_their_input_with_the_routing_properties(sdk: SdkStandIn) -> None:
    incoming = Message(b'{"soc":50}', content_type="application/json", content_encoding="utf-8")
    incoming.input_name = "telemetry"  # pyright: ignore[reportAttributeAccessIssue] - the SDK types it None
    incoming.custom_properties = {"$.cdid": "edge-device-01", "$.cmid": "battery-module", "traceparent": "x"}
    async with adapter(sdk) as client:
        await anyio.to_thread.run_sync(sdk.from_sdk_thread, sdk.on_message_received, incoming)
        received = await client.messages("telemetry").receive()  # pyright: ignore[reportAttributeAccessIssue]
    assert received.body == b'{"soc":50}'
    assert received.connection_module_id == "battery-module"
    assert received.input_name == "telemetry"
    assert dict(received.properties) == {"traceparent": "x"}


async def test_a_method_request_is_served_and_answered_on_the_sdk(sdk: SdkStandIn) -> None:
    seen: list[PortRequest] = []

    async def handler(request: PortRequest) -> MethodResponse:
        seen.append(request)
        return MethodResponse(200, {"status": "ok", "actual_kw": 30.0})

    request = MethodRequest(
        "rid-1", "set_output", {"target_kw": 30.0, TRACE_CONTEXT_KEY: {"traceparent": "bad"}}
    )
    async with adapter(sdk) as client:
        client.serve_methods(handler)
        await anyio.to_thread.run_sync(sdk.from_sdk_thread, sdk.on_method_request_received, request)
    assert seen == [PortRequest("set_output", {"target_kw": 30.0})]
    [response] = sdk.method_responses
    assert (response.request_id, response.status, response.payload) == (
        "rid-1",
        200,
        {"status": "ok", "actual_kw": 30.0},
    )


async def test_a_failing_handler_answers_500_and_the_module_keeps_running(sdk: SdkStandIn) -> None:
    async def handler(request: PortRequest) -> MethodResponse:
        raise ZeroDivisionError("inverter model divided by zero")

    async with adapter(sdk) as client:
        client.serve_methods(handler)
        await anyio.to_thread.run_sync(
            sdk.from_sdk_thread, sdk.on_method_request_received, MethodRequest("r", "stop", None)
        )
        assert client.connected
    [response] = sdk.method_responses
    assert response.status == 500
    assert response.payload == {
        "status": "error",
        "error": "ZeroDivisionError: inverter model divided by zero",
    }


async def test_invoke_method_passes_edgehub_parameters_and_returns_status_and_payload(
    sdk: SdkStandIn, tracer_provider: TracerProvider, spans: InMemorySpanExporter
) -> None:
    sdk.invoke_result = {"status": 200, "payload": {"status": "ok", "actual_kw": 12.0}}
    async with adapter(sdk, tracer_provider) as client:
        response = await client.invoke_method(
            "battery-module", "start_charging", {"power_kw": 12.0}, timeout_s=7.5
        )
    assert response == MethodResponse(200, {"status": "ok", "actual_kw": 12.0})
    [(params, device_id, module_id)] = sdk.invocations
    assert (device_id, module_id) == ("edge-device-01", "battery-module")
    assert params["methodName"] == "start_charging"
    assert params["responseTimeoutInSeconds"] == 8
    assert params["payload"]["power_kw"] == 12.0
    [span] = spans.get_finished_spans()
    assert (
        params["payload"][TRACE_CONTEXT_KEY]["traceparent"].split("-")[1]
        == f"{context_of(span).trace_id:032x}"
    )


async def test_edgehub_error_statuses_become_responses(sdk: SdkStandIn) -> None:
    sdk.invoke_result = ServiceError("HTTP operation returned: 404 Not Found")
    async with adapter(sdk) as client:
        response = await client.invoke_method("ghost-module", "stop")
    assert response.status == 404
    assert response.payload["status"] == "error"
    assert "404" in response.payload["error"]


async def test_twin_reads_patches_and_pushes(sdk: SdkStandIn) -> None:
    async with adapter(sdk) as client:
        assert await client.get_desired_properties() == {"max_output_kw": 80.0, "$version": 3}
        await client.patch_reported_properties({"state": "RUNNING"})
        await anyio.to_thread.run_sync(
            sdk.from_sdk_thread,
            sdk.on_twin_desired_properties_patch_received,
            {"max_output_kw": 60.0, "$version": 4},
        )
        patch = await client.desired_patches().receive()  # pyright: ignore[reportAttributeAccessIssue]
    assert patch == {"max_output_kw": 60.0, "$version": 4}
    assert sdk.reported == [{"state": "RUNNING"}]


async def test_connection_loss_reported_by_the_sdk_becomes_an_event(sdk: SdkStandIn) -> None:
    async with adapter(sdk) as client:
        changes = client.connection_changes()
        assert await changes.receive() is True
        sdk.connected = False
        await anyio.to_thread.run_sync(sdk.from_sdk_thread, sdk.on_connection_state_change)
        assert await changes.receive() is False
        assert not client.connected


async def test_a_failed_connect_raises_a_transport_error() -> None:
    def refuse() -> Any:
        raise ConnectionRefusedError("edgeHub not reachable")

    with pytest.raises(EdgeTransportError, match="cannot connect to edgeHub"):
        async with AzureEdgeClient(client_factory=refuse, device_id="d", module_id="m"):
            pass


def test_identity_comes_from_the_edge_environment_or_the_connection_string() -> None:
    assert identity_from_environment({"IOTEDGE_DEVICEID": "dev", "IOTEDGE_MODULEID": "mod"}) == ("dev", "mod")
    connection = "HostName=h;GatewayHostName=localhost;DeviceId=dev2;ModuleId=mod2;SharedAccessKey=a2V5"
    assert identity_from_environment({"EdgeHubConnectionString": connection}) == ("dev2", "mod2")
    with pytest.raises(EdgeTransportError, match="IOTEDGE_DEVICEID"):
        identity_from_environment({})
