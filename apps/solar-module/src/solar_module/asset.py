"""The PV inverter as an asset module: ``start``, ``stop``, ``set_output {target_kw}``, ``reset``.

``set_output`` is a curtailment set-point: the inverter delivers what the sun gives, up to ``target_kw``.
It is checked against ``max_output_kw`` (above it: 400) and refused in FAULT (409); it does not start an
idle inverter (``start`` does). The answer's ``actual_kw`` is what the inverter delivers at that limit
under the current sun (0 while it is not feeding in).

The limit in force is the controller's set-point while its hold lasts, otherwise ``fallback_output_kw``:
after the set-point lapses, at start-up, after ``stop`` and after a fault. One rule for "no live set-point"
means a restarted module cannot lift a curtailment the site needed while its controller is down.
``max_output_kw`` caps both.

Underperformance: while RUNNING, output below ``fault_threshold`` times the expected output — what the
array should deliver under the measured irradiance, or the limit when that is lower — for
``fault_window_s`` latches FAULT. Only expected outputs above 5 % of the inverter rating are judged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

import msgspec

from energy_edge.messaging import (
    SET_OUTPUT,
    AssetType,
    CommandAccepted,
    SetOutput,
    SolarInverterTelemetry,
)
from energy_edge.modulehost import AssetModule, Command, TelemetryHeader, invalid, not_now
from energy_edge.statemachine import AssetState
from solar_module.config import SolarConfig
from solar_module.driver import FaultPersistsError, SolarDriver, SolarMeasurement

_log = logging.getLogger(__name__)

ACCEPTS_LIMIT: Final = frozenset(AssetState) - {AssetState.FAULT}
"""Everywhere but FAULT: a limit given while stopped applies when the inverter starts."""
FEEDING_IN: Final = frozenset({AssetState.STARTING, AssetState.RUNNING})
MIN_JUDGED_SHARE_OF_RATING: Final = 0.05
"""Below this share of the rating the expected output is too small to call a shortfall a fault."""


class SolarAsset(AssetModule[SolarConfig, SolarMeasurement]):
    asset_type = AssetType.SOLAR_INVERTER
    config_type = SolarConfig

    def __init__(self, asset_id: str, driver: SolarDriver) -> None:
        super().__init__(asset_id)
        self.driver = driver
        self.setpoint_kw: float | None = None
        """The controller's curtailment set-point while it holds; ``None``: the fallback limit applies."""
        self._last: SolarMeasurement | None = None
        self._short_since_s: float | None = None
        """When output first fell short of expected in the current run of short readings."""
        self._underperformance: str | None = None
        """The underperformance fault found, latched until ``reset``."""

    @property
    def output_limit_kw(self) -> float:
        """The limit the inverter is told to apply."""
        config = self.config
        wanted = config.fallback_output_kw if self.setpoint_kw is None else self.setpoint_kw
        return min(wanted, config.max_output_kw)

    def commands(self) -> Mapping[str, Command]:
        return {
            **self.lifecycle_commands(),
            "set_output": Command(SET_OUTPUT, self._set_output, ACCEPTS_LIMIT),
        }

    # -- commands ------------------------------------------------------------------------------------------

    async def _set_output(self, request: SetOutput) -> CommandAccepted:
        config = self.config
        if request.target_kw > config.max_output_kw:
            raise invalid(f"target_kw {request.target_kw:g} exceeds max_output_kw {config.max_output_kw:g}")
        latest = await self._latest()
        await self.driver.set_output_limit(request.target_kw)
        self.setpoint_kw = request.target_kw
        self.hold_setpoint(f"output limited to {request.target_kw:g} kW")
        producing = self.lifecycle.state in FEEDING_IN
        return self.accepted(actual_kw=min(request.target_kw, latest.available_kw) if producing else 0.0)

    async def _latest(self) -> SolarMeasurement:
        return self._last if self._last is not None else await self.driver.read()

    # -- equipment -----------------------------------------------------------------------------------------

    async def sense(self) -> SolarMeasurement:
        measurement = await self.driver.read()
        self._last = measurement
        self._watch_performance(measurement)
        if self._underperformance is not None and measurement.fault is None:
            # Reported like an equipment fault, so the host latches FAULT and stops the inverter.
            return msgspec.structs.replace(measurement, fault=self._underperformance)
        return measurement

    def _watch_performance(self, measurement: SolarMeasurement) -> None:
        config = self.config
        # min() spelled out with its rule (the first unless the second is smaller): this runs every tick,
        # and the builtin's call costs more than the comparison.
        available_kw, limit_kw = measurement.available_kw, measurement.output_limit_kw
        expected_kw = limit_kw if limit_kw < available_kw else available_kw
        judged = (
            self.lifecycle.state is AssetState.RUNNING
            and measurement.fault is None
            and self._underperformance is None
            and expected_kw > MIN_JUDGED_SHARE_OF_RATING * measurement.rated_kw
        )
        if not judged or measurement.power_kw >= config.fault_threshold * expected_kw:
            self._short_since_s = None
            return
        now_s = self.now_s()
        if self._short_since_s is None:
            self._short_since_s = now_s
        if now_s - self._short_since_s >= config.fault_window_s:
            self._underperformance = (
                f"underperformance: output {measurement.power_kw:.1f} kW is "
                f"{measurement.power_kw / expected_kw:.0%} of the expected {expected_kw:.1f} kW "
                f"(below fault_threshold {config.fault_threshold:g} for {config.fault_window_s:g} s)"
            )

    def telemetry(self, measurement: SolarMeasurement, header: TelemetryHeader) -> SolarInverterTelemetry:
        available_kw = measurement.available_kw
        available_kw = 0.0 if available_kw < 0.0 else available_kw  # max(·, 0.0), without the builtin's call
        return SolarInverterTelemetry(
            asset_id=header.asset_id,
            state=header.state,
            timestamp=header.timestamp,
            fault_code=header.fault_code,
            power_output_kw=measurement.power_kw,
            irradiance_w_m2=measurement.irradiance_w_m2,
            efficiency=measurement.efficiency,
            temperature_c=measurement.temperature_c,
            output_limit_kw=measurement.output_limit_kw,
            # What a controller needs to curtail sensibly: the highest set_output accepted, and what the
            # array would give without curtailment.
            max_output_kw=self.config.max_output_kw,
            available_kw=available_kw,
        )

    async def start_equipment(self) -> None:
        await self.driver.start()

    async def stop_equipment(self) -> None:
        """Stop feeding in; the set-point ends with the run, so the next start runs at the fallback."""
        await self.driver.stop()
        self.setpoint_kw = None
        self._short_since_s = None
        await self.driver.set_output_limit(self.output_limit_kw)

    async def reset_equipment(self) -> None:
        """Acknowledge the inverter's fault and clear an underperformance finding.

        Underperformance cannot be re-checked while the inverter is not feeding in, so its reset always
        succeeds; if the cause is still there it is found again ``fault_window_s`` after the next start.
        """
        try:
            await self.driver.acknowledge_fault()
        except FaultPersistsError as error:
            raise not_now(f"fault persists: {error}") from error
        self._underperformance = None
        self._short_since_s = None

    async def configure(self, config: SolarConfig) -> None:
        """New limits apply at once: a held set-point above a lowered ``max_output_kw`` comes down to it."""
        self.config = config
        if self.setpoint_kw is not None and self.setpoint_kw > config.max_output_kw:
            self.setpoint_kw = config.max_output_kw
        await self.driver.set_output_limit(self.output_limit_kw)

    async def fall_back(self) -> None:
        """Safe behaviour when the set-point lapses: the configured fallback limit."""
        self.setpoint_kw = None
        _log.warning(
            "%s: set-point lapsed; output limited to fallback_output_kw %g kW",
            self.asset_id,
            self.output_limit_kw,
        )
        await self.driver.set_output_limit(self.output_limit_kw)
