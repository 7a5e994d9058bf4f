"""A frozen, time-stamped picture of the site: what the strategy decides on.

Built from the registry once per control cycle (OpenEMS's "process image"): the strategy never sees data
change under it. Stale assets are absent from the views and listed in ``stale`` — unknown, never zero.
The snapshot and its views are frozen msgspec Structs (copy with ``msgspec.structs.replace``): a cycle builds
one per asset and the snapshot around them, in C about ten times faster than frozen dataclasses.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from energy_edge.statemachine import AssetState


class PvView(msgspec.Struct, frozen=True):
    asset_id: str
    module_id: str
    state: AssetState
    power_kw: float
    available_kw: float
    """Uncurtailed potential (the inverter's MPP estimate; its output when it does not report one)."""
    limit_kw: float | None
    max_output_kw: float | None
    """The highest ``set_output`` the inverter accepts; ``None`` when it does not report it."""


class BatteryView(msgspec.Struct, frozen=True):
    asset_id: str
    module_id: str
    state: AssetState
    power_kw: float
    """Site convention: > 0 discharging."""
    soc_percent: float
    capacity_kwh: float | None
    max_charge_kw: float
    max_discharge_kw: float


class BoilerView(msgspec.Struct, frozen=True):
    asset_id: str
    module_id: str
    state: AssetState
    draw_kw: float
    """Heater power drawn from the bus (>= 0)."""
    temperature_c: float
    target_celsius: float
    rated_power_kw: float | None
    min_celsius: float | None
    max_celsius: float | None
    hysteresis_k: float | None = None
    """The thermostat's switching differential, when the boiler reports it."""
    heating: bool | None = None
    """The heater is on right now, when the boiler reports it (else: it draws power)."""
    min_power_kw: float | None = None
    """The heater's turndown; reported by boilers that take ``set_power_limit`` (modulating heaters)."""


class MeterView(msgspec.Struct, frozen=True):
    asset_id: str
    state: AssetState
    grid_power_kw: float
    """> 0 import."""
    received_s: float | None = None
    """When the controller received the reading (its monotonic clock)."""


class SiteSnapshot(msgspec.Struct, frozen=True):
    at: datetime
    monotonic_s: float
    pv: tuple[PvView, ...]
    batteries: tuple[BatteryView, ...]
    boilers: tuple[BoilerView, ...]
    meter: MeterView | None
    stale: frozenset[str]
    """Assets whose telemetry is too old to use."""

    @property
    def meter_received_s(self) -> float | None:
        return self.meter.received_s if self.meter is not None else None

    @property
    def grid_power_kw(self) -> float | None:
        """Import at the connection point, when a working meter measured it."""
        if self.meter is None or self.meter.state is AssetState.FAULT:
            return None
        return self.meter.grid_power_kw
