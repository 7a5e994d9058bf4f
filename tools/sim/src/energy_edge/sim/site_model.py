"""One shared model of the site, advanced in fixed steps, that every module's driver reads and commands.

The modules never see the model; each gets a driver (``energy_edge.sim.drivers``) implementing its own
driver protocol against it. The model advances lazily: whenever a driver is called at virtual time ``t``,
every whole step up to ``t`` is computed with the set-points in force, so set-points act from the next step
(at most ``resolution_s`` of latency, as a real inverter's). The trace records every step.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from energy_edge.physics import SiteReading
from energy_edge.sim.equipment import ambient_c, build_site
from energy_edge.sim.scenario import Scenario
from energy_edge.sim.trace import SiteTrace

EPSILON_S: Final = 1e-9


class SiteModel:
    def __init__(self, scenario: Scenario, *, seed: int, days: int | None = None) -> None:
        self.scenario = scenario
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
        self.last: SiteReading | None = None
        self._air: tuple[float, float] = (-1.0, 0.0)  # (minute it belongs to, temperature)

    @property
    def finished(self) -> bool:
        return self.now_s >= self.end_s - EPSILON_S

    def instant(self, offset_s: float) -> datetime:
        return self.start + timedelta(seconds=offset_s)

    def advance_to(self, t_s: float) -> SiteReading | None:
        """Compute every whole step up to ``t_s`` (never beyond the end of the run)."""
        target = min(t_s, self.end_s)
        while self.now_s + self.step_s <= target + EPSILON_S:
            self._step()
        return self.last

    def run_to_end(self) -> None:
        self.advance_to(self.end_s)

    def _step(self) -> None:
        dt = self.step_s
        end = self.now_s + dt
        when = self.start + timedelta(seconds=end)
        air = self._ambient(end - dt / 2)
        reading = self.site.step(
            dt,
            when,
            ambient_c=air,
            battery_setpoint_kw=self.battery_setpoint_kw if self.battery_connected else 0.0,
            pv_target_kw=self.pv_limit_kw if self.pv_enabled else 0.0,
            boiler_power_limit_kw=self.boiler_power_limit_kw if self.boiler_enabled else 0.0,
        )
        self.last = reading
        self.now_s = end
        self.trace.append(
            pv_available_kw=reading.pv.available_kw,
            pv_kw=reading.pv.power_output_kw,
            load_kw=reading.load.power_kw,
            battery_kw=reading.battery.power_output_kw,
            soc_percent=reading.battery.soc * 100.0,
            boiler_kw=-reading.boiler.power_output_kw,
            boiler_temperature_c=reading.boiler.temperature_c,
            grid_kw=reading.meter.grid_power_kw,
            draw_l_min=reading.draw_l_min,
            ambient_c=air,
        )

    def _ambient(self, offset_s: float) -> float:
        # Air temperature moves slowly: once a minute is plenty, and a time-zone conversion per second is not.
        minute = offset_s // 60.0
        if minute != self._air[0]:
            self._air = (
                minute,
                ambient_c(self.scenario, self.start + timedelta(seconds=minute * 60.0 + 30.0)),
            )
        return self._air[1]


def run_without_control(scenario: Scenario, *, seed: int, days: int | None = None) -> SiteTrace:
    """The ``none`` strategy: battery idle, boiler on its own thermostat at its default target, no
    curtailment — the site as it runs with no controller and no set-points at all."""
    model = SiteModel(scenario, seed=seed, days=days)
    model.run_to_end()
    return model.trace
