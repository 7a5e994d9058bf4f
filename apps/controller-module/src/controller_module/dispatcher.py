"""Turns decisions into direct-method calls, and only the calls that are needed.

- A set-point is sent when it differs from the last one the asset accepted, and re-sent every
  ``setpoint_refresh_s`` — well inside the assets' set-point expiry — so a living controller never lets an
  asset fall back, and a dead one always does.
- One command per asset at a time: while a call is in flight, the asset is skipped (the next cycle
  reconciles). Calls time out after ``command_timeout_s`` and are retried ``command_retries`` times with
  exponential backoff when the failure may be transient (5xx, 504, 404 of a module that is restarting);
  refusals (400, 409) are not retried.
- Nothing is sent to an asset in FAULT or with stale telemetry (the strategy gives them no set-point; the
  dispatcher checks again against the snapshot).
- Batteries: discharge/charge via ``start_discharging``/``start_charging``; a zero set-point holds the
  battery connected at 0 kW (``start_charging`` 0) and, after ``battery_idle_stop_s`` at zero, stops it.
  PV: ``set_output``; ``start`` first when it is IDLE. Boilers: ``set_temperature`` (and, for modulating
  heaters, ``set_power_limit``) while absorbing, shedding or economising, ``start`` when IDLE; in NORMAL
  nothing is sent and the boiler's own expiry restores its default.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import anyio
import msgspec
from anyio.abc import TaskGroup
from anyio.lowlevel import current_token

from controller_module.config import ControllerConfig
from controller_module.decision import BoilerMode, Decision
from controller_module.metrics import ControllerMetrics
from controller_module.snapshot import SiteSnapshot
from energy_edge.messaging.edge import EdgeClient, EdgeTransportError, MethodResponse
from energy_edge.statemachine import AssetState

_log = logging.getLogger(__name__)

RETRYABLE: Final = frozenset({404, 500, 502, 503, 504})
BACKOFF_S: Final = 0.5
RUNNING_OR_STARTING: Final = frozenset({AssetState.RUNNING, AssetState.STARTING})


class Command(msgspec.Struct, frozen=True):
    """One direct method to send (a frozen msgspec Struct: a cycle plans several, built in C)."""

    asset_id: str
    module_id: str
    method: str
    payload: dict[str, float] | None
    reason: str

    @property
    def channel(self) -> str:
        """What a command sets on its asset: one set-point per channel is tracked, sent and refreshed. A
        boiler has two, its thermostat target and its heater cap; every other asset one."""
        return f"{self.asset_id}/power_limit" if self.method == "set_power_limit" else self.asset_id

    @property
    def refreshable(self) -> bool:
        """Set-points expire on the asset and must be re-sent; ``start``/``stop`` must not be."""
        return self.method not in ("start", "stop")

    def same_as(self, other: Command) -> bool:
        """The same method with the same set-point to two decimals."""
        if self.method != other.method:
            return False
        # Most cycles plan exactly what was last accepted: equal payloads round equal, no need to round.
        return self.payload == other.payload or _rounded(self.payload) == _rounded(other.payload)


def _rounded(payload: dict[str, float] | None) -> dict[str, float] | None:
    return None if payload is None else {key: round(value, 2) for key, value in payload.items()}


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    command: Command
    status: int
    error: str | None
    at_s: float


class _IdleChannel:
    """A channel's call task waiting for the channel's next command."""

    __slots__ = ("handed", "woken")

    def __init__(self, woken: anyio.Event) -> None:
        self.woken = woken
        self.handed: tuple[Command, ControllerConfig] | None = None

    def hand(self, command: Command, config: ControllerConfig) -> None:
        self.handed = (command, config)
        self.woken.set()


@dataclass(eq=False)
class Dispatcher:
    client: EdgeClient
    metrics: ControllerMetrics
    monotonic: Callable[[], float] = anyio.current_time
    keep_call_tasks: bool = False
    """True when the task group given to :meth:`dispatch` lives as long as the dispatcher (the controller
    service's own): then one task per channel makes that channel's calls, one after the other, and waits for
    the next instead of ending. Starting an anyio task costs several times what waking a waiting one does,
    and a simulated site day sends a command every few seconds. Off, each call is a task of its own that
    ends with it, so a task group given for a few calls can finish."""
    accepted: dict[str, tuple[Command, float]] = field(default_factory=dict)
    """Per channel (:attr:`Command.channel`: the asset id but for a boiler's heater cap), the last command
    the asset accepted and when."""
    failures: dict[str, CommandOutcome] = field(default_factory=dict)
    """Per asset, the last failed command (cleared by the next success)."""
    in_flight: set[str] = field(default_factory=set)
    _zero_since: dict[str, float] = field(default_factory=dict)
    _idle_channels: dict[str, _IdleChannel] = field(default_factory=dict)

    def plan(self, decision: Decision, snapshot: SiteSnapshot, config: ControllerConfig) -> list[Command]:
        """The commands to send now for ``decision`` (pure apart from reading what was accepted before)."""
        now = snapshot.monotonic_s
        states = {v.asset_id: v.state for v in (*snapshot.batteries, *snapshot.pv, *snapshot.boilers)}
        wanted: list[Command] = []
        for battery in decision.batteries:
            state = states.get(battery.asset_id)
            command = self._battery_command(
                battery.asset_id, battery.module_id, battery.power_kw, battery.reason, state, now, config
            )
            if command is not None:
                wanted.append(command)
        for pv in decision.pv:
            if states.get(pv.asset_id) is AssetState.IDLE:
                if config.restart_idle_assets:
                    wanted.append(
                        Command(pv.asset_id, pv.module_id, "start", None, "PV inverter idle: start it")
                    )
                continue
            wanted.append(
                Command(
                    pv.asset_id, pv.module_id, "set_output", {"target_kw": round(pv.limit_kw, 3)}, pv.reason
                )
            )
        for boiler in decision.boilers:
            if states.get(boiler.asset_id) is AssetState.IDLE:
                if config.restart_idle_assets:
                    wanted.append(
                        Command(boiler.asset_id, boiler.module_id, "start", None, "boiler idle: start it")
                    )
                continue
            if boiler.mode is not BoilerMode.NORMAL and boiler.target_celsius is not None:
                payload = {"target_celsius": boiler.target_celsius}
                wanted.append(
                    Command(boiler.asset_id, boiler.module_id, "set_temperature", payload, boiler.reason)
                )
            if boiler.mode is not BoilerMode.NORMAL and boiler.power_limit_kw is not None:
                cap = {"power_kw": round(boiler.power_limit_kw, 3)}
                wanted.append(
                    Command(boiler.asset_id, boiler.module_id, "set_power_limit", cap, boiler.reason)
                )
        return [
            command
            for command in wanted
            if states.get(command.asset_id) not in (None, AssetState.FAULT, AssetState.STOPPING)
            and self._due(command, now, config)
        ]

    def in_force(self, asset_id: str, after_s: float, before_s: float = math.inf) -> float | None:
        """The power (battery, > 0 discharging) or output limit (PV) the asset accepted between ``after_s``
        and ``before_s``, when it did. ``None`` otherwise, or for other commands."""
        accepted = self.accepted.get(asset_id)
        if accepted is None or not after_s < accepted[1] < before_s:
            return None
        command = accepted[0]
        value = (command.payload or {}).get("power_kw", (command.payload or {}).get("target_kw"))
        match command.method:
            case "start_discharging" if value is not None:
                return value
            case "start_charging" if value is not None:
                return -value
            case "stop":
                return 0.0
            case "set_output" if value is not None:
                return value
            case _:
                return None

    def _battery_command(
        self,
        asset_id: str,
        module_id: str,
        power_kw: float,
        reason: str,
        state: AssetState | None,
        now: float,
        config: ControllerConfig,
    ) -> Command | None:
        if power_kw > 0:
            self._zero_since.pop(asset_id, None)
            return Command(asset_id, module_id, "start_discharging", {"power_kw": round(power_kw, 3)}, reason)
        if power_kw < 0:
            self._zero_since.pop(asset_id, None)
            return Command(asset_id, module_id, "start_charging", {"power_kw": round(-power_kw, 3)}, reason)
        if state not in RUNNING_OR_STARTING:
            self._zero_since.pop(asset_id, None)
            return None
        since = self._zero_since.setdefault(asset_id, now)
        if state is AssetState.RUNNING and now - since >= config.battery_idle_stop_s:
            return Command(
                asset_id, module_id, "stop", None, f"{reason}; at 0 kW for {now - since:.0f} s: stop"
            )
        return Command(asset_id, module_id, "start_charging", {"power_kw": 0.0}, f"{reason}; hold at 0 kW")

    def _due(self, command: Command, now: float, config: ControllerConfig) -> bool:
        previous = self.accepted.get(command.channel)
        if previous is None or not previous[0].same_as(command):
            return True
        return command.refreshable and now - previous[1] >= config.setpoint_refresh_s

    def dispatch(self, commands: list[Command], tasks: TaskGroup, config: ControllerConfig) -> int:
        """Start a call per command whose asset has none in flight; returns how many were started."""
        started = 0
        for command in commands:
            channel = command.channel
            if channel in self.in_flight:
                continue
            self.in_flight.add(channel)
            idle = self._idle_channels.pop(channel, None)
            if idle is not None:
                # Woken for the scheduler's next round, when a task started now would first run too.
                idle.hand(command, config)
            elif self.keep_call_tasks:
                tasks.start_soon(self._call_for_good, command, config)
            else:
                tasks.start_soon(self._call, command, config)
            started += 1
        return started

    async def _call_for_good(self, command: Command, config: ControllerConfig) -> None:
        """Make ``command``'s call, then every later one of its channel (one in flight per channel)."""
        backend = current_token().backend_class
        while True:
            await self._call(command, config)
            idle = self._idle_channels[command.channel] = _IdleChannel(backend.create_event())
            await idle.woken.wait()
            assert idle.handed is not None
            command, config = idle.handed

    async def _call(self, command: Command, config: ControllerConfig) -> None:
        try:
            response = await self._with_retries(command, config)
        finally:
            self.in_flight.discard(command.channel)
        now = self.monotonic()
        error = None if response.status == 200 else _error_text(response)
        self.metrics.command(command.method, response.status)
        if error is None:
            self.accepted[command.channel] = (command, now)
            self.failures.pop(command.channel, None)
            _log.info(
                "%s %s %s: ok (%s)", command.asset_id, command.method, command.payload or "", command.reason
            )
        else:
            self.failures[command.channel] = CommandOutcome(command, response.status, error, now)
            _log.warning("%s %s failed: %d %s", command.asset_id, command.method, response.status, error)

    async def _with_retries(self, command: Command, config: ControllerConfig) -> MethodResponse:
        attempt = 0
        while True:
            try:
                response = await self.client.invoke_method(
                    command.module_id, command.method, command.payload, timeout_s=config.command_timeout_s
                )
            except EdgeTransportError as error:
                response = MethodResponse(503, {"status": "error", "error": str(error)})
            if response.status not in RETRYABLE or attempt >= config.command_retries:
                return response
            await anyio.sleep(BACKOFF_S * 2**attempt)
            attempt += 1


def _error_text(response: MethodResponse) -> str:
    payload: Any = response.payload
    if isinstance(payload, dict) and isinstance(payload.get("error"), str):  # pyright: ignore[reportUnknownMemberType]
        return str(payload["error"])  # pyright: ignore[reportUnknownArgumentType]
    return f"status {response.status}"
