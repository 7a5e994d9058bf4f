"""The control strategy: a pure function from a site snapshot (and configuration) to set-points.

Constraints are applied in priority order, as OpenEMS's scheduler does:

1. **Equipment safety and faults.** Assets in FAULT, STOPPING or with stale telemetry get no set-point. Every
   battery set-point stays within what the battery reports it can do now (``max_charge_kw`` /
   ``max_discharge_kw``, already inside the operator's limits and SoC window); boiler targets stay inside
   the band the boiler reports; PV limits between 0 and its maximum. Without a working grid meter the site
   cannot be balanced: batteries hold 0 kW, boilers run their own thermostats, and PV is limited to the
   export limit (the worst case, a site with no load, then still respects it).
2. **Grid limits** (every mode): import above ``import_limit_kw`` is met with battery discharge — into the
   reserve if necessary — and boiler shedding; feed-in above ``export_limit_kw`` with battery charging,
   boiler heating and, last, PV curtailment. The controller holds ``limit_margin_kw`` inside both limits,
   and peak-shaving recharge leaves room for boiler thermostats that may switch on before the next cycle.
3. **Battery reserve.** Balancing never discharges a battery at or below ``battery_reserve_percent``.
4. **Balancing**, by mode (see :class:`~controller_module.config.Mode`).

The site's flexible assets are first taken out of the measured grid power to get the *neutral import*
``N = grid + battery output - boiler draw - recoverable curtailment`` (import with batteries at 0, boilers
off, PV uncurtailed); every decision is then made against ``N``, so it does not chase its own previous
set-points. Stability: battery set-points within ``idle_band_kw`` of zero are zero, changes below
``deadband_kw`` are not made, and set-points ramp by at most ``battery_ramp_kw_per_s`` (unless a grid limit
needs more); boiler modes switch with hysteresis and a minimum dwell time. Every set-point carries a reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import MappingProxyType
from typing import Final, TypeVar

import msgspec

from controller_module.config import ControllerConfig, Mode
from controller_module.decision import (
    Balance,
    BatterySetpoint,
    BoilerMode,
    BoilerSetpoint,
    Decision,
    Flag,
    PeakMeter,
    PvSetpoint,
    StrategyMemory,
)
from controller_module.demand_profile import (
    BOILER_SPREAD_SLOTS,
    MIN_OBSERVED_FRACTION,
    BatteryBank,
    DemandProfile,
    plan_level,
)
from controller_module.forecast import Outlook
from controller_module.snapshot import BatteryView, BoilerView, PvView, SiteSnapshot
from energy_edge.statemachine import AssetState

QUARTER_HOUR_S: Final = 900
PEAK_RATCHET_TOLERANCE: Final = 0.01
COMFORT_BAND_K: Final = 0.5
"""Over this span above its switch-on point a capped boiler's comfort share goes from nothing to full."""
PEAK_FLOOR_FRACTION: Final = 0.8
"""However far a block has overshot, the import is not pushed below this share of the level (the battery
would empty itself on a block already lost)."""
UNDERSHOOT_SPREAD_S: Final = 300.0
"""A quarter hour's undershoot (import below the level so far) is spread over at least this long."""
MIN_SETPOINT_KW: Final = 0.1
COMMANDABLE: Final = frozenset({AssetState.IDLE, AssetState.STARTING, AssetState.RUNNING})
BOILER_ROOM_C: Final = 1.0
"""A boiler within this of the top of its band has no room left to absorb surplus."""
TOLERANCE_KW: Final = 0.5
"""Expected grid power within this of a limit does not count as a violation (measurement noise)."""
EXPORT_SIDE_DEADBAND: Final = 0.25
"""Share of the deadband a self-consumption battery set-point may err by on the export side."""
PV_DEADBAND_SHARE: Final = 0.25
"""Share of the deadband a curtailing inverter's limit may stay below what is needed."""
TOPPING_OFF_FRACTION: Final = 0.11
"""A battery whose charge limit has tapered to this share of its rating is about to be full (the taper's
last stretch: batteries taper the last few percent to around a tenth of their rating)."""


def decide(
    snapshot: SiteSnapshot,
    config: ControllerConfig,
    memory: StrategyMemory,
    outlook: Outlook | None = None,
) -> Decision:
    """Set-points for every commandable asset, with reasons, and the memory for the next cycle.

    ``outlook`` is the controller's own forecast of the rest of the day's surplus (when it has one).
    """
    batteries = _commandable(snapshot.batteries)
    pvs = _commandable(snapshot.pv)
    boilers = _steerable(snapshot.boilers)
    grid = snapshot.grid_power_kw
    if grid is None:
        return _without_meter(snapshot, config, memory, batteries, pvs)
    now = snapshot.monotonic_s
    if memory.at_s is None:
        dt = config.control_interval_s
    else:
        elapsed = now - memory.at_s
        dt = 0.0 if elapsed < 0.0 else elapsed  # max(elapsed, 0.0)

    # Import with every flexible asset neutral: batteries at 0, boilers off, PV uncurtailed.
    without_batteries = grid + _output_kw(snapshot.batteries)
    boilers_drawing = _draw_kw(snapshot.boilers)
    neutral = without_batteries - boilers_drawing - _recoverable_kw(pvs)
    output, charge_room, discharge_room, discharge_room_limit = _battery_rooms(batteries, config)

    unix_s = snapshot.at.timestamp()
    peak = memory.peak.advance(grid, dt, int(unix_s // QUARTER_HOUR_S), without_batteries, boilers_drawing)
    profile = memory.profile
    if peak.block != memory.peak.block:
        if memory.peak.block is not None:
            mean = memory.peak.demand_mean_kw(MIN_OBSERVED_FRACTION * QUARTER_HOUR_S)
            if mean is not None:
                profile = profile.learn(memory.peak.block, mean, memory.peak.boilers_mean_kw())
        if config.mode is Mode.PEAK_SHAVING and config.peak_plan:
            peak = msgspec.structs.replace(peak, plan_kw=_planned_level(profile, peak, batteries, config))
    usable = _usable_energy_kwh(batteries, config)
    held = _held_level(config, peak, usable)
    plan = _Plan(
        config=config,
        neutral_kw=neutral,
        peak_level_kw=_peak_level(config, peak, unix_s, held),
        import_ceiling_kw=config.import_limit_kw - config.limit_margin_kw,
        export_floor_kw=config.export_limit_kw - config.limit_margin_kw,
        target_import_kw=-config.grid_target_kw if config.mode is Mode.SELF_CONSUMPTION else None,
        wait_for_limit=outlook is not None and outlook.waits_for_the_limit(config.forecast_safety),
        fills_valleys=_fills_valleys(config, profile, peak, held, boilers),
    )
    boiler_points = _boilers(plan, boilers, memory, now, charge_room, discharge_room_limit, discharge_room)
    battery_plan = _battery_total(plan, charge_room, discharge_room, discharge_room_limit)
    battery_points = _distribute(plan, batteries, battery_plan, memory, dt)
    battery_total = _setpoints_kw(battery_points)
    after_batteries = neutral + plan.boiler_draw_kw - battery_total
    # A battery takes seconds to follow a new set-point; an inverter's limit acts within one. PV is
    # curtailed and released against the batteries as they are now where they would export more than
    # planned (turning from discharge to charge when the sun is back after a cloud the battery filled
    # in): what they will take on top counts from the next cycle, once they have turned.
    turning = output - battery_total
    turning = 0.0 if turning < 0.0 else turning  # max(turning, 0.0)
    # A battery topping off (its charge power tapered to a trickle near full) stops charging the moment
    # it is full, a step the next meter reading may see only seconds later: the export limit counts on
    # that trickle only as far as the limit margin covers it.
    trickle, using_reserve = _trickle_and_reserve(batteries, battery_points, config)
    uncovered = trickle - config.limit_margin_kw  # the margin takes what it can of the step
    turning += 0.0 if uncovered < 0.0 else uncovered  # max(uncovered, 0.0)
    pv_points, curtail_kw = _curtail(plan, pvs, after_batteries, memory, turning)
    expected = after_batteries + curtail_kw

    flags: set[Flag] = set()
    if expected > config.import_limit_kw + TOLERANCE_KW:
        flags.add(Flag.IMPORT_LIMIT)
    if expected < -config.export_limit_kw - TOLERANCE_KW:
        flags.add(Flag.EXPORT_LIMIT)
    if using_reserve:
        flags.add(Flag.USING_RESERVE)
    return Decision(
        at=snapshot.at,
        batteries=battery_points,
        pv=pv_points,
        boilers=boiler_points,
        outline=Balance(config.mode, grid, neutral, battery_total, plan.boiler_draw_kw, curtail_kw, expected),
        expected_grid_kw=expected,
        flags=frozenset(flags),
        memory=_handed_on(memory, now, battery_points, pv_points, boiler_points, peak, profile),
    )


def _handed_on(
    memory: StrategyMemory,
    now: float,
    battery_points: Sequence[BatterySetpoint],
    pv_points: Sequence[PvSetpoint],
    boiler_points: Sequence[BoilerSetpoint],
    peak: PeakMeter,
    profile: DemandProfile,
) -> StrategyMemory:
    """What this cycle hands to the next: the set-points in force, the boilers' modes with when they began,
    the peak meter and the profile. (Filled by loops: a dict comprehension is a function call of its own,
    four of them every cycle.)"""
    battery_kw: dict[str, float] = {}
    for point in battery_points:
        battery_kw[point.asset_id] = point.power_kw
    pv_limit_kw: dict[str, float] = {}
    for point in pv_points:
        pv_limit_kw[point.asset_id] = point.limit_kw
    boiler_modes: dict[str, tuple[BoilerMode, float]] = {}
    boiler_caps: dict[str, float] = {}
    for point in boiler_points:
        boiler_modes[point.asset_id] = (point.mode, _since(memory, point.asset_id, point.mode, now))
        if point.power_limit_kw is not None:
            boiler_caps[point.asset_id] = point.power_limit_kw
    return StrategyMemory(
        now,
        MappingProxyType(battery_kw),
        MappingProxyType(pv_limit_kw),
        MappingProxyType(boiler_modes),
        MappingProxyType(boiler_caps),
        peak,
        profile,
    )


# -- totals -----------------------------------------------------------------------------------------------
# Every cycle adds up a handful of values over one or two assets each. Explicit loops rather than sum() over
# a generator expression (which builds a generator and resumes it per item, several times the additions'
# cost), each total once. They add from 0.0 in the assets' order, exactly as sum() does on Python 3.11.
# Likewise min() and max() are spelled as comparisons on the per-cycle path (a builtin call costs more than
# the compare), with their rule: the first argument unless the second is strictly smaller (larger).

_View = TypeVar("_View", BatteryView, PvView, BoilerView)


def _commandable(views: tuple[_View, ...]) -> tuple[_View, ...]:
    """The views of assets that take set-points now (all of them, usually: then the tuple itself)."""
    for view in views:
        if view.state not in COMMANDABLE:
            return tuple(v for v in views if v.state in COMMANDABLE)
    return views


def _steerable(boilers: tuple[BoilerView, ...]) -> tuple[BoilerView, ...]:
    """The commandable boilers that report what steering them needs (see :func:`_banded`)."""
    for boiler in boilers:
        if boiler.state not in COMMANDABLE or not _banded(boiler):
            return tuple(b for b in boilers if b.state in COMMANDABLE and _banded(b))
    return boilers


def _output_kw(batteries: Sequence[BatteryView]) -> float:
    total = 0.0
    for battery in batteries:
        total += battery.power_kw
    return total


def _draw_kw(boilers: Sequence[BoilerView]) -> float:
    total = 0.0
    for boiler in boilers:
        total += boiler.draw_kw
    return total


def _recoverable_kw(pvs: Sequence[PvView]) -> float:
    """PV power a release of the inverters' limits would add."""
    total = 0.0
    for pv in pvs:
        total += pv.available_kw - pv.power_kw
    return total


def _setpoints_kw(points: Sequence[BatterySetpoint]) -> float:
    total = 0.0
    for point in points:
        total += point.power_kw
    return total


def _battery_rooms(
    batteries: Sequence[BatteryView], config: ControllerConfig
) -> tuple[float, float, float, float]:
    """The batteries' output now, their charge room, their discharge room above the reserve (what balancing
    may use) and their whole discharge room (what holding the import limit may use), in one pass."""
    output = charge = above_reserve = discharge = 0.0
    for battery in batteries:
        output += battery.power_kw
        charge += battery.max_charge_kw
        above_reserve += _above_reserve(battery, config)
        discharge += battery.max_discharge_kw
    return output, charge, above_reserve, discharge


def _trickle_and_reserve(
    batteries: Sequence[BatteryView], points: Sequence[BatterySetpoint], config: ControllerConfig
) -> tuple[float, bool]:
    """The charge set for batteries topping off (see :func:`_topping_off`), and whether a set-point
    discharges into the reserve, in one pass."""
    trickle = 0.0
    using_reserve = False
    for battery, point in zip(batteries, points, strict=True):
        if point.power_kw < 0.0 and _topping_off(battery):
            trickle -= point.power_kw
        if point.power_kw > _above_reserve(battery, config) + 1e-9:
            using_reserve = True
    return trickle, using_reserve


def _topping_off(battery: BatteryView) -> bool:
    """Charging is tapered to a trickle: the battery is about to be full."""
    charge, discharge = battery.max_charge_kw, battery.max_discharge_kw
    rating = discharge if discharge > charge else charge  # max(charge, discharge)
    return rating > 0.0 and battery.max_charge_kw <= TOPPING_OFF_FRACTION * rating


def _usable_energy_kwh(batteries: Sequence[BatteryView], config: ControllerConfig) -> float | None:
    """Energy the batteries hold above the reserve (``None`` when one does not report its capacity)."""
    if not batteries:
        return None
    reserve = config.battery_reserve_percent
    usable = 0.0
    for battery in batteries:
        if battery.capacity_kwh is None:
            return None
        above = battery.soc_percent - reserve
        usable += (0.0 if above < 0.0 else above) / 100.0 * battery.capacity_kwh  # max(above, 0.0)
    return usable


def _planned_level(
    profile: DemandProfile, peak: PeakMeter, batteries: Sequence[BatteryView], config: ControllerConfig
) -> float | None:
    """The level the batteries can hold through the next 24 hours of the learned demand (``None`` while a
    day is not learned or a battery does not report its capacity). It is planned afresh every quarter hour
    from the charge the batteries have then: a day heavier than the profile drains them faster and raises
    the plan. (The load just seen is no better guide for the quarter hour ahead: it holds the boilers'
    valley filling under the level, which is the controller's own doing.)"""
    if peak.block is None or not batteries or any(b.capacity_kwh is None for b in batteries):
        return None
    total = profile.ahead(peak.block)
    if total is None:
        return None
    # Base demand as learned; the boilers' share spread over a couple of hours (a tank's worth of slack).
    boilers = profile.boilers_ahead(peak.block)
    spread_boilers = profile.boilers_spread_ahead(peak.block, BOILER_SPREAD_SLOTS)
    demand = [t - b + s for t, b, s in zip(total, boilers, spread_boilers, strict=True)]
    hedge = config.peak_plan_hedge
    deviations = profile.deviations_ahead(peak.block) if hedge > 0.0 else []
    reserve = config.battery_reserve_percent
    # A battery's limits shrink to nothing near full or empty: its rating is the larger of the two.
    rating = sum(max(b.max_charge_kw, b.max_discharge_kw) for b in batteries)
    bank = BatteryBank(
        usable_kwh=_usable_energy_kwh(batteries, config) or 0.0,
        # Batteries do not report their top SoC: room is counted up to 100 %, except for one that takes no
        # charge at all, which is at its top (counted to 100 %, a full battery's phantom room left the plan
        # as the night's recharging slots left the horizon, and the level crept up through the morning).
        room_kwh=sum(
            max(100.0 - max(b.soc_percent, reserve), 0.0) / 100.0 * (b.capacity_kwh or 0.0)
            for b in batteries
            if b.max_charge_kw > 0.0
        ),
        charge_kw=rating,
        discharge_kw=rating,
    )
    return plan_level(
        demand, bank, recharge_margin_kw=config.peak_recharge_margin_kw, deviation_kw=deviations, hedge=hedge
    )


def _held_level(config: ControllerConfig, peak: PeakMeter, usable_kwh: float | None) -> float:
    """The peak level of this quarter hour (see :func:`_peak_level`), before balancing within the block.

    It is the highest of three: the peak target; what the batteries can hold — planned over the
    next 24 hours of the learned demand profile once there is one, else for ``peak_horizon_h`` against the
    load of the last quarter hour or so (a level they cannot hold empties them early, and the peak comes
    anyway, later); and a peak already billed (shaving below it saves
    nothing; the battery's energy is better kept for peaks above it) once that exceeds the target by more
    than ``PEAK_RATCHET_TOLERANCE``, so that blocks ending a hair above the level do not creep it upwards.
    Never above the import limit less the margin.
    """
    ceiling = config.import_limit_kw - config.limit_margin_kw
    target = config.peak_target_kw if config.peak_target_kw is not None else ceiling
    level = peak.peak_kw if peak.peak_kw > target * (1.0 + PEAK_RATCHET_TOLERANCE) else target
    if peak.plan_kw is not None:
        level = peak.plan_kw if peak.plan_kw > level else level  # max(level, plan)
    elif usable_kwh is not None and peak.load_avg_kw is not None:
        holdable = peak.load_avg_kw - usable_kwh / config.peak_horizon_h
        level = holdable if holdable > level else level  # max(level, holdable)
    return ceiling if ceiling < level else level  # min(level, ceiling)


def _peak_level(config: ControllerConfig, peak: PeakMeter, unix_s: float, level: float) -> float:
    """The import to hold now so that this quarter hour's average lands at the peak ``level``.

    A demand meter bills quarter-hour averages, not seconds: what the import overshot earlier in the block
    (a boiler step, the battery ramping) is taken back before the block ends, and what it undershot may be
    used.
    """
    ceiling = config.import_limit_kw - config.limit_margin_kw
    remaining_s = QUARTER_HOUR_S - (unix_s % QUARTER_HOUR_S)
    if peak.seconds <= config.control_interval_s or remaining_s < 1.0:
        return level  # nothing measured in this block yet to balance
    allowed = (level * (peak.seconds + remaining_s) - peak.energy_kws) / remaining_s
    if allowed > level:
        # What the block undershot is spread over at least UNDERSHOOT_SPREAD_S: in the last seconds of a
        # block it would otherwise allow a surge of import (batteries stopping, boilers stepping on) whose
        # ramp back spills into the next block, billed on its own.
        spread_s = UNDERSHOOT_SPREAD_S if remaining_s < UNDERSHOOT_SPREAD_S else remaining_s
        allowed = level + (allowed - level) * remaining_s / spread_s
    floor = PEAK_FLOOR_FRACTION * level
    allowed = floor if floor > allowed else allowed  # max(allowed, floor)
    return ceiling if ceiling < allowed else allowed  # min(allowed, ceiling)


def _fills_valleys(
    config: ControllerConfig,
    profile: DemandProfile,
    peak: PeakMeter,
    level_kw: float,
    boilers: Sequence[BoilerView],
) -> bool:
    """Peak shaving fills a valley with boiler heat only when a peak follows within ``PREHEAT_SLOTS``: when
    the learned demand without the boilers, with them heating at full power on top, would cross the level.
    Heat stored hours earlier (after the evening shift, for the morning's) stands in a tank held at the top
    of its band, losing more the hotter it is; the tank is filled just in time instead. Without a planned
    level (no day learned) every valley is filled."""
    if config.mode is not Mode.PEAK_SHAVING or peak.plan_kw is None or peak.block is None:
        return True
    heating_kw = 0.0
    for boiler in boilers:
        heating_kw += boiler.rated_power_kw or 0.0
    return profile.peak_within(peak.block, level_kw, heating_kw)


class _Plan(msgspec.Struct, eq=False):
    """Working values of one decision."""

    config: ControllerConfig
    neutral_kw: float
    peak_level_kw: float
    """Peak shaving's level: the peak target, raised to the peak already billed (never above the limit)."""
    import_ceiling_kw: float
    """The import the controller holds to: the limit, less the margin for what moves between cycles."""
    export_floor_kw: float
    """The feed-in the controller holds to (> 0 export), likewise inside the export limit."""
    target_import_kw: float | None
    """The import to hold in self-consumption (``-grid_target_kw``); no fixed target otherwise."""
    wait_for_limit: bool = False
    """The forecast surplus beyond the export limit will fill the batteries: charge only with that."""
    fills_valleys: bool = True
    """Peak shaving: the boilers heat under the level (see :func:`_fills_valleys`)."""
    switchable_kw: float = 0.0
    """Boiler power that may switch on before the next cycle (thermostats, comfort guards)."""
    boiler_draw_kw: float = 0.0
    """Boiler draw expected once the boiler set-points take effect."""


# -- boilers ----------------------------------------------------------------------------------------------


def _banded(boiler: BoilerView) -> bool:
    """A boiler can be steered only when it reports the band its set-point must stay in and its rating."""
    return (
        boiler.min_celsius is not None
        and boiler.max_celsius is not None
        and boiler.rated_power_kw is not None
    )


def _boilers(
    plan: _Plan,
    boilers: Sequence[BoilerView],
    memory: StrategyMemory,
    now: float,
    charge_room: float,
    discharge_room_limit: float,
    discharge_room: float,
) -> tuple[BoilerSetpoint, ...]:
    config = plan.config
    excess = _excess(plan, charge_room, discharge_room_limit, discharge_room)
    forced_shed = (plan.neutral_kw - plan.import_ceiling_kw) - discharge_room_limit > 0

    points: list[BoilerSetpoint] = []
    for boiler in boilers:
        band = _ThermostatBand.of(boiler, config)
        drawn_before = plan.boiler_draw_kw
        previous, since = memory.boiler_modes.get(boiler.asset_id, _NEVER_COMMANDED)
        wanted, why = _boiler_mode(boiler, band, config, previous, excess, forced_shed=forced_shed)
        if wanted is not previous and now - since < config.boiler_min_dwell_s and not forced_shed:
            wanted, why = previous, f"kept {previous} for its minimum dwell time"
        point = _boiler_setpoint(plan, boiler, band, memory, previous, wanted, why, excess)
        plan.switchable_kw += _may_step_up_kw(boiler, config, plan.boiler_draw_kw - drawn_before)
        points.append(point)
    return tuple(points)


_NEVER_COMMANDED: Final = (BoilerMode.NORMAL, -math.inf)
"""A boiler's mode and since when, before it is first commanded: NORMAL forever (no dwell)."""


class _Excess(msgspec.Struct):
    """Surplus the batteries cannot absorb and deficit they cannot cover, as the boilers take their share."""

    surplus_kw: float
    deficit_kw: float


def _boiler_mode(
    boiler: BoilerView,
    band: _ThermostatBand,
    config: ControllerConfig,
    previous: BoilerMode,
    excess: _Excess,
    *,
    forced_shed: bool,
) -> tuple[BoilerMode, str]:
    """The mode a boiler should be in, before the minimum dwell time is applied."""
    rated = boiler.rated_power_kw or 0.0
    # Entering ABSORB needs room for the heater to work below the raised target; staying only needs the
    # target not reached.
    if boiler.min_power_kw is not None:
        # Its cap, not its thermostat, brings it to the top: room is anything below the cap's ramp.
        top_c = band.high_c - config.boiler_band_guard_c
        has_room = boiler.temperature_c < (top_c if previous is BoilerMode.ABSORB else top_c - COMFORT_BAND_K)
    else:
        room_needed = BOILER_ROOM_C if previous is BoilerMode.ABSORB else band.half_swing_c
        has_room = boiler.temperature_c < band.absorb_c - room_needed
    # Hysteresis: entering a mode takes more than staying in it.
    absorb_at = (
        config.boiler_off_fraction if previous is BoilerMode.ABSORB else config.boiler_on_fraction
    ) * rated
    shed_at = -config.boiler_off_fraction * rated if previous is BoilerMode.SHED else 0.0
    # Only a heater that can be held to the headroom fills a valley under a peak level.
    fills = config.mode is not Mode.PEAK_SHAVING or boiler.min_power_kw is not None
    if has_room and fills and excess.surplus_kw >= absorb_at:
        return BoilerMode.ABSORB, f"{excess.surplus_kw:.1f} kW surplus beyond the battery"
    if config.boiler_economy:
        # Economy holds the bottom of the band already: shedding would change nothing.
        return BoilerMode.ECONOMY, "nothing to absorb: heat only what comfort needs"
    if boiler.temperature_c > band.economy_c and (forced_shed or excess.deficit_kw > shed_at):
        deficit_kw = 0.0 if excess.deficit_kw < 0.0 else excess.deficit_kw  # max(deficit, 0.0)
        deficit = f"{deficit_kw:.1f} kW deficit beyond the battery"
        return BoilerMode.SHED, "import limit" if forced_shed else deficit
    return BoilerMode.NORMAL, "no surplus or deficit beyond the battery"


def _boiler_setpoint(
    plan: _Plan,
    boiler: BoilerView,
    band: _ThermostatBand,
    memory: StrategyMemory,
    previous: BoilerMode,
    wanted: BoilerMode,
    why: str,
    excess: _Excess,
) -> BoilerSetpoint:
    """Target and heater cap for the mode, with the draw they will bring added to the plan."""
    config = plan.config
    rated = boiler.rated_power_kw or 0.0
    cap: float | None = None
    if wanted is BoilerMode.ABSORB and boiler.min_power_kw is not None:
        # A modulating heater takes the surplus exactly (down to its turndown, up to what comfort
        # needs). Its thermostat is set to the band's top, where it keeps calling for heat, and the
        # cap fades out over the last ``COMFORT_BAND_K`` below the top: the tank is held there, taking
        # what it loses, instead of swinging a whole differential below it.
        target_c: float | None = band.high_c
        wanted_kw = excess.surplus_kw  # max(surplus, comfort, turndown)
        comfort_kw = _comfort_kw(boiler, band, config)
        wanted_kw = comfort_kw if comfort_kw > wanted_kw else wanted_kw
        wanted_kw = boiler.min_power_kw if boiler.min_power_kw > wanted_kw else wanted_kw
        fade = (band.high_c - config.boiler_band_guard_c - boiler.temperature_c) / COMFORT_BAND_K
        held = (rated if rated < wanted_kw else wanted_kw) * _share(fade)  # min(wanted, rated)
        cap = _keep(held if held >= boiler.min_power_kw else 0.0, memory, boiler, config)
        # Only a thermostat that calls for heat draws: one already heating keeps calling up to the top;
        # one that is off (coming from economy) calls only below the top less half its differential.
        # Counting a cap the heater will not use would release PV beyond the export limit.
        if _heating(boiler) or boiler.temperature_c < band.high_c - band.half_swing_c:
            excess.surplus_kw -= cap
            plan.boiler_draw_kw += cap
    elif wanted is BoilerMode.ABSORB:
        target_c = band.absorb_c
        excess.surplus_kw -= rated
        # A boiler just switched will start heating; one already absorbing heats when its thermostat
        # says so (a satisfied thermostat draws nothing).
        plan.boiler_draw_kw += rated if previous is not BoilerMode.ABSORB or _heating(boiler) else 0.0
    elif wanted is BoilerMode.NORMAL:
        target_c = None
        plan.boiler_draw_kw += boiler.draw_kw
    else:
        excess.deficit_kw -= boiler.draw_kw
        target_c, why = band.hold_low(boiler, why)
        stays_on = previous is wanted and target_c == band.economy_c
        draw = boiler.draw_kw if stays_on else 0.0
        if boiler.min_power_kw is not None:
            cap, why = _cap_under_the_ceiling(plan, boiler, band, memory, why)
            # A heater its thermostat keeps calling takes whatever the new cap allows, up or down.
            draw = cap if stays_on and _heating(boiler) else 0.0
        plan.boiler_draw_kw += draw
    return BoilerSetpoint(boiler.asset_id, boiler.module_id, wanted, target_c, why, cap)


def _heating(boiler: BoilerView) -> bool:
    return boiler.heating if boiler.heating is not None else boiler.draw_kw > 0.0


def _cap_under_the_ceiling(
    plan: _Plan, boiler: BoilerView, band: _ThermostatBand, memory: StrategyMemory, why: str
) -> tuple[float, str]:
    """A modulating boiler's heater cap while it is not absorbing: a comfort share that grows from nothing
    ``COMFORT_BAND_K`` above the thermostat's switch-on point to the full power at it, so the water settles
    just above the bottom of the band where the cap meets the process's demand (as a tank held by a
    continuous heater does, not swinging through a thermostat's differential), without full-power steps.
    Peak shaving adds what fits under the level with the site as planned so far (heat taken in the
    valleys need not be taken in the next peak); the battery covers what comfort takes beyond it."""
    rated = boiler.rated_power_kw or 0.0
    turndown = boiler.min_power_kw or 0.0
    level, ceiling = plan.peak_level_kw, plan.import_ceiling_kw
    ceiling = ceiling if ceiling < level else level  # min(level, ceiling)
    room = 0.0
    if plan.config.mode is Mode.PEAK_SHAVING:
        room = ceiling - (plan.neutral_kw + plan.boiler_draw_kw)
        room = 0.0 if room < 0.0 else room  # max(room, 0.0)
    comfort = _comfort_kw(boiler, band, plan.config)
    if room + comfort >= rated:
        return _keep(rated, memory, boiler, plan.config), why
    cap = room + comfort
    cap = cap if cap >= turndown else (turndown if comfort > 0.0 else 0.0)
    capped = f"{why}; heater capped at {cap:.1f} kW" + (
        f" under {ceiling:.1f} kW" if plan.config.mode is Mode.PEAK_SHAVING else " for comfort"
    )
    return _keep(cap, memory, boiler, plan.config), capped


def _comfort_kw(boiler: BoilerView, band: _ThermostatBand, config: ControllerConfig) -> float:
    """The heater power comfort claims: none ``COMFORT_BAND_K`` above the thermostat's switch-on point,
    all of it at that point (the boiler's own guard lifts any cap below the band anyway)."""
    switch_on_c = band.low_c + config.boiler_band_guard_c
    shortfall = (switch_on_c + COMFORT_BAND_K - boiler.temperature_c) / COMFORT_BAND_K
    return (boiler.rated_power_kw or 0.0) * _share(shortfall)


def _share(fraction: float) -> float:
    """``fraction`` clamped to [0, 1]: ``min(max(fraction, 0.0), 1.0)``."""
    fraction = 0.0 if fraction < 0.0 else fraction
    return 1.0 if fraction > 1.0 else fraction


def _may_step_up_kw(boiler: BoilerView, config: ControllerConfig, planned_kw: float) -> float:
    """Power a boiler may add before the next cycle beyond what is planned for it, without being told:
    its thermostat switching on, or, capped near the bottom of its band, its own comfort guard lifting the
    cap."""
    spare = (boiler.rated_power_kw or 0.0) - planned_kw
    spare = 0.0 if spare < 0.0 else spare  # max(spare, 0.0)
    low = boiler.min_celsius if boiler.min_celsius is not None else boiler.temperature_c
    near_the_bottom = boiler.temperature_c < low + config.boiler_band_guard_c + COMFORT_BAND_K
    return spare if boiler.draw_kw <= 0.0 or near_the_bottom else 0.0


def _keep(cap: float, memory: StrategyMemory, boiler: BoilerView, config: ControllerConfig) -> float:
    """The previous cap when the new one is within the deadband of it (no command churn)."""
    previous = memory.boiler_caps.get(boiler.asset_id)
    return previous if previous is not None and abs(previous - cap) < config.deadband_kw else cap


def _excess(plan: _Plan, charge_room: float, discharge_room_limit: float, discharge_room: float) -> _Excess:
    """Surplus the batteries cannot absorb, and deficit they cannot cover (each > 0 when there is some)."""
    config = plan.config
    target = plan.target_import_kw
    if config.mode is Mode.SELF_CONSUMPTION and target is not None:
        excess_surplus = (target - plan.neutral_kw) - charge_room
        excess_deficit = (plan.neutral_kw - target) - discharge_room
    elif config.mode is Mode.PEAK_SHAVING:
        # Valley filling: import headroom under the level that recharging the batteries leaves unused
        # heats the tanks, so that they coast through the next peak instead of heating in it.
        headroom = plan.peak_level_kw - config.peak_recharge_margin_kw - plan.neutral_kw
        excess_surplus = headroom - charge_room if plan.fills_valleys else -math.inf
        excess_deficit = (plan.neutral_kw - plan.peak_level_kw) - discharge_room_limit
    else:
        excess_surplus = excess_deficit = -math.inf
    # Every mode: feed-in the battery cannot stop must be heated away before PV is curtailed... unless the
    # mode is the export limit itself, whose tool is curtailment.
    if config.mode is not Mode.EXPORT_LIMIT:
        beyond_the_limit = (-plan.export_floor_kw - plan.neutral_kw) - charge_room
        excess_surplus = beyond_the_limit if beyond_the_limit > excess_surplus else excess_surplus  # max()
    return _Excess(excess_surplus, excess_deficit)


class _ThermostatBand(msgspec.Struct, frozen=True):
    """Targets that keep a boiler thermostat's swing inside the operator's band.

    A thermostat heats below ``target - h/2`` and stops above ``target + h/2``. With the differential ``h``
    reported, the economy target puts the switch-on point ``boiler_band_guard_c`` above the band's bottom,
    and the absorb target the switch-off point that far below its top. Without it, the configured
    ``boiler_band_margin_c`` stands in for ``h/2`` plus the guard.
    """

    low_c: float
    high_c: float
    economy_c: float
    absorb_c: float
    half_swing_c: float
    """``h/2`` when reported, else a conservative stand-in (the margin)."""
    cut_from_c: float | None
    """Economy's early stop: from here a heating boiler is sent the band's bottom as its target, which it is
    already above by ``h/2``, so it stops at once. ``None`` when the differential is unknown or too small
    for a stop to save anything."""

    @classmethod
    def of(cls, boiler: BoilerView, config: ControllerConfig) -> _ThermostatBand:
        low = boiler.min_celsius if boiler.min_celsius is not None else boiler.temperature_c
        high = boiler.max_celsius if boiler.max_celsius is not None else boiler.temperature_c
        middle = (low + high) / 2.0
        if boiler.hysteresis_k is None:
            margin, half_band = config.boiler_band_margin_c, (high - low) / 2.0
            margin = half_band if half_band < margin else margin  # min(margin, half the band)
            room = 3.0 * BOILER_ROOM_C
            return cls(low, high, low + margin, high - margin, room if room > margin else margin, None)
        half = boiler.hysteresis_k / 2.0
        guard = config.boiler_band_guard_c
        economy = low + half + guard
        economy = middle if middle < economy else economy  # min(economy, middle)
        absorb = high - half - guard
        absorb = middle if middle > absorb else absorb  # max(absorb, middle)
        # Stopping at low + h/2 instead of the thermostat's low + h + guard halves the swing: the tank
        # sits a quarter of a differential cooler on average, and loses less to standby and draw-off.
        cut_from = low + half if half > 2.0 * guard else None
        return cls(low, high, economy, absorb, half, cut_from)

    def hold_low(self, boiler: BoilerView, why: str) -> tuple[float, str]:
        """Economy (and shed) target: the bottom of the band, stopping early once the tank is warm enough."""
        heating = boiler.heating if boiler.heating is not None else boiler.draw_kw > 0.0
        if self.cut_from_c is not None and heating and boiler.temperature_c >= self.cut_from_c:
            return self.low_c, f"{why}; stop heating at {self.cut_from_c:.1f} °C"
        return self.economy_c, why


def _since(memory: StrategyMemory, asset_id: str, mode: BoilerMode, now: float) -> float:
    """When the boiler entered ``mode``; a boiler never commanded has been NORMAL forever (no dwell)."""
    previous = memory.boiler_modes.get(asset_id, _NEVER_COMMANDED)
    return previous[1] if previous[0] is mode else now


# -- batteries --------------------------------------------------------------------------------------------


def _above_reserve(battery: BatteryView, config: ControllerConfig) -> float:
    """Discharge power balancing may use: none at or below the reserve."""
    if battery.soc_percent <= config.battery_reserve_percent:
        return 0.0
    return battery.max_discharge_kw


class _BatteryPlan(msgspec.Struct, frozen=True):
    wanted_kw: float
    """Total battery output balancing asks for (> 0 discharge), already within the grid limits' band."""
    lower_kw: float
    """Least total output the import limit requires (may use the reserve); -inf when it does not bind."""
    upper_kw: float
    """Most total output the export limit allows; +inf when it does not bind."""
    why: str


def _battery_total(
    plan: _Plan, charge_room: float, discharge_room: float, discharge_room_limit: float
) -> _BatteryPlan:
    config = plan.config
    load = plan.neutral_kw + plan.boiler_draw_kw  # import with batteries at 0 and PV uncurtailed
    match config.mode:
        case Mode.SELF_CONSUMPTION:
            wanted = load + config.grid_target_kw
            why = f"hold grid balance at {config.grid_target_kw:+.1f} kW"
            if wanted < 0 and plan.wait_for_limit:
                allowed_out = plan.export_floor_kw - config.grid_target_kw
                wanted, why = _fill_from_beyond_the_limit(-wanted, allowed_out)
        case Mode.PEAK_SHAVING:
            over = load - plan.peak_level_kw
            if over > 0:
                wanted, why = over, f"import {load:.1f} kW above the {plan.peak_level_kw:.1f} kW peak level"
            else:
                wanted = _recharge_kw(plan, load, over, charge_room)
                why = "recharge below the peak limit" if wanted < 0 else "import below the peak limit"
        case Mode.EXPORT_LIMIT:
            wanted, why = 0.0, "export-limit mode: battery not used"
    if wanted > 0:
        if (
            discharge_room < wanted
            and config.mode is Mode.SELF_CONSUMPTION
            and discharge_room_limit > discharge_room
        ):
            why = f"deficit, but the battery is at its {config.battery_reserve_percent:g} % reserve"
        wanted = discharge_room if discharge_room < wanted else wanted  # min(wanted, discharge_room)
    elif wanted < 0:
        most = -charge_room
        wanted = most if most > wanted else wanted  # max(wanted, -charge_room)
    if abs(wanted) < config.idle_band_kw:
        wanted = 0.0
    # Grid limits outrank the reserve, the idle band, ramps and deadbands.
    lower, upper = _limit_band(plan, load, charge_room, discharge_room_limit)
    if wanted < lower:
        wanted, why = lower, f"hold the {config.import_limit_kw:g} kW import limit"
    if wanted > upper:
        wanted, why = upper, f"hold the {config.export_limit_kw:g} kW export limit"
    return _BatteryPlan(wanted, lower, upper, why)


def _limit_band(
    plan: _Plan, load: float, charge_room: float, discharge_room_limit: float
) -> tuple[float, float]:
    """The least total battery output the import limit requires (-inf when it does not bind) and the most
    the export limit allows (+inf in export-limit mode, where curtailment holds it)."""
    over_import = load - plan.import_ceiling_kw
    lower = -math.inf
    if over_import > 0:
        lower = discharge_room_limit if discharge_room_limit < over_import else over_import  # min()
    upper = math.inf
    if plan.config.mode is not Mode.EXPORT_LIMIT:
        upper, most = load + plan.export_floor_kw, -charge_room
        upper = most if most > upper else upper  # max(load + export floor, -charge_room)
    return lower, upper


def _recharge_kw(plan: _Plan, load: float, over: float, charge_room: float) -> float:
    """Peak shaving's recharging (<= 0) with the import ``-over`` below the level.

    Recharging must leave room for boilers whose thermostats may switch on before the next cycle: their
    step on top of the charging must not cross the import limit. The recharge margin stays free below the
    limit too: the load moves while the step waits to be seen (a meter read every few seconds), and a
    battery turning from charge to discharge takes seconds more; a full-power step onto charging held to
    the limit's own small margin crossed it for longer than the 5 s a limitation scheme has."""
    margin = plan.config.peak_recharge_margin_kw
    headroom = -over - margin
    below_limit = plan.import_ceiling_kw - margin - plan.switchable_kw - load
    headroom = below_limit if below_limit < headroom else headroom  # min(headroom, below_limit)
    headroom = 0.0 if headroom < 0.0 else headroom  # max(headroom, 0.0)
    return -(charge_room if charge_room < headroom else headroom)  # -min(headroom, charge_room)


def _fill_from_beyond_the_limit(surplus_kw: float, allowed_out_kw: float) -> tuple[float, str]:
    """Battery power (> 0 discharge) while the surplus beyond the export limit is forecast to fill the
    batteries: sell what the limit lets out, store what it would curtail. And a dip of the surplus below
    the limit (a passing cloud) is filled from the battery: that energy comes back from PV that would
    otherwise be curtailed, so it sells at the feed-in price for nothing."""
    if surplus_kw >= allowed_out_kw:
        charge = surplus_kw - allowed_out_kw
        return -charge, (
            f"forecast surplus beyond the export limit fills the battery: charge {charge:.1f} kW, "
            "export the rest"
        )
    discharge = allowed_out_kw - surplus_kw
    return discharge, (
        f"forecast surplus beyond the export limit refills the battery: discharge {discharge:.1f} kW "
        "to export at the limit"
    )


def _distribute(
    plan: _Plan,
    batteries: Sequence[BatteryView],
    battery_plan: _BatteryPlan,
    memory: StrategyMemory,
    dt: float,
) -> tuple[BatterySetpoint, ...]:
    """Share the total in proportion to each battery's room, ramp and deadband per battery, then make sure
    the total still respects the grid limits."""
    config = plan.config
    total = battery_plan.wanted_kw
    use_reserve = battery_plan.lower_kw > 0
    tops = [b.max_discharge_kw if use_reserve else _above_reserve(b, config) for b in batteries]
    rooms = tops if total > 0 else [b.max_charge_kw for b in batteries]
    room_total = sum(rooms)
    step = config.battery_ramp_kw_per_s * dt
    setpoints: list[float] = []
    reasons: list[str] = []
    for battery, room in zip(batteries, rooms, strict=True):
        setpoint = total * room / room_total if room_total > 0 else 0.0
        previous = memory.battery_kw.get(battery.asset_id, battery.power_kw)
        why = battery_plan.why
        if abs(setpoint - previous) > step:
            setpoint, why = previous + math.copysign(step, setpoint - previous), f"{why} (ramping)"
        if _within_deadband(setpoint, previous, config) and not (setpoint == 0.0 and previous != 0.0):
            setpoint = previous
        setpoints.append(setpoint)
        reasons.append(why)
    _enforce_band(batteries, tops, setpoints, reasons, battery_plan, config)
    points: list[BatterySetpoint] = []
    for battery, top, setpoint, why in zip(batteries, tops, setpoints, reasons, strict=True):
        # Whatever the ramp or deadband kept, never beyond what the battery can do now.
        most = -battery.max_charge_kw
        value = most if most > setpoint else setpoint  # max(setpoint, -max_charge)
        value = top if top < value else value  # min(value, top)
        # Below a tenth of a kW a set-point is measurement noise, not a command worth sending.
        value = 0.0 if abs(value) < MIN_SETPOINT_KW else value
        points.append(BatterySetpoint(battery.asset_id, battery.module_id, value, why))
    return tuple(points)


def _within_deadband(setpoint: float, previous: float, config: ControllerConfig) -> bool:
    """Whether the previous set-point may stay. In self-consumption the deadband lies on the import side
    only: a kept set-point may leave the site importing a little (that energy stays in the battery, worth
    nearly what it saves), but a battery discharging more than the load, or charging less than the surplus,
    sells stored or storable energy at the export price — so such an error is corrected once it exceeds a
    quarter of the deadband. Other modes keep the symmetric deadband."""
    change = setpoint - previous  # > 0: the battery should deliver more (the site would import)
    if config.mode is Mode.SELF_CONSUMPTION:
        return -config.deadband_kw * EXPORT_SIDE_DEADBAND < change < config.deadband_kw
    return abs(change) < config.deadband_kw


def _enforce_band(
    batteries: Sequence[BatteryView],
    tops: list[float],
    setpoints: list[float],
    reasons: list[str],
    battery_plan: _BatteryPlan,
    config: ControllerConfig,
) -> None:
    """Ramps and deadbands must not keep the site beyond a grid limit: top up or trim the set-points."""
    total = sum(setpoints)
    if total < battery_plan.lower_kw:
        missing = battery_plan.lower_kw - total
        rooms = [max(top - sp, 0.0) for top, sp in zip(tops, setpoints, strict=True)]
        why = f"hold the {config.import_limit_kw:g} kW import limit"
    elif total > battery_plan.upper_kw:
        missing = battery_plan.upper_kw - total  # negative: charge more / discharge less
        rooms = [max(sp + b.max_charge_kw, 0.0) for b, sp in zip(batteries, setpoints, strict=True)]
        why = f"hold the {config.export_limit_kw:g} kW export limit"
    else:
        return
    room_total = sum(rooms)
    if room_total <= 0:
        return
    for index, room in enumerate(rooms):
        if room > 0:
            setpoints[index] += missing * room / room_total
            reasons[index] = why


# -- PV ---------------------------------------------------------------------------------------------------


def _curtail(
    plan: _Plan, pvs: Sequence[PvView], import_kw: float, memory: StrategyMemory, turning_kw: float = 0.0
) -> tuple[tuple[PvSetpoint, ...], float]:
    """PV limits so that import stays at or above the floor; returns them and the curtailment in kW.

    ``turning_kw``: export the batteries add until they have followed their new set-points; the export
    limit (not a soft target) is held against it too."""
    config = plan.config
    hard_floor = -plan.export_floor_kw
    target = plan.target_import_kw
    soft = config.curtail_to_target and target is not None and target > hard_floor
    floor = target if soft and target is not None else hard_floor
    curtail = floor - import_kw
    curtail = curtail if curtail > 0.0 else 0.0  # max(0.0, curtail)
    if soft and curtail < config.deadband_kw and import_kw >= hard_floor:
        curtail = 0.0  # a surplus within the deadband of the target is not worth a curtailment
    import_kw_now = import_kw - turning_kw
    over_the_limit = hard_floor - import_kw_now
    curtail = over_the_limit if over_the_limit > curtail else curtail  # max(curtail, over the limit)
    available, ceilings = _pv_totals(pvs)
    curtail = available if available < curtail else curtail  # min(curtail, available)
    # PV the export limit tolerates with the site as it is now. An inverter that needs no curtailment is
    # released only to its share of that, not to its maximum: the sun coming out from behind a cloud
    # moves PV from a tenth to all of its power within a second, faster than a control cycle.
    headroom = import_kw_now - hard_floor
    headroom = 0.0 if headroom < 0.0 else headroom  # max(headroom, 0.0)
    points: list[PvSetpoint] = []
    applied = 0.0
    for pv in pvs:
        share = curtail * pv.available_kw / available if available > 0 else 0.0
        ceiling = pv.max_output_kw
        if share <= 0.0:
            if ceiling is None:
                continue  # nothing to release to: the inverter never told us its maximum
            own_headroom = headroom * ceiling / ceilings if ceilings > 0 else 0.0
            points.append(_release(pv, ceiling, own_headroom, memory, config))
            continue
        limit = pv.available_kw - share
        limit = 0.0 if limit < 0.0 else limit  # max(limit, 0.0)
        if ceiling is not None:
            limit = ceiling if ceiling < limit else limit  # min(limit, ceiling)
        previous = memory.pv_limit_kw.get(pv.asset_id)
        # The deadband may keep a limit that curtails a little more than needed, never one that lets
        # the export limit be crossed. A quarter of the battery's: every kilowatt kept below the limit is
        # energy thrown away, and moving an inverter's limit wears nothing.
        if previous is not None and limit - config.deadband_kw * PV_DEADBAND_SHARE < previous <= limit:
            limit = previous
        why = (
            f"hold grid balance at {config.grid_target_kw:+.1f} kW"
            if soft
            else f"hold the {config.export_limit_kw:g} kW export limit"
        )
        points.append(PvSetpoint(pv.asset_id, pv.module_id, limit, f"curtail {share:.1f} kW to {why}", True))
        applied += pv.available_kw - limit
    return tuple(points), 0.0 if applied < 0.0 else applied  # max(applied, 0.0)


def _pv_totals(pvs: Sequence[PvView]) -> tuple[float, float]:
    """The inverters' available power and the sum of the maxima they report, in one pass."""
    available = ceilings = 0.0
    for pv in pvs:
        available += pv.available_kw
        if pv.max_output_kw is not None:
            ceilings += pv.max_output_kw
    return available, ceilings


def _release(
    pv: PvView, ceiling: float, headroom_kw: float, memory: StrategyMemory, config: ControllerConfig
) -> PvSetpoint:
    """The limit of an inverter that needs no curtailment: its maximum, or what it produces now plus its
    share of the export limit's headroom when that is less."""
    cap = pv.available_kw + headroom_kw
    cap = cap if cap < ceiling else ceiling  # min(ceiling, cap)
    if cap >= ceiling:
        return PvSetpoint(pv.asset_id, pv.module_id, ceiling, "no curtailment needed", False)
    previous = memory.pv_limit_kw.get(pv.asset_id)
    # A previous cap still above the output by a deadband and within the headroom needs no new command.
    limit = (
        previous if previous is not None and pv.available_kw + config.deadband_kw <= previous <= cap else cap
    )
    why = (
        f"no curtailment needed; capped at {limit:.1f} kW for the {config.export_limit_kw:g} kW export limit"
    )
    return PvSetpoint(pv.asset_id, pv.module_id, limit, why, False)


# -- without a meter --------------------------------------------------------------------------------------


def _without_meter(
    snapshot: SiteSnapshot,
    config: ControllerConfig,
    memory: StrategyMemory,
    batteries: Sequence[BatteryView],
    pvs: Sequence[PvView],
) -> Decision:
    """The balance is unknown: hold batteries at 0, let boilers run their thermostats, and cap PV at the
    export limit (respected even if the site had no load at all)."""
    reason = "grid meter unavailable"
    battery_points = tuple(
        BatterySetpoint(b.asset_id, b.module_id, 0.0, f"{reason}: holding at 0 kW") for b in batteries
    )
    available = sum(p.available_kw for p in pvs)
    pv_points: list[PvSetpoint] = []
    for pv in pvs:
        cap = (
            config.export_limit_kw * pv.available_kw / available if available > 0 else config.export_limit_kw
        )
        ceiling = pv.max_output_kw if pv.max_output_kw is not None else math.inf
        curtailed = cap < min(pv.available_kw, ceiling)
        limit = min(cap, ceiling)
        if math.isinf(limit):
            continue
        pv_points.append(
            PvSetpoint(
                pv.asset_id, pv.module_id, limit, f"{reason}: PV capped at the export limit", curtailed
            )
        )
    return Decision(
        at=snapshot.at,
        batteries=battery_points,
        pv=tuple(pv_points),
        boilers=(),
        outline=(
            f"{reason}: batteries held at 0 kW, boilers on their thermostats, "
            f"PV capped at {config.export_limit_kw:g} kW"
        ),
        expected_grid_kw=None,
        flags=frozenset({Flag.METER_UNAVAILABLE}),
        memory=StrategyMemory(
            at_s=snapshot.monotonic_s,
            battery_kw=MappingProxyType({p.asset_id: 0.0 for p in battery_points}),
            pv_limit_kw=MappingProxyType({p.asset_id: p.limit_kw for p in pv_points}),
            boiler_modes=MappingProxyType({}),
            # What was billed and learned stays: a meter missing for a while costs neither the ratchet nor
            # the profile (the block in progress resumes, or closes on what it saw, once it is back).
            peak=memory.peak,
            profile=memory.profile,
        ),
    )
