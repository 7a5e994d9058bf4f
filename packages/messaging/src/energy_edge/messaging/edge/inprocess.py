"""An in-process edgeHub for tests and the site simulator, built from the real deployment manifest.

Routing is done by the manifest's own routes (compiled once), never by routes written in Python. Delivery
follows edgeHub: a message is stamped with ``$connectionDeviceId``/``$connectionModuleId``/``$outputName``,
evaluated against every route, and delivered once to each distinct sink that matched; module inputs are
bounded queues that exist before their module connects (edgeHub stores messages for a module that is not
there yet); ``$upstream`` goes through :class:`CloudUpstream`'s store-and-forward. Direct methods between
modules answer 404 for an unknown or disconnected module, 504 when the target does not answer in time, and
the target's own status and payload otherwise. All waiting is anyio, so the hub runs in real time or in
the simulator's virtual time alike.
"""

from __future__ import annotations

import contextvars
import logging
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import anyio
import msgspec
from anyio.abc import AsyncBackend, TaskGroup
from anyio.lowlevel import checkpoint, current_token
from opentelemetry.trace import TracerProvider

from energy_edge.messaging.edge.port import (
    GATEWAY_TIMEOUT,
    NOT_FOUND,
    EdgeClient,
    EdgeTransportError,
    Json,
    MethodResponse,
    error_response,
)
from energy_edge.messaging.edge.twin import ModuleTwin
from energy_edge.messaging.edge.upstream import CloudUpstream
from energy_edge.messaging.message import EdgeMessage
from energy_edge.messaging.routes import ModuleInputSink, Route, Sink, matching_routes

if TYPE_CHECKING:  # the manifest module imports the route engine, which imports this package
    from energy_edge.messaging.manifest import DeploymentManifest

_log = logging.getLogger(__name__)

BACKLOG_RUN: Final = 64
"""Messages a module input hands over from its backlog before the reader yields to other tasks."""


class ModuleInput:
    """One module input of the hub: a bounded FIFO the hub fills and the module iterates.

    Not an anyio memory stream: every message of a simulated site day passes through one, and a stream's
    receive (a ``WouldBlock`` raised and caught, a receiver record and an Event per wait) costs several times
    what this does. The module sees arrival order, a wait that ends when a message arrives, and the end of
    iteration when the hub closes, as on a stream. Every message is a cancellation point, but unlike a
    stream's receive not every message is a scheduling point: messages already held are handed over without
    yielding, up to ``BACKLOG_RUN`` in a row, then the reader yields once (a long backlog still does not
    starve other tasks). A tick of every asset module arrives as one burst at the controller, and a yield
    per message was a fifth of the scheduler's work in a simulated site day.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._buffer: deque[EdgeMessage] = deque()
        self._waiters: deque[anyio.Event] = deque()
        self._closed = False
        self._run = 0
        """Messages handed over from the backlog since the reader last yielded."""
        self._backend: type[AsyncBackend] | None = None
        """The reader's event loop backend, found on its first wait: ``anyio.lowlevel.checkpoint()`` and
        ``anyio.Event()`` would look it up again for every message."""

    def __len__(self) -> int:
        return len(self._buffer)

    def put(self, message: EdgeMessage) -> bool:
        """Append ``message``, dropping the oldest first when full; False when one was dropped."""
        kept = len(self._buffer) < self.capacity
        if not kept:
            self._buffer.popleft()
        self._buffer.append(message)
        if self._waiters:
            self._waiters.popleft().set()
        return kept

    def receive_nowait(self) -> EdgeMessage:
        """The oldest message held, without waiting; ``anyio.WouldBlock`` when there is none (as on an anyio
        memory stream), ``anyio.EndOfStream`` once the hub has closed."""
        if self._buffer:
            return self._buffer.popleft()
        if self._closed:
            raise anyio.EndOfStream
        raise anyio.WouldBlock

    def close(self) -> None:
        """Drop what is held; readers waiting now or later see the iteration end."""
        self._closed = True
        self._buffer.clear()
        while self._waiters:
            self._waiters.popleft().set()

    def __aiter__(self) -> ModuleInput:
        return self

    async def __anext__(self) -> EdgeMessage:
        backend = self._backend
        if backend is None:
            backend = self._backend = current_token().backend_class
        if self._buffer:
            self._run += 1
            if self._run < BACKLOG_RUN:
                await backend.checkpoint_if_cancelled()
            else:
                self._run = 0
                await backend.checkpoint()
        while not self._buffer:
            self._run = 0  # the wait below yields
            if self._closed:
                raise StopAsyncIteration
            waiter = backend.create_event()
            self._waiters.append(waiter)
            try:
                await waiter.wait()
            except BaseException:
                if waiter.is_set():
                    # Woken for a message, then cancelled: pass the wake-up on to the next reader, if any.
                    if self._buffer and self._waiters:
                        self._waiters.popleft().set()
                else:
                    self._waiters.remove(waiter)
                raise
        return self._buffer.popleft()


class _RoutePlan:
    """The routes whose source selects one (module, output), highest priority first.

    A source looks only at the stamped module and output names, so which routes a message from there may
    take is decided once per (module, output), not per message. When none of them has a condition, every
    message from there goes to the same sinks: those are resolved once too (each distinct sink with its
    best route's name and TTL), and routing a message is a loop over them.
    """

    __slots__ = ("deliveries", "routes")

    def __init__(self, routes: tuple[Route, ...], default_ttl_s: float) -> None:
        self.routes = routes
        self.deliveries: tuple[tuple[Sink, str, float], ...] | None = None
        """``(sink, route name, TTL)`` per distinct sink, when no route has a condition; else ``None``."""
        if all(route.evaluate is None for route in routes):
            sinks: dict[Sink, tuple[Sink, str, float]] = {}
            for route in routes:
                sinks.setdefault(route.sink, (route.sink, route.name, _ttl_s(route, default_ttl_s)))
            self.deliveries = tuple(sinks.values())


def _ttl_s(route: Route, default_ttl_s: float) -> float:
    return default_ttl_s if route.time_to_live_secs is None else float(route.time_to_live_secs)


class InProcessHub:
    """edgeHub for one device, in one process. ``hub.client(module_id)`` is that module's EdgeClient."""

    def __init__(
        self,
        manifest: DeploymentManifest,
        *,
        device_id: str = "edge-device-01",
        input_capacity: int = 1000,
        patch_capacity: int = 100,
        upstream_capacity: int = 100_000,
        clock: Callable[[], float] = anyio.current_time,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        if input_capacity < 1 or patch_capacity < 1:
            raise ValueError("queue capacities must be at least one")
        self.manifest = manifest
        self.device_id = device_id
        self.upstream = CloudUpstream(clock=clock, capacity=upstream_capacity)
        self.dropped: Counter[tuple[str, str]] = Counter()
        """Messages lost to a full module input (the oldest go first), by (module id, input)."""
        self.unrouted: Counter[tuple[str, str]] = Counter()
        """Messages no route matched, by (module id, output); edgeHub drops them too."""
        self._routes: tuple[Route, ...] = tuple(sorted(manifest.routes, key=lambda route: route.priority))
        self._default_ttl_s = float(manifest.store_and_forward_ttl_s)
        self._input_capacity = input_capacity
        self.patch_capacity = patch_capacity
        self._wall_clock = wall_clock
        self._tracer_provider = tracer_provider
        self._inputs: dict[tuple[str, str], ModuleInput] = {}
        self._plans: dict[tuple[str, str], _RoutePlan] = {}
        self._connected: dict[str, InProcessEdgeClient] = {}
        self.twins: dict[str, ModuleTwin] = {
            module_id: ModuleTwin(desired=dict(manifest.desired_properties.get(module_id, {})))
            for module_id in manifest.module_ids
        }

    def __enter__(self) -> InProcessHub:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release every module input queue (modules still iterating an input see it end)."""
        for queue in self._inputs.values():
            queue.close()
        self._inputs.clear()

    def client(self, module_id: str) -> InProcessEdgeClient:
        """A client for a module of the manifest (connect it with ``async with``)."""
        if module_id not in self.twins:
            raise ValueError(f"module '{module_id}' is not in the deployment manifest")
        return InProcessEdgeClient(self, module_id, tracer_provider=self._tracer_provider)

    def is_connected(self, module_id: str) -> bool:
        client = self._connected.get(module_id)
        return client is not None and client.connected

    def set_link(self, module_id: str, up: bool) -> None:
        """Cut or restore a connected module's link to the hub (edgeHub restarting, a network fault).

        While it is down the module's sends and twin calls raise ``EdgeTransportError`` and methods to it
        get 404."""
        client = self._connected.get(module_id)
        if client is None:
            raise ValueError(f"module '{module_id}' is not connected")
        client.link_changed(up)

    async def update_desired(self, module_id: str, patch: Mapping[str, Any]) -> None:
        """What an operator does in IoT Hub: patch a module's desired properties. A connected module is
        told at once; one that connects later reads them with its twin."""
        if module_id not in self.twins:
            raise ValueError(f"module '{module_id}' is not in the deployment manifest")
        pushed = self.twins[module_id].patch_desired(patch)
        client = self._connected.get(module_id)
        if client is not None:
            client.push_desired_patch(pushed)

    # -- routing -----------------------------------------------------------------------------------------

    def input_queue(self, module_id: str, input_name: str) -> ModuleInput:
        key = (module_id, input_name)
        queue = self._inputs.get(key)
        if queue is None:
            queue = self._inputs[key] = ModuleInput(self._input_capacity)
        return queue

    def route(self, module_id: str, output: str, message: EdgeMessage) -> None:
        """Accept a message a module sent to ``output`` and deliver it to every matching route's sink."""
        # The hub's stamp replaces whatever system properties the sender set (as edgeHub's does). Each
        # delivery to a module input is stamped from the sender's message at once, input name included:
        # one copy per delivery. The stamp without an input (what conditions and the cloud see) is made
        # only when something needs it.
        enqueued = self._wall_clock()
        stamped: EdgeMessage | None = None
        plan = self._plans.get((module_id, output))
        if plan is None or plan.deliveries is None:
            stamped = self._stamp(message, module_id, output, None, enqueued)
            if plan is None:
                plan = self._plan(module_id, output, stamped)
        deliveries = plan.deliveries
        if deliveries is None:
            assert stamped is not None
            deliveries = self._conditional_deliveries(plan.routes, stamped)
        if not deliveries:
            self.unrouted[(module_id, output)] += 1
            return
        for sink, route_name, ttl_s in deliveries:
            if isinstance(sink, ModuleInputSink):
                self._deliver_to_input(
                    sink, self._stamp(message, module_id, output, sink.input_name, enqueued)
                )
            else:
                if stamped is None:
                    stamped = self._stamp(message, module_id, output, None, enqueued)
                self.upstream.accept(stamped, route=route_name, ttl_s=ttl_s)

    def _stamp(
        self,
        message: EdgeMessage,
        module_id: str,
        output: str,
        input_name: str | None,
        enqueued: datetime | None,
    ) -> EdgeMessage:
        return msgspec.structs.replace(
            message,
            connection_device_id=self.device_id,
            connection_module_id=module_id,
            output_name=output,
            input_name=input_name,
            enqueued_time=enqueued,
        )

    def _plan(self, module_id: str, output: str, stamped: EdgeMessage) -> _RoutePlan:
        # Any message stamped with this module and output selects the same routes: the stamped one decides.
        routes = tuple(route for route in self._routes if route.source.matches(stamped))
        plan = self._plans[(module_id, output)] = _RoutePlan(routes, self._default_ttl_s)
        return plan

    def _conditional_deliveries(
        self, routes: tuple[Route, ...], stamped: EdgeMessage
    ) -> list[tuple[Sink, str, float]]:
        # Highest priority first, so a sink reached by several routes gets its best route's TTL;
        # matching_routes parses a JSON body at most once for all $body conditions.
        deliveries: list[tuple[Sink, str, float]] = []
        delivered_to: set[Sink] = set()
        for route in matching_routes(routes, stamped):
            if route.sink not in delivered_to:
                delivered_to.add(route.sink)
                deliveries.append((route.sink, route.name, _ttl_s(route, self._default_ttl_s)))
        return deliveries

    def _deliver_to_input(self, sink: ModuleInputSink, delivered: EdgeMessage) -> None:
        if not self.input_queue(sink.module_id, sink.input_name).put(delivered):
            # A full input drops its oldest message: for telemetry the newest reading is the one that matters.
            key = (sink.module_id, sink.input_name)
            if not self.dropped[key]:
                _log.warning("input %s/%s is full; dropping the oldest messages (counted)", *key)
            self.dropped[key] += 1

    # -- direct methods ------------------------------------------------------------------------------------

    async def invoke(self, target: str, method: str, payload: Json, timeout_s: float) -> MethodResponse:
        client = self._connected.get(target)
        if client is None or not client.connected:
            known = "connected" if target in self.twins else "deployed"
            return error_response(NOT_FOUND, f"module '{target}' is not {known} on device '{self.device_id}'")
        # A one-shot reply slot and an Event rather than a memory stream: a stream (its state, two ends, a
        # waiter Event of its own) costs several times as much per call, and a call has exactly one answer.
        # When the caller gave up (504) nobody reads the slot: the late answer is dropped, as on edgeHub.
        backend = client.backend
        call = MethodCall(method, payload, backend.create_event())
        client.serve_call(call)
        with backend.create_cancel_scope(deadline=backend.current_time() + timeout_s):
            await call.answered.wait()
        if call.answer is not None:
            return call.answer
        return error_response(GATEWAY_TIMEOUT, f"'{target}' did not answer '{method}' within {timeout_s:g} s")

    def register(self, client: InProcessEdgeClient) -> None:
        if client.module_id in self._connected:
            raise RuntimeError(f"module '{client.module_id}' is already connected")
        self._connected[client.module_id] = client

    def unregister(self, client: InProcessEdgeClient) -> None:
        if self._connected.get(client.module_id) is client:
            del self._connected[client.module_id]


class MethodCall:
    """A direct method on its way through the hub: the request, and the answer once the target gave it."""

    __slots__ = ("answer", "answered", "method", "payload")

    def __init__(self, method: str, payload: Json, answered: anyio.Event) -> None:
        self.method = method
        self.payload = payload
        self.answered = answered
        self.answer: MethodResponse | None = None


class _IdleMethodServer:
    """A method server of a module waiting for its next call."""

    __slots__ = ("call", "woken")

    def __init__(self, woken: anyio.Event) -> None:
        self.woken = woken
        self.call: MethodCall | None = None

    def hand(self, call: MethodCall) -> None:
        self.call = call
        self.woken.set()


class InProcessEdgeClient(EdgeClient):
    """The EdgeClient a module gets from :class:`InProcessHub`."""

    def __init__(self, hub: InProcessHub, module_id: str, *, tracer_provider: TracerProvider | None) -> None:
        super().__init__(module_id=module_id, device_id=hub.device_id, tracer_provider=tracer_provider)
        self._hub = hub
        self._stack: AsyncExitStack | None = None
        self._task_group: TaskGroup | None = None
        self._backend: type[AsyncBackend] | None = None
        self._context: contextvars.Context | None = None
        self._idle_servers: list[_IdleMethodServer] = []
        self._patch_send, self._patch_receive = anyio.create_memory_object_stream[dict[str, Json]](
            hub.patch_capacity
        )

    async def _open(self) -> None:
        self._hub.register(self)
        stack = AsyncExitStack()
        # Method handlers run in this module's own task group, as they would in the module's process:
        # a caller that times out does not cancel the target's handler half-way.
        self._task_group = await stack.enter_async_context(anyio.create_task_group())
        self._stack = stack
        self._backend = current_token().backend_class
        # What the module's handlers see of context variables: the connection's, never a caller's.
        self._context = contextvars.copy_context()
        self._report_connection(True)

    async def _close(self) -> None:
        self._hub.unregister(self)
        self._report_connection(False)
        self._idle_servers.clear()
        if self._task_group is not None:
            self._task_group.cancel_scope.cancel()
        if self._stack is not None:
            await self._stack.aclose()
        self._stack = self._task_group = self._context = None

    def _release(self) -> None:
        super()._release()
        self._patch_send.close()
        self._patch_receive.close()

    @property
    def backend(self) -> type[AsyncBackend]:
        """The event loop backend the client connected in (found once, not on every call)."""
        if self._backend is None:
            raise RuntimeError(f"module '{self.module_id}' is not connected")
        return self._backend

    def serve_call(self, call: MethodCall) -> None:
        """Answer ``call`` in this module's task group; its ``answered`` is set when the answer is in.

        A server task, once started, stays for the next call: starting an anyio task (its task state, cancel
        scope, finished event and done callback) costs several times what waking a waiting one does, and a
        simulated site day has a call every few seconds. A call that finds no server idle starts one, so
        calls never queue behind a slow handler. Either way the handler runs when the scheduler next gets to
        it, as a task started for the call would.
        """
        if self._idle_servers:
            self._idle_servers.pop().hand(call)
            return
        if self._task_group is None or self._context is None:
            raise RuntimeError(f"module '{self.module_id}' is not connected")
        self._context.run(self._task_group.start_soon, self._serve_calls, call)

    async def _serve_calls(self, call: MethodCall) -> None:
        backend = self.backend
        while True:
            call.answer = await self._dispatch_method(call.method, call.payload)
            call.answered.set()
            idle = _IdleMethodServer(backend.create_event())
            self._idle_servers.append(idle)
            await idle.woken.wait()
            assert idle.call is not None
            call = idle.call

    async def dispatch(self, method: str, payload: Json) -> MethodResponse:
        return await self._dispatch_method(method, payload)

    def link_changed(self, up: bool) -> None:
        self._report_connection(up)

    def _require_link(self) -> None:
        if not self.connected:
            raise EdgeTransportError(f"module '{self.module_id}' is not connected to the hub")

    def push_desired_patch(self, patch: dict[str, Json]) -> None:
        try:
            self._patch_send.send_nowait(patch)
        except anyio.WouldBlock:
            _log.warning("%s: desired-property patches not consumed; one dropped", self.module_id)

    async def _send(self, output: str, message: EdgeMessage) -> None:
        # Routing is a synchronous hand-off to bounded queues, so no checkpoint: a scheduler round trip per
        # message would be most of the cost of a simulated site day. Callers yield in their own loops.
        self._require_link()
        self._hub.route(self.module_id, output, message)

    def _input(self, input_name: str) -> AsyncIterator[EdgeMessage]:
        return self._hub.input_queue(self.module_id, input_name)

    async def _invoke(self, module_id: str, method: str, payload: Json, timeout_s: float) -> MethodResponse:
        self._require_link()
        return await self._hub.invoke(module_id, method, payload, timeout_s)

    async def get_desired_properties(self) -> dict[str, Json]:
        await checkpoint()
        self._require_link()
        return self._hub.twins[self.module_id].desired_document()

    def desired_patches(self) -> AsyncIterator[dict[str, Json]]:
        return self._patch_receive

    async def patch_reported_properties(self, patch: Mapping[str, Json]) -> None:
        await checkpoint()
        self._require_link()
        self._hub.twins[self.module_id].patch_reported(patch)
