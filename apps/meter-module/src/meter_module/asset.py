"""The grid meter as an asset module: read-only, ``reset`` its only direct method.

A meter is never commanded: it has no ``start``/``stop`` and no set-point, so nothing can lapse and there
is no fallback. What the module does is decide whether the meter's readings can be trusted:

- RUNNING: the meter answers, reports no error and the supply is inside the configured band. With
  ``auto_start`` (the default for a meter) the module gets there by itself — at module start and again on
  the first reading after a ``reset`` — because there is no ``start`` command to ask for it.
- FAULT, latched until ``reset``: the meter reports an error, the supply is outside the band (the grid is
  in trouble or the measurement is), or the meter stopped answering (the module host latches that after
  three missed reads). Telemetry keeps flowing in FAULT, tagged with ``fault_code``, so operators still see
  the grid.
- ``reset`` acknowledges the fault; it is refused (409) while the cause persists: the meter still does not
  answer, still reports its error, or the supply is still outside the band.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

import msgspec
from msgspec import UNSET

from energy_edge.messaging import AssetType, GridMeterTelemetry
from energy_edge.modulehost import AssetModule, Command, TelemetryHeader, not_now
from energy_edge.statemachine import AssetState
from meter_module.config import MeterConfig
from meter_module.driver import FaultPersistsError, MeterDriver, MeterMeasurement

_log = logging.getLogger(__name__)

TELEMETRY_FREQUENCY_RANGE_HZ: Final = (40.0, 70.0)
"""What the telemetry schema accepts as a grid frequency (50 and 60 Hz systems)."""


class MeterAsset(AssetModule[MeterConfig, MeterMeasurement]):
    asset_type = AssetType.GRID_METER
    config_type = MeterConfig

    def __init__(self, asset_id: str, driver: MeterDriver) -> None:
        super().__init__(asset_id)
        self.driver = driver

    def commands(self) -> Mapping[str, Command]:
        return self.lifecycle_commands(start=False, stop=False)

    # -- equipment -----------------------------------------------------------------------------------------

    async def sense(self) -> MeterMeasurement:
        measurement = self._judged(await self.driver.read())
        # A meter has no start command: an auto-start meter that is IDLE (after a reset) and reads cleanly
        # goes back into service by itself; the host ends STARTING on this very reading.
        if measurement.fault is None and self.config.auto_start and self.lifecycle.state is AssetState.IDLE:
            _log.info("%s: meter reads cleanly; back in service", self.asset_id)
            await self.begin()
        return measurement

    def _judged(self, measurement: MeterMeasurement) -> MeterMeasurement:
        """The reading, with a supply outside the configured band reported as its fault (the meter's own
        error, if any, comes first: it is the more specific diagnosis)."""
        if measurement.fault is not None:
            return measurement
        supply = self.config.supply_fault(measurement.voltage_v, measurement.frequency_hz)
        return measurement if supply is None else msgspec.structs.replace(measurement, fault=supply)

    def telemetry(self, measurement: MeterMeasurement, header: TelemetryHeader) -> GridMeterTelemetry:
        low, high = TELEMETRY_FREQUENCY_RANGE_HZ
        frequency = measurement.frequency_hz
        return GridMeterTelemetry(
            asset_id=header.asset_id,
            state=header.state,
            timestamp=header.timestamp,
            fault_code=header.fault_code,
            grid_power_kw=measurement.power_kw,
            site_load_kw=UNSET if measurement.site_load_kw is None else measurement.site_load_kw,
            voltage_v=UNSET if measurement.voltage_v is None else measurement.voltage_v,
            # A register reading no 50/60 Hz grid can have (0 Hz on a dead supply) is left out rather than
            # sent: the controller would reject the whole message, grid power and fault code included.
            frequency_hz=frequency if frequency is not None and low <= frequency <= high else UNSET,
            import_energy_kwh=measurement.import_energy_kwh,
            export_energy_kwh=measurement.export_energy_kwh,
        )

    async def start_equipment(self) -> None:
        """Nothing to energise: a meter measures whenever it is powered. Entering service is the
        lifecycle's business alone."""

    async def stop_equipment(self) -> None:
        """Nothing to de-energise: a faulted meter keeps measuring, so operators still see the grid."""

    async def reset_equipment(self) -> None:
        """Acknowledge the fault once its cause is gone. The meter is read first and only then asked to
        clear its error, so a refused reset leaves the meter exactly as it was."""
        try:
            measurement = await self.driver.read()
        except Exception as error:
            raise not_now(f"fault persists: meter not responding: {error}") from error
        supply = self.config.supply_fault(measurement.voltage_v, measurement.frequency_hz)
        if supply is not None:
            raise not_now(f"fault persists: {supply}")
        try:
            await self.driver.acknowledge_fault()
        except FaultPersistsError as error:
            raise not_now(f"fault persists: {error}") from error
        except Exception as error:
            raise not_now(f"fault persists: meter not responding: {error}") from error
