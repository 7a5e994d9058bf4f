"""How the solar module reaches its equipment: a driver interface and what it reads.

The module never talks to an inverter directly; it gets a :class:`SolarDriver`. This package ships
:class:`~solar_module.simulated.SimulatedSolarDriver` (sun, sky and PV physics from ``energy_edge.physics``);
the site simulator binds a driver to its shared site model; a SunSpec/Modbus driver for real hardware
implements the same five calls (enable/disable feed-in, ``WMaxLimPct``, fault acknowledgement).
"""

from __future__ import annotations

from typing import Protocol

import msgspec


class FaultPersistsError(Exception):
    """The inverter refused to clear a fault because its cause is still there."""


class SolarMeasurement(msgspec.Struct, frozen=True):
    """One reading of a PV array and its inverter. Power in the site convention: > 0 into the bus.

    A frozen msgspec Struct rather than a frozen dataclass: one is built every tick, in C about ten times
    faster (copy with ``msgspec.structs.replace``)."""

    power_kw: float
    """AC power delivered now."""
    irradiance_w_m2: float
    """Plane-of-array irradiance (what a pyranometer in the plane of the modules measures)."""
    efficiency: float
    """Sunlight to AC, 0-1: power over plane-of-array irradiance times array area; 0 in the dark."""
    temperature_c: float
    """PV module temperature."""
    available_kw: float
    """What the array should deliver now without any output limit, under the measured irradiance and
    module temperature, clipped at the inverter rating. The reference of the underperformance check, and
    the headroom a controller can call on by raising the limit."""
    output_limit_kw: float
    """The active-power limit the inverter applies (set-point, configured maximum, or its rating)."""
    rated_kw: float
    """Inverter AC rating (SunSpec ``WRtg``)."""
    running: bool
    """Feed-in is enabled: the inverter follows the sun (producing nothing at night is still running)."""
    fault: str | None
    soc_percent: float | None = None
    """Always ``None``: the host's common metrics ask every asset for a state of charge."""


class SolarDriver(Protocol):
    async def read(self) -> SolarMeasurement: ...

    async def start(self) -> None:
        """Enable feed-in: the inverter connects and tracks the array's maximum power point."""

    async def stop(self) -> None:
        """Disable feed-in: the inverter stops delivering power and opens its AC relay."""

    async def set_output_limit(self, limit_kw: float | None) -> None:
        """Cap the AC output at ``limit_kw``; ``None`` removes the cap (the inverter rating still applies)."""

    async def acknowledge_fault(self) -> None:
        """Clear a latched fault; raise :class:`FaultPersistsError` while its cause persists."""
