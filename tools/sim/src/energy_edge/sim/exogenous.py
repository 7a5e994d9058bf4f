"""The exogenous series of a run: per step, what no set-point can change, computed once for every strategy.

The sun, the clear sky, the clouds, the irradiance on the array, the air temperature, the site's own load
and the hot-water draw are the same whatever a strategy does: the cloud and load models draw from their own
seeded generators, and nothing a controller does reaches them. They were more than half of what a site step
cost, and every strategy recomputed them. :class:`ExogenousInputs` computes them once per (scenario, seed,
days), on the instants at which a model steps, into a physics ``ExogenousSeries``; each :class:`SiteModel
<energy_edge.sim.site_model.SiteModel>` then steps only PV, battery, boiler and meter from it
(``Site.equipment_steps``). ``run_scenario`` hands one series to the ``none`` and the ``controller`` run.

A chunk of steps is computed at once, in three passes: what depends on the instant alone (the sun, the
clear sky, the array's geometry, the load's profile, the draw) over numpy arrays (``sunlight``,
``demand``, ``instants``), the clouds and the load's noise step by step from their seeded generators by
the physics (``CloudModel.step_many``, ``SiteLoad.noise_factors``), and the irradiance on the array under
the sky that came out, again at once. The arithmetic is the per-step physics' (``Site.conditions``), so
the series is the whole-site step's: to the bit where numpy's float64 sin, cos, exp... are the platform's
libm (x86-64 without AVX-512, where it was measured), otherwise within 1e-9 relative in the irradiance
(the tests hold it there). The draws are the same either way: the weather and the demand are the same day.

The series is filled lazily, an hour of simulated time at a time, as the first model to get there needs it:
a run starts stepping at once instead of first computing all its days (a progress bar moves from the start,
a model advanced a few seconds in a test computes a few seconds). An element of a numpy result does not
depend on its neighbours, and the generators draw in step order whatever the chunks: a series is the same
however it was asked for (tested). It is kept whole once computed, because the next strategy replays it
from the start: 40 bytes per step, half of what one strategy's trace holds.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Final

import numpy as np

from energy_edge.physics import ExogenousSeries
from energy_edge.sim.demand import expected_load_kw, process_draw_l_min
from energy_edge.sim.equipment import ambient_c, build_site
from energy_edge.sim.instants import local_times, offsets_us
from energy_edge.sim.scenario import Scenario
from energy_edge.sim.sunlight import (
    Floats,
    SkyColumns,
    array_geometry,
    clear_sky,
    plane_of_array,
    sun_positions,
)

EPSILON_S: Final = 1e-9
"""Slack on the run's end, so that a float sum of steps lands on it."""
CHUNK_S: Final = 3600.0
"""Simulated time computed at once when a model steps past the end of the series."""


class ExogenousInputs:
    """The exogenous series of one run, filled in order as far as a model has stepped."""

    def __init__(self, scenario: Scenario, *, seed: int, days: int | None = None) -> None:
        self.scenario = scenario
        self.seed = seed
        self.end_s = scenario.duration_s(days)
        self.series = ExogenousSeries(scenario.time.resolution_s)
        self.chunk_steps = max(1, round(CHUNK_S / self.series.step_s))
        # A site of its own, seeded like every strategy's: only its sun, sky, cloud, array, load and draw
        # models run here; its equipment never moves.
        self._site = build_site(scenario, seed)
        self._start = scenario.start_utc
        self._tz = scenario.tz
        self._done_s = 0.0
        """End of the last step computed, summed step by step exactly as a model sums its clock."""
        self.fill_s = 0.0
        """Wall time spent computing the series: a strategy that replays it did not pay for it, but its
        speed-up must (``report.json``'s ``speedup`` counts it)."""

    def belongs_to(self, scenario: Scenario, *, seed: int, days: int | None) -> bool:
        """This is the series of a run of ``scenario`` with ``seed`` over ``days``."""
        return (
            seed == self.seed
            and scenario.duration_s(days) == self.end_s
            and (scenario is self.scenario or scenario == self.scenario)
        )

    def fill_to(self, steps: int) -> int:
        """Compute steps until the series holds ``steps`` or reaches the end of the run; returns its length.

        A step ends at the sum of the step lengths so far and is computed while that sum stays within the
        run, exactly the instants and the count at which a model steps. The work goes a chunk at a time.
        """
        started = time.perf_counter()
        series = self.series
        while len(series) < steps:
            ends = self._step_ends(min(steps - len(series), self.chunk_steps))
            if len(ends) == 0:
                break
            self._fill(ends)
        self.fill_s += time.perf_counter() - started
        return len(series)

    def _step_ends(self, count: int) -> Floats:
        # The model's clock, summed step by step (accumulate adds in order, as `now += dt` does); as many
        # of the next `count` steps as end within the run.
        dt = self.series.step_s
        ends = np.add.accumulate(np.concatenate(([self._done_s], np.full(count, dt))))[1:]
        return ends[: int(np.searchsorted(ends, self.end_s + EPSILON_S, side="right"))]

    def _fill(self, ends: Floats) -> None:
        site, dt = self._site, self.series.step_s
        times = local_times(self._start, offsets_us(ends), self._tz)
        # What depends on the instant alone, for the whole chunk at once ...
        sun = sun_positions(site.location, times.unix_s)
        clear = clear_sky(site.clear_sky, sun)
        geometry = array_geometry(site.orientation, sun)
        expected_kw = expected_load_kw(site.load, times)
        # ... then the clouds and the load's noise, drawn step by step from their seeded generators ...
        sky = site.clouds.step_many(dt, *(column.tolist() for column in clear))
        noise = np.array(site.load.noise_factors(dt, len(ends)))
        # ... and what the sky decides, again at once.
        poa = plane_of_array(site.orientation, geometry, SkyColumns(*(np.array(column) for column in sky)))
        self.series.extend(
            poa_w_m2=poa.tolist(),
            ambient_c=self._ambient(ends - dt / 2).tolist(),
            draw_l_min=process_draw_l_min(site.draw, times).tolist(),
            site_load_kw=(expected_kw * noise).tolist(),
        )
        self._done_s = float(ends[-1])

    def _ambient(self, middles_s: Floats) -> Floats:
        # Air temperature moves slowly: once a minute is plenty, and a time-zone conversion per step is not.
        minutes = middles_s // 60.0
        distinct, where = np.unique(minutes, return_inverse=True)
        air = [
            ambient_c(self.scenario, self._start + timedelta(seconds=minute * 60.0 + 30.0))
            for minute in distinct.tolist()
        ]
        return np.array(air)[where]
