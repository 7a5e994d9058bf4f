"""A boiler driver backed by ``energy_edge.physics``: the equipment a module runs against without hardware.

The tank is advanced to "now" on every call, in steps of at most ``max_step_s``, with the process drawing
hot water as the draw profile says for the wall-clock hour of each step. The physics is exact for a step
of constant heater power and draw (it cuts steps at every thermostat switch itself), so the tank behaves
the same whether the module reads it every second or every minute, in real or in virtual time; the step
bound only keeps each step inside one hour of the draw profile to within ``max_step_s``.

Faults for tests and demonstrations come through the physics model's own mechanism —
:meth:`weld_contactor` makes the heater contactor stick closed, the water heats past the thermostat and the
independent safety trip latches — or as an equipment alarm with :meth:`inject_fault`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

import anyio
from anyio.lowlevel import checkpoint

from boiler_module.driver import BoilerMeasurement, BoilerRatings, FaultPersistsError
from energy_edge.physics import Boiler, BoilerReading, DrawProfile
from energy_edge.physics import FaultPersistsError as PhysicsFaultPersists


class SimulatedBoilerDriver:
    def __init__(
        self,
        boiler: Boiler,
        draw: DrawProfile,
        *,
        wall_clock: Callable[[], datetime],
        monotonic: Callable[[], float] = anyio.current_time,
        ambient_c: float = 20.0,
        max_step_s: float = 60.0,
    ) -> None:
        self.boiler = boiler
        self.draw = draw
        self.ambient_c = ambient_c
        """Air temperature of the boiler room (standing losses)."""
        self._wall_clock = wall_clock
        self._monotonic = monotonic
        self._max_step_s = max_step_s
        self._last_s: float | None = None
        self._enabled = False
        self._power_limit_kw = boiler.params.rated_power_kw
        self._injected_fault: str | None = None
        # A negligible first step gives a complete reading before time moves; the heater is still disabled.
        self._reading: BoilerReading = boiler.step(
            1e-9, draw_l_min=0.0, ambient_c=ambient_c, power_limit_kw=0.0
        )
        params = boiler.params
        self._ratings = BoilerRatings(
            rated_power_kw=params.rated_power_kw,
            min_power_kw=params.min_power_kw,
            min_target_celsius=params.cold_water_c + params.hysteresis_k / 2.0,
            max_target_celsius=params.max_target_celsius,
            trip_celsius=params.max_temperature_c,
            hysteresis_k=params.hysteresis_k,
        )

    @property
    def ratings(self) -> BoilerRatings:
        return self._ratings

    def _advance(self) -> None:
        now = self._monotonic()
        if self._last_s is None:
            self._last_s = now
            return
        elapsed = now - self._last_s
        self._last_s = now
        if elapsed <= 1e-9:
            return
        # Equal steps, so the last one is not a sliver whose average power would be all rounding.
        steps = math.ceil(elapsed / self._max_step_s)
        dt = elapsed / steps
        limit_kw = self._power_limit_kw if self._enabled else 0.0  # 0 kW is the physics model's "stopped"
        wall_end = self._wall_clock()
        for index in range(steps):
            # The draw of each step is the profile's at the step's start, on the site's wall clock.
            started = wall_end - timedelta(seconds=dt * (steps - index))
            self._reading = self.boiler.step(
                dt,
                draw_l_min=self.draw.flow_l_min(started),
                ambient_c=self.ambient_c,
                power_limit_kw=limit_kw,
            )

    async def read(self) -> BoilerMeasurement:
        await checkpoint()
        self._advance()
        reading = self._reading
        return BoilerMeasurement(
            power_kw=reading.power_output_kw,
            temperature_c=reading.temperature_c,
            target_celsius=self.boiler.target_celsius,
            rated_power_kw=self.boiler.params.rated_power_kw,
            heating=reading.heating,
            running=self._enabled,
            # The live state, not the last step's: an acknowledged trip is cleared before time moves on.
            fault=self.boiler.fault or self._injected_fault,
        )

    def weld_contactor(self) -> None:
        """Fault injection: the heater contactor sticks closed; only the safety trip will stop the heating."""
        self._advance()
        self.boiler.weld_contactor()

    def inject_fault(self, reason: str) -> None:
        """Make the equipment report an alarm (e.g. an earth fault on a heater element) until acknowledged."""
        self._injected_fault = reason

    async def start(self) -> None:
        await checkpoint()
        self._advance()
        self._enabled = True

    async def stop(self) -> None:
        await checkpoint()
        self._advance()
        self._enabled = False

    async def set_target(self, celsius: float) -> None:
        await checkpoint()
        self._advance()
        self.boiler.target_celsius = celsius

    async def set_power_limit(self, kw: float) -> None:
        await checkpoint()
        if not (kw >= 0.0 and math.isfinite(kw)):
            raise ValueError(f"power limit must be a finite number >= 0 kW, got {kw!r}")
        self._advance()
        self._power_limit_kw = kw

    async def acknowledge_fault(self) -> None:
        await checkpoint()
        self._advance()
        try:
            self.boiler.reset_fault()
        except PhysicsFaultPersists as error:
            raise FaultPersistsError(str(error)) from error
        self._injected_fault = None
