"""A PV driver backed by ``energy_edge.physics``: the inverter a module runs against without hardware.

Each physics step runs the chain the site simulator uses: sun position at the wall-clock instant -> clear
sky (Ineichen) -> clouds (seeded, so a day replays exactly) -> plane-of-array irradiance -> PV array and
inverter (PVWatts, module thermal lag, over-temperature trip). Physics is advanced to "now" on every call
in steps of at most ``max_step_s``, so the weather and the module temperature come out the same whether the
module reads every second or every minute, in real or in virtual time.

Elapsed time comes from the monotonic clock and the sun's position from the wall clock, so a wall-clock
correction (NTP) moves the sun but never makes physics step backwards.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final

import anyio
from anyio.lowlevel import checkpoint

from energy_edge.physics import (
    ArrayOrientation,
    ClearSky,
    CloudModel,
    Location,
    PvReading,
    PvSystem,
)
from energy_edge.physics import FaultPersistsError as PhysicsFaultPersists
from solar_module.driver import FaultPersistsError, SolarMeasurement

FIRST_STEP_S: Final = 1e-9
"""A negligible first step gives a complete reading (irradiance, module temperature) before time moves."""


class SimulatedSolarDriver:
    def __init__(
        self,
        pv: PvSystem,
        *,
        location: Location,
        wall_clock: Callable[[], datetime],
        orientation: ArrayOrientation | None = None,
        clouds: CloudModel | None = None,
        clear_sky: ClearSky | None = None,
        monotonic: Callable[[], float] = anyio.current_time,
        ambient_c: float = 20.0,
        wind_m_s: float = 1.0,
        max_step_s: float = 1.0,
    ) -> None:
        """``clouds`` None is a cloudless sky; ``clear_sky`` defaults to the location's altitude."""
        # Checked here as well as by every physics step, so a bad site description fails at start-up
        # rather than as unreadable equipment on the first tick.
        if not (max_step_s > 0.0):
            raise ValueError(f"max_step_s must be > 0, got {max_step_s!r}")
        if not (-60.0 <= ambient_c <= 70.0):
            raise ValueError(f"ambient_c must be within [-60.0, 70.0], got {ambient_c!r}")
        if not (0.0 <= wind_m_s <= 75.0):
            raise ValueError(f"wind_m_s must be within [0.0, 75.0], got {wind_m_s!r}")
        self.pv = pv
        self.location = location
        self.orientation = orientation if orientation is not None else ArrayOrientation()
        self.clouds = clouds
        self.clear_sky = clear_sky if clear_sky is not None else ClearSky(location.altitude_m)
        self.ambient_c = ambient_c
        self.wind_m_s = wind_m_s
        self._wall_clock = wall_clock
        self._monotonic = monotonic
        self._max_step_s = max_step_s
        self._last_s: float | None = None
        self._reading: PvReading | None = None
        self._enabled = False
        self._limit_kw: float | None = None
        self._string_loss = 0.0
        self._injected_fault: str | None = None

    @property
    def rated_kw(self) -> float:
        return self.pv.params.ac_rating_kw

    @property
    def output_limit_kw(self) -> float:
        """The cap in force: the set limit, never above the inverter rating."""
        rated = self.pv.params.ac_rating_kw
        return rated if self._limit_kw is None else min(self._limit_kw, rated)

    # -- physics -------------------------------------------------------------------------------------------

    def _advance(self) -> PvReading:
        now_s = self._monotonic()
        end_unix_s = self._wall_clock().timestamp()
        if self._last_s is None or self._reading is None:
            self._last_s = now_s
            self._reading = self._step(FIRST_STEP_S, end_unix_s)
            return self._reading
        remaining = now_s - self._last_s
        self._last_s = now_s
        while remaining > 1e-9:
            dt = min(remaining, self._max_step_s)
            remaining -= dt
            # Each step ends `remaining` seconds before now: the sun is where it was at the end of the step.
            self._reading = self._step(dt, end_unix_s - remaining)
        return self._reading

    def _step(self, dt_s: float, unix_s: float) -> PvReading:
        sun = self.location.sun_at(unix_s)
        sky = self.clear_sky.irradiance(sun)
        if self.clouds is not None:
            sky = self.clouds.step(dt_s, sky)
        poa = self.orientation.irradiance(sun, sky)
        return self.pv.step(
            dt_s,
            poa_w_m2=poa.global_w_m2,
            ambient_c=self.ambient_c,
            wind_m_s=self.wind_m_s,
            target_kw=self.output_limit_kw if self._enabled else 0.0,
        )

    # -- the driver interface ------------------------------------------------------------------------------

    async def read(self) -> SolarMeasurement:
        await checkpoint()
        reading = self._advance()
        # The model's fault as it is now, not as of the last step: an acknowledgement at this very instant
        # must not be undone by a reading computed before it.
        fault = self.pv.fault or self._injected_fault
        limit_kw = self.output_limit_kw
        # Output follows the enable flag and the limit at once (an inverter settles within a second), so a
        # command is visible in the next reading even when no time has passed since it was given.
        if self._enabled and fault is None:
            power_kw = min(reading.available_kw * (1.0 - self._string_loss), limit_kw)
        else:
            power_kw = 0.0
        sunlight_kw = reading.irradiance_w_m2 * 0.001 * self.pv.params.array_area_m2
        return SolarMeasurement(
            power_kw=power_kw,
            irradiance_w_m2=reading.irradiance_w_m2,
            efficiency=power_kw / sunlight_kw if sunlight_kw > 0.0 else 0.0,
            temperature_c=reading.temperature_c,
            available_kw=reading.available_kw,
            output_limit_kw=limit_kw,
            rated_kw=self.rated_kw,
            running=self._enabled,
            fault=fault,
        )

    async def start(self) -> None:
        await checkpoint()
        self._advance()
        self._enabled = True

    async def stop(self) -> None:
        await checkpoint()
        self._advance()
        self._enabled = False

    async def set_output_limit(self, limit_kw: float | None) -> None:
        if limit_kw is not None and not (limit_kw >= 0.0):
            raise ValueError(f"limit_kw must be >= 0 or None, got {limit_kw!r}")
        await checkpoint()
        self._advance()
        self._limit_kw = limit_kw

    async def acknowledge_fault(self) -> None:
        await checkpoint()
        self._advance()
        try:
            self.pv.reset_fault()
        except PhysicsFaultPersists as error:
            raise FaultPersistsError(str(error)) from error
        self._injected_fault = None

    # -- failures a test or a demonstration can cause ------------------------------------------------------

    def inject_fault(self, reason: str) -> None:
        """Make the inverter trip with ``reason`` (isolation fault, grid relay failure) until acknowledged."""
        self._injected_fault = reason

    def inject_string_loss(self, share: float) -> None:
        """Lose ``share`` (0-1) of the array's strings (a blown string fuse, a burnt connector).

        Output drops by that share while irradiance and the expected output do not: the signature the
        module's underperformance check looks for. Nothing on the inverter reports it; ``0`` repairs it.
        """
        if not (0.0 <= share <= 1.0):
            raise ValueError(f"share must be within [0, 1], got {share!r}")
        self._string_loss = share
