"""Entry point of the boiler-module container (``boiler-module`` / ``python -m boiler_module``).

The driver is chosen by ``BOILER_DRIVER`` (``simulated``, the default and for now the only one). The
simulated boiler comes from the environment, with defaults matching ``energy_edge.physics``' example site:

- ``BOILER_RATED_POWER_KW`` (150) and ``BOILER_MIN_POWER_KW`` (10 % of the rating: the heater's turndown);
- ``BOILER_TANK_VOLUME_L`` (5000) and ``BOILER_INITIAL_TEMPERATURE_C`` (60);
- ``BOILER_DRAW_PEAK_L_MIN`` (40): the peak of a two-shift process draw (06-22 h on working days, Saturday
  morning, cleaning breaks); 0 for a tank nothing draws from;
- ``BOILER_DRAW_TIMEZONE`` (``UTC``): the IANA zone whose local hours the shifts follow.

A value that cannot be used stops the module at once with a message naming the variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from boiler_module.asset import BoilerAsset
from boiler_module.config import BoilerConfig
from boiler_module.simulated import SimulatedBoilerDriver
from energy_edge.modulehost import ConfigError, run_asset_module, utc_now
from energy_edge.physics import Boiler, BoilerParams, DrawProfile, two_shift_process_draw

NO_DRAW = (0.0,) * 24


def build(asset_id: str, environ: Mapping[str, str]) -> BoilerAsset:
    driver_name = environ.get("BOILER_DRIVER", "simulated")
    if driver_name != "simulated":
        raise SystemExit(f"BOILER_DRIVER={driver_name!r}: only 'simulated' is available")
    rated_kw = _number(environ, "BOILER_RATED_POWER_KW", 150.0)
    min_power_kw = _number(environ, "BOILER_MIN_POWER_KW", 0.1 * rated_kw)
    tank_l = _number(environ, "BOILER_TANK_VOLUME_L", 5000.0)
    initial_c = _number(environ, "BOILER_INITIAL_TEMPERATURE_C", 60.0)
    peak_l_min = _number(environ, "BOILER_DRAW_PEAK_L_MIN", 40.0)
    zone = _timezone(environ.get("BOILER_DRAW_TIMEZONE", "UTC"))
    try:
        params = BoilerParams(rated_power_kw=rated_kw, tank_volume_l=tank_l, min_power_kw=min_power_kw)
        boiler = Boiler(
            params,
            target_celsius=BoilerConfig().default_target_celsius,
            initial_temperature_c=initial_c,
        )
        draw = (
            DrawProfile(NO_DRAW, NO_DRAW, NO_DRAW, zone)
            if peak_l_min == 0.0
            else two_shift_process_draw(peak_l_min, zone)
        )
    except ValueError as error:
        raise SystemExit(f"boiler environment: {error}") from error
    driver = SimulatedBoilerDriver(boiler, draw, wall_clock=utc_now)
    try:
        # The defaults are what the module falls back to when the twin's desired properties are invalid,
        # so they must fit this boiler; better to say so now than to crash on a bad twin later.
        BoilerConfig().check_fits(driver.ratings)
    except ConfigError as error:
        raise SystemExit(f"the module's default configuration does not fit this boiler: {error}") from error
    return BoilerAsset(asset_id, driver)


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        raise SystemExit(f"{name}={text!r} is not a number") from None


def _timezone(name: str) -> tzinfo:
    if name.strip().upper() in {"UTC", "Z", ""}:
        return UTC  # no time-zone database needed (slim images may lack one)
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise SystemExit(f"BOILER_DRAW_TIMEZONE={name!r} is not a known IANA time zone") from None


def main() -> None:
    run_asset_module(build)
