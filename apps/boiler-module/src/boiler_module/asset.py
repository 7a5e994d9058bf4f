"""The boiler as an asset module: ``start``, ``stop``, ``set_temperature {target_celsius}``,
``set_power_limit {power_kw}``, ``reset``.

The boiler heats on its own thermostat. Without a controller it holds ``default_target_celsius``; a
controller steers it by moving the target inside the operator's band ``min_celsius``..``max_celsius``
(up to soak up surplus PV, down to shed load) — a target outside the band is refused with 400. A target
set from outside holds for ``setpoint_hold_s`` unless it is sent again; when it lapses the boiler goes
back to its thermostat at ``default_target_celsius`` and keeps heating: the process still needs its hot
water when the controller has gone silent. ``stop`` also drops the controller's target, so the next
``start`` heats to the default.

``set_power_limit`` caps the heater below the operator's ``max_power_kw`` (an electric boiler's thyristor
or stage control): a controller spreads heating under a peak-shaving level or matches it to a PV surplus.
It holds with the target and lapses with it. Process comfort comes first: while the water is below
``min_celsius`` the cap does not apply and the heater may use its full power; while a cap holds and the water
is above ``max_celsius``, the heater is off (a controller may hold a tank at the top of its band with a
thermostat target at the top and the cap doing the regulation). (This is an addition to the seed's method
table; DESIGN.md's boiler methods are unchanged.)

``max_power_kw`` caps the heater. A patch is checked against the boiler's nameplate before it applies (a
band reaching the safety trip, or a limit below the heater's minimum stable power, is rejected); a narrower
band brings a target in force into it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

from msgspec import UNSET

from boiler_module.config import BoilerConfig
from boiler_module.driver import BoilerDriver, BoilerMeasurement, FaultPersistsError
from energy_edge.messaging import (
    SET_POWER,
    SET_TEMPERATURE,
    AssetType,
    BoilerTelemetry,
    CommandAccepted,
    SetPower,
    SetTemperature,
)
from energy_edge.modulehost import AssetModule, Command, TelemetryHeader, invalid, not_now
from energy_edge.statemachine import AssetState

_log = logging.getLogger(__name__)

ACCEPTS_TARGET: Final = frozenset({AssetState.IDLE, AssetState.STARTING, AssetState.RUNNING})
"""A target may be set while stopped (it applies at the next start), not while stopping or faulted."""


class BoilerAsset(AssetModule[BoilerConfig, BoilerMeasurement]):
    asset_type = AssetType.BOILER
    config_type = BoilerConfig

    def __init__(self, asset_id: str, driver: BoilerDriver) -> None:
        super().__init__(asset_id)
        self.driver = driver
        self.setpoint_celsius: float | None = None
        """The target a controller set, while it holds; ``None``: the thermostat runs at the default."""
        self.power_cap_kw: float | None = None
        """The heater cap a controller set, while it holds; ``None``: the operator's ``max_power_kw``."""
        self._applied_limit_kw: float | None = None
        self._last_temperature_c: float | None = None

    def commands(self) -> Mapping[str, Command]:
        return {
            **self.lifecycle_commands(),
            "set_temperature": Command(SET_TEMPERATURE, self._set_temperature, ACCEPTS_TARGET),
            "set_power_limit": Command(SET_POWER, self._set_power_limit, ACCEPTS_TARGET),
        }

    @property
    def target_celsius(self) -> float:
        """The thermostat target the module wants in force."""
        return self.config.default_target_celsius if self.setpoint_celsius is None else self.setpoint_celsius

    # -- commands ------------------------------------------------------------------------------------------

    async def _set_temperature(self, request: SetTemperature) -> CommandAccepted:
        config, target = self.config, request.target_celsius
        if not config.min_celsius <= target <= config.max_celsius:
            raise invalid(
                f"target_celsius {target:g} is outside the allowed band "
                f"{config.min_celsius:g}-{config.max_celsius:g} °C (min_celsius-max_celsius)"
            )
        await self.driver.set_target(target)
        self.setpoint_celsius = target
        self.hold_setpoint(f"thermostat at {target:g} °C")
        return self.accepted(target_celsius=target)

    async def _set_power_limit(self, request: SetPower) -> CommandAccepted:
        cap, most = request.power_kw, self.config.max_power_kw
        if cap > most:
            raise invalid(f"power_kw {cap:g} is above the heater's {most:g} kW (max_power_kw)")
        self.power_cap_kw = cap
        await self._apply_heater_limit()
        self.hold_setpoint(f"heater capped at {cap:g} kW")
        return self.accepted(actual_kw=self._applied_limit_kw)

    def heater_limit_kw(self) -> float:
        """The heater limit in force: the controller's cap, unless the water is below the band (comfort
        first); none at all while a capped heater's water is above the band (a controller that holds a tank
        at the top of its band with the cap must not take it beyond, whatever happens to the controller)."""
        temperature = self._last_temperature_c
        if self.power_cap_kw is None:
            return self.config.max_power_kw
        if temperature is not None and temperature < self.config.min_celsius:
            return self.config.max_power_kw
        if temperature is not None and temperature > self.config.max_celsius:
            return 0.0
        # min(cap, max_power_kw) spelled out with its rule (the first unless the second is smaller): a
        # capped boiler checks this every tick, and the builtin's call costs more than the comparison.
        cap_kw, most_kw = self.power_cap_kw, self.config.max_power_kw
        return most_kw if most_kw < cap_kw else cap_kw

    async def _apply_heater_limit(self) -> None:
        limit = self.heater_limit_kw()
        if limit != self._applied_limit_kw:
            await self.driver.set_power_limit(limit)
            self._applied_limit_kw = limit

    # -- equipment -----------------------------------------------------------------------------------------

    async def sense(self) -> BoilerMeasurement:
        measurement = await self.driver.read()
        self._last_temperature_c = measurement.temperature_c
        # The comfort guard follows the water temperature; checked before anything is awaited, since the
        # limit in force rarely changes from one reading to the next.
        if self.power_cap_kw is not None and self.heater_limit_kw() != self._applied_limit_kw:
            await self._apply_heater_limit()
        return measurement

    def telemetry(self, measurement: BoilerMeasurement, header: TelemetryHeader) -> BoilerTelemetry:
        config, ratings = self.config, self.driver.ratings
        # What the heater draws when the thermostat calls: what a controller can plan with, so the operator's
        # cap applies (as the battery reports its limits within the operator's). min() spelled out with its
        # rule, the first unless the second is smaller: the builtin's call costs more, every tick.
        rated_kw = measurement.rated_power_kw
        rated_kw = config.max_power_kw if config.max_power_kw < rated_kw else rated_kw
        return BoilerTelemetry(
            asset_id=header.asset_id,
            state=header.state,
            timestamp=header.timestamp,
            fault_code=header.fault_code,
            power_output_kw=measurement.power_kw,
            temperature_c=measurement.temperature_c,
            target_celsius=measurement.target_celsius,
            rated_power_kw=rated_kw,
            # The band tells a controller which targets it may send without a 400.
            min_celsius=config.min_celsius,
            max_celsius=config.max_celsius,
            heating=measurement.heating,
            hysteresis_k=ratings.hysteresis_k,
            power_limit_kw=UNSET if self.power_cap_kw is None else self.heater_limit_kw(),
            min_power_kw=ratings.min_power_kw,
        )

    async def start_equipment(self) -> None:
        await self.driver.start()

    async def stop_equipment(self) -> None:
        """Heater off; the controller's target goes with the stop, so a later start heats to the default."""
        await self.driver.stop()
        self.setpoint_celsius = None
        await self.driver.set_target(self.config.default_target_celsius)
        self.power_cap_kw = None
        await self._apply_heater_limit()

    async def reset_equipment(self) -> None:
        try:
            await self.driver.acknowledge_fault()
        except FaultPersistsError as error:
            raise not_now(f"fault persists: {error}") from error

    async def configure(self, config: BoilerConfig) -> None:
        """Check the configuration against the nameplate, then apply limit and target at once."""
        config.check_fits(self.driver.ratings)  # raises ConfigError before anything changes
        self.config = config
        self._applied_limit_kw = None  # the operator's maximum may have moved: apply afresh
        await self._apply_heater_limit()
        if self.setpoint_celsius is not None:
            held = min(max(self.setpoint_celsius, config.min_celsius), config.max_celsius)
            if held != self.setpoint_celsius:
                _log.info(
                    "%s: target %g °C is outside the new band; holding %g °C",
                    self.asset_id,
                    self.setpoint_celsius,
                    held,
                )
            self.setpoint_celsius = held
        await self.driver.set_target(self.target_celsius)

    async def fall_back(self) -> None:
        """The controller's set-points lapsed: back to the local thermostat at the default target, with
        the heater's full power."""
        _log.warning(
            "%s: target %s lapsed; thermostat back to the default %g °C, heater at %g kW",
            self.asset_id,
            "unknown" if self.setpoint_celsius is None else f"{self.setpoint_celsius:g} °C",
            self.config.default_target_celsius,
            self.config.max_power_kw,
        )
        self.setpoint_celsius = None
        self.power_cap_kw = None
        await self.driver.set_target(self.config.default_target_celsius)
        await self._apply_heater_limit()
