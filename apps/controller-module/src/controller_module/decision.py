"""What the strategy decides: set-points per asset, each with its reason, and the memory it carries.

All of them are frozen msgspec Structs (copy with ``msgspec.structs.replace``): every control cycle builds a
decision, its set-points, its memory and a peak meter, in C about ten times faster than frozen dataclasses
(whose ``__init__`` sets each field through ``object.__setattr__``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

import msgspec

from controller_module.config import Mode
from controller_module.demand_profile import DemandProfile


class BoilerMode(StrEnum):
    NORMAL = "normal"
    """Not commanded: the boiler runs its own thermostat at its default target."""
    ABSORB = "absorb"
    """Target raised to the top of its band: heat with surplus the battery cannot take."""
    SHED = "shed"
    """Target lowered to the bottom of its band: stop heating while the site is short."""
    ECONOMY = "economy"
    """Target at the bottom of its band: nothing to absorb, so heat only what comfort needs."""


class BatterySetpoint(msgspec.Struct, frozen=True):
    asset_id: str
    module_id: str
    power_kw: float
    """Site convention: > 0 discharge, < 0 charge, 0 hold."""
    reason: str


class PvSetpoint(msgspec.Struct, frozen=True):
    asset_id: str
    module_id: str
    limit_kw: float
    reason: str
    curtailed: bool


class BoilerSetpoint(msgspec.Struct, frozen=True):
    asset_id: str
    module_id: str
    mode: BoilerMode
    target_celsius: float | None
    """``None`` in NORMAL mode: nothing is sent and the boiler's own set-point expiry restores its default."""
    reason: str
    power_limit_kw: float | None = None
    """Heater cap for a modulating boiler (``None``: the boiler does not modulate, or in NORMAL mode)."""


class StrategyMemory(msgspec.Struct, frozen=True):
    """What one cycle hands to the next: set-points in force and boiler modes with when they began."""

    at_s: float | None = None
    battery_kw: Mapping[str, float] = msgspec.field(default_factory=lambda: MappingProxyType({}))
    pv_limit_kw: Mapping[str, float] = msgspec.field(default_factory=lambda: MappingProxyType({}))
    boiler_modes: Mapping[str, tuple[BoilerMode, float]] = msgspec.field(
        default_factory=lambda: MappingProxyType({})
    )
    boiler_caps: Mapping[str, float] = msgspec.field(default_factory=lambda: MappingProxyType({}))
    peak: PeakMeter = msgspec.field(default_factory=lambda: PeakMeter())  # noqa: PLW0108 (defined below)
    """The 15-minute average import billed so far (peak shaving's ratchet)."""
    profile: DemandProfile = msgspec.field(default_factory=DemandProfile)
    """The site's demand by quarter hour of the day, as observed (:mod:`controller_module.demand_profile`)."""


class PeakMeter(msgspec.Struct, frozen=True):
    """Quarter-hour average import, as a demand meter bills it: completed blocks' highest, and the block
    being measured (energy so far, as kW x s, and its start)."""

    peak_kw: float = 0.0
    block: int | None = None
    """Quarter-hour index (Unix seconds // 900) being measured."""
    energy_kws: float = 0.0
    seconds: float = 0.0
    load_avg_kw: float | None = None
    """Import without the batteries, averaged over about a quarter hour: what shaving holds against."""
    demand_kws: float = 0.0
    """Import without the batteries in this block so far (kW x s, signed): the demand profile learns it."""
    plan_kw: float | None = None
    """The level planned from the demand profile at the start of this block (``None``: no plan)."""
    boilers_kws: float = 0.0
    """What the boilers drew of the demand in this block so far (kW x s)."""

    def advance(
        self,
        import_kw: float,
        dt_s: float,
        block: int,
        load_kw: float | None = None,
        boilers_kw: float = 0.0,
    ) -> PeakMeter:
        load_avg = self.load_avg_kw
        if load_kw is not None:
            weight = 1.0 - math.exp(-dt_s / LOAD_AVERAGE_S)
            load_avg = load_kw if load_avg is None else load_avg + weight * (load_kw - load_avg)
        demand = (load_kw if load_kw is not None else 0.0) * dt_s
        boilers = boilers_kw * dt_s
        imported = (0.0 if import_kw < 0.0 else import_kw) * dt_s  # max(import_kw, 0.0), without the call
        if self.block is None or block != self.block:
            finished = self.energy_kws / self.seconds if self.seconds > 0 else 0.0
            peak = max(self.peak_kw, finished) if self.block is not None else self.peak_kw
            return PeakMeter(peak, block, imported, dt_s, load_avg, demand, boilers_kws=boilers)
        energy = self.energy_kws + imported
        return PeakMeter(
            self.peak_kw,
            block,
            energy,
            self.seconds + dt_s,
            load_avg,
            self.demand_kws + demand,
            self.plan_kw,
            self.boilers_kws + boilers,
        )

    def boilers_mean_kw(self) -> float:
        return self.boilers_kws / self.seconds if self.seconds > 0 else 0.0

    def demand_mean_kw(self, min_seconds: float) -> float | None:
        """This block's mean import without batteries, when it was observed for ``min_seconds`` at least."""
        return self.demand_kws / self.seconds if self.seconds >= min_seconds else None


LOAD_AVERAGE_S = 900.0


class Flag(StrEnum):
    METER_UNAVAILABLE = "meter_unavailable"
    IMPORT_LIMIT = "import_limit"
    """Even with every flexibility used, import is expected above ``import_limit_kw``."""
    EXPORT_LIMIT = "export_limit"
    """Even with every flexibility used, feed-in is expected above ``export_limit_kw``."""
    USING_RESERVE = "using_reserve"
    """The battery discharges below its reserve to hold the import limit."""


class Balance(msgspec.Struct, frozen=True):
    """A cycle's balance as the summary line tells it (kW; grid > 0 import, battery > 0 discharge)."""

    mode: Mode
    grid_kw: float
    neutral_kw: float
    battery_kw: float
    boiler_draw_kw: float
    curtail_kw: float
    expected_grid_kw: float

    def __str__(self) -> str:
        return (
            f"{self.mode}: grid {self.grid_kw:+.1f} kW, neutral {self.neutral_kw:+.1f} kW -> "
            f"battery {self.battery_kw:+.1f} kW, boiler draw {self.boiler_draw_kw:.1f} kW, "
            f"curtail {self.curtail_kw:.1f} kW, expected grid {self.expected_grid_kw:+.1f} kW"
        )


class Decision(msgspec.Struct, frozen=True):
    at: datetime
    batteries: tuple[BatterySetpoint, ...]
    pv: tuple[PvSetpoint, ...]
    boilers: tuple[BoilerSetpoint, ...]
    outline: Balance | str
    """What :attr:`summary` says: the cycle's balance, or a line of its own. The balance is formatted only
    when the line is read (a log record at debug level, a traced cycle's span): formatting its seven numbers
    every cycle cost a tenth of the strategy."""
    expected_grid_kw: float | None
    """Import expected at the connection once the set-points take effect; ``None`` without a meter."""
    flags: frozenset[Flag]
    memory: StrategyMemory

    @property
    def summary(self) -> str:
        """One line for the log and the control cycle's span."""
        return str(self.outline)
