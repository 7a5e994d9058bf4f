"""The sun, the clear sky and the array's geometry for a whole stretch of instants at once, with numpy.

What a site step works out of the sun alone does not depend on anything before it: where the sun is, how
much a cloudless sky lets through, how the beam falls on the array. The physics computes it one instant at
a time in pure Python (an edge module steps once a second); the simulator needs 86,400 instants a day, so
these are the physics' formulas written once more over numpy arrays, operation for operation in the same
order:

- :func:`sun_positions`: ``energy_edge.physics.sun._position`` (NOAA / Meeus, SPA refraction);
- :func:`clear_sky`: ``ClearSky.irradiance`` (Ineichen-Perez on the site's precomputed terms);
- :func:`array_geometry` and :func:`plane_of_array`: ``ArrayOrientation.irradiance``, split in the half
  that needs only the sun and the half that needs the (cloudy) sky.

Where numpy's float64 sin, cos, exp... are the platform's libm (as on x86-64 without AVX-512), the result
is the physics' to the bit; elsewhere numpy's vectorised versions may differ in the last bits, and the
tests hold the two to 1e-9 relative. The clouds, which draw from a seeded generator step by step, stay in
the physics (``CloudModel.step_many``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from energy_edge.physics import ArrayOrientation, ClearSky, Location
from energy_edge.physics.sun import SOLAR_CONSTANT_W_M2

Floats = npt.NDArray[np.float64]

# The physics' private constants, as it spells them.
_UNIX_EPOCH_JD = 2440587.5
_J2000_JD = 2451545.0
_DEG = math.pi / 180.0
_REFRACTION_LIMIT_DEG = -(0.26667 + 0.5667)
_MIN_COS_ZENITH = 0.01745


class SunPositions(NamedTuple):
    """``SolarPosition`` as columns, one element per instant."""

    zenith_deg: Floats
    apparent_zenith_deg: Floats
    azimuth_deg: Floats
    extraterrestrial_w_m2: Floats


class SkyColumns(NamedTuple):
    """``SkyIrradiance`` as columns."""

    ghi_w_m2: Floats
    dni_w_m2: Floats
    dhi_w_m2: Floats


class ArrayGeometry(NamedTuple):
    """What the plane of array takes from the sun alone, per instant."""

    projection: Floats
    """max(cos AOI, 0): how the beam projects on the array."""
    circumsolar_ratio: Floats
    """R_b = projection / max(cos Z, cos 89°): how the circumsolar disc projects (Hay-Davies)."""
    extraterrestrial_w_m2: Floats


def sun_positions(location: Location, unix_s: Floats) -> SunPositions:
    """The sun seen from ``location`` at each POSIX timestamp (``Location.sun_at``, vectorised)."""
    pressure_hpa = location.pressure_pa / 100.0
    days = unix_s / 86400.0 + (_UNIX_EPOCH_JD - _J2000_JD)
    t = days / 36525.0

    mean_longitude = (280.46646 + t * (36000.76983 + t * 0.0003032)) % 360.0
    mean_anomaly = (357.52911 + t * (35999.05029 - t * 0.0001537)) * _DEG
    eccentricity = 0.016708634 - t * (0.000042037 + t * 0.0000001267)
    centre = (
        np.sin(mean_anomaly) * (1.914602 - t * (0.004817 + t * 0.000014))
        + np.sin(2.0 * mean_anomaly) * (0.019993 - t * 0.000101)
        + np.sin(3.0 * mean_anomaly) * 0.000289
    )
    true_longitude = mean_longitude + centre
    true_anomaly = mean_anomaly + centre * _DEG
    distance_au = (
        1.000001018 * (1.0 - eccentricity * eccentricity) / (1.0 + eccentricity * np.cos(true_anomaly))
    )

    node = (125.04 - 1934.136 * t) * _DEG
    sin_node = np.sin(node)
    apparent_longitude = (true_longitude - 0.00569 - 0.00478 * sin_node) * _DEG
    mean_obliquity = 23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60.0) / 60.0
    obliquity = (mean_obliquity + 0.00256 * np.cos(node)) * _DEG

    sin_lon = np.sin(apparent_longitude)
    right_ascension = np.arctan2(np.cos(obliquity) * sin_lon, np.cos(apparent_longitude))
    declination = np.arcsin(np.sin(obliquity) * sin_lon)

    sidereal_deg = (
        280.46061837
        + 360.98564736629 * days
        + t * t * (0.000387933 - t / 38710000.0)
        - 0.00478 * sin_node * np.cos(obliquity)
    )
    hour_angle = (sidereal_deg + location.longitude_deg) * _DEG - right_ascension

    latitude = location.latitude_deg * _DEG
    sin_lat, cos_lat = math.sin(latitude), math.cos(latitude)
    sin_dec, cos_dec = np.sin(declination), np.cos(declination)
    cos_ha = np.cos(hour_angle)
    cos_zenith = np.clip(sin_lat * sin_dec + cos_lat * cos_dec * cos_ha, -1.0, 1.0)
    zenith_deg = np.arccos(cos_zenith) / _DEG
    azimuth_deg = (
        np.arctan2(np.sin(hour_angle), cos_ha * sin_lat - sin_dec / cos_dec * cos_lat) / _DEG + 180.0
    ) % 360.0

    elevation_deg = 90.0 - zenith_deg
    with np.errstate(divide="ignore", invalid="ignore"):  # far below the horizon, masked out just below
        refraction_deg = (
            (pressure_hpa / 1010.0)
            * (283.0 / (273.0 + location.temperature_c))
            * 1.02
            / (60.0 * np.tan((elevation_deg + 10.3 / (elevation_deg + 5.11)) * _DEG))
        )
    refraction_deg = np.where(elevation_deg >= _REFRACTION_LIMIT_DEG, refraction_deg, 0.0)
    return SunPositions(
        zenith_deg,
        zenith_deg - refraction_deg,
        azimuth_deg,
        SOLAR_CONSTANT_W_M2 / (distance_au * distance_au),
    )


def clear_sky(sky: ClearSky, sun: SunPositions) -> SkyColumns:
    """Clear-sky GHI/DNI/DHI for each position (``ClearSky.irradiance``, vectorised; 0 with the sun down)."""
    # The site's altitude and turbidity terms, worked out once by ClearSky itself.
    pressure_ratio = sky._pressure_ratio  # pyright: ignore[reportPrivateUsage]
    cg1 = sky._cg1  # pyright: ignore[reportPrivateUsage]
    ghi_extinction = sky._ghi_extinction  # pyright: ignore[reportPrivateUsage]
    b = sky._b  # pyright: ignore[reportPrivateUsage]
    beam_extinction = sky._beam_extinction  # pyright: ignore[reportPrivateUsage]
    beam_cap = sky._beam_cap  # pyright: ignore[reportPrivateUsage]

    zenith = sun.apparent_zenith_deg
    up = zenith < 90.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # the sun down: masked out below
        cos_zenith = np.cos(zenith * _DEG)
        airmass = pressure_ratio / (cos_zenith + 0.50572 * (96.07995 - zenith) ** -1.6364)
        extra = sun.extraterrestrial_w_m2
        ghi = cg1 * extra * cos_zenith * np.exp(-ghi_extinction * airmass)
        bnci = extra * np.maximum(b * np.exp(-beam_extinction * airmass), 0.0)
        dni = np.minimum(bnci, ghi * np.minimum(np.maximum(beam_cap / cos_zenith, 0.0), 1e20))
        dhi = ghi - dni * cos_zenith
    return SkyColumns(np.where(up, ghi, 0.0), np.where(up, dni, 0.0), np.where(up, dhi, 0.0))


def array_geometry(orientation: ArrayOrientation, sun: SunPositions) -> ArrayGeometry:
    """The sun's half of ``ArrayOrientation.irradiance``: the beam's and the circumsolar disc's projection."""
    cos_tilt = math.cos(orientation.tilt_deg * _DEG)
    sin_tilt = math.sin(orientation.tilt_deg * _DEG)
    zenith = sun.apparent_zenith_deg * _DEG
    cos_zenith = np.cos(zenith)
    cos_aoi = cos_tilt * cos_zenith + sin_tilt * np.sin(zenith) * np.cos(
        (sun.azimuth_deg - orientation.azimuth_deg) * _DEG
    )
    cos_aoi = np.clip(cos_aoi, -1.0, 1.0)
    projection = np.where(cos_aoi > 0.0, cos_aoi, 0.0)  # the sun behind the plane gives no beam
    ratio = projection / np.where(cos_zenith > _MIN_COS_ZENITH, cos_zenith, _MIN_COS_ZENITH)
    return ArrayGeometry(projection, ratio, sun.extraterrestrial_w_m2)


def plane_of_array(orientation: ArrayOrientation, geometry: ArrayGeometry, sky: SkyColumns) -> Floats:
    """Global irradiance on the array under ``sky`` (the sky's half of ``ArrayOrientation.irradiance``)."""
    cos_tilt = math.cos(orientation.tilt_deg * _DEG)
    ghi, dni, dhi = sky
    beam = dni * geometry.projection
    view_of_sky = 0.5 * (1.0 + cos_tilt)
    extra = geometry.extraterrestrial_w_m2
    if orientation.sky_model == "isotropic":
        sky_diffuse = dhi * view_of_sky
    else:
        with np.errstate(divide="ignore", invalid="ignore"):  # no sun at all: the isotropic form below
            anisotropy = dni / extra
        isotropic = dhi * (1.0 - anisotropy) * view_of_sky
        circumsolar = dhi * anisotropy * geometry.circumsolar_ratio
        hay_davies = np.where(isotropic > 0.0, isotropic, 0.0) + np.where(circumsolar > 0.0, circumsolar, 0.0)
        sky_diffuse = np.where(extra <= 0.0, dhi * view_of_sky, hay_davies)
    ground = ghi * orientation.albedo * 0.5 * (1.0 - cos_tilt)
    return beam + sky_diffuse + ground
