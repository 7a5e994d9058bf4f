"""The battery as an asset module: ``start_charging``/``start_discharging {power_kw}``, ``stop``, ``reset``.

Commands are checked against the configuration before anything moves: a power above ``max_charge_kw`` /
``max_discharge_kw`` is 400; charging at or above ``soc_max_percent`` (or discharging at or below
``soc_min_percent``) is 409. From IDLE a power command starts the battery; while it runs it changes the
set-point. The answer's ``actual_kw`` is the power the battery can deliver now (the request, or less where
SoC or temperature derating limit it).

While running, the module keeps the battery inside the SoC window by itself: a charge that reaches the top
or a discharge that reaches the bottom is brought to zero (the battery stays connected, ready for the next
command). A set-point that is not refreshed within ``setpoint_hold_s`` stops the battery: a controller that
died must not leave it discharging forever.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

from battery_module.config import BatteryConfig
from battery_module.driver import BatteryDriver, BatteryMeasurement, FaultPersistsError
from energy_edge.messaging import SET_POWER, AssetType, BatteryTelemetry, CommandAccepted, SetPower
from energy_edge.modulehost import AssetModule, Command, TelemetryHeader, invalid, not_now
from energy_edge.statemachine import AssetEvent, AssetState

_log = logging.getLogger(__name__)

ACCEPTS_POWER: Final = frozenset({AssetState.IDLE, AssetState.STARTING, AssetState.RUNNING})


class BatteryAsset(AssetModule[BatteryConfig, BatteryMeasurement]):
    asset_type = AssetType.BATTERY
    config_type = BatteryConfig

    def __init__(self, asset_id: str, driver: BatteryDriver) -> None:
        super().__init__(asset_id)
        self.driver = driver
        self.setpoint_kw = 0.0
        """The power set-point in force, site convention (> 0 discharge)."""
        self._last: BatteryMeasurement | None = None

    def commands(self) -> Mapping[str, Command]:
        return {
            **self.lifecycle_commands(start=False),
            "start_charging": Command(SET_POWER, self._start_charging, ACCEPTS_POWER),
            "start_discharging": Command(SET_POWER, self._start_discharging, ACCEPTS_POWER),
        }

    # -- commands ------------------------------------------------------------------------------------------

    async def _start_charging(self, request: SetPower) -> CommandAccepted:
        config, latest = self.config, await self._latest()
        if request.power_kw > config.max_charge_kw:
            raise invalid(f"power_kw {request.power_kw:g} exceeds max_charge_kw {config.max_charge_kw:g}")
        if latest.soc_percent >= config.soc_max_percent:
            raise not_now(
                f"battery full: SoC {latest.soc_percent:.1f} % is at or above "
                f"soc_max_percent {config.soc_max_percent:g}"
            )
        return await self._apply(-request.power_kw, min(request.power_kw, latest.max_charge_kw), "charging")

    async def _start_discharging(self, request: SetPower) -> CommandAccepted:
        config, latest = self.config, await self._latest()
        if request.power_kw > config.max_discharge_kw:
            raise invalid(
                f"power_kw {request.power_kw:g} exceeds max_discharge_kw {config.max_discharge_kw:g}"
            )
        if latest.soc_percent <= config.soc_min_percent:
            raise not_now(
                f"battery empty: SoC {latest.soc_percent:.1f} % is at or below "
                f"soc_min_percent {config.soc_min_percent:g}"
            )
        return await self._apply(
            request.power_kw, min(request.power_kw, latest.max_discharge_kw), "discharging"
        )

    async def _apply(self, setpoint_kw: float, actual_kw: float, doing: str) -> CommandAccepted:
        if self.lifecycle.can(AssetEvent.START):
            await self.begin()
        await self.driver.set_power(setpoint_kw)
        self.setpoint_kw = setpoint_kw
        self.hold_setpoint(f"{doing} at {abs(setpoint_kw):g} kW")
        return self.accepted(actual_kw=actual_kw)

    async def _latest(self) -> BatteryMeasurement:
        return self._last if self._last is not None else await self.sense()

    # -- equipment -----------------------------------------------------------------------------------------

    async def sense(self) -> BatteryMeasurement:
        measurement = await self.driver.read()
        self._last = measurement
        # Checked before anything is awaited: nearly every reading is well inside the window.
        edge = self._soc_window_reached(measurement)
        if edge is not None:
            await self._hold_at_zero(measurement, edge)
        return measurement

    def _soc_window_reached(self, measurement: BatteryMeasurement) -> str | None:
        """``top`` when a charge reached ``soc_max_percent``, ``bottom`` when a discharge reached
        ``soc_min_percent``, otherwise ``None``."""
        config = self.config
        if self.setpoint_kw < 0.0 and measurement.soc_percent >= config.soc_max_percent:
            return "top"
        if self.setpoint_kw > 0.0 and measurement.soc_percent <= config.soc_min_percent:
            return "bottom"
        return None

    async def _hold_at_zero(self, measurement: BatteryMeasurement, edge: str) -> None:
        _log.info(
            "%s: SoC %.1f %% reached the %s of the window; holding at 0 kW",
            self.asset_id,
            measurement.soc_percent,
            edge,
        )
        await self.driver.set_power(0.0)
        self.setpoint_kw = 0.0

    def telemetry(self, measurement: BatteryMeasurement, header: TelemetryHeader) -> BatteryTelemetry:
        config = self.config
        can_charge = measurement.soc_percent < config.soc_max_percent
        can_discharge = measurement.soc_percent > config.soc_min_percent
        # What a controller may ask for now: the equipment's headroom within the operator's limits, the
        # lower of the two (min() spelled out with its rule, the first unless the second is smaller: the
        # builtin's call costs more than the rest of this, and a module sends telemetry every few seconds).
        charge_kw, discharge_kw = measurement.max_charge_kw, measurement.max_discharge_kw
        charge_kw = config.max_charge_kw if config.max_charge_kw < charge_kw else charge_kw
        discharge_kw = config.max_discharge_kw if config.max_discharge_kw < discharge_kw else discharge_kw
        return BatteryTelemetry(
            asset_id=header.asset_id,
            state=header.state,
            timestamp=header.timestamp,
            fault_code=header.fault_code,
            power_output_kw=measurement.power_kw,
            soc_percent=measurement.soc_percent,
            temperature_c=measurement.temperature_c,
            capacity_kwh=measurement.capacity_kwh,
            max_charge_kw=charge_kw if can_charge else 0.0,
            max_discharge_kw=discharge_kw if can_discharge else 0.0,
        )

    async def start_equipment(self) -> None:
        await self.driver.connect()

    async def stop_equipment(self) -> None:
        await self.driver.disconnect()
        self.setpoint_kw = 0.0

    async def reset_equipment(self) -> None:
        try:
            await self.driver.acknowledge_fault()
        except FaultPersistsError as error:
            raise not_now(f"fault persists: {error}") from error

    async def configure(self, config: BatteryConfig) -> None:
        """New limits apply at once: a set-point beyond the new power limit is brought down to it."""
        self.config = config
        limit = config.max_discharge_kw if self.setpoint_kw > 0 else config.max_charge_kw
        if abs(self.setpoint_kw) > limit:
            self.setpoint_kw = limit if self.setpoint_kw > 0 else -limit
            await self.driver.set_power(self.setpoint_kw)

    async def fall_back(self) -> None:
        """Safe behaviour when the set-point lapses: stop."""
        _log.warning("%s: set-point lapsed; stopping the battery", self.asset_id)
        if self.lifecycle.can(AssetEvent.STOP):
            await self.end()
        else:
            await self.driver.set_power(0.0)
            self.setpoint_kw = 0.0
