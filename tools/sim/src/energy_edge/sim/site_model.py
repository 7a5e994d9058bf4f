"""One shared model of the site, advanced in fixed steps, that every module's driver reads and commands.

The modules never see the model; each gets a driver (``energy_edge.sim.drivers``) implementing its own
driver protocol against it. The model advances lazily: whenever a driver is called at virtual time ``t``,
every whole step up to ``t`` is computed with the set-points in force, so set-points act from the next step
(at most ``resolution_s`` of latency, as a real inverter's). The trace records every step.

Only the equipment that set-points steer (PV inverter, battery, boiler, meter) is stepped here; the weather,
the load and the draw come from the run's exogenous series (``energy_edge.sim.exogenous``), computed once
and shared by every strategy of a run. Between two driver calls the set-points hold, so the physics steps
the whole stretch with them checked once (``Site.equipment_steps``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from energy_edge.physics import EquipmentReading
from energy_edge.sim.equipment import build_site
from energy_edge.sim.exogenous import EPSILON_S, ExogenousInputs
from energy_edge.sim.scenario import Scenario
from energy_edge.sim.trace import SiteTrace


class SiteModel:
    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int,
        days: int | None = None,
        exogenous: ExogenousInputs | None = None,
    ) -> None:
        """``exogenous``: the run's series when another strategy already computed (or is computing) it;
        without it the model computes its own, with the same result."""
        if exogenous is None:
            exogenous = ExogenousInputs(scenario, seed=seed, days=days)
        elif not exogenous.belongs_to(scenario, seed=seed, days=days):
            raise ValueError(
                f"the exogenous series of {exogenous.scenario.name} (seed {exogenous.seed}, "
                f"{exogenous.end_s:g} s) does not belong to a run of {scenario.name} with seed {seed} over "
                f"{scenario.duration_s(days):g} s"
            )
        self.scenario = scenario
        self.exogenous = exogenous
        # The whole site is built as for any strategy; its weather and demand models stay idle here.
        self.site = build_site(scenario, seed)
        self.start = scenario.start_utc
        self.step_s = scenario.time.resolution_s
        self.end_s = scenario.duration_s(days)
        self.now_s = 0.0
        self.trace = SiteTrace(
            start=self.start,
            step_s=self.step_s,
            initial_soc_percent=scenario.battery.initial_soc_percent,
            initial_boiler_temperature_c=scenario.boiler.initial_celsius,
        )
        # Set-points, as the equipment holds them (the drivers write them).
        self.battery_setpoint_kw = 0.0
        self.battery_connected = False
        self.pv_enabled = True
        self.pv_limit_kw: float | None = None
        self.boiler_enabled = True
        self.boiler_power_limit_kw: float | None = None
        self.last: EquipmentReading | None = None
        # The stepping's own bookkeeping: steps taken (the trace's length, without asking it), steps the
        # series held when last asked, when the next step would end (now_s + step_s, what advance_to
        # compares with), the trace columns a step appends to and the series' columns a stretch copies,
        # each found once rather than every stretch.
        self._steps_taken = self._series_ready = 0
        self._next_step_end_s = self.now_s + self.step_s
        trace, series = self.trace, exogenous.series
        self._record = (
            trace.pv_available_kw.append,
            trace.pv_kw.append,
            trace.battery_kw.append,
            trace.soc_percent.append,
            trace.boiler_kw.append,
            trace.boiler_temperature_c.append,
            trace.grid_kw.append,
        )
        self._copy = (
            (trace.load_kw.extend, series.site_load_kw),
            (trace.draw_l_min.extend, series.draw_l_min),
            (trace.ambient_c.extend, series.ambient_c),
        )

    @property
    def finished(self) -> bool:
        return self.now_s >= self.end_s - EPSILON_S

    def instant(self, offset_s: float) -> datetime:
        return self.start + timedelta(seconds=offset_s)

    def advance_to(self, t_s: float) -> EquipmentReading | None:
        """Compute every whole step up to ``t_s`` (never beyond the end of the run)."""
        # Most driver calls find the model already there (every module reads at each tick, the first one
        # steps): they cost one comparison. min() spelled out: the builtin call costs more than the rest.
        end_s = self.end_s
        target = (end_s if end_s < t_s else t_s) + EPSILON_S
        if self._next_step_end_s > target:
            return self.last
        self._step_to(t_s, target)
        return self.last

    def _step_to(self, t_s: float, target: float) -> None:
        # The steps due are counted first, on the clock as the steps will sum it, so that each stretch is
        # taken whole: the physics' iterator then ends by itself instead of being dropped half-way (closing
        # a suspended generator raises GeneratorExit into it, and cost as much as a step).
        dt, due, clock = self.step_s, 0, self.now_s
        while clock + dt <= target:
            clock += dt
            due += 1
        exogenous = self.exogenous
        while due:
            # Steps as far as the series holds (asked again only at the end of what it held last time: it
            # only grows), computing its next chunk when the model gets to its end.
            index, ready = self._steps_taken, self._series_ready
            if index >= ready:
                ready = self._series_ready = len(exogenous.series)
            if index >= ready:
                ready = self._series_ready = exogenous.fill_to(index + exogenous.chunk_steps)
                if index >= ready:  # the series and the model sum one clock: a bug if they disagree
                    raise RuntimeError(f"the exogenous series ends at step {ready}, before {t_s:g} s")
            stop = index + due if index + due <= ready else ready
            self._step_stretch(index, stop)
            due -= stop - index

    def _step_stretch(self, start: int, stop: int) -> None:
        """Steps ``start`` to ``stop - 1`` of the series, each taken only as the loop asks for it from the
        physics."""
        # No driver runs until advance_to returns, so the set-points hold for every step of the stretch:
        # the physics checks them once, and they and everything else the loop touches are looked up once.
        dt, series = self.step_s, self.exogenous.series
        pv_available, pv_out, battery_out, soc_out, boiler_out, boiler_temperature, grid_out = self._record
        steps = self.site.equipment_steps(
            series,
            start,
            stop,
            battery_setpoint_kw=self.battery_setpoint_kw if self.battery_connected else 0.0,
            pv_target_kw=self.pv_limit_kw if self.pv_enabled else 0.0,
            boiler_power_limit_kw=self.boiler_power_limit_kw if self.boiler_enabled else 0.0,
        )
        now, reading, index = self.now_s, self.last, start
        try:
            for reading in steps:
                now += dt
                pv, battery, boiler, _, meter = reading
                pv_available(pv.available_kw)
                pv_out(pv.power_output_kw)
                battery_out(battery.power_output_kw)
                soc_out(battery.soc * 100.0)
                boiler_out(-boiler.power_output_kw)
                boiler_temperature(boiler.temperature_c)
                grid_out(meter.grid_power_kw)
                index += 1
        finally:
            # A step the physics refuses leaves the model after the last step it did. What the series
            # holds goes into the trace as it is, for the steps taken, at once.
            self.now_s, self.last, self._steps_taken = now, reading, index
            self._next_step_end_s = now + dt
            for extend, column in self._copy:
                extend(column[start:index])

    def run_to_end(self) -> None:
        self.advance_to(self.end_s)


def run_without_control(
    scenario: Scenario, *, seed: int, days: int | None = None, exogenous: ExogenousInputs | None = None
) -> SiteTrace:
    """The ``none`` strategy: battery idle, boiler on its own thermostat at its default target, no
    curtailment — the site as it runs with no controller and no set-points at all."""
    model = SiteModel(scenario, seed=seed, days=days, exogenous=exogenous)
    model.run_to_end()
    return model.trace
