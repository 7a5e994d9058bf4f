"""What a site's equipment receives that no set-point changes, step by step, checked once.

A simulator that compares control strategies runs each of them under the same weather and demand: the sun,
the clear sky, the clouds, the irradiance on the array, the air temperature, the site's own load and the
process draw do not depend on anything a controller does (the cloud and load models draw from their own
generators). Computed once, they leave each strategy only the equipment to step: about a quarter of what a
whole-site step costs (README, Performance).

:meth:`Site.conditions <energy_edge.physics.site.Site.conditions>` computes one step of them with the same
arithmetic as :meth:`Site.step <energy_edge.physics.site.Site.step>`; an :class:`ExogenousSeries` keeps what
the equipment needs of them; :meth:`Site.step_equipment <energy_edge.physics.site.Site.step_equipment>`
steps PV, battery, boiler and meter from the series. Every value is checked as it is appended (one step by
:meth:`ExogenousSeries.append`, a stretch by :meth:`ExogenousSeries.extend`), exactly as the model that takes
it would check it, so the equipment step does not check it again.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence

from energy_edge.physics._checks import ambient_celsius, in_range, non_negative, step_seconds
from energy_edge.physics.boiler import MAX_DRAW_L_MIN
from energy_edge.physics.pv import MAX_IRRADIANCE_W_M2, MAX_WIND_M_S


class ExogenousSeries:
    """Consecutive steps of ``step_s`` seconds: per step the plane-of-array irradiance, the air
    temperature and wind at the array, the process draw on the boiler's tank and the site's own load.

    Append-only. The columns are exposed as read-only sequences: they hold values that passed the checks,
    and ``Site.step_equipment`` relies on that.
    """

    __slots__ = ("_ambient_c", "_draw_l_min", "_poa_w_m2", "_site_load_kw", "_step_s", "_wind_m_s")

    def __init__(self, step_s: float) -> None:
        self._step_s = step_seconds(step_s)
        self._poa_w_m2: array[float] = array("d")
        self._ambient_c: array[float] = array("d")
        self._wind_m_s: array[float] = array("d")
        self._draw_l_min: array[float] = array("d")
        self._site_load_kw: array[float] = array("d")

    @property
    def step_s(self) -> float:
        """Length of every step: the values are averages or end-of-step values over this much time."""
        return self._step_s

    def __len__(self) -> int:
        return len(self._site_load_kw)

    def append(
        self,
        *,
        poa_w_m2: float,
        ambient_c: float,
        draw_l_min: float,
        site_load_kw: float,
        wind_m_s: float = 1.0,
    ) -> None:
        """Add the next step. Each value is checked as its model checks it (PV, boiler, meter); a rejected
        step adds nothing."""
        in_range("poa_w_m2", poa_w_m2, 0.0, MAX_IRRADIANCE_W_M2)
        ambient_celsius("ambient_c", ambient_c)
        in_range("wind_m_s", wind_m_s, 0.0, MAX_WIND_M_S)
        in_range("draw_l_min", draw_l_min, 0.0, MAX_DRAW_L_MIN)
        non_negative("site_load_kw", site_load_kw)
        self._poa_w_m2.append(poa_w_m2)
        self._ambient_c.append(ambient_c)
        self._wind_m_s.append(wind_m_s)
        self._draw_l_min.append(draw_l_min)
        self._site_load_kw.append(site_load_kw)

    def extend(
        self,
        *,
        poa_w_m2: Sequence[float],
        ambient_c: Sequence[float],
        draw_l_min: Sequence[float],
        site_load_kw: Sequence[float],
        wind_m_s: Sequence[float] | None = None,
    ) -> None:
        """Add consecutive steps, one per element of the columns (``wind_m_s`` None: 1 m/s throughout), as
        that many :meth:`append` calls would, with the same checks; a rejected value adds no step at all."""
        steps = len(site_load_kw)
        winds = [1.0] * steps if wind_m_s is None else wind_m_s
        columns = (poa_w_m2, ambient_c, winds, draw_l_min)
        if any(len(column) != steps for column in columns):
            raise ValueError(
                "the columns must have one length, got "
                + ", ".join(str(len(column)) for column in (*columns, site_load_kw))
            )
        _check_all("poa_w_m2", poa_w_m2, 0.0, MAX_IRRADIANCE_W_M2)
        _check_all("ambient_c", ambient_c, -60.0, 70.0)
        _check_all("wind_m_s", winds, 0.0, MAX_WIND_M_S)
        _check_all("draw_l_min", draw_l_min, 0.0, MAX_DRAW_L_MIN)
        for value in site_load_kw:
            if not (0.0 <= value < math.inf):
                non_negative("site_load_kw", value)
        self._poa_w_m2.extend(poa_w_m2)
        self._ambient_c.extend(ambient_c)
        self._wind_m_s.extend(winds)
        self._draw_l_min.extend(draw_l_min)
        self._site_load_kw.extend(site_load_kw)

    @property
    def poa_w_m2(self) -> Sequence[float]:
        """Global irradiance on the plane of the array, W/m²."""
        return self._poa_w_m2

    @property
    def ambient_c(self) -> Sequence[float]:
        """Air temperature, °C."""
        return self._ambient_c

    @property
    def wind_m_s(self) -> Sequence[float]:
        """Wind speed at the array (it cools the modules), m/s."""
        return self._wind_m_s

    @property
    def draw_l_min(self) -> Sequence[float]:
        """Hot water the process draws from the boiler's tank, l/min."""
        return self._draw_l_min

    @property
    def site_load_kw(self) -> Sequence[float]:
        """The site's own (non-controllable) consumption, kW."""
        return self._site_load_kw


def _check_all(name: str, values: Sequence[float], low: float, high: float) -> None:
    # One comparison per value, and the call that words the error only for the first bad one.
    for value in values:
        if not (low <= value <= high):
            in_range(name, value, low, high)
