"""Solar position against pvlib's SPA: within 0.5 deg over a year at three sites (we measure ~0.008 deg)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pvlib
import pytest

from energy_edge.physics import Location, solar_position
from energy_edge.physics.sun import SOLAR_CONSTANT_W_M2

from .conftest import SITES, YEAR, YEAR_UNIX

TOLERANCE_DEG = 0.5
MEASURED_DEG = 0.01
"""What the algorithm achieves (0.008 deg): a regression beyond it fails even inside the issue's bound."""


def unit_vectors(zenith_deg: np.ndarray, azimuth_deg: np.ndarray) -> np.ndarray:
    z, a = np.radians(zenith_deg), np.radians(azimuth_deg)
    return np.stack([np.sin(z) * np.sin(a), np.sin(z) * np.cos(a), np.cos(z)])


@pytest.mark.parametrize("site", list(SITES))
def test_position_over_a_year_matches_pvlib_spa(site: str) -> None:
    latitude, longitude, altitude = SITES[site]
    spa = pd.DataFrame(pvlib.solarposition.get_solarposition(YEAR, latitude, longitude, altitude))
    location = Location(latitude, longitude, altitude)
    ours = np.array([location.sun_at(t) for t in YEAR_UNIX])
    zenith, apparent_zenith, azimuth = ours[:, 0], ours[:, 1], ours[:, 2]

    # Angle between the two sun directions: azimuth differences alone blow up near the zenith.
    cos_sep = (
        unit_vectors(zenith, azimuth) * unit_vectors(spa.zenith.to_numpy(), spa.azimuth.to_numpy())
    ).sum(0)
    separation = np.degrees(np.arccos(np.clip(cos_sep, -1.0, 1.0)))
    assert separation.max() < MEASURED_DEG <= TOLERANCE_DEG
    assert np.abs(zenith - spa.zenith.to_numpy()).max() < MEASURED_DEG

    # Refraction as SPA: the apparent zenith agrees wherever the sun is up.
    up = spa.apparent_elevation.to_numpy() > 0.0
    assert np.abs(apparent_zenith - spa.apparent_zenith.to_numpy())[up].max() < MEASURED_DEG


def test_extraterrestrial_irradiance_follows_the_earth_sun_distance() -> None:
    location = Location(0.0, 0.0)
    ours = np.array([location.sun_at(t).extraterrestrial_w_m2 for t in YEAR_UNIX])
    # Day-of-year input: pvlib's DatetimeIndex path calls an accessor pandas 3 deprecates.
    day_of_year = YEAR.day_of_year.to_numpy().astype(float)
    spencer = pvlib.irradiance.get_extra_radiation(day_of_year, solar_constant=SOLAR_CONSTANT_W_M2)
    # Two different fits of the orbit (Meeus' distance, Spencer's Fourier series): within 0.2 %.
    assert np.abs(ours / spencer - 1.0).max() < 2e-3
    # Perihelion in early January, aphelion in early July.
    assert ours[:200].mean() > 1400.0
    assert ours[len(ours) // 2 : len(ours) // 2 + 200].mean() < 1330.0


def test_the_sun_is_due_south_and_highest_at_solar_noon_in_the_north() -> None:
    # 52.52 N 13.40 E: solar noon near 11:08 UTC at the June solstice (13.4 deg east of Greenwich).
    positions = [
        solar_position(52.52, 13.40, datetime(2024, 6, 21, 10, 0, tzinfo=UTC) + timedelta(minutes=m))
        for m in range(130)
    ]
    highest = min(positions, key=lambda p: p.zenith_deg)
    assert highest.azimuth_deg == pytest.approx(180.0, abs=0.5)
    assert highest.zenith_deg == pytest.approx(52.52 - 23.44, abs=0.05)
    # Refraction lifts the sun by about 0.01 deg at 61 deg elevation.
    assert highest.apparent_elevation_deg - (90.0 - highest.zenith_deg) == pytest.approx(0.009, abs=0.002)
    assert highest.is_up


def test_local_offsets_denote_the_same_instant() -> None:
    utc = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    cest = utc.astimezone(timezone(timedelta(hours=2)))
    assert solar_position(40.0, -105.27, utc) == solar_position(40.0, -105.27, cest)


def test_a_naive_datetime_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        solar_position(52.5, 13.4, datetime(2024, 6, 1, 12, 0))


@pytest.mark.parametrize(
    ("latitude", "longitude", "altitude", "message"),
    [
        (91.0, 0.0, 0.0, "latitude_deg"),
        (float("nan"), 0.0, 0.0, "latitude_deg"),
        (0.0, 181.0, 0.0, "longitude_deg"),
        (0.0, 0.0, 9000.0, "altitude_m"),
    ],
)
def test_impossible_places_are_rejected(
    latitude: float, longitude: float, altitude: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Location(latitude, longitude, altitude)


def test_a_non_finite_instant_is_rejected() -> None:
    with pytest.raises(ValueError, match="unix_s"):
        Location(0.0, 0.0).sun_at(float("inf"))
