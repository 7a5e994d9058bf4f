"""The IoT Edge side of messaging: the EdgeClient port, its message type, and the two bindings behind it.

async with hub.client("solar-module") as client:            # InProcessHub (tests, simulator)
async with AzureEdgeClient() as client:                     # edgeHub via azure-iot-device (devices)
    await client.send_message("telemetry", EdgeMessage(body=TELEMETRY.encode(reading)))
    client.serve_methods(handler)                           # async (MethodRequest) -> MethodResponse
    response = await client.invoke_method("battery-module", "stop", timeout_s=5)
"""

from energy_edge.messaging.edge.azure import AzureEdgeClient, identity_from_environment
from energy_edge.messaging.edge.inprocess import InProcessEdgeClient, InProcessHub
from energy_edge.messaging.edge.port import (
    EdgeClient,
    EdgeTransportError,
    Json,
    MethodHandler,
    MethodRequest,
    MethodResponse,
    error_response,
)
from energy_edge.messaging.edge.tracing import TRACE_CONTEXT_KEY
from energy_edge.messaging.edge.upstream import CloudUpstream
from energy_edge.messaging.message import JSON_CONTENT_TYPE, UTF8, EdgeMessage

__all__ = [
    "JSON_CONTENT_TYPE",
    "TRACE_CONTEXT_KEY",
    "UTF8",
    "AzureEdgeClient",
    "CloudUpstream",
    "EdgeClient",
    "EdgeMessage",
    "EdgeTransportError",
    "InProcessEdgeClient",
    "InProcessHub",
    "Json",
    "MethodHandler",
    "MethodRequest",
    "MethodResponse",
    "error_response",
    "identity_from_environment",
]
