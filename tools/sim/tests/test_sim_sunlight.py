"""The numpy twins of the physics' sun, clear sky and plane of array give the physics' values per instant."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from energy_edge.physics import ArrayOrientation, ClearSky, Location
from energy_edge.physics.sky import SkyIrradiance
from energy_edge.sim.sunlight import (
    SkyColumns,
    array_geometry,
    clear_sky,
    plane_of_array,
    sun_positions,
)

YEAR_START = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
INSTANTS = YEAR_START + np.arange(0.0, 366 * 86400.0, 37 * 60.0 + 0.25)
"""A leap year every 37 minutes and a quarter second: every season, hour and sun angle, day and night."""

SITES = [Location(52.52, 13.40, 34.0), Location(40.0, -105.27, 1655.0), Location(-25.7, 28.2, 1400.0)]
ORIENTATIONS = [
    ArrayOrientation(30.0, 180.0),
    ArrayOrientation(10.0, 90.0, albedo=0.8, sky_model="isotropic"),
    ArrayOrientation(90.0, 0.0),
]


def close(expected: list[float]) -> object:
    """To 1e-9 relative (1e-9 absolute around zero): numpy's sin, cos... are the platform's libm on x86-64
    (the twins then agree to the bit) or a vectorised version within a few ulp, far inside this."""
    return pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("site", SITES, ids=["berlin", "boulder", "pretoria"])
@pytest.mark.parametrize("orientation", ORIENTATIONS, ids=["south-30", "east-10-iso", "north-wall"])
def test_the_twins_give_what_the_physics_gives_each_instant(
    site: Location, orientation: ArrayOrientation
) -> None:
    sky_model = ClearSky(site.altitude_m, 3.5)
    sun = sun_positions(site, INSTANTS)
    clear = clear_sky(sky_model, sun)
    # A cloudy sky the physics would never make, to reach every branch: half the beam, all the diffuse.
    cloudy = SkyColumns(
        clear.dhi_w_m2 + 0.5 * (clear.ghi_w_m2 - clear.dhi_w_m2), 0.5 * clear.dni_w_m2, clear.dhi_w_m2
    )
    poa = plane_of_array(orientation, array_geometry(orientation, sun), cloudy)

    expected_sun = [site.sun_at(unix_s) for unix_s in INSTANTS.tolist()]
    expected_clear = [sky_model.irradiance(position) for position in expected_sun]
    expected_poa = [
        orientation.irradiance(position, SkyIrradiance(ghi, dni, dhi)).global_w_m2
        for position, ghi, dni, dhi in zip(expected_sun, *(column.tolist() for column in cloudy), strict=True)
    ]
    assert sun.zenith_deg.tolist() == pytest.approx([p.zenith_deg for p in expected_sun])
    assert sun.apparent_zenith_deg.tolist() == close([p.apparent_zenith_deg for p in expected_sun])
    assert sun.azimuth_deg.tolist() == close([p.azimuth_deg for p in expected_sun])
    assert sun.extraterrestrial_w_m2.tolist() == close([p.extraterrestrial_w_m2 for p in expected_sun])
    for got, name in zip(clear, SkyIrradiance._fields, strict=True):
        assert got.tolist() == close([getattr(sky, name) for sky in expected_clear]), name
    assert poa.tolist() == close(expected_poa)
    # Night and day both in there, and light on every array.
    assert 0.3 < np.mean(clear.ghi_w_m2 == 0.0) < 0.7
    assert poa.max() > 100.0
