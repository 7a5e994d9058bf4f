"""The controller's own PV surplus forecast: a clear-sky model of its array, scaled by what it measures.

Only information a controller on site has at decision time goes in: the array's location and orientation
(configuration), the clear sky the sun's position implies (``energy_edge.physics``: NOAA solar position,
Ineichen-Perez clear sky, Hay-Davies plane of array), how much of that clear sky the inverters have
delivered lately (the *clearness*, an exponential average of available PV over clear-sky PV), and the load
it has observed (an exponential average of the site's own consumption). Nothing about the future comes
from anywhere else.

What the strategy needs from it is an :class:`Outlook` of the rest of the day: how much PV surplus will go
beyond the export limit (energy that will be curtailed unless something stores it), how much surplus
could be exported instead, and over how many hours. When the surplus beyond the export limit alone will
fill the batteries, filling them now with surplus that could earn the feed-in price wastes that price:
the strategy then charges only with what the export limit would curtail (export-limit-aware charging).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Final

import msgspec

from controller_module.snapshot import SiteSnapshot
from energy_edge.physics import ArrayOrientation, ClearSky, Location

SLOT_S: Final = 300
"""Forecast resolution: five minutes (the clear sky changes slowly; the sum runs over a day of slots)."""
HORIZON_SLOTS: Final = 288
"""The outlook looks at most a day ahead: the surplus of today's remaining daylight."""
OUTLOOK_EVERY_S: Final = 60.0
"""The outlook is recomputed at most this often (it moves with the clearness and load averages, slowly)."""
CLEARNESS_TIME_CONSTANT_S: Final = 1800.0
LOAD_TIME_CONSTANT_S: Final = 3600.0
MIN_CLEAR_SKY_SHARE: Final = 0.1
"""Clearness is learnt only while the clear sky gives at least this share of the array's peak: at dawn a
ratio of two small numbers says nothing about the day."""
DC_TO_AC: Final = 0.85
"""Clear-sky DC at STC scaled to AC (PVWatts' 14 % losses, inverter efficiency). The learnt clearness
absorbs what this misses, so it need not be exact."""


class PvArray(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where the site's PV array is and how it faces: what a clear-sky forecast of it needs."""

    latitude: Annotated[float, msgspec.Meta(ge=-90.0, le=90.0)]
    longitude: Annotated[float, msgspec.Meta(ge=-180.0, le=180.0)]
    altitude_m: Annotated[float, msgspec.Meta(ge=-450.0, le=8848.0)] = 0.0
    peak_kw: Annotated[float, msgspec.Meta(gt=0.0, le=1_000_000.0)]
    """DC peak power (kWp)."""
    tilt_deg: Annotated[float, msgspec.Meta(ge=0.0, le=90.0)] = 30.0
    azimuth_deg: Annotated[float, msgspec.Meta(ge=0.0, lt=360.0)] = 180.0
    """Clockwise from north: 180 faces south."""


@dataclass(frozen=True, slots=True)
class Outlook:
    """The rest of today's PV surplus, as forecast now."""

    beyond_limit_kwh: float
    """Surplus beyond the export limit: curtailed unless stored."""
    exportable_kwh: float
    """Surplus up to the export limit: stored or sold at the feed-in price."""
    surplus_hours: float
    """Hours with any surplus left today."""
    battery_room_kwh: float
    """What the batteries can still take (to 100 % SoC: a little more than their window allows)."""

    def waits_for_the_limit(self, safety: float) -> bool:
        """Whether charging should wait for surplus beyond the export limit: it is forecast to fill the
        batteries ``safety`` times over. As the day goes on the remaining excess shrinks; once it no longer
        covers the room, charging from any surplus resumes and fills the batteries with what is left."""
        room = self.battery_room_kwh
        return room > 0.0 and self.beyond_limit_kwh >= safety * room


class SurplusForecaster:
    """Learns clearness and load from snapshots; forecasts the rest of the day's surplus from them."""

    def __init__(self, array: PvArray) -> None:
        self.array = array
        self._location = Location(array.latitude, array.longitude, array.altitude_m)
        self._sky = ClearSky(altitude_m=array.altitude_m)
        self._orientation = ArrayOrientation(tilt_deg=array.tilt_deg, azimuth_deg=array.azimuth_deg)
        self._clear_sky_slots: dict[int, float] = {}
        self.clearness: float | None = None
        self.load_kw: float | None = None
        self._observed_s: float | None = None
        self._outlook: Outlook | None = None
        self._outlook_s = -math.inf

    def clear_sky_kw(self, unix_s: float) -> float:
        """The array's clear-sky AC power (before inverter clipping) at ``unix_s``."""
        sun = self._location.sun_at(unix_s)
        if not sun.is_up:
            return 0.0
        poa = self._orientation.irradiance(sun, self._sky.irradiance(sun))
        return self.array.peak_kw * poa.global_w_m2 / 1000.0 * DC_TO_AC

    def _slot_kw(self, slot: int) -> float:
        """Clear-sky power at the middle of a five-minute slot, worked out once per slot."""
        kw = self._clear_sky_slots.get(slot)
        if kw is None:
            if len(self._clear_sky_slots) > 2 * HORIZON_SLOTS:
                self._clear_sky_slots.clear()  # a day and more behind: start over rather than grow
            kw = self.clear_sky_kw((slot + 0.5) * SLOT_S)
            self._clear_sky_slots[slot] = kw
        return kw

    def _interpolated_kw(self, unix_s: float) -> float:
        """Clear-sky power between the two nearest slot centres (a control cycle needs no fresh astronomy:
        the clear sky changes by a few percent over a slot)."""
        position = unix_s / SLOT_S - 0.5
        slot = math.floor(position)
        share = position - slot
        return (1.0 - share) * self._slot_kw(slot) + share * self._slot_kw(slot + 1)

    def observe(self, snapshot: SiteSnapshot) -> None:
        """Fold one snapshot into the clearness and load averages (nothing without a meter)."""
        grid = snapshot.grid_power_kw
        if grid is None:
            return
        now = snapshot.monotonic_s
        dt = 0.0 if self._observed_s is None else max(now - self._observed_s, 0.0)
        self._observed_s = now
        # The site's own consumption: what the meter sees with every flexible asset taken out.
        load = max(
            grid
            + sum(b.power_kw for b in snapshot.batteries)
            + sum(p.power_kw for p in snapshot.pv)
            - sum(b.draw_kw for b in snapshot.boilers),
            0.0,
        )
        self.load_kw = (
            load if self.load_kw is None else _average(self.load_kw, load, dt, LOAD_TIME_CONSTANT_S)
        )
        clear = self._interpolated_kw(snapshot.at.timestamp())
        if snapshot.pv and clear >= MIN_CLEAR_SKY_SHARE * self.array.peak_kw:
            ratio = min(sum(p.available_kw for p in snapshot.pv) / clear, 1.3)
            self.clearness = (
                ratio
                if self.clearness is None
                else _average(self.clearness, ratio, dt, CLEARNESS_TIME_CONSTANT_S)
            )

    def outlook(self, snapshot: SiteSnapshot, export_floor_kw: float) -> Outlook | None:
        """The rest of today's surplus (``None`` until clearness and load have been measured)."""
        if self.clearness is None or self.load_kw is None:
            return None
        now = snapshot.monotonic_s
        if self._outlook is not None and now - self._outlook_s < OUTLOOK_EVERY_S:
            return self._outlook
        unix_s = snapshot.at.timestamp()
        ceiling = sum(p.max_output_kw if p.max_output_kw is not None else math.inf for p in snapshot.pv)
        first = int(unix_s // SLOT_S)
        beyond = exportable = hours = 0.0
        slot_h = SLOT_S / 3600.0
        seen_sun = False
        for slot in range(first, first + HORIZON_SLOTS):
            clear = self._slot_kw(slot)
            if clear <= 0.0:
                if seen_sun:
                    break  # sunset: today's surplus is over
                continue
            seen_sun = True
            surplus = min(self.clearness * clear, ceiling) - self.load_kw
            if surplus <= 0.0:
                continue
            hours += slot_h
            beyond += max(surplus - export_floor_kw, 0.0) * slot_h
            exportable += min(surplus, export_floor_kw) * slot_h
        room = sum(
            (100.0 - b.soc_percent) / 100.0 * b.capacity_kwh
            for b in snapshot.batteries
            if b.capacity_kwh is not None
        )
        self._outlook = Outlook(beyond, exportable, hours, room)
        self._outlook_s = now
        return self._outlook


def _average(previous: float, sample: float, dt: float, time_constant_s: float) -> float:
    """Exponential moving average over irregular intervals."""
    weight = 1.0 - math.exp(-dt / time_constant_s) if dt > 0 else 0.0
    return previous + weight * (sample - previous)
