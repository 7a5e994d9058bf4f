"""How the battery module reaches its equipment: a driver interface and what it reads.

The module never talks to a BMS or inverter directly; it gets a :class:`BatteryDriver`. This package ships
:class:`~battery_module.simulated.SimulatedBatteryDriver` (physics from ``energy_edge.physics``); the site
simulator binds a driver to its shared site model; a Modbus/SunSpec driver for real hardware implements the
same five calls.
"""

from __future__ import annotations

from typing import Protocol

import msgspec


class FaultPersistsError(Exception):
    """The equipment refused to clear a fault because its cause is still there."""


class BatteryMeasurement(msgspec.Struct, frozen=True):
    """One reading of the battery system. Power in the site convention: > 0 discharging into the bus.

    A frozen msgspec Struct rather than a frozen dataclass: one is built every tick, in C about ten times
    faster (copy with ``msgspec.structs.replace``)."""

    power_kw: float
    soc_percent: float
    temperature_c: float
    capacity_kwh: float
    max_charge_kw: float
    """Charge power the equipment could take right now (after its own SoC and temperature derating)."""
    max_discharge_kw: float
    running: bool
    """The inverter is connected and follows set-points."""
    fault: str | None


class BatteryDriver(Protocol):
    async def read(self) -> BatteryMeasurement: ...

    async def connect(self) -> None:
        """Close the DC contactor and enable the inverter."""

    async def disconnect(self) -> None:
        """Ramp to zero and open the contactor."""

    async def set_power(self, power_kw: float) -> None:
        """Active-power set-point in the site convention (> 0 discharge, < 0 charge)."""

    async def acknowledge_fault(self) -> None:
        """Clear a latched fault; raise :class:`FaultPersistsError` while its cause persists."""
