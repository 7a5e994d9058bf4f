"""A grid meter driver backed by ``energy_edge.physics``: the meter a module runs against without hardware.

On its own (without the other assets' modules) the simulated meter sees the site's non-controllable load —
a standard profile scaled to the site's annual energy, with seeded noise (:class:`SiteLoad`) — plus, if
given, the outputs of assets behind it, and meters them through :class:`GridMeter` with its import and
export registers. Supply voltage and frequency wander with small seeded noise around the grid's values.

Physics is advanced to "now" on every read, in steps of at most ``max_step_s``, so the registers are the
same whether the module reads every second or every minute, in real or in virtual time. Durations come
from the monotonic clock (a wall clock can jump when NTP corrects it, and the registers must not); the wall
clock only says where in the day and year the load profile is.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Final

import anyio
from anyio.lowlevel import checkpoint

from energy_edge.physics import GridMeter, MeterReading, SiteLoad
from meter_module.driver import FaultPersistsError, MeterMeasurement

VOLTAGE_NOISE_RATIO: Final = 0.005
"""Standard deviation of the supply voltage around its mean: 0.5 % (about 1.2 V at 230 V), as neighbours'
loads and the tap changer move it."""
VOLTAGE_TIME_CONSTANT_S: Final = 60.0
FREQUENCY_NOISE_HZ: Final = 0.02
"""Standard deviation of the grid frequency: about 20 mHz in Continental Europe in normal operation."""
FREQUENCY_TIME_CONSTANT_S: Final = 120.0
"""Frequency deviations last minutes: primary control arrests them, secondary control restores 50 Hz."""
FIRST_STEP_S: Final = 1e-9
"""A negligible first step gives a complete reading before time moves."""


def no_assets(_: datetime) -> Sequence[float]:
    return ()


class _Wander:
    """A unit-variance Ornstein-Uhlenbeck process advanced with its exact transition law, so its statistics
    do not depend on the step length (as the physics package's noise processes)."""

    __slots__ = ("_rng", "_time_constant_s", "value")

    def __init__(self, rng: random.Random, time_constant_s: float) -> None:
        self._rng = rng
        self._time_constant_s = time_constant_s
        self.value = rng.gauss(0.0, 1.0)

    def step(self, dt_s: float) -> None:
        decay = math.exp(-dt_s / self._time_constant_s)
        self.value = decay * self.value + math.sqrt(1.0 - decay * decay) * self._rng.gauss(0.0, 1.0)


class SimulatedMeterDriver:
    """A bidirectional meter at the connection point of a simulated site.

    ``asset_outputs_kw(at)`` gives the ``power_output_kw`` of the assets behind the meter at an instant, in
    the site convention (> 0 into the bus: PV, battery discharging); by default there are none and the
    meter sees only the site's own load. ``grid_voltage_v`` and ``grid_frequency_hz`` are the supply's
    mean values; set them to stage a grid excursion (0 V: loss of mains).
    """

    def __init__(
        self,
        load: SiteLoad,
        *,
        rng: random.Random,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = anyio.current_time,
        meter: GridMeter | None = None,
        asset_outputs_kw: Callable[[datetime], Sequence[float]] = no_assets,
        grid_voltage_v: float = 230.0,
        grid_frequency_hz: float = 50.0,
        max_step_s: float = 1.0,
    ) -> None:
        self.load = load
        self.meter = meter if meter is not None else GridMeter()
        self.grid_voltage_v = grid_voltage_v
        self.grid_frequency_hz = grid_frequency_hz
        self._asset_outputs_kw = asset_outputs_kw
        self._clock = clock
        self._monotonic = monotonic
        self._max_step_s = max_step_s
        self._voltage = _Wander(rng, VOLTAGE_TIME_CONSTANT_S)
        self._frequency = _Wander(rng, FREQUENCY_TIME_CONSTANT_S)
        self._last_s: float | None = None
        self._reading = MeterReading(0.0, self.meter.import_energy_kwh, self.meter.export_energy_kwh, False)
        self._site_load_kw = 0.0
        self._injected_fault: str | None = None
        self._fault_persists = False
        self._link_lost: str | None = None

    # -- the driver interface ------------------------------------------------------------------------------

    async def read(self) -> MeterMeasurement:
        await checkpoint()
        self._check_link()
        self._advance()
        reading = self._reading
        voltage_v = max(0.0, self.grid_voltage_v * (1.0 + VOLTAGE_NOISE_RATIO * self._voltage.value))
        # Without voltage there is no waveform to measure a frequency on.
        frequency_hz = (
            self.grid_frequency_hz + FREQUENCY_NOISE_HZ * self._frequency.value
            if self.grid_voltage_v > 0.0
            else None
        )
        return MeterMeasurement(
            power_kw=reading.grid_power_kw,
            import_energy_kwh=reading.import_energy_kwh,
            export_energy_kwh=reading.export_energy_kwh,
            site_load_kw=self._site_load_kw,
            voltage_v=voltage_v,
            frequency_hz=frequency_hz,
            running=True,
            fault=self._injected_fault,
        )

    async def acknowledge_fault(self) -> None:
        await checkpoint()
        self._check_link()
        if self._injected_fault is not None and self._fault_persists:
            raise FaultPersistsError(self._injected_fault)
        self._injected_fault = None

    # -- staging faults (tests, demonstrations, the simulator) ---------------------------------------------

    def inject_fault(self, reason: str, *, persists: bool = False) -> None:
        """Make the meter report an error until it is acknowledged (``persists``: until :meth:`repair`)."""
        self._injected_fault = reason
        self._fault_persists = persists

    def repair(self) -> None:
        """The cause of a persisting error is gone; the error itself stays until acknowledged."""
        self._fault_persists = False

    def lose_link(self, reason: str = "meter did not answer (Modbus TCP timeout)") -> None:
        """Make every call fail as a meter that stopped answering does; it keeps metering meanwhile."""
        self._link_lost = reason

    def restore_link(self) -> None:
        self._link_lost = None

    # -- physics -------------------------------------------------------------------------------------------

    def _check_link(self) -> None:
        if self._link_lost is not None:
            raise TimeoutError(self._link_lost)

    def _advance(self) -> None:
        now_s, now = self._monotonic(), self._clock()
        if self._last_s is None:
            self._last_s = now_s
            self._step(FIRST_STEP_S, now)
            return
        remaining = now_s - self._last_s
        self._last_s = now_s
        while remaining > FIRST_STEP_S:
            dt = min(remaining, self._max_step_s)
            remaining -= dt
            self._step(dt, now - timedelta(seconds=remaining))

    def _step(self, dt_s: float, at: datetime) -> None:
        load = self.load.step(dt_s, at)
        self._reading = self.meter.step(
            dt_s, site_load_kw=load.power_kw, power_outputs_kw=self._asset_outputs_kw(at)
        )
        self._site_load_kw = load.power_kw
        self._voltage.step(dt_s)
        self._frequency.step(dt_s)
