"""How the boiler module reaches its equipment: a driver interface, its nameplate and what it reads.

The module never talks to a boiler controller (PLC, Modbus registers) directly; it gets a
:class:`BoilerDriver`. This package ships :class:`~boiler_module.simulated.SimulatedBoilerDriver` (physics
from ``energy_edge.physics``); the site simulator binds a driver to its shared site model; a driver for real
hardware implements the same calls.

The boiler keeps its own thermostat: the module sets the target and the heater power limit and enables or
disables the heater; switching the heater on and off around the target is the equipment's job, as it is on
a real boiler (its control loop must keep working when the edge device or the network does not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import msgspec


class FaultPersistsError(Exception):
    """The equipment refused to clear a fault because its cause is still there."""


@dataclass(frozen=True, slots=True)
class BoilerRatings:
    """Nameplate data the module checks its configuration against."""

    rated_power_kw: float
    min_power_kw: float
    """Minimum stable heater power (turndown): a power limit below it keeps the heater off."""
    min_target_celsius: float
    """The lowest thermostat target the equipment accepts."""
    max_target_celsius: float
    """The highest thermostat target whose hysteresis band still ends below the safety trip."""
    trip_celsius: float
    """The independent safety temperature limiter."""
    hysteresis_k: float
    """The thermostat's switching differential (heat below target - h/2, stop above target + h/2)."""


class BoilerMeasurement(msgspec.Struct, frozen=True):
    """One reading of the boiler and its tank. Power in the site convention: heating draws, so ``≤ 0``.

    A frozen msgspec Struct rather than a frozen dataclass: one is built every tick, in C about ten times
    faster (copy with ``msgspec.structs.replace``)."""

    power_kw: float
    temperature_c: float
    """Water temperature in the tank."""
    target_celsius: float
    """The thermostat target in force."""
    rated_power_kw: float
    """The heater's nameplate power."""
    heating: bool
    """The heater is on right now (the thermostat calls for heat and the heater is enabled)."""
    running: bool
    """The heater is enabled and under thermostat control (it may be between two heating cycles)."""
    fault: str | None
    soc_percent: float | None = None
    """A tank has no state of charge; the host's common metrics ask every asset for one."""


class BoilerDriver(Protocol):
    @property
    def ratings(self) -> BoilerRatings: ...

    async def read(self) -> BoilerMeasurement: ...

    async def start(self) -> None:
        """Enable the heater under thermostat control."""

    async def stop(self) -> None:
        """Disable the heater (the safety trip stays armed)."""

    async def set_target(self, celsius: float) -> None:
        """Set the thermostat target, within the ratings' target range."""

    async def set_power_limit(self, kw: float) -> None:
        """Limit the heater power (kW, ≥ 0); it applies whenever the heater is enabled."""

    async def acknowledge_fault(self) -> None:
        """Clear a latched fault; raise :class:`FaultPersistsError` while its cause persists."""
