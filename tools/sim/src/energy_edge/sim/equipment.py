"""The physics of a scenario's equipment, built the same way for every strategy (and for the optimum)."""

from __future__ import annotations

import math
import random
from datetime import datetime
from typing import Final

from energy_edge.physics import (
    BROKEN_DAY,
    CLEAR_DAY,
    OVERCAST_DAY,
    ArrayOrientation,
    Battery,
    BatteryParams,
    Boiler,
    BoilerParams,
    CloudModel,
    CloudRegime,
    DrawProfile,
    GridMeter,
    LoadShape,
    Location,
    PvParams,
    PvSystem,
    Site,
    SiteLoad,
    SiteLoadParams,
    two_shift_process_draw,
)
from energy_edge.sim.scenario import DrawKind, Scenario, Sky

REGIMES: Final[dict[Sky, CloudRegime]] = {
    Sky.CLEAR: CLEAR_DAY,
    Sky.BROKEN: BROKEN_DAY,
    Sky.OVERCAST: OVERCAST_DAY,
}


def battery_params(scenario: Scenario) -> BatteryParams:
    battery = scenario.battery
    c_rate = battery.power_kw / battery.capacity_kwh
    return BatteryParams(
        capacity_kwh=battery.capacity_kwh,
        max_charge_c_rate=c_rate,
        max_discharge_c_rate=c_rate,
        inverter_rating_kw=battery.power_kw,
        charge_efficiency=battery.charge_efficiency,
        discharge_efficiency=battery.discharge_efficiency,
        soc_min=battery.soc_min_percent / 100.0,
        soc_max=battery.soc_max_percent / 100.0,
    )


def boiler_params(scenario: Scenario) -> BoilerParams:
    boiler = scenario.boiler
    return BoilerParams(
        rated_power_kw=boiler.power_kw,
        tank_volume_l=boiler.tank_l,
        min_power_kw=0.1 * boiler.power_kw,
        min_process_temperature_c=boiler.min_celsius,
    )


def heat_capacity_kwh_per_k(params: BoilerParams) -> float:
    """The tank's heat capacity exactly as the physics boiler has it (its water density included), so the
    value of heat left in the tank is what it cost to make."""
    return params.heat_capacity_kwh_per_k


def draw_profile(scenario: Scenario) -> DrawProfile:
    boiler = scenario.boiler
    tz = scenario.tz
    match boiler.draw:
        case DrawKind.TWO_SHIFT:
            return two_shift_process_draw(boiler.draw_peak_l_min, tz)
        case DrawKind.CONSTANT:
            flat = (boiler.draw_peak_l_min,) * 24
            return DrawProfile(flat, flat, flat, tz)
        case DrawKind.NONE:
            none = (0.0,) * 24
            return DrawProfile(none, none, none, tz)


def ambient_c(scenario: Scenario, when: datetime) -> float:
    """Air temperature: a daily sinusoid around the mean, coldest at 05:00 and warmest at 15:00 local time
    (a smooth curve; the shape matters less than that every strategy sees the same one)."""
    local = when.astimezone(scenario.tz)
    hour = local.hour + local.minute / 60.0 + local.second / 3600.0
    weather = scenario.weather
    return weather.ambient_c + weather.ambient_swing_c * math.sin(2.0 * math.pi * (hour - 10.0) / 24.0)


def build_site(scenario: Scenario, seed: int) -> Site:
    """The scenario's site physics. Clouds and load draw their own generators from ``seed``, so the weather
    and the demand are the same whatever a strategy does."""
    rng = random.Random(seed)  # noqa: S311 - seeded simulation, not cryptography
    cloud_rng = random.Random(rng.getrandbits(64))  # noqa: S311
    load_rng = random.Random(rng.getrandbits(64))  # noqa: S311
    site, pv, load = scenario.site, scenario.pv, scenario.load
    boiler = scenario.boiler
    return Site(
        location=Location(site.latitude, site.longitude, site.altitude_m),
        orientation=ArrayOrientation(tilt_deg=pv.tilt_deg, azimuth_deg=pv.azimuth_deg),
        clouds=CloudModel(REGIMES[scenario.weather.sky], cloud_rng),
        pv=PvSystem(PvParams(dc_rating_kw=pv.kwp, ac_rating_kw=pv.inverter_kw)),
        battery=Battery(battery_params(scenario), initial_soc=scenario.battery.initial_soc_percent / 100.0),
        boiler=Boiler(
            boiler_params(scenario),
            target_celsius=boiler.default_target_celsius,
            initial_temperature_c=boiler.initial_celsius,
        ),
        draw=draw_profile(scenario),
        load=SiteLoad(
            SiteLoadParams(LoadShape(load.profile.value), load.annual_kwh, tz=scenario.tz), load_rng
        ),
        meter=GridMeter(),
    )
