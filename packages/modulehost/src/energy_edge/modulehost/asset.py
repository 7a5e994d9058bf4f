"""What an app writes to become an asset module: its configuration, commands, sensing and telemetry.

An app subclasses :class:`AssetModule`; the :class:`~energy_edge.modulehost.host.ModuleHost` does the rest
(twin, method dispatch, the periodic tick, the lifecycle, set-point expiry, metrics, tracing). Equipment is
reached only through a driver the app's constructor receives, so the same asset code runs against a
simulated driver, a site simulator's shared model, or real hardware.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import msgspec

from energy_edge.messaging import NO_ARGUMENTS, AssetType, CommandAccepted, NoArguments, Telemetry
from energy_edge.modulehost.commands import Command, not_now
from energy_edge.modulehost.config import HostConfig
from energy_edge.modulehost.setpoint import SetpointHold
from energy_edge.statemachine import AssetEvent, AssetLifecycle, AssetState


class Measurement(Protocol):
    """What the host needs from every reading to follow the equipment and fill the common metrics."""

    @property
    def power_kw(self) -> float:
        """Active power in the site convention (> 0 into the bus; for a meter, > 0 import)."""
        ...

    @property
    def running(self) -> bool:
        """The equipment is energised and doing its job (ends STARTING, and STOPPING when false)."""
        ...

    @property
    def fault(self) -> str | None:
        """A fault the equipment reports, or ``None``."""
        ...

    @property
    def temperature_c(self) -> float | None: ...

    @property
    def soc_percent(self) -> float | None: ...


C = TypeVar("C", bound=HostConfig)
M = TypeVar("M", bound=Measurement)


class TelemetryHeader(msgspec.Struct, frozen=True):
    """The envelope fields the host fills in for every telemetry message (a frozen msgspec Struct: one per
    tick, built in C)."""

    asset_id: str
    state: AssetState
    timestamp: datetime
    fault_code: str | None


class AssetModule(ABC, Generic[C, M]):
    """Base of an asset. The host binds ``lifecycle``, ``config`` and the set-point hold before use."""

    asset_type: ClassVar[AssetType]
    config_type: ClassVar[type[HostConfig]]

    def __init__(self, asset_id: str) -> None:
        self.asset_id = asset_id
        self.lifecycle: AssetLifecycle
        self.config: C
        self._hold = SetpointHold()
        self._monotonic: Callable[[], float] = lambda: 0.0

    def bind(self, lifecycle: AssetLifecycle, config: C, monotonic: Callable[[], float]) -> None:
        self.lifecycle = lifecycle
        self.config = config
        self._monotonic = monotonic

    def now_s(self) -> float:
        """The host's monotonic clock (virtual in the simulator): for timing rules such as a fault window."""
        return self._monotonic()

    @property
    def setpoint_hold(self) -> SetpointHold:
        return self._hold

    def hold_setpoint(self, described: str) -> None:
        """Arm (or refresh) the expiry of the set-point just accepted, e.g. ``charging at 20.0 kW``."""
        self._hold.arm(self._monotonic(), self.config.setpoint_hold_s, described)

    # -- what an asset implements ------------------------------------------------------------------------

    @abstractmethod
    def commands(self) -> Mapping[str, Command]:
        """The direct methods of this asset."""

    @abstractmethod
    async def sense(self) -> M:
        """Read the equipment (advancing a simulated one to now)."""

    @abstractmethod
    def telemetry(self, measurement: M, header: TelemetryHeader) -> Telemetry:
        """The telemetry message for a reading."""

    @abstractmethod
    async def start_equipment(self) -> None:
        """Energise the equipment (after the lifecycle entered STARTING)."""

    @abstractmethod
    async def stop_equipment(self) -> None:
        """Bring the equipment to a safe stop (after the lifecycle entered STOPPING, or on a fault)."""

    @abstractmethod
    async def reset_equipment(self) -> None:
        """Acknowledge a latched equipment fault; raise :class:`CommandRefused` if it persists."""

    # -- the lifecycle commands every asset shares ------------------------------------------------------

    def lifecycle_commands(self, *, start: bool = True, stop: bool = True) -> dict[str, Command]:
        """``reset`` (every asset, DESIGN.md), and ``start``/``stop`` unless the asset has none."""
        commands = {"reset": Command(NO_ARGUMENTS, self._reset, frozenset({AssetState.FAULT}))}
        if start:
            commands["start"] = Command(NO_ARGUMENTS, self._start, frozenset({AssetState.IDLE}))
        if stop:
            commands["stop"] = Command(NO_ARGUMENTS, self._stop, frozenset({AssetState.RUNNING}))
        return commands

    def accepted(self, **fields: Any) -> CommandAccepted:
        """A 200 body carrying the state the command left the asset in."""
        return CommandAccepted(state=self.lifecycle.state, **fields)

    async def begin(self) -> None:
        """Start the equipment, then enter STARTING; nothing changes if the equipment refuses."""
        if not self.lifecycle.can(AssetEvent.START):
            raise not_now(f"cannot start in state {self.lifecycle.state}")
        await self.start_equipment()
        self.lifecycle.start()

    async def end(self) -> None:
        """Stop the equipment, then enter STOPPING; the set-point in force no longer holds."""
        if not self.lifecycle.can(AssetEvent.STOP):
            raise not_now(f"cannot stop in state {self.lifecycle.state}")
        await self.stop_equipment()
        self.lifecycle.stop()
        self._hold.clear()

    async def _start(self, _: NoArguments) -> CommandAccepted:
        await self.begin()
        return self.accepted()

    async def _stop(self, _: NoArguments) -> CommandAccepted:
        await self.end()
        return self.accepted()

    async def _reset(self, _: NoArguments) -> CommandAccepted:
        await self.reset_equipment()
        self.lifecycle.reset()
        return self.accepted()

    # -- optional hooks ----------------------------------------------------------------------------------

    async def configure(self, config: C) -> None:
        """Apply a validated configuration to the equipment (limits, thermostat...). Default: keep it."""
        self.config = config

    async def fall_back(self) -> None:
        """The set-point lapsed: return to the asset's configured safe behaviour."""
