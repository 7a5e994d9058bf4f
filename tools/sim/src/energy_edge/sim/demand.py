"""The site's own demand for a whole stretch of instants at once: the load profile and the process draw.

Both follow local clock time through hourly tables (``energy_edge.physics.load``); over a stretch only a
day or two of tables are involved, so the per-step work is a table look-up and, for the load, the
interpolation between hour midpoints, written here over numpy arrays with the operations of
``SiteLoad.expected_kw`` and ``DrawProfile.flow_l_min`` in the same order (only + - * /: the result is the
physics' to the bit). The load's noise draws from its seeded generator step by step:
``SiteLoad.noise_factors`` in the physics.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt

from energy_edge.physics import DrawProfile, SiteLoad, day_shape
from energy_edge.sim.instants import LocalTimes

Floats = npt.NDArray[np.float64]


def expected_load_kw(load: SiteLoad, times: LocalTimes) -> Floats:
    """The load profile without noise at each instant (``SiteLoad.expected_kw``, vectorised)."""
    days, row = np.unique(times.ordinal, return_inverse=True)
    # Per local day: the last hour of the day before, its own 24 hours and the first of the day after, so
    # that the interpolation between hour midpoints needs no special case at either end of the day.
    shape = load.params.shape

    def hours_around(day: int) -> tuple[float, ...]:
        yesterday = day_shape(shape, date.fromordinal(day - 1))
        tomorrow = day_shape(shape, date.fromordinal(day + 1))
        return (yesterday[23], *day_shape(shape, date.fromordinal(day)), tomorrow[0])

    tables = np.array([hours_around(day) for day in days.tolist()])
    scales = np.array([load.kw_per_unit(date.fromordinal(day).year) for day in days.tolist()])
    position = times.hour + (times.minute + (times.second + times.microsecond / 1e6) / 60.0) / 60.0 - 0.5
    hour = np.floor(position)  # -1 in the first half hour: between yesterday's last hour and today's first
    column = hour.astype(np.int64) + 1
    before, after = tables[row, column], tables[row, column + 1]
    return scales[row] * (before + (after - before) * (position - hour))


def process_draw_l_min(draw: DrawProfile, times: LocalTimes) -> Floats:
    """The process draw at each instant (``DrawProfile.flow_l_min``, vectorised)."""
    tables = np.array([draw.workday_l_min, draw.saturday_l_min, draw.sunday_l_min])
    day_type = np.where(times.weekday == 6, 2, np.where(times.weekday == 5, 1, 0))
    return tables[day_type, times.hour]
