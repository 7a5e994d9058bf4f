"""Clear-sky irradiance: how much sunlight a cloudless sky lets through to a horizontal surface.

The model is Ineichen & Perez (2002) in the form of pvlib's ``clearsky.ineichen`` (without the optional
Perez enhancement), fed with the Kasten & Young (1989) relative air mass of the apparent zenith and the
standard-atmosphere pressure of the site's altitude, exactly the chain of ``pvlib.location.get_clearsky``.
Ineichen needs a Linke turbidity: pvlib looks it up in a 13 MB climatology; an edge module takes it as a
parameter (3.0, a clean mid-latitude atmosphere, unless the site's own value is given).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

from energy_edge.physics._checks import in_range
from energy_edge.physics.sun import SolarPosition, pressure_pa_at_altitude

DEFAULT_LINKE_TURBIDITY = 3.0
_STANDARD_PRESSURE_PA = 101325.0
_DEG = math.pi / 180.0


class SkyIrradiance(NamedTuple):
    """Irradiance components of the sky on a horizontal surface."""

    ghi_w_m2: float
    """Global horizontal irradiance: beam on the horizontal plus diffuse."""
    dni_w_m2: float
    """Direct normal irradiance: the beam measured facing the sun."""
    dhi_w_m2: float
    """Diffuse horizontal irradiance: everything from the sky except the sun's disc."""


NIGHT = SkyIrradiance(0.0, 0.0, 0.0)


def relative_airmass(apparent_zenith_deg: float) -> float:
    """Kasten & Young (1989) relative optical air mass; ``nan`` with the sun below the horizon (as pvlib)."""
    if not (apparent_zenith_deg <= 90.0):
        return math.nan
    return 1.0 / (
        math.cos(apparent_zenith_deg * _DEG) + 0.50572 * (6.07995 + (90.0 - apparent_zenith_deg)) ** -1.6364
    )


def ineichen(
    apparent_zenith_deg: float,
    airmass_absolute: float,
    linke_turbidity: float,
    altitude_m: float,
    dni_extra_w_m2: float,
) -> SkyIrradiance:
    """Ineichen & Perez clear-sky GHI/DNI/DHI for given air mass and turbidity (pvlib's arguments)."""
    cos_zenith = math.cos(apparent_zenith_deg * _DEG)
    if not (cos_zenith > 0.0 and airmass_absolute > 0.0):
        return NIGHT
    tl = linke_turbidity
    fh1 = math.exp(-altitude_m / 8000.0)
    fh2 = math.exp(-altitude_m / 1250.0)
    cg1 = 5.09e-05 * altitude_m + 0.868
    cg2 = 3.92e-05 * altitude_m + 0.0387
    ghi = cg1 * dni_extra_w_m2 * cos_zenith * math.exp(-cg2 * airmass_absolute * (fh1 + fh2 * (tl - 1.0)))

    # The beam from the turbidity-attenuated normal radiation, capped by the empirical correction that
    # keeps DNI consistent with GHI at low sun (Ineichen & Perez 2002; pvlib GH 808 for the 0.163).
    b = 0.664 + 0.163 / fh1
    bnci = dni_extra_w_m2 * max(b * math.exp(-0.09 * airmass_absolute * (tl - 1.0)), 0.0)
    bnci_2 = ghi * min(max((1.0 - (0.1 - 0.2 * math.exp(-tl)) / (0.1 + 0.882 / fh1)) / cos_zenith, 0.0), 1e20)
    dni = min(bnci, bnci_2)
    return SkyIrradiance(ghi, dni, ghi - dni * cos_zenith)


@dataclass(frozen=True, slots=True)
class ClearSky:
    """Ineichen-Perez clear sky of one site; the altitude and turbidity terms are worked out once."""

    altitude_m: float = 0.0
    linke_turbidity: float = DEFAULT_LINKE_TURBIDITY
    _pressure_ratio: float = field(init=False, repr=False, compare=False)
    _cg1: float = field(init=False, repr=False, compare=False)
    _ghi_extinction: float = field(init=False, repr=False, compare=False)
    _b: float = field(init=False, repr=False, compare=False)
    _beam_extinction: float = field(init=False, repr=False, compare=False)
    _beam_cap: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        altitude = in_range("altitude_m", self.altitude_m, -450.0, 8848.0)
        tl = in_range("linke_turbidity", self.linke_turbidity, 1.0, 10.0)
        fh1 = math.exp(-altitude / 8000.0)
        fh2 = math.exp(-altitude / 1250.0)
        constants = {
            "_pressure_ratio": pressure_pa_at_altitude(altitude) / _STANDARD_PRESSURE_PA,
            "_cg1": 5.09e-05 * altitude + 0.868,
            "_ghi_extinction": (3.92e-05 * altitude + 0.0387) * (fh1 + fh2 * (tl - 1.0)),
            "_b": 0.664 + 0.163 / fh1,
            "_beam_extinction": 0.09 * (tl - 1.0),
            "_beam_cap": 1.0 - (0.1 - 0.2 * math.exp(-tl)) / (0.1 + 0.882 / fh1),
        }
        for name, value in constants.items():
            object.__setattr__(self, name, value)

    def irradiance(self, position: SolarPosition) -> SkyIrradiance:
        """Clear-sky GHI/DNI/DHI for the sun at ``position`` (the same arithmetic as :func:`ineichen`)."""
        zenith = position.apparent_zenith_deg
        if not (zenith < 90.0):
            return NIGHT
        cos_zenith = math.cos(zenith * _DEG)
        airmass = self._pressure_ratio / (cos_zenith + 0.50572 * (96.07995 - zenith) ** -1.6364)
        extra = position.extraterrestrial_w_m2
        ghi = self._cg1 * extra * cos_zenith * math.exp(-self._ghi_extinction * airmass)
        bnci = extra * max(self._b * math.exp(-self._beam_extinction * airmass), 0.0)
        dni = min(bnci, ghi * min(max(self._beam_cap / cos_zenith, 0.0), 1e20))
        return SkyIrradiance(ghi, dni, ghi - dni * cos_zenith)


def clear_sky(
    position: SolarPosition,
    *,
    altitude_m: float = 0.0,
    linke_turbidity: float = DEFAULT_LINKE_TURBIDITY,
) -> SkyIrradiance:
    """Clear-sky irradiance for a solar position at a site of ``altitude_m`` (see :class:`ClearSky`)."""
    return ClearSky(altitude_m, linke_turbidity).irradiance(position)
