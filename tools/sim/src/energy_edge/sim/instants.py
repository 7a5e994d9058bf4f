"""The instants of a stretch of steps, on the UTC clock (for the sun) and the site's (for load and draw).

A model's clock is a float sum of step lengths; the instant of a step is ``start + timedelta(seconds=end)``
on the site's clock. Per step that is a ``timedelta``, an addition and a time-zone conversion, dearer than
what the simulator does with it. Here they come as integer microseconds for a whole stretch, rounded
exactly as ``timedelta`` rounds a float, so every instant is the one the per-step path gives.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US_PER_S = 1_000_000
_US_PER_DAY = 86_400 * _US_PER_S
_EPOCH_ORDINAL = _EPOCH.toordinal()


class LocalTimes(NamedTuple):
    """Each instant's POSIX timestamp and its wall-clock fields at the site."""

    unix_s: Floats
    """``datetime.timestamp()`` of each instant."""
    ordinal: Ints
    """Local date, as ``date.toordinal()``."""
    weekday: Ints
    """Local day of the week, Monday 0 (``date.weekday()``)."""
    hour: Ints
    minute: Ints
    second: Ints
    microsecond: Ints


def offsets_us(seconds: Floats) -> Ints:
    """``timedelta(seconds=s)`` in microseconds for each ``s`` >= 0, rounded as CPython rounds it.

    CPython splits the float into whole seconds and a fraction, scales the fraction by 10^6 in float
    arithmetic, keeps its whole part and rounds what is left half to even on the total so far.
    """
    whole_s = np.floor(seconds)
    scaled = (seconds - whole_s) * 1e6
    whole_us = np.floor(scaled)
    left = scaled - whole_us
    total = whole_s.astype(np.int64) * _US_PER_S + whole_us.astype(np.int64)
    # round(left) away from zero, and exactly 0.5 to the even total
    return total + np.where(left > 0.5, 1, np.where(left < 0.5, 0, total % 2))


def local_times(start: datetime, offsets: Ints, tz: tzinfo) -> LocalTimes:
    """The instants ``start + offsets`` (aware ``start``, microsecond offsets) in UTC and on ``tz``'s clock.

    The offset from UTC is looked up at the first and the last instant; a stretch within which the clocks
    change (at most once: a simulator asks for an hour or so) is looked up instant by instant.
    """
    start_us = (start - _EPOCH) // timedelta(microseconds=1)
    utc_us = start_us + offsets
    first, last = _utc_offset_us(start, int(offsets[0]), tz), _utc_offset_us(start, int(offsets[-1]), tz)
    if first == last:
        local_us = utc_us + first
    else:
        local_us = utc_us + np.array([_utc_offset_us(start, int(us), tz) for us in offsets], dtype=np.int64)
    days = local_us // _US_PER_DAY
    of_day = local_us - days * _US_PER_DAY
    seconds_of_day = of_day // _US_PER_S
    ordinal = days + _EPOCH_ORDINAL
    return LocalTimes(
        # Exact integer microseconds, divided once: what timestamp() does with its timedelta.
        unix_s=utc_us.astype(np.float64) / 1e6,
        ordinal=ordinal,
        weekday=(ordinal + 6) % 7,
        hour=seconds_of_day // 3600,
        minute=seconds_of_day // 60 % 60,
        second=seconds_of_day % 60,
        microsecond=of_day % _US_PER_S,
    )


def _utc_offset_us(start: datetime, offset_us: int, tz: tzinfo) -> int:
    local = (start + timedelta(microseconds=offset_us)).astimezone(tz)
    utc_offset = local.utcoffset()
    assert utc_offset is not None  # astimezone gives an aware datetime
    return utc_offset // timedelta(microseconds=1)
