"""How the meter module reaches its meter: a driver interface and what it reads.

The module never talks to a meter directly; it gets a :class:`MeterDriver`, and that is all it depends on.
This package ships :class:`~meter_module.simulated.SimulatedMeterDriver` (the site's own load through
``energy_edge.physics``); the site simulator gives the module a driver bound to its shared site model,
whose meter sums every asset's flow; a Modbus/SunSpec or IEC 62056 (DLMS) driver for a real meter
implements the same two calls.
"""

from __future__ import annotations

from typing import Protocol

import msgspec


class FaultPersistsError(Exception):
    """The meter refused to clear an error because its cause is still there."""


class MeterMeasurement(msgspec.Struct, frozen=True):
    """One reading of the meter at the grid connection point.

    A frozen msgspec Struct rather than a frozen dataclass: one is built every tick, in C about ten times
    faster (copy with ``msgspec.structs.replace``)."""

    power_kw: float
    """Grid power: > 0 import from the grid, < 0 export (DESIGN.md). Named ``power_kw`` because that is
    what the module host reads from every asset (and exports as ``energy_edge_asset_power_watts``)."""
    import_energy_kwh: float
    """Import register (cumulative, never decreases)."""
    export_energy_kwh: float
    """Export register (cumulative, never decreases)."""
    site_load_kw: float | None = None
    """The site's own, non-controllable consumption, where a sub-meter measures it."""
    voltage_v: float | None = None
    """Phase-to-neutral RMS voltage, where the meter reports it."""
    frequency_hz: float | None = None
    running: bool = True
    """The meter is measuring (powered, its measurement circuits healthy)."""
    fault: str | None = None
    """An error the meter reports, or ``None``."""
    temperature_c: float | None = None
    """A meter has no equipment temperature worth reporting; present for the module host."""
    soc_percent: float | None = None
    """A meter stores no energy; present for the module host."""


class MeterDriver(Protocol):
    async def read(self) -> MeterMeasurement:
        """The meter's registers now; raises when the meter does not answer."""
        ...  # an interface: the simulated driver and hardware drivers implement it

    async def acknowledge_fault(self) -> None:
        """Clear the meter's latched error; raise :class:`FaultPersistsError` while its cause persists."""
