"""A battery driver backed by ``energy_edge.physics``: the equipment a module runs against without hardware.

Physics is advanced to "now" on every call, in steps of at most ``max_step_s``, so the battery behaves the
same whether the module reads it every second or every minute, in real or in virtual time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import anyio
from anyio.lowlevel import checkpoint

from battery_module.driver import BatteryMeasurement, FaultPersistsError
from energy_edge.physics import Battery
from energy_edge.physics import FaultPersistsError as PhysicsFaultPersists

CONTACTOR_OPEN_BELOW_KW: Final = 0.05
"""The contactor opens once the inverter has ramped below this."""


class SimulatedBatteryDriver:
    def __init__(
        self,
        battery: Battery,
        *,
        monotonic: Callable[[], float] = anyio.current_time,
        ambient_c: float = 25.0,
        max_step_s: float = 1.0,
    ) -> None:
        self.battery = battery
        self.ambient_c = ambient_c
        self._monotonic = monotonic
        self._max_step_s = max_step_s
        self._last_s: float | None = None
        self._setpoint_kw = 0.0
        self._connected = False
        self._disconnecting = False
        # A negligible first step gives a complete reading (available power included) before time moves.
        self._reading = battery.step(1e-9, 0.0, ambient_c)
        self._injected_fault: str | None = None

    def _advance(self) -> None:
        now = self._monotonic()
        if self._last_s is None:
            self._last_s = now
            return
        remaining = now - self._last_s
        self._last_s = now
        setpoint = self._setpoint_kw if self._connected and not self._disconnecting else 0.0
        while remaining > 1e-9:
            dt = min(remaining, self._max_step_s)
            self._reading = self.battery.step(dt, setpoint, self.ambient_c)
            remaining -= dt
        if self._disconnecting and abs(self._reading.power_output_kw) < CONTACTOR_OPEN_BELOW_KW:
            self._connected = self._disconnecting = False

    async def read(self) -> BatteryMeasurement:
        await checkpoint()
        self._advance()
        reading = self._reading
        return BatteryMeasurement(
            power_kw=reading.power_output_kw,
            soc_percent=reading.soc_percent,
            temperature_c=reading.temperature_c,
            capacity_kwh=self.battery.params.capacity_kwh,
            max_charge_kw=reading.max_charge_kw,
            max_discharge_kw=reading.max_discharge_kw,
            running=self._connected,
            fault=reading.fault or self._injected_fault,
        )

    def inject_fault(self, reason: str) -> None:
        """Make the equipment report a fault (BMS alarm, isolation fault) until it is acknowledged."""
        self._injected_fault = reason

    async def connect(self) -> None:
        await checkpoint()
        self._advance()
        self._connected, self._disconnecting = True, False

    async def disconnect(self) -> None:
        await checkpoint()
        self._advance()
        self._setpoint_kw = 0.0
        if self._connected:
            self._disconnecting = True

    async def set_power(self, power_kw: float) -> None:
        await checkpoint()
        self._advance()
        self._setpoint_kw = power_kw

    async def acknowledge_fault(self) -> None:
        await checkpoint()
        self._advance()
        try:
            self.battery.reset_fault()
        except PhysicsFaultPersists as error:
            raise FaultPersistsError(str(error)) from error
        self._injected_fault = None
