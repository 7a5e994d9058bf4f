"""The production binding of :class:`EdgeClient`: ``azure-iot-device``'s ``IoTHubModuleClient``.

The SDK client is created with ``create_from_edge_environment()``, which reads the ``IOTEDGE_*`` variables
edgeAgent sets in a module container and also honours ``EdgeHubConnectionString`` +
``EdgeModuleCACertificateFile`` for running a module against a local edge runtime. Only a client created from
the edge environment can ``invoke_method`` on another module.

Bridging: the synchronous SDK calls its handlers on its own threads; each handler hands its work to this
module's event loop through an anyio ``BlockingPortal`` and, for direct methods, waits there for the answer.
Blocking SDK calls run in worker threads (``anyio.to_thread``). Reconnection is the SDK's job; its connection
changes are surfaced as ``connection_changes()`` events. Messages for an input whose queue is full are
dropped and counted rather than blocking the SDK's handler thread (which would stall every other handler).
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack
from typing import Any, Protocol, cast

import anyio
from anyio.from_thread import BlockingPortal
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from opentelemetry.trace import TracerProvider

from energy_edge.messaging.edge.port import (
    GATEWAY_TIMEOUT,
    INTERNAL_ERROR,
    EdgeClient,
    EdgeTransportError,
    Json,
    MethodResponse,
    error_response,
)
from energy_edge.messaging.message import EdgeMessage

_log = logging.getLogger(__name__)

# edgeHub's routing system properties reach the SDK as custom properties with their wire names.
_CONNECTION_DEVICE = "$.cdid"
_CONNECTION_MODULE = "$.cmid"
_HTTP_STATUS = re.compile(r"returned: (\d{3})")


class SdkModuleClient(Protocol):
    """The part of ``azure.iot.device.IoTHubModuleClient`` this binding uses (the seam tests replace)."""

    on_message_received: Callable[[Any], None] | None
    on_method_request_received: Callable[[Any], None] | None
    on_twin_desired_properties_patch_received: Callable[[dict[str, Any]], None] | None
    on_connection_state_change: Callable[[], None] | None

    @property
    def connected(self) -> bool: ...
    def connect(self) -> None: ...
    def shutdown(self) -> None: ...
    def send_message_to_output(self, message: Any, output_name: str) -> None: ...
    def send_method_response(self, method_response: Any) -> None: ...
    def invoke_method(
        self, method_params: dict[str, Any], device_id: str, module_id: str | None = None
    ) -> Any: ...
    def get_twin(self) -> dict[str, Any]: ...
    def patch_twin_reported_properties(self, reported_properties_patch: dict[str, Any]) -> None: ...


def client_from_edge_environment() -> SdkModuleClient:
    """The SDK client of the module this process runs as (edgeAgent's ``IOTEDGE_*`` environment)."""
    from azure.iot.device import IoTHubModuleClient  # noqa: PLC0415 - ~0.3 s import, only in production

    client: object = IoTHubModuleClient.create_from_edge_environment()  # pyright: ignore[reportUnknownMemberType]
    return cast("SdkModuleClient", client)


def identity_from_environment(environ: Mapping[str, str] = os.environ) -> tuple[str, str]:
    """``(device_id, module_id)`` from ``IOTEDGE_DEVICEID``/``IOTEDGE_MODULEID`` (set by edgeAgent) or from
    ``EdgeHubConnectionString`` (local runs)."""
    device, module = environ.get("IOTEDGE_DEVICEID"), environ.get("IOTEDGE_MODULEID")
    if device and module:
        return device, module
    connection = environ.get("EdgeHubConnectionString", "")
    parts = dict(part.split("=", 1) for part in connection.split(";") if "=" in part)
    if parts.get("DeviceId") and parts.get("ModuleId"):
        return parts["DeviceId"], parts["ModuleId"]
    raise EdgeTransportError(
        "not running as an IoT Edge module: set IOTEDGE_DEVICEID and IOTEDGE_MODULEID (edgeAgent does) "
        "or EdgeHubConnectionString with DeviceId and ModuleId"
    )


class AzureEdgeClient(EdgeClient):
    """EdgeClient over ``azure-iot-device``. ``client_factory`` is called (in a worker thread) on connect."""

    def __init__(
        self,
        *,
        client_factory: Callable[[], SdkModuleClient] = client_from_edge_environment,
        device_id: str | None = None,
        module_id: str | None = None,
        tracer_provider: TracerProvider | None = None,
        input_capacity: int = 1000,
        patch_capacity: int = 100,
    ) -> None:
        if device_id is None or module_id is None:
            device_id, module_id = identity_from_environment()
        super().__init__(module_id=module_id, device_id=device_id, tracer_provider=tracer_provider)
        self._factory = client_factory
        self._sdk: SdkModuleClient | None = None
        self._portal: BlockingPortal | None = None
        self._stack: AsyncExitStack | None = None
        self._input_capacity = input_capacity
        self._inputs: dict[
            str, tuple[MemoryObjectSendStream[EdgeMessage], MemoryObjectReceiveStream[EdgeMessage]]
        ] = {}
        self._patch_send, self._patch_receive = anyio.create_memory_object_stream[dict[str, Json]](
            patch_capacity
        )
        self.dropped_messages = 0

    # -- lifecycle -------------------------------------------------------------------------------------

    async def _open(self) -> None:
        stack = AsyncExitStack()
        self._portal = await stack.enter_async_context(BlockingPortal())
        self._stack = stack
        try:
            sdk = await anyio.to_thread.run_sync(self._factory)
            sdk.on_message_received = self._on_message
            sdk.on_method_request_received = self._on_method_request
            sdk.on_twin_desired_properties_patch_received = self._on_desired_patch
            sdk.on_connection_state_change = self._on_connection_change
            self._sdk = sdk
            await anyio.to_thread.run_sync(sdk.connect)
        except Exception as error:
            await stack.aclose()
            raise EdgeTransportError(f"cannot connect to edgeHub: {error}") from error
        self._report_connection(sdk.connected)

    async def _close(self) -> None:
        if self._sdk is not None:
            with anyio.CancelScope(shield=True):
                try:
                    await anyio.to_thread.run_sync(self._sdk.shutdown)
                except Exception:
                    _log.exception("%s: SDK shutdown failed", self.module_id)
            self._sdk = None
        self._report_connection(False)
        if self._stack is not None:
            await self._stack.aclose()
        self._stack = self._portal = None

    def _release(self) -> None:
        super()._release()
        for send, receive in self._inputs.values():
            send.close()
            receive.close()
        self._patch_send.close()
        self._patch_receive.close()

    def _client(self) -> SdkModuleClient:
        if self._sdk is None:
            raise EdgeTransportError(f"module '{self.module_id}' is not connected")
        return self._sdk

    # -- port primitives -------------------------------------------------------------------------------

    async def _send(self, output: str, message: EdgeMessage) -> None:
        sdk = self._client()
        try:
            await anyio.to_thread.run_sync(sdk.send_message_to_output, to_sdk_message(message), output)
        except Exception as error:
            raise EdgeTransportError(f"sending to output '{output}' failed: {error}") from error

    def _input(self, input_name: str) -> AsyncIterator[EdgeMessage]:
        return self._input_queue(input_name)[1]

    def _input_queue(
        self, input_name: str
    ) -> tuple[MemoryObjectSendStream[EdgeMessage], MemoryObjectReceiveStream[EdgeMessage]]:
        queue = self._inputs.get(input_name)
        if queue is None:
            queue = self._inputs[input_name] = anyio.create_memory_object_stream[EdgeMessage](
                self._input_capacity
            )
        return queue

    async def _invoke(self, module_id: str, method: str, payload: Json, timeout_s: float) -> MethodResponse:
        sdk = self._client()
        params = {
            "methodName": method,
            "payload": payload,
            "responseTimeoutInSeconds": max(1, math.ceil(timeout_s)),
            "connectTimeoutInSeconds": 0,
        }
        # edgeHub enforces the response timeout; the local deadline only guards against a hung transport.
        with anyio.move_on_after(timeout_s + 5.0):
            try:
                result = await anyio.to_thread.run_sync(
                    sdk.invoke_method, params, self.device_id, module_id, abandon_on_cancel=True
                )
            except Exception as error:
                return _response_from_error(error)
            return _response_from_result(result)
        return error_response(GATEWAY_TIMEOUT, f"no answer from edgeHub for '{module_id}/{method}'")

    async def get_desired_properties(self) -> dict[str, Json]:
        twin = await anyio.to_thread.run_sync(self._client().get_twin)
        return dict(twin.get("desired", {}))

    def desired_patches(self) -> AsyncIterator[dict[str, Json]]:
        return self._patch_receive

    async def patch_reported_properties(self, patch: Mapping[str, Json]) -> None:
        sdk = self._client()
        try:
            await anyio.to_thread.run_sync(sdk.patch_twin_reported_properties, dict(patch))
        except Exception as error:
            raise EdgeTransportError(f"patching reported properties failed: {error}") from error

    # -- SDK handlers (called on SDK threads) ----------------------------------------------------------

    def _on_message(self, sdk_message: Any) -> None:
        message = from_sdk_message(sdk_message)
        self._in_loop(self._deliver, message)

    def _deliver(self, message: EdgeMessage) -> None:
        send, _ = self._input_queue(message.input_name or "")
        try:
            send.send_nowait(message)
        except anyio.WouldBlock:
            if not self.dropped_messages:
                _log.warning(
                    "%s: input '%s' is full; dropping messages (counted)", self.module_id, message.input_name
                )
            self.dropped_messages += 1

    def _on_method_request(self, request: Any) -> None:
        from azure.iot.device import MethodResponse as SdkMethodResponse  # noqa: PLC0415

        portal = self._portal
        response: MethodResponse
        if portal is None:
            response = error_response(INTERNAL_ERROR, f"module '{self.module_id}' is shutting down")
        else:
            try:
                response = portal.call(self._dispatch_method, request.name, request.payload)
            except Exception as error:
                _log.exception("%s: cannot dispatch method %r", self.module_id, request.name)
                response = error_response(
                    INTERNAL_ERROR, f"module '{self.module_id}' could not run it: {error}"
                )
        try:
            self._client().send_method_response(
                SdkMethodResponse.create_from_method_request(request, response.status, response.payload)
            )
        except Exception:
            _log.exception("%s: cannot answer method %r", self.module_id, request.name)

    def _on_desired_patch(self, patch: dict[str, Any]) -> None:
        self._in_loop(self._push_patch, dict(patch))

    def _push_patch(self, patch: dict[str, Json]) -> None:
        try:
            self._patch_send.send_nowait(patch)
        except anyio.WouldBlock:
            _log.warning("%s: desired-property patches not consumed; one dropped", self.module_id)

    def _on_connection_change(self) -> None:
        sdk = self._sdk
        if sdk is not None:
            self._in_loop(self._report_connection, sdk.connected)

    def _in_loop(self, fn: Callable[..., None], *args: Any) -> None:
        portal = self._portal
        if portal is None:
            _log.warning("%s: SDK event after close ignored", self.module_id)
            return
        try:
            portal.call(fn, *args)
        except Exception:
            _log.exception("%s: SDK event could not be handled", self.module_id)


def to_sdk_message(message: EdgeMessage) -> Any:
    from azure.iot.device import Message  # noqa: PLC0415

    sdk_message = Message(
        message.body,
        message_id=message.message_id,
        content_encoding=message.content_encoding,
        content_type=message.content_type,
    )
    sdk_message.correlation_id = message.correlation_id  # pyright: ignore[reportAttributeAccessIssue] - typed None
    sdk_message.custom_properties = dict(message.properties)
    return sdk_message


def from_sdk_message(sdk_message: Any) -> EdgeMessage:
    data = sdk_message.data
    body = data.encode() if isinstance(data, str) else bytes(data or b"")
    custom = cast("dict[object, object]", sdk_message.custom_properties or {})
    properties = {str(key): str(value) for key, value in custom.items()}
    device = properties.pop(_CONNECTION_DEVICE, None)
    module = properties.pop(_CONNECTION_MODULE, None)
    return EdgeMessage(
        body=body,
        properties=properties,
        content_type=sdk_message.content_type,
        content_encoding=sdk_message.content_encoding,
        message_id=sdk_message.message_id,
        correlation_id=sdk_message.correlation_id,
        connection_device_id=device,
        connection_module_id=module,
        input_name=sdk_message.input_name,
    )


def _response_from_result(result: Any) -> MethodResponse:
    fields = cast("dict[str, Any]", result) if isinstance(result, dict) else {}
    if isinstance(fields.get("status"), int):
        return MethodResponse(int(fields["status"]), fields.get("payload"))
    return error_response(INTERNAL_ERROR, f"edgeHub answered with an unexpected method result: {result!r}")


def _response_from_error(error: Exception) -> MethodResponse:
    # The SDK raises ServiceError("HTTP operation returned: 404 Not Found") for edgeHub's error statuses.
    match = _HTTP_STATUS.search(str(error))
    status = int(match.group(1)) if match else INTERNAL_ERROR
    return error_response(status, str(error) or type(error).__name__)
