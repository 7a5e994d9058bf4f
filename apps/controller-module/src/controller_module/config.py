"""The controller's configuration (desired properties of ``controller-module``), validated as a whole.

Every field has a default, so a controller with an empty twin runs self-consumption with a zero grid target.
Cross-field rules are checked in ``__post_init__``: the set-point refresh must come well before the assets'
set-point expiry, a grid target must lie within the grid limits, and so on. Patches are applied atomically
with :class:`energy_edge.modulehost.TwinConfig`, exactly as on the asset modules.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import msgspec

from controller_module.forecast import PvArray

Seconds = Annotated[float, msgspec.Meta(ge=0.1, le=86_400.0)]
Kilowatts = Annotated[float, msgspec.Meta(ge=0.0, le=1_000_000.0)]
SignedKilowatts = Annotated[float, msgspec.Meta(ge=-1_000_000.0, le=1_000_000.0)]
Percent = Annotated[float, msgspec.Meta(ge=0.0, le=100.0)]
Fraction = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]


class Mode(StrEnum):
    SELF_CONSUMPTION = "self_consumption"
    """Hold ``grid_balance_kw`` (export) at ``grid_target_kw`` with battery, boiler, then PV curtailment."""
    PEAK_SHAVING = "peak_shaving"
    """Keep import under the peak target (``peak_target_kw``, else ``import_limit_kw``) with the battery
    and boiler shedding; recharge below it."""
    EXPORT_LIMIT = "export_limit"
    """Keep feed-in under ``export_limit_kw`` by curtailing PV; the battery is not used."""


class ControllerConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    mode: Mode = Mode.SELF_CONSUMPTION
    grid_target_kw: SignedKilowatts = 0.0
    """Target export at the grid connection in self-consumption (DESIGN's ``grid_balance_kw``: > 0 export)."""
    import_limit_kw: Kilowatts = 250.0
    """Hard ceiling on import in every mode (connection or tariff peak); also the peak-shaving level."""
    export_limit_kw: Kilowatts = 100.0
    """Hard ceiling on feed-in in every mode (the grid operator's export limit)."""
    limit_margin_kw: Kilowatts = 0.5
    """The controller aims this far inside both grid limits: load moves between two control cycles and
    between a meter reading and the set-point it causes, and a limit is not to be touched by noise. Larger
    moves cross it briefly and are caught by the limit guard (a meter reading beyond a limit starts a cycle
    at once) within the 5 s an export limitation scheme has (ENA G100); every kilowatt of margin is a
    kilowatt of feed-in curtailed for as long as the export limit binds."""
    peak_target_kw: Kilowatts | None = None
    """Peak shaving's level (the demand-charge peak to stay under); ``import_limit_kw`` when not set. Once a
    15-minute average above it has been billed, shaving below that peak saves nothing: the level rises to
    it (never above ``import_limit_kw``), and the battery keeps its energy for peaks above it."""
    peak_horizon_h: Annotated[float, msgspec.Meta(ge=0.25, le=48.0)] = 4.0
    """Until a day of demand has been learned (or without ``peak_plan``), peak shaving spreads the
    batteries' energy (above the reserve) over this many hours at the load of the last quarter hour: the
    level rises to what they can hold that long, rather than hold a lower one until they are empty and then
    let the peak through."""
    peak_plan: bool = True
    """Plan peak shaving's level from the demand the controller has learned by quarter hour of the day: the
    lowest import the batteries can hold through the next 24 hours of it (see
    :mod:`controller_module.demand_profile`). Used once a whole day has been learned."""
    peak_plan_hedge: Annotated[float, msgspec.Meta(ge=0.0, le=3.0)] = 1.5
    """Standard deviations of the learned day-to-day variation that the batteries keep back, counted over
    the stretch still ahead (0: plan on the mean alone). The cost is lopsided — a level a kW too high costs
    a kW, one too low empties the batteries before the shift ends and the meter bills what they no longer
    cover. Counted per stretch, not per quarter hour: the deviations of a stretch's quarter hours partly
    cancel, so the reserve grows with the square root of its length and costs little on an ordinary day
    (see :func:`controller_module.demand_profile.plan_level`; measurements in the README)."""
    battery_reserve_percent: Percent = 20.0
    """Balancing never discharges below this SoC; only holding the import limit may use the reserve."""
    control_interval_s: Seconds = 5.0
    rollup_interval_s: Seconds = 60.0
    stale_after_s: Seconds = 15.0
    """An asset without telemetry for this long is unknown: its values are not used, no command is sent."""
    deadband_kw: Kilowatts = 1.0
    """Set-point changes smaller than this are not sent (no command churn on measurement noise)."""
    idle_band_kw: Kilowatts = 1.0
    """A battery set-point smaller than this is zero (no charge/discharge flicker around balance)."""
    battery_ramp_kw_per_s: Kilowatts = 10.0
    """How fast a battery set-point may move between cycles (unless a grid limit requires more)."""
    battery_idle_stop_s: Seconds = 300.0
    """A battery held at 0 kW for this long is stopped (contactor opened) rather than held connected."""
    peak_recharge_margin_kw: Kilowatts = 5.0
    """Peak shaving recharges only with headroom this far below the peak level, and this far below the
    import limit with every boiler that may switch on before the next cycle counted."""
    boiler_on_fraction: Fraction = 0.5
    """Surplus the battery cannot take, as a share of the boiler's rating, that switches the boiler on."""
    boiler_off_fraction: Fraction = 0.2
    """Below this share the boiler stops absorbing surplus (hysteresis with ``boiler_on_fraction``)."""
    boiler_min_dwell_s: Seconds = 300.0
    """Shortest time between boiler mode changes (contactor wear, thermal comfort)."""
    boiler_economy: bool = True
    """When not absorbing surplus, hold boilers at the bottom of their band (plus the margin): heat from the
    grid only what process comfort needs. A cooler tank loses less to standby and hands less heat to water
    drawn off by volume. Off: boilers run their own thermostat at their default target."""
    boiler_band_margin_c: Annotated[float, msgspec.Meta(ge=0.0, le=20.0)] = 3.0
    """For boilers that do not report their thermostat differential: absorbing targets the top of the band
    minus this, economy and shedding the bottom plus this (the thermostat swings around its target, and
    the swing must stay inside the band). Boilers that report ``hysteresis_k`` get targets whose swing ends
    ``boiler_band_guard_c`` inside the band."""
    boiler_band_guard_c: Annotated[float, msgspec.Meta(ge=0.0, le=5.0)] = 0.3
    """How far inside the band a reported thermostat swing is kept (sensor tolerance, overshoot)."""
    setpoint_refresh_s: Seconds = 30.0
    """Set-points are re-sent at least this often, before the assets' set-point expiry (default 60 s)."""
    command_timeout_s: Seconds = 5.0
    command_retries: Annotated[int, msgspec.Meta(ge=0, le=5)] = 2
    curtail_to_target: bool = False
    """Curtail PV to hold ``grid_target_kw`` in self-consumption. Off by default: surplus the battery and the
    boiler cannot take earns the feed-in price, so PV is curtailed only for the export limit (a site with a
    zero-export agreement sets ``export_limit_kw`` to 0)."""
    pv_array: PvArray | None = None
    """The PV array's location and orientation. Set, the controller forecasts the rest of the day's surplus
    (clear sky x measured clearness - observed load) and, where the surplus beyond the export limit will
    fill the batteries anyway, charges them only with that: surplus the limit allows out earns the feed-in
    price instead of displacing surplus that would be curtailed later (export-limit-aware charging)."""
    forecast_safety: Annotated[float, msgspec.Meta(ge=1.0, le=10.0)] = 1.5
    """How many times over the forecast surplus beyond the export limit must cover the batteries' room
    before charging waits for it (a forecast from one clearness figure errs; an empty evening battery costs
    more than a few kWh sold instead of stored)."""
    restart_idle_assets: bool = True
    """Start PV inverters and boilers found IDLE (not FAULT): producing and heating are their normal job."""

    def __post_init__(self) -> None:
        if self.boiler_off_fraction > self.boiler_on_fraction:
            raise ValueError("boiler_off_fraction must not exceed boiler_on_fraction")
        if not -self.export_limit_kw <= -self.grid_target_kw <= self.import_limit_kw:
            raise ValueError(
                f"grid_target_kw {self.grid_target_kw:g} must lie within the grid limits "
                f"(export {self.export_limit_kw:g}, import {self.import_limit_kw:g})"
            )
        if self.peak_target_kw is not None and self.peak_target_kw > self.import_limit_kw:
            raise ValueError("peak_target_kw must not exceed import_limit_kw")
        if self.command_timeout_s * (self.command_retries + 1) >= self.setpoint_refresh_s:
            raise ValueError(
                "command_timeout_s x (command_retries + 1) must be shorter than setpoint_refresh_s"
            )
