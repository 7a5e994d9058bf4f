"""Entry point of the solar-module container (``solar-module`` / ``python -m solar_module``).

The driver is chosen by ``SOLAR_DRIVER`` (``simulated``, the default and for now the only one). The
simulated array is described by the environment; every variable has a default (a 100 kWp array on an
80 kW inverter in Berlin, facing south at 30°, on a day of broken cloud):

| Variable | Default | |
|---|---|---|
| ``SITE_LATITUDE``, ``SITE_LONGITUDE`` | 52.52, 13.40 | degrees, north and east positive |
| ``SITE_ALTITUDE_M`` | 34 | metres above sea level |
| ``PV_KWP`` | 100 | array DC rating at STC |
| ``PV_INVERTER_KW`` | 80 | inverter AC rating |
| ``PV_TILT_DEG``, ``PV_AZIMUTH_DEG`` | 30, 180 | from horizontal; clockwise from north (180 = south) |
| ``WEATHER`` | broken | ``clear``, ``broken`` or ``overcast`` |
| ``WEATHER_SEED`` | 1 | the cloud sequence; the same seed replays the same weather |
| ``AMBIENT_C`` | 20 | air temperature at the array |
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Final

from energy_edge.modulehost import run_asset_module, utc_now
from energy_edge.physics import (
    BROKEN_DAY,
    CLEAR_DAY,
    OVERCAST_DAY,
    ArrayOrientation,
    CloudModel,
    CloudRegime,
    Location,
    PvParams,
    PvSystem,
)
from solar_module.asset import SolarAsset
from solar_module.simulated import SimulatedSolarDriver

WEATHER: Final[Mapping[str, CloudRegime]] = {
    "clear": CLEAR_DAY,
    "broken": BROKEN_DAY,
    "overcast": OVERCAST_DAY,
}


def build(asset_id: str, environ: Mapping[str, str]) -> SolarAsset:
    driver_name = environ.get("SOLAR_DRIVER", "simulated")
    if driver_name != "simulated":
        raise SystemExit(f"SOLAR_DRIVER={driver_name!r}: only 'simulated' is available")
    weather = environ.get("WEATHER", "broken")
    if weather not in WEATHER:
        raise SystemExit(f"WEATHER={weather!r}: expected one of {', '.join(WEATHER)}")
    seed_text = environ.get("WEATHER_SEED", "1")
    try:
        seed = int(seed_text)
    except ValueError:
        raise SystemExit(f"WEATHER_SEED={seed_text!r}: expected an integer") from None
    try:
        location = Location(
            _number(environ, "SITE_LATITUDE", 52.52),
            _number(environ, "SITE_LONGITUDE", 13.40),
            _number(environ, "SITE_ALTITUDE_M", 34.0),
        )
        orientation = ArrayOrientation(
            tilt_deg=_number(environ, "PV_TILT_DEG", 30.0),
            azimuth_deg=_number(environ, "PV_AZIMUTH_DEG", 180.0),
        )
        pv = PvSystem(
            PvParams(
                dc_rating_kw=_number(environ, "PV_KWP", 100.0),
                ac_rating_kw=_number(environ, "PV_INVERTER_KW", 80.0),
            )
        )
        driver = SimulatedSolarDriver(
            pv,
            location=location,
            orientation=orientation,
            # A seeded simulation generator, not cryptography: replaying a day is the point.
            clouds=CloudModel(WEATHER[weather], random.Random(seed)),  # noqa: S311
            wall_clock=utc_now,
            ambient_c=_number(environ, "AMBIENT_C", 20.0),
        )
    except ValueError as error:
        # The physics names the offending parameter; the operator should not have to read a traceback.
        raise SystemExit(f"invalid PV site configuration: {error}") from None
    return SolarAsset(asset_id, driver)


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    text = environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        return float(text)
    except ValueError:
        raise SystemExit(f"{name}={text!r}: expected a number") from None


def main() -> None:
    run_asset_module(build)
