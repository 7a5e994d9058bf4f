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
from typing import Final

from energy_edge.physics import EquipmentReading, ExogenousSeries
from energy_edge.sim.equipment import build_site
from energy_edge.sim.exogenous import EPSILON_S, ExogenousInputs
from energy_edge.sim.scenario import Scenario
from energy_edge.sim.trace import SiteTrace

BUFFERED_STEPS: Final = 4096
"""Steps a model holds before writing them into its trace (which it does whenever the trace is read)."""
STEPPED: Final = (
    "pv_available_kw",
    "pv_kw",
    "battery_kw",
    "soc_percent",
    "boiler_kw",
    "boiler_temperature_c",
    "grid_kw",
)
"""The trace's columns that come from the equipment's readings, in the order a step stores them."""


class _StepBuffer:
    """A model's last steps on their way into its trace, written there a batch at a time.

    A step stores its readings' values by index into preallocated doubles, and the batch goes into the
    trace with one copy per column, the series' load, draw and air with it: appending to the trace's arrays
    directly parsed every float through the array's argument conversion, seven times a step, and copied
    the series' columns once per stretch (a stretch is a few steps in a simulated stack).
    """

    def __init__(self, trace: SiteTrace, series: ExogenousSeries) -> None:
        self._columns = tuple(trace.column(name) for name in STEPPED)
        self._copied = (
            (trace.load_kw, series.site_load_kw),
            (trace.draw_l_min, series.draw_l_min),
            (trace.ambient_c, series.ambient_c),
        )
        self._bytes = tuple(memoryview(bytearray(8 * BUFFERED_STEPS)) for _ in STEPPED)
        self.slots = tuple(view.cast("d") for view in self._bytes)
        """Where a step stores its values, one column each (a ``memoryview`` of doubles)."""
        self.held = 0
        """Steps stored and not yet in the trace."""
        self.written = 0
        """Steps in the trace."""

    def write(self) -> None:
        """Move the steps held into the trace."""
        held, start = self.held, self.written
        if held:
            for column, stored in zip(self._columns, self._bytes, strict=True):
                column.frombytes(stored[: 8 * held])
            for column, source in self._copied:
                column.extend(source[start : start + held])
            self.held, self.written = 0, start + held


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
        self._trace = SiteTrace(
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
        # The stepping's own bookkeeping: steps taken (the trace's length once written, without asking
        # it), steps the series held when last asked, when the next step would end (now_s + step_s, what
        # advance_to compares with), and the steps on their way into the trace.
        self._steps_taken = self._series_ready = 0
        self._next_step_end_s = self.now_s + self.step_s
        self._buffer = _StepBuffer(self._trace, exogenous.series)

    @property
    def trace(self) -> SiteTrace:
        """Every step so far (the steps the model holds are written into it first: read the trace from the
        model, not from a reference kept while the model advances)."""
        self._buffer.write()
        return self._trace

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
        exogenous, buffer = self.exogenous, self._buffer
        while due:
            # Steps as far as the series holds (asked again only at the end of what it held last time: it
            # only grows), computing its next chunk when the model gets to its end, and as the buffer on
            # the way to the trace has room for.
            if buffer.held == BUFFERED_STEPS:
                buffer.write()
            index, ready = self._steps_taken, self._series_ready
            if index >= ready:
                ready = self._series_ready = len(exogenous.series)
            if index >= ready:
                ready = self._series_ready = exogenous.fill_to(index + exogenous.chunk_steps)
                if index >= ready:  # the series and the model sum one clock: a bug if they disagree
                    raise RuntimeError(f"the exogenous series ends at step {ready}, before {t_s:g} s")
            stop = index + due if index + due <= ready else ready
            room = index + BUFFERED_STEPS - buffer.held
            stop = stop if stop <= room else room
            self._step_stretch(index, stop)
            due -= stop - index

    def _step_stretch(self, start: int, stop: int) -> None:
        """Steps ``start`` to ``stop - 1`` of the series, each taken only as the loop asks for it from the
        physics, into the buffer (which has room for them)."""
        # No driver runs until advance_to returns, so the set-points hold for every step of the stretch:
        # the physics checks them once, and they and everything else the loop touches are looked up once.
        dt, buffer = self.step_s, self._buffer
        pv_available, pv_out, battery_out, soc_out, boiler_out, boiler_temperature, grid_out = buffer.slots
        steps = self.site.equipment_steps(
            self.exogenous.series,
            start,
            stop,
            battery_setpoint_kw=self.battery_setpoint_kw if self.battery_connected else 0.0,
            pv_target_kw=self.pv_limit_kw if self.pv_enabled else 0.0,
            boiler_power_limit_kw=self.boiler_power_limit_kw if self.boiler_enabled else 0.0,
        )
        now, reading, held = self.now_s, self.last, buffer.held
        try:
            for reading in steps:
                now += dt
                pv, battery, boiler, _, meter = reading
                pv_available[held] = pv.available_kw
                pv_out[held] = pv.power_output_kw
                battery_out[held] = battery.power_output_kw
                soc_out[held] = battery.soc * 100.0
                boiler_out[held] = -boiler.power_output_kw
                boiler_temperature[held] = boiler.temperature_c
                grid_out[held] = meter.grid_power_kw
                held += 1
        finally:
            # A step the physics refuses leaves the model after the last step it did.
            self._steps_taken += held - buffer.held
            self.now_s, self.last, buffer.held = now, reading, held
            self._next_step_end_s = now + dt

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
