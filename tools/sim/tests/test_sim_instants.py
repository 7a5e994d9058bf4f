"""A chunk's instants and its demand, at once, are the per-step path's: the same instants, the same load."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from energy_edge.physics import LoadShape, SiteLoad, SiteLoadParams, two_shift_process_draw
from energy_edge.sim.demand import expected_load_kw, process_draw_l_min
from energy_edge.sim.instants import local_times, offsets_us

BERLIN = ZoneInfo("Europe/Berlin")
MICROSECOND = timedelta(microseconds=1)


def clock_sums(step_s: float, steps: int, start_s: float = 0.0) -> np.ndarray:
    """A model's clock: the step lengths summed one by one."""
    ends, now = [], start_s
    for _ in range(steps):
        now += step_s
        ends.append(now)
    return np.array(ends)


@pytest.mark.parametrize(
    "seconds",
    [
        clock_sums(0.7, 20_000),
        clock_sums(0.1, 20_000, start_s=86_400.0 * 3),
        np.array([0.0, 0.5, 1.5, 2.5, 1e-7, 5e-7, 1.5e-6, 2.5e-6, 0.0000005000000001, 123456.7890125]),
        np.array([random.Random(3).uniform(0.0, 1e6) for _ in range(5000)]),
    ],
    ids=["0.7s", "0.1s-day-3", "halves", "random"],
)
def test_offsets_round_as_timedelta_does(seconds: np.ndarray) -> None:
    assert offsets_us(seconds).tolist() == [timedelta(seconds=s) // MICROSECOND for s in seconds.tolist()]


@pytest.mark.parametrize(
    ("start", "step_s", "steps"),
    [
        (datetime(2024, 10, 26, 23, 30, tzinfo=UTC), 0.7, 9000),  # the clocks go back within it
        (datetime(2024, 3, 31, 0, 0, tzinfo=UTC), 1.0, 7200),  # the clocks go forward within it
        (datetime(2024, 6, 21, 21, 59, tzinfo=UTC), 1.0, 3600),  # local midnight, a Friday into Saturday
    ],
    ids=["dst-end", "dst-start", "midnight"],
)
def test_a_chunk_has_the_instants_and_the_demand_of_its_steps(
    start: datetime, step_s: float, steps: int
) -> None:
    ends = clock_sums(step_s, steps)
    times = local_times(start, offsets_us(ends), BERLIN)
    instants = [(start + timedelta(seconds=end)).astimezone(BERLIN) for end in ends.tolist()]
    assert times.unix_s.tolist() == [when.timestamp() for when in instants]
    fields = zip(
        times.ordinal, times.weekday, times.hour, times.minute, times.second, times.microsecond, strict=True
    )
    assert [tuple(int(v) for v in row) for row in fields] == [
        (w.toordinal(), w.weekday(), w.hour, w.minute, w.second, w.microsecond) for w in instants
    ]
    # The demand from those fields: only table look-ups, + - * /, so the physics' values to the bit.
    load = SiteLoad(SiteLoadParams(LoadShape.HOUSEHOLD, 4_000.0, tz=BERLIN), random.Random(1))
    draw = two_shift_process_draw(40.0, BERLIN)
    assert expected_load_kw(load, times).tolist() == [load.expected_kw(when) for when in instants]
    assert process_draw_l_min(draw, times).tolist() == [draw.flow_l_min(when) for when in instants]
