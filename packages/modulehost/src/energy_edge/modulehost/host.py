"""Runs one asset as an IoT Edge module over an :class:`EdgeClient`.

The host owns what every asset module does the same way:

- the lifecycle (``AssetLifecycle``) and following the equipment: a reported fault latches FAULT and stops
  the equipment, STARTING ends when the equipment runs, STOPPING when it no longer does;
- direct methods from the asset's command table, timed and counted;
- configuration from the module twin, applied atomically, the applied configuration (or the reason a patch
  was refused) reported back;
- the tick: read the equipment, follow it, check set-point expiry, send telemetry on output ``telemetry``
  every ``telemetry_interval_s``;
- reported properties (state, fault reason, configuration), Prometheus metrics, state transitions as span
  events, and a final report when the module is stopped.

Nothing an operator, a controller or the equipment sends can crash the module: bad commands and patches are
answered and counted, a failing read or send is logged once per change and retried on the next tick, and
three failed reads in a row latch a communication fault (equipment that cannot be observed is not safe).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final, Generic

import anyio
import anyio.abc
from anyio.lowlevel import current_token
from opentelemetry import trace
from opentelemetry.trace import TracerProvider

from energy_edge.messaging import TELEMETRY
from energy_edge.messaging.edge import (
    EdgeClient,
    EdgeMessage,
    EdgeTransportError,
    MethodRequest,
    MethodResponse,
)
from energy_edge.modulehost.asset import AssetModule, C, M, TelemetryHeader
from energy_edge.modulehost.commands import Command, dispatch
from energy_edge.modulehost.config import TwinConfig
from energy_edge.modulehost.metrics import ModuleMetrics
from energy_edge.modulehost.twin_sync import ConfigFollower, report
from energy_edge.statemachine import AssetEvent, AssetLifecycle, AssetState, Transition

_log = logging.getLogger(__name__)

TELEMETRY_OUTPUT: Final = "telemetry"
READ_FAILURES_BEFORE_FAULT: Final = 3
OK: Final = 200


class ModuleHost(Generic[C, M]):
    """One asset, one EdgeClient. ``await host.run()`` until cancelled."""

    def __init__(
        self,
        asset: AssetModule[C, M],
        client: EdgeClient,
        *,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = anyio.current_time,
        metrics: ModuleMetrics | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self.asset = asset
        self.client = client
        self.metrics = (
            metrics
            if metrics is not None
            else ModuleMetrics(module_id=client.module_id, asset_id=asset.asset_id)
        )
        self.lifecycle = AssetLifecycle(clock)
        self.twin: TwinConfig[C] = TwinConfig(asset.config_type)  # pyright: ignore[reportAttributeAccessIssue, reportArgumentType]
        self.last_measurement: M | None = None
        self._clock = clock
        self._monotonic = monotonic
        self._tracer = trace.get_tracer("energy_edge.modulehost", tracer_provider=tracer_provider)
        self._commands: Mapping[str, Command] = {}
        self._read_failures = 0
        self._send_failing = False
        self._reported_state: tuple[AssetState, str | None] | None = None
        self._status: tuple[AssetState, str | None] = (self.lifecycle.state, self.lifecycle.fault_reason)
        """The lifecycle's state and fault reason, kept by ``_on_transition`` (every change is a transition):
        the tick reads them three times, and a property read costs more than what each check does with it."""
        self.config_follower = ConfigFollower(
            self.twin,
            client,
            apply=asset.configure,
            on_rejected=lambda: self.metrics.count(self.metrics.config_rejections),
            name=asset.asset_id,
        )
        self._hold = asset.setpoint_hold  # one object for the asset's life: not looked up every tick
        asset.bind(self.lifecycle, self.twin.current, monotonic)
        self.lifecycle.add_listener(self._on_transition)
        self.metrics.set_state(self.lifecycle.state)

    # -- running -------------------------------------------------------------------------------------------

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Configure, serve methods, start if configured to, then tick and follow twin patches."""
        await self.config_follower.load()
        self._commands = self.asset.commands()
        self.client.serve_methods(self._handle_method)
        if self.twin.current.auto_start and self.lifecycle.can(AssetEvent.START):
            await self._auto_start()
        await self._report_state()
        task_status.started()
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self._tick_forever)
                tasks.start_soon(self.config_follower.follow)
        finally:
            with anyio.CancelScope(shield=True):
                await self._report_final()

    async def _tick_forever(self) -> None:
        # The running backend's own sleep, found once: anyio.sleep looks the backend up on every call.
        sleep = current_token().backend_class.sleep
        monotonic = self._monotonic
        next_tick = monotonic()
        while True:
            await self.tick()
            # Deadline-based, so a slow tick does not make the telemetry period drift: the later of the next
            # deadline and now (max() spelled out with its rule, the first unless the second is larger: the
            # builtin's call costs more than the rest of this, every tick).
            due = next_tick + self.twin.current.telemetry_interval_s
            now = monotonic()
            next_tick = now if now > due else due
            await sleep(next_tick - monotonic())

    async def tick(self) -> None:
        """Read the equipment, follow it, check set-point expiry, send telemetry."""
        # What usually has nothing to do (a failed read, a transition, a lapsed set-point, a state to report)
        # is decided here, and only then awaited: a coroutine per step costs more than its check, and a
        # module ticks every few seconds for as long as it runs (a simulated site day, 70,000 times).
        try:
            measurement = await self.asset.sense()
        except Exception as error:
            await self._read_failed(error)
            return
        self._observe(measurement)
        fault = self._follow(measurement)
        if fault is not None:
            await self._latch_fault(fault)
        hold = self._hold
        if hold.deadline_s is not None and hold.lapsed(self._monotonic()):
            await self._fall_back()
        await self._send_telemetry(measurement)
        if self._status != self._reported_state:
            await self._report_state()

    # -- equipment -----------------------------------------------------------------------------------------

    async def _read_failed(self, error: Exception) -> None:
        self._read_failures += 1
        if self._read_failures == 1:
            _log.warning("%s: reading the equipment failed: %s", self.asset.asset_id, error)
        # ">=": equipment still silent after a reset latches the fault again.
        if self._read_failures >= READ_FAILURES_BEFORE_FAULT and self.lifecycle.state is not AssetState.FAULT:
            await self._latch_fault(f"equipment not responding: {error}")
            await self._report_state()

    def _observe(self, measurement: M) -> None:
        if self._read_failures:
            _log.info("%s: equipment readable again", self.asset.asset_id)
        self._read_failures = 0
        self.last_measurement = measurement
        self.metrics.observe(
            power_kw=measurement.power_kw,
            temperature_c=measurement.temperature_c,
            soc_percent=measurement.soc_percent,
        )

    def _follow(self, measurement: M) -> str | None:
        """End STARTING or STOPPING as the equipment says; a fault it newly reports is returned, to latch."""
        state = self._status[0]
        if measurement.fault is not None and state is not AssetState.FAULT:
            return measurement.fault
        if state is AssetState.STARTING and measurement.running:
            self.lifecycle.startup_complete()
        elif state is AssetState.STOPPING and not measurement.running:
            self.lifecycle.stop_complete()
        return None

    async def _latch_fault(self, reason: str) -> None:
        self.lifecycle.fault(reason)
        self.asset.setpoint_hold.clear()
        try:
            await self.asset.stop_equipment()
        except Exception:
            _log.exception("%s: could not stop the equipment after a fault", self.asset.asset_id)

    async def _auto_start(self) -> None:
        try:
            await self.asset.start_equipment()
        except Exception:
            _log.exception("%s: automatic start failed; waiting for a start command", self.asset.asset_id)
            return
        self.lifecycle.start()

    async def _fall_back(self) -> None:
        _log.warning(
            "%s: set-point not refreshed in %.0f s; falling back to safe behaviour",
            self.asset.asset_id,
            self.twin.current.setpoint_hold_s,
        )
        self.metrics.count(self.metrics.setpoint_expiries)
        with self._tracer.start_as_current_span(f"{self.client.module_id}/setpoint_expired"):
            try:
                await self.asset.fall_back()
            except Exception:
                _log.exception("%s: falling back failed", self.asset.asset_id)
        await self._report({"setpoint_expired_at": self._clock().isoformat()})

    # -- telemetry -----------------------------------------------------------------------------------------

    async def _send_telemetry(self, measurement: M) -> None:
        state, fault_reason = self._status
        header = TelemetryHeader(
            asset_id=self.asset.asset_id, state=state, timestamp=self._clock(), fault_code=fault_reason
        )
        body = TELEMETRY.encode(self.asset.telemetry(measurement, header))
        try:
            await self.client.send_message(TELEMETRY_OUTPUT, EdgeMessage(body=body))
        except EdgeTransportError as error:
            self.metrics.count(self.metrics.telemetry_failed)
            if not self._send_failing:
                _log.warning("%s: telemetry not sent: %s", self.asset.asset_id, error)
            self._send_failing = True
            return
        if self._send_failing:
            _log.info("%s: telemetry flowing again", self.asset.asset_id)
        self._send_failing = False
        self.metrics.telemetry_sent.inc()  # what metrics.count() does, without its call: every tick

    # -- direct methods ------------------------------------------------------------------------------------

    async def _handle_method(self, request: MethodRequest) -> MethodResponse:
        started = time.perf_counter()
        outcome = await dispatch(self._commands, request, self.lifecycle.state)
        self.metrics.command(outcome.method_label, outcome.response.status, time.perf_counter() - started)
        if outcome.response.status == OK:
            await self._report_state()
        return outcome.response

    # -- configuration -------------------------------------------------------------------------------------

    async def apply_patch(self, patch: Mapping[str, Any]) -> bool:
        """Apply a desired-properties patch atomically; returns whether it took effect."""
        return await self.config_follower.apply_patch(patch)

    # -- reported properties, metrics, tracing -------------------------------------------------------------

    def _on_transition(self, transition: Transition) -> None:
        # Read back rather than taken from the transition: a listener that fires another event from its
        # own call is notified of the later transition first.
        self._status = (self.lifecycle.state, self.lifecycle.fault_reason)
        self.metrics.set_state(transition.current)
        if transition.current is AssetState.FAULT:
            self.metrics.count(self.metrics.faults)
            _log.error("%s: FAULT (%s)", self.asset.asset_id, transition.reason)
        else:
            _log.info("%s: %s -> %s", self.asset.asset_id, transition.previous, transition.current)
        attributes = {
            "asset.id": self.asset.asset_id,
            "asset.state.previous": transition.previous.value,
            "asset.state": transition.current.value,
            "asset.event": transition.event.value,
            **({"asset.fault_reason": transition.reason} if transition.reason else {}),
        }
        span = trace.get_current_span()
        if span.is_recording():
            span.add_event("asset.state_change", attributes)
        else:
            with self._tracer.start_as_current_span(f"{self.client.module_id}/state_change") as own:
                own.add_event("asset.state_change", attributes)

    async def _report_state(self) -> None:
        current = self._status
        if current == self._reported_state:
            return
        at = self.lifecycle.last_transition_at
        await self._report(
            {
                "state": current[0].value,
                "fault_reason": current[1],
                "state_since": None if at is None else at.isoformat(),
            }
        )
        self._reported_state = current

    async def _report_final(self) -> None:
        self._reported_state = None
        await self._report_state()
        await self._report({"module_stopped_at": self._clock().isoformat()})

    async def _report(self, patch: Mapping[str, Any]) -> None:
        await report(self.client, patch)
