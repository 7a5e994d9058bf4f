"""The one port every module talks to the edge through.

A module receives an :class:`EdgeClient` and never learns whether edgeHub (through ``azure-iot-device``) or
the in-process hub of tests and the simulator is behind it. The base class implements what both share —
trace propagation, method-handler safety, connection-state events — on top of a few primitives each
binding supplies.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self

import anyio
import msgspec
from anyio.streams.memory import MemoryObjectReceiveStream
from opentelemetry import trace
from opentelemetry.trace import NoOpTracerProvider, Span, SpanKind, Status, StatusCode, TracerProvider

from energy_edge.messaging.edge import tracing
from energy_edge.messaging.message import EdgeMessage

_log = logging.getLogger(__name__)

Json = Any
"""A parsed JSON value (dict, list, str, int, float, bool or None)."""


class MethodRequest(msgspec.Struct, frozen=True):
    """A direct method as the handler sees it: the reserved trace key is already stripped."""

    name: str
    payload: Json


class MethodResponse(msgspec.Struct, frozen=True):
    """``(status, payload)`` of a direct method, as edgeHub returns it to the caller.

    Request and response are frozen msgspec Structs rather than frozen dataclasses: every command builds
    several, and a Struct is built in C about ten times faster."""

    status: int
    payload: Json

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


MethodHandler = Callable[[MethodRequest], Awaitable[MethodResponse]]


class EdgeTransportError(RuntimeError):
    """The edge runtime could not be reached or refused an operation (not connected, send failed, ...)."""


GATEWAY_TIMEOUT = 504
NOT_FOUND = 404
INTERNAL_ERROR = 500


def error_response(status: int, reason: str) -> MethodResponse:
    """A non-200 response with DESIGN.md's body: ``{"status": "error", "error": reason}``."""
    return MethodResponse(status, {"status": "error", "error": reason})


class EdgeClient(ABC):
    """Async client of one IoT Edge module; use once as ``async with client: ...``.

    - ``send_message(output, message)`` — to a named output; edgeHub routes it.
    - ``messages(input_name)`` — async iterator over one input; wrap processing in
      ``process_span(message)`` to continue the sender's trace.
    - ``invoke_method(module_id, method, payload, timeout_s=...)`` -> :class:`MethodResponse`.
    - ``serve_methods(handler)`` — one async handler for every direct method of this module.
    - ``get_desired_properties()``, ``desired_patches()``, ``patch_reported_properties(patch)`` — module twin.
    - ``connected`` and ``connection_changes()`` — connection state as the transport reports it.
    """

    def __init__(
        self, *, module_id: str, device_id: str, tracer_provider: TracerProvider | None = None
    ) -> None:
        self.module_id = module_id
        self.device_id = device_id
        self._tracer = trace.get_tracer(tracing.INSTRUMENTATION_NAME, tracer_provider=tracer_provider)
        # An explicit no-op provider means "never traced": skip span bookkeeping on the hot paths entirely
        # (a simulated site day sends hundreds of thousands of messages).
        self._traced = not isinstance(tracer_provider, NoOpTracerProvider)
        self._handler: MethodHandler | None = None
        self._connected = False
        self._connection_send, self._connection_receive = anyio.create_memory_object_stream[bool](16)

    # -- lifecycle -------------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        try:
            await self._open()
        except BaseException:
            self._release()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Not shielded here: bindings exit task groups they entered in ``_open`` (which must not happen
        # inside a new cancel scope) and shield their own cleanup I/O themselves. A client is one
        # connection's lifetime: its streams end here, and iterators over them finish.
        try:
            await self._close()
        finally:
            self._release()

    def _release(self) -> None:
        """Close the client's streams; bindings extend it with their own."""
        self._connection_send.close()
        self._connection_receive.close()

    @property
    def connected(self) -> bool:
        return self._connected

    def connection_changes(self) -> MemoryObjectReceiveStream[bool]:
        """``True``/``False`` each time the transport connects or loses its connection."""
        return self._connection_receive

    def _report_connection(self, connected: bool) -> None:
        if connected == self._connected:
            return
        self._connected = connected
        try:
            self._connection_send.send_nowait(connected)
        except anyio.WouldBlock:
            _log.warning("%s: connection-state events not consumed; dropping one", self.module_id)

    # -- messages ----------------------------------------------------------------------------------------

    async def send_message(self, output: str, message: EdgeMessage) -> None:
        """Send to ``output`` inside a PRODUCER span whose context rides along as ``traceparent``."""
        if not self._traced:
            await self._send(output, message)
            return
        with self._tracer.start_as_current_span(
            f"send {output}",
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": tracing.MESSAGING_SYSTEM,
                "messaging.operation.type": "send",
                "messaging.destination.name": output,
                "messaging.message.body.size": len(message.body),
            },
        ):
            headers = tracing.inject()
            await self._send(output, message.with_properties(**headers) if headers else message)

    def messages(self, input_name: str) -> AsyncIterator[EdgeMessage]:
        """Messages routed to ``input_name``, in arrival order."""
        return self._input(input_name)

    @contextmanager
    def process_span(self, message: EdgeMessage) -> Generator[Span]:
        """A CONSUMER span for handling ``message``, child of the span that sent it (if it was traced)."""
        name = message.input_name or "input"
        with self._tracer.start_as_current_span(
            f"process {name}",
            context=tracing.extract(message.properties),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": tracing.MESSAGING_SYSTEM,
                "messaging.operation.type": "process",
                "messaging.destination.name": name,
                "messaging.message.body.size": len(message.body),
                **(
                    {"messaging.source.module": message.connection_module_id}
                    if message.connection_module_id
                    else {}
                ),
            },
        ) as span:
            yield span

    # -- direct methods ----------------------------------------------------------------------------------

    async def invoke_method(
        self, module_id: str, method: str, payload: Json = None, *, timeout_s: float = 10.0
    ) -> MethodResponse:
        """Call ``method`` on ``module_id`` of this device inside a CLIENT span; never raises for a status.

        Unknown or disconnected modules give 404, a target that does not answer within ``timeout_s`` 504,
        otherwise the target's own status and payload.
        """
        if not self._traced:
            return await self._invoke(module_id, method, payload, timeout_s)
        with self._tracer.start_as_current_span(
            f"{module_id}/{method}",
            kind=SpanKind.CLIENT,
            attributes={"rpc.system": tracing.RPC_SYSTEM, "rpc.service": module_id, "rpc.method": method},
        ) as span:
            wrapped = tracing.wrap_payload(payload, tracing.inject())
            response = await self._invoke(module_id, method, wrapped, timeout_s)
            span.set_attribute("rpc.response.status_code", str(response.status))
            if not response.ok:
                span.set_status(Status(StatusCode.ERROR, f"method returned {response.status}"))
            return response

    def serve_methods(self, handler: MethodHandler) -> None:
        """Serve every direct method of this module with ``handler`` (replacing any previous one)."""
        self._handler = handler

    async def _dispatch_method(self, name: str, raw_payload: Json) -> MethodResponse:
        """What a binding calls for each incoming method: strip trace context, SERVER span, never raise."""
        payload, headers = tracing.unwrap_payload(raw_payload)
        if not self._traced:
            return await self._call_handler(MethodRequest(name, payload))
        with self._tracer.start_as_current_span(
            f"{self.module_id}/{name}",
            context=tracing.extract(headers),
            kind=SpanKind.SERVER,
            attributes={"rpc.system": tracing.RPC_SYSTEM, "rpc.service": self.module_id, "rpc.method": name},
        ) as span:
            response = await self._call_handler(MethodRequest(name, payload))
            span.set_attribute("rpc.response.status_code", str(response.status))
            if response.status >= INTERNAL_ERROR:
                span.set_status(Status(StatusCode.ERROR, f"method returned {response.status}"))
            return response

    async def _call_handler(self, request: MethodRequest) -> MethodResponse:
        handler = self._handler
        if handler is None:
            return error_response(NOT_FOUND, f"module '{self.module_id}' serves no direct methods")
        try:
            return await handler(request)
        except Exception as error:
            # A handler bug must answer the caller and leave the module running.
            _log.exception("%s: direct method %r failed", self.module_id, request.name)
            return error_response(INTERNAL_ERROR, f"{type(error).__name__}: {error}")

    # -- twin --------------------------------------------------------------------------------------------

    @abstractmethod
    async def get_desired_properties(self) -> dict[str, Json]:
        """The module twin's desired properties, including ``$version``."""

    @abstractmethod
    def desired_patches(self) -> AsyncIterator[dict[str, Json]]:
        """Each desired-properties patch as it arrives (with ``$version``)."""

    @abstractmethod
    async def patch_reported_properties(self, patch: Mapping[str, Json]) -> None:
        """Merge ``patch`` into the reported properties (``None`` values delete keys, as on IoT Hub)."""

    # -- binding primitives ------------------------------------------------------------------------------

    @abstractmethod
    async def _open(self) -> None: ...

    @abstractmethod
    async def _close(self) -> None: ...

    @abstractmethod
    async def _send(self, output: str, message: EdgeMessage) -> None: ...

    @abstractmethod
    def _input(self, input_name: str) -> AsyncIterator[EdgeMessage]: ...

    @abstractmethod
    async def _invoke(
        self, module_id: str, method: str, payload: Json, timeout_s: float
    ) -> MethodResponse: ...
