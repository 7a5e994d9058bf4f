"""Demand that the controller does not steer: the site's own load and the process draw on the boiler's tank.

**Site load** follows a standard-profile *shape* (household, commercial or industrial), scaled so that a
calendar year sums to the site's annual energy, with seeded multiplicative noise:

    P(t) = k_year · s(t) · exp(sigma·x(t) - sigma²/2),   k_year = E_annual / Σ_(hours of year) s

s(t) is an hourly table per day type (working day, Saturday, Sunday) times a seasonal factor, interpolated
linearly between hour midpoints so the load has no steps on the hour; x is an Ornstein-Uhlenbeck process of
unit variance (correlation time τ), so the noise has mean 1 and no preferred step length. The tables
follow the structure of the German BDEW standard load profiles (H0 household, G0 commercial, and a
two-shift industrial week): the shapes are our own hand-tabulated approximations, not BDEW's data, and the
household's seasonal factor is BDEW's H0 dynamisation polynomial. Public holidays count as working days.

**Process draw** on the hot-water tank is an hourly table of flows (l/min) per day type, held constant over
each hour, because batch processes and shifts start on the hour.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import NamedTuple

from energy_edge.physics._checks import in_range, non_negative, positive, step_seconds

Hourly = tuple[float, ...]
"""24 values, one per hour of the local day starting at 00:00."""


class LoadShape(StrEnum):
    HOUSEHOLD = "household"
    COMMERCIAL = "commercial"
    INDUSTRIAL = "industrial"


class _Week(NamedTuple):
    workday: Hourly
    saturday: Hourly
    sunday: Hourly


# Relative hourly demand, mean about 1 on a working day.
_SHAPES: dict[LoadShape, _Week] = {
    # Night trough, breakfast bump, lunch plateau, evening peak 18-21 h; later and flatter at weekends.
    LoadShape.HOUSEHOLD: _Week(
        (0.55, 0.45, 0.40, 0.38, 0.38, 0.42, 0.60, 0.85, 0.90, 0.85, 0.82, 0.85,
         0.95, 0.90, 0.82, 0.78, 0.82, 0.95, 1.15, 1.30, 1.30, 1.20, 1.00, 0.75),
        (0.60, 0.50, 0.44, 0.40, 0.39, 0.40, 0.48, 0.62, 0.85, 1.00, 1.05, 1.08,
         1.10, 1.00, 0.90, 0.85, 0.88, 0.98, 1.15, 1.28, 1.28, 1.20, 1.05, 0.80),
        (0.65, 0.52, 0.45, 0.41, 0.39, 0.39, 0.42, 0.52, 0.75, 0.98, 1.10, 1.20,
         1.25, 1.05, 0.90, 0.85, 0.88, 0.98, 1.15, 1.25, 1.25, 1.15, 0.98, 0.75),
    ),
    # Offices and shops: opening hours 8-18 on working days, a short Saturday, standby on Sunday.
    LoadShape.COMMERCIAL: _Week(
        (0.35, 0.33, 0.32, 0.32, 0.33, 0.36, 0.50, 0.80, 1.10, 1.25, 1.30, 1.30,
         1.25, 1.25, 1.28, 1.25, 1.18, 1.05, 0.85, 0.65, 0.52, 0.45, 0.40, 0.37),
        (0.35, 0.33, 0.32, 0.32, 0.33, 0.34, 0.40, 0.55, 0.75, 0.85, 0.90, 0.90,
         0.85, 0.75, 0.62, 0.55, 0.50, 0.47, 0.45, 0.43, 0.40, 0.38, 0.36, 0.35),
        (0.34, 0.33, 0.32, 0.32, 0.32, 0.33, 0.34, 0.35, 0.36, 0.37, 0.37, 0.37,
         0.37, 0.37, 0.36, 0.36, 0.36, 0.36, 0.36, 0.35, 0.35, 0.35, 0.34, 0.34),
    ),
    # Two shifts 06-22 h on working days, a Saturday morning shift, base load (compressors, IT) otherwise.
    LoadShape.INDUSTRIAL: _Week(
        (0.40, 0.38, 0.38, 0.38, 0.40, 0.60, 1.20, 1.35, 1.40, 1.40, 1.35, 1.30,
         1.25, 1.35, 1.40, 1.40, 1.35, 1.35, 1.30, 1.30, 1.25, 1.10, 0.60, 0.45),
        (0.40, 0.38, 0.38, 0.38, 0.40, 0.50, 0.80, 0.90, 0.90, 0.90, 0.88, 0.85,
         0.70, 0.55, 0.45, 0.42, 0.40, 0.40, 0.40, 0.40, 0.40, 0.40, 0.40, 0.40),
        (0.37, 0.36, 0.36, 0.36, 0.36, 0.36, 0.37, 0.37, 0.38, 0.38, 0.38, 0.38,
         0.38, 0.38, 0.38, 0.38, 0.38, 0.38, 0.38, 0.38, 0.37, 0.37, 0.37, 0.37),
    ),
}  # fmt: skip

_SEASONAL_AMPLITUDE = {LoadShape.COMMERCIAL: 0.08, LoadShape.INDUSTRIAL: 0.03}
"""Winter surplus of the non-household shapes (lighting, heating auxiliaries), peaking mid-January."""


def seasonal_factor(shape: LoadShape, day: date) -> float:
    """Multiplier of the day's hourly shape for the season.

    Household: BDEW's H0 dynamisation F(t) = -3.92e-10·t⁴ + 3.2e-7·t³ - 7.02e-5·t² + 2.1e-3·t + 1.24
    (t the day of the year), from about 1.24 in winter to 0.8 in summer.
    Others: 1 + a·cos(2π·(t - 15)/365).
    """
    t = day.timetuple().tm_yday
    if shape is LoadShape.HOUSEHOLD:
        return (((-3.92e-10 * t + 3.2e-7) * t - 7.02e-5) * t + 2.1e-3) * t + 1.24
    return 1.0 + _SEASONAL_AMPLITUDE[shape] * math.cos(2.0 * math.pi * (t - 15) / 365.0)


def day_shape(shape: LoadShape, day: date) -> Hourly:
    """The 24 hourly relative values of ``day`` (day type and season applied)."""
    week = _SHAPES[shape]
    weekday = day.weekday()
    hourly = week.sunday if weekday == 6 else week.saturday if weekday == 5 else week.workday
    factor = seasonal_factor(shape, day)
    return tuple(value * factor for value in hourly)


@dataclass(frozen=True, slots=True)
class SiteLoadParams:
    shape: LoadShape
    annual_kwh: float
    noise_std: float = 0.1
    """Sigma of the multiplicative log-normal noise (0 for the bare profile)."""
    noise_time_constant_s: float = 600.0
    """Correlation time of the noise: minutes-long excursions, as appliances and machines run in cycles."""
    tz: tzinfo = UTC
    """The site's time zone: profiles follow local clock time, the simulation runs in UTC."""

    def __post_init__(self) -> None:
        if not isinstance(self.shape, LoadShape):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ValueError(f"shape must be a LoadShape, got {self.shape!r}")
        positive("annual_kwh", self.annual_kwh)
        in_range("noise_std", self.noise_std, 0.0, 1.0)
        positive("noise_time_constant_s", self.noise_time_constant_s)


class LoadReading(NamedTuple):
    power_kw: float
    """Site consumption (≥ 0; a load, so it enters the grid meter with a plus sign)."""
    expected_kw: float
    """The profile value without noise."""


class SiteLoad:
    """The site's non-controllable load: a scaled standard profile with seeded, correlated noise."""

    __slots__ = ("_days", "_latent", "_rng", "_scales", "params")

    def __init__(self, params: SiteLoadParams, rng: random.Random) -> None:
        self.params = params
        self._rng = rng
        self._latent = rng.gauss(0.0, 1.0) if params.noise_std > 0.0 else 0.0
        self._scales: dict[int, float] = {}
        self._days: dict[int, Hourly] = {}

    def expected_kw(self, when: datetime) -> float:
        """The profile's power at ``when`` (timezone-aware), without noise."""
        local = _local(when, self.params.tz)
        today = local.toordinal()
        position = local.hour + (local.minute + (local.second + local.microsecond / 1e6) / 60.0) / 60.0 - 0.5
        if position < 0.0:
            # Between the last hour of yesterday and the first of today.
            before, after, weight = self._day(today - 1)[23], self._day(today)[0], position + 1.0
        else:
            hour = int(position)
            values = self._day(today)
            after = values[hour + 1] if hour < 23 else self._day(today + 1)[0]
            before, weight = values[hour], position - hour
        return self._scale(local.year) * (before + (after - before) * weight)

    def step(self, dt_s: float, when: datetime) -> LoadReading:
        """Advance the noise by ``dt_s`` and return the load at ``when`` (the end of the step)."""
        step_seconds(dt_s)
        expected = self.expected_kw(when)
        (factor,) = self.noise_factors(dt_s, 1)  # the one implementation of the noise
        return LoadReading(expected * factor, expected)

    def noise_factors(self, dt_s: float, steps: int) -> list[float]:
        """Advance the noise by ``steps`` steps of ``dt_s``; returns each step's multiplier of the profile.

        For a simulator that works out the profile of a whole stretch at once (:meth:`kw_per_unit` and
        :func:`day_shape` give it): ``expected_kw(when) * factor`` is what :meth:`step` (a stretch of one)
        returns, with the same draws in the same order.
        """
        step_seconds(dt_s)
        if not (steps >= 0):
            raise ValueError(f"steps must be >= 0, got {steps!r}")
        sigma = self.params.noise_std
        if sigma == 0.0:
            return [1.0] * steps  # no noise: nothing drawn, the profile itself
        decay = math.exp(-dt_s / self.params.noise_time_constant_s)
        spread = math.sqrt(1.0 - decay * decay)
        bias = 0.5 * sigma * sigma
        gauss, exp = self._rng.gauss, math.exp
        latent = self._latent
        factors: list[float] = []
        for _ in range(steps):
            latent = decay * latent + spread * gauss(0.0, 1.0)
            factors.append(exp(sigma * latent - bias))
        self._latent = latent
        return factors

    def kw_per_unit(self, year: int) -> float:
        """kW per unit of :func:`day_shape` in ``year``: the scale at which the year sums to ``annual_kwh``
        (``expected_kw`` multiplies the interpolated shape by it)."""
        return self._scale(year)

    def _day(self, ordinal: int) -> Hourly:
        values = self._days.get(ordinal)
        if values is None:
            if len(self._days) > 8:  # a simulation walks forward; a few days around now are all it needs
                self._days.clear()
            values = self._days[ordinal] = day_shape(self.params.shape, date.fromordinal(ordinal))
        return values

    def _scale(self, year: int) -> float:
        scale = self._scales.get(year)
        if scale is None:
            first = date(year, 1, 1)
            days = (date(year + 1, 1, 1) - first).days
            total = math.fsum(
                math.fsum(day_shape(self.params.shape, first + timedelta(d))) for d in range(days)
            )
            scale = self._scales[year] = self.params.annual_kwh / total
        return scale


@dataclass(frozen=True, slots=True)
class DrawProfile:
    """Hot water drawn by the process, l/min per local hour and day type, held constant over each hour."""

    workday_l_min: Hourly
    saturday_l_min: Hourly
    sunday_l_min: Hourly
    tz: tzinfo = UTC

    def __post_init__(self) -> None:
        for name, table in (
            ("workday_l_min", self.workday_l_min),
            ("saturday_l_min", self.saturday_l_min),
            ("sunday_l_min", self.sunday_l_min),
        ):
            if len(table) != 24:
                raise ValueError(f"{name} needs 24 hourly values, got {len(table)}")
            for value in table:
                non_negative(name, value)

    def flow_l_min(self, when: datetime) -> float:
        local = _local(when, self.tz)
        weekday = local.weekday()
        table = (
            self.sunday_l_min if weekday == 6 else self.saturday_l_min if weekday == 5 else self.workday_l_min
        )
        return table[local.hour]


def two_shift_process_draw(peak_l_min: float = 40.0, tz: tzinfo = UTC) -> DrawProfile:
    """A two-shift process (06-22 h on working days, Saturday morning) with cleaning between shifts."""
    positive("peak_l_min", peak_l_min)
    workday = (
        0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.9, 1.0, 1.0, 0.9, 0.8, 0.5,
        0.9, 1.0, 1.0, 0.9, 0.8, 0.5, 0.9, 1.0, 0.9, 0.7, 0.3, 0.05,
    )  # fmt: skip
    saturday = (0.05,) * 6 + (0.8, 0.9, 0.9, 0.8, 0.6, 0.3) + (0.05,) * 12
    sunday = (0.05,) * 24
    return DrawProfile(
        tuple(peak_l_min * v for v in workday),
        tuple(peak_l_min * v for v in saturday),
        tuple(peak_l_min * v for v in sunday),
        tz,
    )


def _local(when: datetime, tz: tzinfo) -> datetime:
    if when.tzinfo is tz:
        return when  # already on the site's clock (the usual case: both UTC); saves a conversion per step
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"when must be timezone-aware (UTC by convention), got naive {when.isoformat()}")
    return when.astimezone(tz)
