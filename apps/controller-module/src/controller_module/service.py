"""The controller module: four loops over one EdgeClient.

- **ingest**: every message of input ``telemetry`` into the registry;
- **control**: every ``control_interval_s``, one OpenTelemetry span ("control cycle") around
  snapshot -> strategy -> dispatcher; its commands' CLIENT spans are its children, and each asset's SERVER
  span is theirs, so one trace runs from the decision to the asset's handler. A meter reading beyond a grid
  limit starts the next cycle at once (at most one cycle per ``LIMIT_GUARD_GAP_S``): an export limitation
  scheme must bring feed-in back under its limit within 5 s (ENA ER G100), and a cycle may be 5 s away;
- **roll-up**: every ``rollup_interval_s``, the site roll-up on output ``cloud`` (routed to ``$upstream``);
- **twin**: configuration from desired properties, applied atomically and reported, as on the asset modules.

What the strategy learns (the demand profile) is kept in ``state`` (a :class:`StateStore` on a mounted
volume, ``CONTROLLER_STATE_DIR``) and read back at start.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

import anyio
import anyio.abc
import msgspec
from anyio.lowlevel import current_token
from opentelemetry import trace
from opentelemetry.trace import NoOpTracerProvider, TracerProvider

from controller_module.aggregator import Aggregator
from controller_module.alerts import AlertBook
from controller_module.config import ControllerConfig
from controller_module.decision import Decision, StrategyMemory
from controller_module.dispatcher import Dispatcher
from controller_module.forecast import SurplusForecaster
from controller_module.metrics import ControllerMetrics
from controller_module.registry import AssetRegistry
from controller_module.snapshot import BatteryView, PvView, SiteSnapshot
from controller_module.state import StateStore
from controller_module.strategy import decide
from energy_edge.messaging import ROLLUP, Alert, AlertSeverity
from energy_edge.messaging.edge import EdgeClient, EdgeMessage, EdgeTransportError
from energy_edge.modulehost import TwinConfig
from energy_edge.modulehost.twin_sync import ConfigFollower

_log = logging.getLogger(__name__)

TELEMETRY_INPUT: Final = "telemetry"
_LOG_LEVELS: Final = {
    AlertSeverity.INFO: logging.INFO,
    AlertSeverity.WARNING: logging.WARNING,
    AlertSeverity.CRITICAL: logging.ERROR,
}
CLOUD_OUTPUT: Final = "cloud"
LIMIT_GUARD_GAP_S: Final = 1.0
"""Shortest time between two control cycles when meter readings beyond a limit keep waking the loop."""


class ControllerService:
    def __init__(
        self,
        client: EdgeClient,
        *,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = anyio.current_time,
        metrics: ControllerMetrics | None = None,
        tracer_provider: TracerProvider | None = None,
        state: StateStore | None = None,
    ) -> None:
        self.client = client
        self.state = state
        self.metrics = metrics if metrics is not None else ControllerMetrics()
        self.twin: TwinConfig[ControllerConfig] = TwinConfig(ControllerConfig)
        self.config_follower = ConfigFollower(self.twin, client, apply=self._apply, name="controller")
        self.registry = AssetRegistry(self.twin.current.stale_after_s)
        self.aggregator = Aggregator(self.registry, self.metrics, monotonic)
        # Commands go through run()'s task group, which lives as long as the service: calls keep their tasks.
        self.dispatcher = Dispatcher(client, self.metrics, monotonic, keep_call_tasks=True)
        self.alerts = AlertBook()
        self.memory = StrategyMemory()
        self.last_decision: Decision | None = None
        self.last_alerts: list[Alert] = []
        self._clock = clock
        self._monotonic = monotonic
        self._tracer = trace.get_tracer("controller_module", tracer_provider=tracer_provider)
        self._traced = not isinstance(tracer_provider, NoOpTracerProvider)
        self._limit_crossed = False
        self._early_wake: anyio.CancelScope | None = None
        self.forecaster: SurplusForecaster | None = None

    @property
    def config(self) -> ControllerConfig:
        return self.twin.current

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        await self.config_follower.load()
        if self.state is not None:
            profile = self.state.load_profile()
            if profile is not None:
                self.memory = msgspec.structs.replace(self.memory, profile=profile)
                _log.info("demand profile loaded: %d quarter hours learned", profile.learned_slots)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(self._ingest_forever)
            tasks.start_soon(self._control_forever, tasks)
            tasks.start_soon(self._rollup_forever)
            tasks.start_soon(self.config_follower.follow)
            task_status.started()

    # -- loops -------------------------------------------------------------------------------------------

    async def _ingest_forever(self) -> None:
        async for message in self.client.messages(TELEMETRY_INPUT):
            if self.aggregator.ingest(message) and self._beyond_a_limit():
                self._limit_crossed = True
                if self._early_wake is not None:
                    self._early_wake.cancel()

    def _beyond_a_limit(self) -> bool:
        grid, config = self.registry.last_grid_kw, self.config
        return grid is not None and (grid > config.import_limit_kw or -grid > config.export_limit_kw)

    async def _control_forever(self, tasks: anyio.abc.TaskGroup) -> None:
        # The running backend, found once: anyio.sleep() and anyio.CancelScope() look it up on every call.
        backend = current_token().backend_class
        # The first cycle waits one interval, so every asset has had a chance to report.
        while True:
            interval = self.config.control_interval_s
            started = self._monotonic()
            self._limit_crossed = False
            # One sleep for the interval, cut short when ingest sees a reading beyond a limit. Not an Event
            # awaited under a timeout: then every ordinary cycle would end by a timeout cancelling the wait
            # (a CancelledError thrown and caught), where a sleep just ends.
            with backend.create_cancel_scope() as self._early_wake:
                await backend.sleep(interval)
            self._early_wake = None
            if self._limit_crossed:
                # At most one cycle per gap, however often the limit is crossed.
                rest = min(LIMIT_GUARD_GAP_S, interval) - (self._monotonic() - started)
                if rest > 0:
                    await backend.sleep(rest)
            self.control_cycle(tasks)

    def control_cycle(self, tasks: anyio.abc.TaskGroup) -> Decision:
        """Snapshot -> strategy -> dispatcher, inside the cycle's span."""
        started = time.perf_counter()
        config = self.config
        if not self._traced:
            snapshot, decision, _sent = self._decide_and_dispatch(tasks, config)
        else:
            with self._tracer.start_as_current_span("control cycle") as span:
                snapshot, decision, sent = self._decide_and_dispatch(tasks, config)
                span.set_attribute("controller.mode", config.mode.value)
                span.set_attribute("controller.decision", decision.summary)
                span.set_attribute("controller.flags", sorted(flag.value for flag in decision.flags))
                span.set_attribute("controller.commands", sent)
                if decision.expected_grid_kw is not None:
                    span.set_attribute("controller.expected_grid_kw", decision.expected_grid_kw)
        self.metrics.cycle_seconds.observe(time.perf_counter() - started)
        grid = snapshot.grid_power_kw
        self.metrics.set_grid(None if grid is None else -grid, decision.expected_grid_kw)
        _log.debug("%s", decision.outline)  # formatted only when a debug record is emitted
        return decision

    def _decide_and_dispatch(
        self, tasks: anyio.abc.TaskGroup, config: ControllerConfig
    ) -> tuple[SiteSnapshot, Decision, int]:
        snapshot = self._with_setpoints_in_force(self.registry.snapshot(self._clock(), self._monotonic()))
        outlook = None
        if self.forecaster is not None:
            self.forecaster.observe(snapshot)
            outlook = self.forecaster.outlook(snapshot, config.export_limit_kw - config.limit_margin_kw)
        decision = decide(snapshot, config, self.memory, outlook)
        if self.state is not None and decision.memory.profile is not self.memory.profile:
            # Once a quarter hour: a small synchronous write, not worth a thread.
            self.state.save_profile(decision.memory.profile)
        self.memory = decision.memory
        self.last_decision = decision
        commands = self.dispatcher.plan(decision, snapshot, config)
        return snapshot, decision, self.dispatcher.dispatch(commands, tasks, config)

    def _with_setpoints_in_force(self, snapshot: SiteSnapshot) -> SiteSnapshot:
        """Batteries and inverters as commanded when the meter has reported since they accepted a set-point
        and they have not.

        The neutral import adds the assets' reported power to the meter's: the two must describe the same
        moment. Right after a set-point change a meter that reports first already shows the new battery
        power while the battery's last report still shows the old one, and the neutral import would be off
        by the change. A battery or inverter follows an accepted set-point within a second, so until it
        reports again the set-point is the better measurement. (A meter that has not reported since still
        shows the old power too: both stay as reported.)
        """
        meter_at = snapshot.meter_received_s
        if meter_at is None:
            return snapshot
        batteries = tuple(self._battery_in_force(b, meter_at) for b in snapshot.batteries)
        pv = tuple(self._pv_in_force(p, meter_at) for p in snapshot.pv)
        if batteries == snapshot.batteries and pv == snapshot.pv:
            return snapshot
        return msgspec.structs.replace(snapshot, batteries=batteries, pv=pv)

    def _reported_at(self, asset_id: str) -> float:
        record = self.registry.get(asset_id)
        return record.received_at_s if record is not None else math.inf

    def _battery_in_force(self, battery: BatteryView, meter_at: float) -> BatteryView:
        power = self.dispatcher.in_force(battery.asset_id, self._reported_at(battery.asset_id), meter_at)
        if power is None:
            return battery
        return msgspec.structs.replace(
            battery, power_kw=min(max(power, -battery.max_charge_kw), battery.max_discharge_kw)
        )

    def _pv_in_force(self, pv: PvView, meter_at: float) -> PvView:
        limit = self.dispatcher.in_force(pv.asset_id, self._reported_at(pv.asset_id), meter_at)
        if limit is None:
            return pv
        return msgspec.structs.replace(pv, power_kw=min(pv.available_kw, limit), limit_kw=limit)

    async def _rollup_forever(self) -> None:
        while True:
            await anyio.sleep(self.config.rollup_interval_s)
            await self.send_rollup()

    async def send_rollup(self) -> None:
        snapshot = self.registry.snapshot(self._clock(), self._monotonic())
        alerts = self.alerts.current(self.registry, snapshot, self.dispatcher.failures, self.config)
        self.last_alerts = alerts
        self.metrics.set_alerts(alerts)
        states = Counter(
            "STALE" if r.asset_id in snapshot.stale else r.telemetry.state.value for r in self.registry
        )
        self.metrics.set_asset_states(dict(states))
        for alert in alerts:
            # One log record per active alert per roll-up, at the alert's severity: what the cloud's alert
            # rules query (AppTraces), with the attributes they filter on.
            _log.log(
                _LOG_LEVELS[alert.severity],
                "alert %s (%s): %s",
                alert.code,
                alert.severity.value,
                alert.message,
                extra={
                    "alert.code": alert.code,
                    "alert.severity": alert.severity.value,
                    "asset.id": alert.asset_id or "",
                    "device.id": self.client.device_id,
                },
            )
        rollup = self.aggregator.rollup(self.client.device_id, snapshot.at, snapshot, alerts)
        try:
            await self.client.send_message(CLOUD_OUTPUT, EdgeMessage(body=ROLLUP.encode(rollup)))
        except EdgeTransportError as error:
            _log.warning("roll-up not sent: %s", error)
            return
        self.metrics.rollups.inc()

    # -- configuration -----------------------------------------------------------------------------------

    async def apply_patch(self, patch: Mapping[str, Any]) -> bool:
        return await self.config_follower.apply_patch(patch)

    async def _apply(self, config: ControllerConfig) -> None:
        self.registry.stale_after_s = config.stale_after_s
        if config.pv_array is None:
            self.forecaster = None
        elif self.forecaster is None or self.forecaster.array != config.pv_array:
            self.forecaster = SurplusForecaster(config.pv_array)  # a new array: learn it afresh
