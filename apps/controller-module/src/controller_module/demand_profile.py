"""The site's demand as the controller has observed it, by quarter hour of the day, and the peak level it
can hold with that.

Peak shaving without a forecast must guess how long a high load lasts: the horizon rule (what the batteries
hold for ``peak_horizon_h`` against the last quarter hour's load) sets a level that is too high when a
shift starts with its heaviest hours and lighter hours (or the sun) follow, and the demand meter bills that
level for the month. A site repeats itself from one working day to the next, so the controller learns its
own: for each quarter hour of the day the import without batteries (meter plus battery output, i.e. what
the batteries would have to shave; the boilers as they were steered are part of it), an exponentially
weighted mean over the days seen (``DAY_WEIGHT``), kept apart for working days and weekends (a factory's
Saturday is not its Tuesday). With a whole day learned, the level is planned: the lowest import the
batteries can hold over the next 24 hours of that profile, recharging below the level where it dips
(:func:`plan_level`). The days differ (the load's own noise, the sun on the PV): the variance of each slot
around its mean is learned alike, and the batteries keep back ``peak_plan_hedge`` standard deviations of
the demand still ahead in the stretch, because a level set too low costs far more than one set too high.

Decisions:
- Quarter hours and day kinds are taken in UTC. The controller is told where the site is, not its time
  zone; a site's shifts then sit an hour off twice a year, and the profile re-learns within a few days.
- Only quarter hours observed for at least ``MIN_OBSERVED_FRACTION`` of their length are learned (a
  controller started mid-block has not seen the block's average).
- The profile survives restarts: :mod:`controller_module.state` keeps it in a file (JSON, below).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final

import msgspec

SLOT_S: Final = 900
SLOTS_PER_DAY: Final = 96
DAY_WEIGHT: Final = 0.5
"""How much a newly observed day counts against what was learned before (about three days' memory)."""
MIN_OBSERVED_FRACTION: Final = 0.8
PLAN_EFFICIENCY: Final = 0.95
"""Charge and discharge efficiency the plan assumes for each direction (batteries do not report theirs)."""
PLAN_ITERATIONS: Final = 32
SATURDAY: Final = 5
MAX_GAP_SLOTS: Final = 4
"""Unlearned quarter hours the plan bridges with the last value before them (an hour)."""
BOILER_SPREAD_SLOTS: Final = 4
"""The plan spreads the boilers' learned draw over this many quarter hours either side (about two hours
in all): a tank holds hours of heat, so when one day's boiler drew is not when the next one's must."""
PREHEAT_SLOTS: Final = 2 * BOILER_SPREAD_SLOTS
"""How far ahead of a peak the boilers fill valleys under the level: the two hours over which the plan
moves their heat. Heat stored earlier only stands in the tank, losing more the hotter it is held."""
VARIANCE_POOL_SLOTS: Final = 2
"""The plan's hedge pools each quarter hour's learned variance with this many either side."""
NIGHT_SLOTS: Final = 4
"""Quarter hours in a row below the level that end a stretch for the plan's hedge: an hour of recharging
at the batteries' power separates one shift's uncertainty from the next one's."""


class DayKind(StrEnum):
    WORKDAY = "workday"
    WEEKEND = "weekend"


def day_kind(unix_s: float) -> DayKind:
    weekday = datetime.fromtimestamp(unix_s, UTC).weekday()
    return DayKind.WEEKEND if weekday >= SATURDAY else DayKind.WORKDAY


EPOCH_WEEKDAY: Final = 3
"""1970-01-01, day 0 of Unix time, was a Thursday (Monday is 0)."""


def _kind_of_day(day: int) -> DayKind:
    """:func:`day_kind` of the ``day``-th day of Unix time, by arithmetic: valley filling asks for the
    days ahead every control cycle, and a datetime per ask cost more than the rest of the question."""
    return DayKind.WEEKEND if (day + EPOCH_WEEKDAY) % 7 >= SATURDAY else DayKind.WORKDAY


class ProfileFile(msgspec.Struct, forbid_unknown_fields=True):
    """The profile as stored: per day kind, 96 quarter hours from 00:00 UTC, ``null`` where not learned."""

    version: int
    slot_s: int
    workday: list[float | None]
    weekend: list[float | None]
    workday_boilers: list[float | None] | None = None
    """What the boilers drew of it (absent in files written before boilers were learned apart: none)."""
    weekend_boilers: list[float | None] | None = None
    workday_variance: list[float | None] | None = None
    """How much the days differed around the mean (kW², absent in older files: not known yet)."""
    weekend_variance: list[float | None] | None = None


PROFILE_FILE_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class DemandProfile:
    """Import without batteries (kW, > 0 import) per quarter hour of the UTC day, per kind of day."""

    workday: tuple[float | None, ...] = (None,) * SLOTS_PER_DAY
    weekend: tuple[float | None, ...] = (None,) * SLOTS_PER_DAY
    workday_boilers: tuple[float | None, ...] = (None,) * SLOTS_PER_DAY
    """The boilers' share of the demand, learned alongside: heat that a tank lets move by hours."""
    weekend_boilers: tuple[float | None, ...] = (None,) * SLOTS_PER_DAY
    workday_variance: tuple[float | None, ...] = (None,) * SLOTS_PER_DAY
    """The day-to-day variance of each slot's demand around its mean (kW², exponentially weighted like the
    mean; ``None`` until a second day is seen): how far the plan can trust the mean."""
    weekend_variance: tuple[float | None, ...] = (None,) * SLOTS_PER_DAY

    def slots(self, kind: DayKind) -> tuple[float | None, ...]:
        return self.workday if kind is DayKind.WORKDAY else self.weekend

    def boiler_slots(self, kind: DayKind) -> tuple[float | None, ...]:
        return self.workday_boilers if kind is DayKind.WORKDAY else self.weekend_boilers

    def variance_slots(self, kind: DayKind) -> tuple[float | None, ...]:
        return self.workday_variance if kind is DayKind.WORKDAY else self.weekend_variance

    def learn(self, block: int, mean_kw: float, boilers_kw: float = 0.0) -> DemandProfile:
        """Fold one quarter hour's mean (block = Unix seconds // 900) into its slot, with what the boilers
        drew of it."""
        if not (math.isfinite(mean_kw) and math.isfinite(boilers_kw)):
            return self
        kind = day_kind(block * SLOT_S)
        slot = block % SLOTS_PER_DAY
        variance = _folded_variance(self.variance_slots(kind), self.slots(kind)[slot], slot, mean_kw)
        demand = _folded(self.slots(kind), slot, mean_kw)
        boilers = _folded(self.boiler_slots(kind), slot, boilers_kw)
        if kind is DayKind.WORKDAY:
            return replace(self, workday=demand, workday_boilers=boilers, workday_variance=variance)
        return replace(self, weekend=demand, weekend_boilers=boilers, weekend_variance=variance)

    def ahead(self, block: int, count: int = SLOTS_PER_DAY) -> list[float] | None:
        """The learned demand of ``count`` quarter hours from ``block`` on, or ``None`` while one of them
        (of its own kind of day) has not been learned yet."""
        return self._ahead(block, count, kind_slots=self.slots)

    def boilers_ahead(self, block: int, count: int = SLOTS_PER_DAY) -> list[float]:
        """The boilers' share of :meth:`ahead` (0 where it was not learned)."""
        return self._ahead(block, count, kind_slots=self.boiler_slots, missing=0.0) or []

    def deviations_ahead(self, block: int, count: int = SLOTS_PER_DAY) -> list[float]:
        """The day-to-day standard deviation of :meth:`ahead`'s slots: each slot's variance pooled with
        its neighbours' (``VARIANCE_POOL_SLOTS`` either side), 0 for a slot not yet seen twice.

        Pooled, because a few days' deviations of one quarter hour say little (from two days the estimate
        is half their difference, anything from 0 to the whole swing) and the quarter hours of an hour vary
        alike. Not bridged across gaps like the mean: a quarter hour seen once has no variance yet, and
        borrowing the one just learned next to it made the plan jump for a quarter hour (simulator,
        industrial site: the 18:45 quarter hour's 34 kW lent to the evening's last hour, the level planned
        292 kW at 19:00 and 273 kW at 19:15, and the demand meter billed 292)."""
        out: list[float] = []
        day, slots = -1, self.workday_variance
        for b in range(block, block + count):
            if b // SLOTS_PER_DAY != day:
                day = b // SLOTS_PER_DAY
                slots = self.variance_slots(_kind_of_day(day))
            out.append(math.sqrt(_pooled(slots, b % SLOTS_PER_DAY)))
        return out

    def boilers_spread_ahead(self, block: int, half_window: int, count: int = SLOTS_PER_DAY) -> list[float]:
        """:meth:`boilers_ahead`, each slot averaged with ``half_window`` slots either side.

        The window reaches before ``block`` and past the horizon, so a slot's average is the same whichever
        quarter hour the plan starts from. (Cut at the horizon's start, the slots just ahead lost their
        lighter neighbours as a shift's heavy hours came in, and the plan rose by a kW or two each quarter
        hour with no change in the demand: a level the demand meter then billed.)"""
        wide = self.boilers_ahead(block - half_window, count + 2 * half_window)
        return spread(wide, half_window)[half_window : half_window + count]

    def peak_within(self, block: int, level_kw: float, boilers_kw: float, count: int = PREHEAT_SLOTS) -> bool:
        """The learned demand less the boilers' share, with ``boilers_kw`` of heating on top, exceeds
        ``level_kw`` within ``count`` quarter hours from ``block`` on (``True`` where not learned: without
        a profile, any valley may be the last before a peak).

        Asked every control cycle: one pass over the quarter hours, ending at the first that answers (one
        not learned answers ``True``, as the window's demand unknown as a whole does)."""
        day = None
        demand, boilers = self.workday, self.workday_boilers
        for b in range(block, block + count):
            if b // SLOTS_PER_DAY != day:  # the kind of day changes only at midnight
                day = b // SLOTS_PER_DAY
                kind = _kind_of_day(day)
                demand, boilers = self.slots(kind), self.boiler_slots(kind)
            slot = b % SLOTS_PER_DAY
            total = _bridged(demand, slot)
            if total is None:
                return True
            boiler = _bridged(boilers, slot)
            if total - (boiler if boiler is not None else 0.0) + boilers_kw > level_kw:
                return True
        return False

    def _ahead(
        self,
        block: int,
        count: int,
        *,
        kind_slots: Callable[[DayKind], tuple[float | None, ...]],
        missing: float | None = None,
    ) -> list[float] | None:
        out: list[float] = []
        day, slots = -1, self.workday
        for b in range(block, block + count):
            if b // SLOTS_PER_DAY != day:  # the kind of day changes only at midnight
                day = b // SLOTS_PER_DAY
                slots = kind_slots(_kind_of_day(day))
            value = _bridged(slots, b % SLOTS_PER_DAY)
            if value is None:
                if missing is None:
                    return None
                value = missing
            out.append(value)
        return out

    @property
    def learned_slots(self) -> int:
        return sum(v is not None for v in self.workday) + sum(v is not None for v in self.weekend)

    def to_file(self) -> ProfileFile:
        return ProfileFile(
            PROFILE_FILE_VERSION,
            SLOT_S,
            list(self.workday),
            list(self.weekend),
            list(self.workday_boilers),
            list(self.weekend_boilers),
            list(self.workday_variance),
            list(self.weekend_variance),
        )

    @classmethod
    def from_file(cls, stored: ProfileFile) -> DemandProfile:
        """Checks what a file claims: its version, slot length and 96 finite values (or nulls) per kind."""
        if stored.version != PROFILE_FILE_VERSION:
            raise ValueError(f"profile file version {stored.version}, expected {PROFILE_FILE_VERSION}")
        if stored.slot_s != SLOT_S:
            raise ValueError(f"profile slot_s {stored.slot_s}, expected {SLOT_S}")
        empty: list[float | None] = [None] * SLOTS_PER_DAY
        workday_boilers = stored.workday_boilers if stored.workday_boilers is not None else empty
        weekend_boilers = stored.weekend_boilers if stored.weekend_boilers is not None else empty
        workday_variance = stored.workday_variance if stored.workday_variance is not None else empty
        weekend_variance = stored.weekend_variance if stored.weekend_variance is not None else empty
        for name, values in (
            ("workday", stored.workday),
            ("weekend", stored.weekend),
            ("workday_boilers", workday_boilers),
            ("weekend_boilers", weekend_boilers),
            ("workday_variance", workday_variance),
            ("weekend_variance", weekend_variance),
        ):
            if len(values) != SLOTS_PER_DAY:
                raise ValueError(f"profile {name}: {len(values)} values, expected {SLOTS_PER_DAY}")
            bad = next((i for i, v in enumerate(values) if v is not None and not math.isfinite(v)), None)
            if bad is not None:
                raise ValueError(f"profile {name}[{bad}] is not a finite number")
            negative = next((i for i, v in enumerate(values) if v is not None and v < 0.0), None)
            if negative is not None and name.endswith("_variance"):
                raise ValueError(f"profile {name}[{negative}] is negative")
        return cls(
            tuple(stored.workday),
            tuple(stored.weekend),
            tuple(workday_boilers),
            tuple(weekend_boilers),
            tuple(workday_variance),
            tuple(weekend_variance),
        )


def _folded(values: tuple[float | None, ...], slot: int, mean_kw: float) -> tuple[float | None, ...]:
    folded = list(values)
    before = folded[slot]
    folded[slot] = mean_kw if before is None else before + DAY_WEIGHT * (mean_kw - before)
    return tuple(folded)


def _folded_variance(
    variances: tuple[float | None, ...], mean_before: float | None, slot: int, mean_kw: float
) -> tuple[float | None, ...]:
    """The slot's variance with one more day: the exponentially weighted variance that goes with the
    exponentially weighted mean (West's update), started at the second day seen."""
    if mean_before is None:
        return variances
    folded = list(variances)
    deviation = mean_kw - mean_before
    folded[slot] = (1.0 - DAY_WEIGHT) * ((folded[slot] or 0.0) + DAY_WEIGHT * deviation * deviation)
    return tuple(folded)


def _pooled(variances: tuple[float | None, ...], slot: int) -> float:
    """The mean of the known variances within ``VARIANCE_POOL_SLOTS`` of ``slot`` (wrapping around
    midnight), 0 while ``slot`` itself has none."""
    if variances[slot] is None:
        return 0.0
    known = [
        v
        for offset in range(-VARIANCE_POOL_SLOTS, VARIANCE_POOL_SLOTS + 1)
        if (v := variances[(slot + offset) % SLOTS_PER_DAY]) is not None
    ]
    return sum(known) / len(known)


def _bridged(slots: tuple[float | None, ...], slot: int) -> float | None:
    """A slot's value, or across a gap of at most ``MAX_GAP_SLOTS`` the last value learned before it (a
    restart loses the quarter hour in progress; a controller stopped at the end of a day never sees its
    last quarter hour end)."""
    for back in range(MAX_GAP_SLOTS + 1):
        value = slots[slot - back]  # a negative index wraps to the evening before
        if value is not None:
            return value
    return None


def spread(values: Sequence[float], half_window: int) -> list[float]:
    """Each value averaged with its neighbours ``half_window`` either side (fewer at the ends)."""
    count = len(values)
    out: list[float] = []
    for i in range(count):
        window = values[max(i - half_window, 0) : min(i + half_window + 1, count)]
        out.append(sum(window) / len(window))
    return out


@dataclass(frozen=True, slots=True)
class BatteryBank:
    """What the plan needs of the batteries together."""

    usable_kwh: float
    """Stored above the reserve now."""
    room_kwh: float
    """Room above what is stored now, up to full."""
    charge_kw: float
    discharge_kw: float


def plan_level(
    demand_kw: Sequence[float],
    bank: BatteryBank,
    *,
    recharge_margin_kw: float,
    slot_h: float = SLOT_S / 3600,
    deviation_kw: Sequence[float] = (),
    hedge: float = 0.0,
) -> float:
    """The lowest import the batteries can hold through ``demand_kw`` (one value per slot): above it they
    discharge (within their power), below it (less ``recharge_margin_kw``) they recharge, and they never
    run empty. The batteries' efficiency is taken as ``PLAN_EFFICIENCY`` each way. Bisection on the level:
    a lower level never needs less energy.

    With ``hedge`` > 0 and a standard deviation per slot (``deviation_kw``), they never run below a
    reserve either: ``hedge`` deviations of the demand above the level from now up to that slot
    (:func:`_stretch_reserve`). Mean demand planned to the last kWh leaves a day heavier than the mean
    with empty batteries before its shift ends, when the meter bills all that is left uncovered; the
    reserve is what such a day takes beyond the mean, and it is replanned every quarter hour, so on an
    ordinary day it comes back to the batteries as the stretch is lived through."""
    if not demand_kw:
        return 0.0
    capacity = bank.usable_kwh + bank.room_kwh

    hedged = hedge > 0.0 and len(deviation_kw) == len(demand_kw)
    reserve_kwh_per_kw = hedge * slot_h / PLAN_EFFICIENCY

    def holds(level: float) -> bool:
        stored = bank.usable_kwh
        reserve = _stretch_reserve(demand_kw, deviation_kw, level, reserve_kwh_per_kw) if hedged else None
        for index, demand in enumerate(demand_kw):
            over = demand - level
            if over > 0.0:
                if over > bank.discharge_kw + 1e-9:
                    return False
                stored -= over * slot_h / PLAN_EFFICIENCY
                if stored < (0.0 if reserve is None else reserve[index]):
                    return False
            else:
                spare = min(-over - recharge_margin_kw, bank.charge_kw)
                if spare > 0.0:
                    stored = min(stored + spare * slot_h * PLAN_EFFICIENCY, capacity)
        return True

    low, high = min(demand_kw) - bank.discharge_kw, max(demand_kw)
    if holds(low):
        return low
    for _ in range(PLAN_ITERATIONS):
        middle = (low + high) / 2.0
        if holds(middle):
            high = middle
        else:
            low = middle
    return high


def _stretch_reserve(
    demand_kw: Sequence[float], deviation_kw: Sequence[float], level: float, kwh_per_kw: float
) -> list[float]:
    """What the batteries must still hold after each slot, beyond the mean: ``kwh_per_kw`` times the
    standard deviation of the demand above ``level`` from now (or from the last night) up to that slot.

    The slots' deviations are taken as independent, so they add in quadrature: a stretch's total varies
    less than its slots' deviations summed, and the further a slot lies ahead the larger the reserve it
    asks for, but by the square root of the time. Planned afresh every quarter hour, the uncertainty
    already lived through drops out of the reserve. A night (``NIGHT_SLOTS`` below the level) recharges
    the batteries and starts the next stretch's count from zero."""
    reserve: list[float] = []
    variance = 0.0
    below = 0
    for demand, deviation in zip(demand_kw, deviation_kw, strict=True):
        if demand > level:
            variance += deviation * deviation
            below = 0
        else:
            below += 1
            if below >= NIGHT_SLOTS:
                variance = 0.0
        reserve.append(kwh_per_kw * math.sqrt(variance))
    return reserve
