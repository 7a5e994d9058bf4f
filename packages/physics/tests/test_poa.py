"""Plane-of-array irradiance against pvlib.irradiance.get_total_irradiance (isotropic and Hay-Davies)."""

from __future__ import annotations

import numpy as np
import pvlib
import pytest

from energy_edge.physics import ArrayOrientation, ClearSky, Location, SkyDiffuseModel, SkyIrradiance
from energy_edge.physics.sun import SolarPosition

from .conftest import YEAR_UNIX


@pytest.mark.parametrize("model", ["isotropic", "haydavies"])
@pytest.mark.parametrize(("tilt", "azimuth"), [(30.0, 180.0), (10.0, 90.0), (90.0, 270.0), (0.0, 0.0)])
def test_poa_over_a_year_matches_pvlib(model: SkyDiffuseModel, tilt: float, azimuth: float) -> None:
    location, sky_model = Location(52.52, 13.40), ClearSky()
    suns = [location.sun_at(t) for t in YEAR_UNIX[::4]]
    skies = [sky_model.irradiance(sun) for sun in suns]
    orientation = ArrayOrientation(tilt, azimuth, albedo=0.2, sky_model=model)
    ours = np.array([orientation.irradiance(sun, sky) for sun, sky in zip(suns, skies, strict=True)])
    sun_array, sky_array = np.array(suns), np.array(skies)
    expected = pvlib.irradiance.get_total_irradiance(
        tilt,
        azimuth,
        sun_array[:, 1],
        sun_array[:, 2],
        dni=sky_array[:, 1],
        ghi=sky_array[:, 0],
        dhi=sky_array[:, 2],
        dni_extra=sun_array[:, 4],
        albedo=0.2,
        model=model,
    )
    for column, name in enumerate(("poa_global", "poa_direct", "poa_sky_diffuse", "poa_ground_diffuse")):
        np.testing.assert_allclose(ours[:, column], expected[name], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(
        ours[:, 4], pvlib.irradiance.aoi(tilt, azimuth, sun_array[:, 1], sun_array[:, 2]), atol=1e-6
    )


SUN_SOUTH_45 = SolarPosition(45.0, 45.0, 180.0, 1.0, 1366.1)
SKY = SkyIrradiance(700.0, 800.0, 134.3)


def test_a_horizontal_array_sees_the_global_horizontal_irradiance() -> None:
    flat = ArrayOrientation(tilt_deg=0.0, sky_model="isotropic").irradiance(SUN_SOUTH_45, SKY)
    assert flat.global_w_m2 == pytest.approx(800.0 * np.cos(np.radians(45.0)) + 134.3)
    assert flat.ground_diffuse_w_m2 == pytest.approx(0.0, abs=1e-12)


def test_the_beam_is_gone_when_the_sun_is_behind_the_array() -> None:
    north_facing = ArrayOrientation(tilt_deg=60.0, azimuth_deg=0.0).irradiance(SUN_SOUTH_45, SKY)
    assert north_facing.beam_w_m2 == 0.0
    assert north_facing.aoi_deg > 90.0
    assert north_facing.global_w_m2 > 0.0  # the sky and the ground still light it


def test_hay_davies_brightens_the_sun_facing_array_over_isotropic() -> None:
    facing = SolarPosition(45.0, 45.0, 180.0, 1.0, 1366.1)
    iso = ArrayOrientation(45.0, 180.0, sky_model="isotropic").irradiance(facing, SKY)
    hay = ArrayOrientation(45.0, 180.0, sky_model="haydavies").irradiance(facing, SKY)
    assert hay.sky_diffuse_w_m2 > iso.sky_diffuse_w_m2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tilt_deg": -5.0}, "tilt_deg"),
        ({"azimuth_deg": 400.0}, "azimuth_deg"),
        ({"albedo": 1.5}, "albedo"),
        ({"albedo": float("nan")}, "albedo"),
        ({"sky_model": "perez"}, "sky_model"),
    ],
)
def test_impossible_orientations_are_rejected(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ArrayOrientation(**kwargs)  # pyright: ignore[reportArgumentType]
