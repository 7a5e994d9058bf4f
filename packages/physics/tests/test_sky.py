"""Clear-sky irradiance against pvlib's Ineichen-Perez model: the formula exactly, the whole chain closely."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pvlib
import pytest

from energy_edge.physics import ClearSky, Location, clear_sky, ineichen, relative_airmass
from energy_edge.physics.sun import SolarPosition

from .conftest import SITES, YEAR, YEAR_UNIX

pvlib_ineichen: Any = pvlib.clearsky.ineichen
"""pvlib has no annotations; pyright would type ``altitude`` as int from its default and reject arrays."""

CHAIN_TOLERANCE_W_M2 = 2.0
CHAIN_TOLERANCE_REL = 0.005
"""Sun position and distance (Meeus vs Spencer) differ slightly from pvlib's; measured 1.1 W/m2, 0.34 %."""


def test_ineichen_formula_matches_pvlib_for_identical_inputs() -> None:
    rng = np.random.default_rng(3)
    zenith = rng.uniform(0.0, 89.9, 2000)
    airmass = pvlib.atmosphere.get_relative_airmass(zenith) * rng.uniform(0.6, 1.0, 2000)
    turbidity = rng.uniform(1.5, 7.0, 2000)
    altitude = rng.uniform(0.0, 3000.0, 2000)
    extra = rng.uniform(1320.0, 1415.0, 2000)
    expected = pvlib_ineichen(zenith, airmass, turbidity, altitude, extra)
    ours = np.array(
        [ineichen(*args) for args in zip(zenith, airmass, turbidity, altitude, extra, strict=True)]
    )
    for column, name in enumerate(("ghi", "dni", "dhi")):
        np.testing.assert_allclose(ours[:, column], expected[name], rtol=1e-12, atol=1e-9)


def test_relative_airmass_is_kasten_young_and_undefined_below_the_horizon() -> None:
    zenith = np.linspace(0.0, 90.0, 181)
    expected = pvlib.atmosphere.get_relative_airmass(zenith, model="kastenyoung1989")
    np.testing.assert_allclose([relative_airmass(z) for z in zenith], expected, rtol=1e-12)
    assert relative_airmass(0.0) == pytest.approx(1.0, abs=1e-3)
    assert np.isnan(relative_airmass(90.5))


@pytest.mark.parametrize("site", list(SITES))
def test_clear_sky_over_a_year_matches_pvlib_location_get_clearsky(site: str) -> None:
    latitude, longitude, altitude = SITES[site]
    expected, elevation = pvlib_get_clearsky(latitude, longitude, altitude)
    location, sky = Location(latitude, longitude, altitude), ClearSky(altitude, 3.0)
    ours = np.array([sky.irradiance(location.sun_at(t)) for t in YEAR_UNIX])
    for column, name in enumerate(("ghi", "dni", "dhi")):
        reference = expected[name].to_numpy()
        error = np.abs(ours[:, column] - reference)
        assert error.max() < CHAIN_TOLERANCE_W_M2, name
        # Relative error with the sun 5 deg up or more: at the horizon a hundredth of a degree of position
        # is a large share of a tiny beam.
        up = elevation > 5.0
        assert (error[up] / reference[up]).max() < CHAIN_TOLERANCE_REL, name


def pvlib_get_clearsky(latitude: float, longitude: float, altitude: float) -> tuple[pd.DataFrame, np.ndarray]:
    """pvlib's ``Location.get_clearsky(YEAR, "ineichen", linke_turbidity=3)`` step by step, and the elevation.

    The one-call version asks pandas 3 for a deprecated accessor (a warning, an error under our pytest
    config); feeding the day of year to ``get_extra_radiation`` avoids it with the same arithmetic.
    """
    position = pd.DataFrame(pvlib.solarposition.get_solarposition(YEAR, latitude, longitude, altitude))
    airmass = pvlib.atmosphere.get_relative_airmass(position.apparent_zenith.to_numpy())
    pressure = pvlib.atmosphere.alt2pres(altitude)
    day_of_year = YEAR.day_of_year.to_numpy().astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):  # pvlib maps night's 1/cos(90 deg) to zeros itself
        clear = pvlib_ineichen(
            position.apparent_zenith.to_numpy(),
            pvlib.atmosphere.get_absolute_airmass(airmass, pressure),
            3.0,
            altitude=altitude,
            dni_extra=pvlib.irradiance.get_extra_radiation(day_of_year),
        )
    return pd.DataFrame(clear), position.apparent_elevation.to_numpy()


def test_night_is_dark() -> None:
    below = SolarPosition(95.0, 94.9, 0.0, 1.0, 1366.1)
    assert tuple(ClearSky().irradiance(below)) == (0.0, 0.0, 0.0)


def test_a_clean_high_atmosphere_lets_more_light_through() -> None:
    sun = SolarPosition(30.0, 29.97, 180.0, 1.0, 1366.1)
    hazy, clean = clear_sky(sun, linke_turbidity=5.0), clear_sky(sun, linke_turbidity=2.0)
    assert clean.dni_w_m2 > hazy.dni_w_m2
    assert clean.dhi_w_m2 < hazy.dhi_w_m2
    assert clear_sky(sun, altitude_m=2000.0).ghi_w_m2 > clear_sky(sun, altitude_m=0.0).ghi_w_m2
    # The components are consistent: GHI = DNI cos Z + DHI.
    assert clean.ghi_w_m2 == pytest.approx(clean.dni_w_m2 * np.cos(np.radians(29.97)) + clean.dhi_w_m2)


@pytest.mark.parametrize(("turbidity", "altitude"), [(0.5, 0.0), (float("nan"), 0.0), (3.0, -1000.0)])
def test_impossible_atmospheres_are_rejected(turbidity: float, altitude: float) -> None:
    with pytest.raises(ValueError, match=r"linke_turbidity|altitude_m"):
        ClearSky(altitude, turbidity)
