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
        now = self.now_s
        if now + dt > target:
            return self.last  # most driver calls: the model is already there
        # No driver runs until this returns, so the set-points hold for every step of the call: they and
        # everything else the loop touches are looked up once, not once per step.
        battery_setpoint_kw = self.battery_setpoint_kw if self.battery_connected else 0.0
        pv_target_kw = self.pv_limit_kw if self.pv_enabled else 0.0
        boiler_power_limit_kw = self.boiler_power_limit_kw if self.boiler_enabled else 0.0
        exogenous = self.exogenous
        series = exogenous.series
        draws, airs = series.draw_l_min, series.ambient_c
        steps = self.site.equipment_steps
        trace = self.trace
        pv_available = trace.pv_available_kw.append
        pv_out = trace.pv_kw.append
        load_out = trace.load_kw.append
        battery_out = trace.battery_kw.append
        soc_out = trace.soc_percent.append
        boiler_out = trace.boiler_kw.append
        boiler_temperature = trace.boiler_temperature_c.append
        grid_out = trace.grid_kw.append
        draw_out = trace.draw_l_min.append
        air_out = trace.ambient_c.append
        index = len(trace)
        reading = self.last
        try:
            while now + dt <= target:
                # Steps as far as the series holds (computing its next chunk when the model gets to its
                # end), each taken only as the loop asks for it: the physics checks the set-points once
                # for the stretch, and the loop stops where the clock reaches the target.
                ready = len(series)
                if index >= ready:
                    ready = exogenous.fill_to(index + exogenous.chunk_steps)
                    if index >= ready:  # the series and the model sum one clock: a bug if they disagree
                        raise RuntimeError(f"the exogenous series ends at step {ready}, before {t_s:g} s")
                for reading in steps(
                    series,
                    index,
                    ready,
                    battery_setpoint_kw=battery_setpoint_kw,
                    pv_target_kw=pv_target_kw,
                    boiler_power_limit_kw=boiler_power_limit_kw,
                ):
                    now += dt
                    pv, battery, boiler, load_kw, meter = reading
                    pv_available(pv.available_kw)
                    pv_out(pv.power_output_kw)
                    load_out(load_kw)
                    battery_out(battery.power_output_kw)
                    soc_out(battery.soc * 100.0)
                    boiler_out(-boiler.power_output_kw)
                    boiler_temperature(boiler.temperature_c)
                    grid_out(meter.grid_power_kw)
                    draw_out(draws[index])
                    air_out(airs[index])
                    index += 1
                    if now + dt > target:
                        break
        finally:
            # A step the physics refuses leaves the model after the last step it did.
            self.now_s, self.last = now, reading
        return reading

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
