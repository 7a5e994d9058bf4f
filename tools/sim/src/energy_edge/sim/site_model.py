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

    @property
    def finished(self) -> bool:
        return self.now_s >= self.end_s - EPSILON_S

    def instant(self, offset_s: float) -> datetime:
        return self.start + timedelta(seconds=offset_s)

    def advance_to(self, t_s: float) -> EquipmentReading | None:
        """Compute every whole step up to ``t_s`` (never beyond the end of the run)."""
        target = min(t_s, self.end_s) + EPSILON_S
        dt = self.step_s
        exogenous = self.exogenous
        while self.now_s + dt <= target:  # most driver calls: the model is already there, no step at all
            # Steps as far as the series holds, computing its next chunk when the model gets to its end.
            index, ready = len(self.trace), len(exogenous.series)
            if index >= ready:
                ready = exogenous.fill_to(index + exogenous.chunk_steps)
                if index >= ready:  # the series and the model sum one clock: a bug if they disagree
                    raise RuntimeError(f"the exogenous series ends at step {ready}, before {t_s:g} s")
            self._step_stretch(index, ready, target)
        return self.last

    def _step_stretch(self, start: int, ready: int, target: float) -> None:
        """Steps from ``start`` while the series holds them (to ``ready``) and the clock stays within
        ``target``, each taken only as the loop asks for it from the physics."""
        # No driver runs until advance_to returns, so the set-points hold for every step of the stretch:
        # the physics checks them once, and they and everything else the loop touches are looked up once.
        dt = self.step_s
        series = self.exogenous.series
        trace = self.trace
        pv_available = trace.pv_available_kw.append
        pv_out = trace.pv_kw.append
        battery_out = trace.battery_kw.append
        soc_out = trace.soc_percent.append
        boiler_out = trace.boiler_kw.append
        boiler_temperature = trace.boiler_temperature_c.append
        grid_out = trace.grid_kw.append
        steps = self.site.equipment_steps(
            series,
            start,
            ready,
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
                if now + dt > target:
                    break
        finally:
            # A step the physics refuses leaves the model after the last step it did. What the series
            # holds goes into the trace as it is, for the steps taken, at once.
            self.now_s, self.last = now, reading
            trace.load_kw.extend(series.site_load_kw[start:index])
            trace.draw_l_min.extend(series.draw_l_min[start:index])
            trace.ambient_c.extend(series.ambient_c[start:index])

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
