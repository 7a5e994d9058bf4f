"""The telemetry envelope: one flat JSON message per reading, tagged by ``asset_type``.

Field names are exactly the seed architecture's. Sign convention (DESIGN.md): ``power_output_kw`` > 0 is
power delivered into the site's AC bus, < 0 power drawn from it (battery charging, boiler heating); the
grid meter's ``grid_power_kw`` > 0 is import from the grid.

Fields beyond the seed's are optional and default to ``msgspec.UNSET``: a sender that does not know them
sends nothing (not ``null``), so the seed's example re-encodes to exactly its own fields. Receivers ignore
fields they do not know, so a newer sender never breaks an older controller (and vice versa).
"""

from __future__ import annotations

from enum import StrEnum

import msgspec
from msgspec import UNSET, UnsetType

from energy_edge.messaging.quantities import (
    AssetId,
    Celsius,
    Hertz,
    Kelvin,
    KilowattHours,
    Kilowatts,
    NonNegativeKilowatts,
    NonPositiveKilowatts,
    Percent,
    Ratio,
    UtcTimestamp,
    Volts,
    WattsPerSquareMetre,
)
from energy_edge.statemachine import AssetState


class AssetType(StrEnum):
    """The ``asset_type`` tag of a telemetry message."""

    SOLAR_INVERTER = "solar_inverter"
    BATTERY = "battery"
    BOILER = "boiler"
    GRID_METER = "grid_meter"


class TelemetryBase(msgspec.Struct, frozen=True, kw_only=True, tag_field="asset_type"):
    """Fields every asset reports."""

    asset_id: AssetId
    state: AssetState
    timestamp: UtcTimestamp
    fault_code: str | None = None


class SolarInverterTelemetry(TelemetryBase, frozen=True, kw_only=True, tag=AssetType.SOLAR_INVERTER.value):
    """A PV inverter. ``temperature_c`` is the PV module (cell) temperature."""

    power_output_kw: Kilowatts
    irradiance_w_m2: WattsPerSquareMetre
    efficiency: Ratio
    temperature_c: Celsius
    output_limit_kw: NonNegativeKilowatts | UnsetType = UNSET
    """The active-power limit in force (curtailment set-point or configured maximum), when known."""
    max_output_kw: NonNegativeKilowatts | UnsetType = UNSET
    """The configured maximum (``max_output_kw`` desired property): the highest ``set_output`` accepted."""
    available_kw: NonNegativeKilowatts | UnsetType = UNSET
    """What the array could deliver now without curtailment (MPP estimate): what a controller gives up
    by curtailing, and the reference of the underperformance check."""


class BatteryTelemetry(TelemetryBase, frozen=True, kw_only=True, tag=AssetType.BATTERY.value):
    """A battery with its inverter. Charging is negative ``power_output_kw``."""

    power_output_kw: Kilowatts
    soc_percent: Percent
    temperature_c: Celsius
    capacity_kwh: KilowattHours | UnsetType = UNSET
    max_charge_kw: NonNegativeKilowatts | UnsetType = UNSET
    """Charge power available right now (after SoC and temperature derating)."""
    max_discharge_kw: NonNegativeKilowatts | UnsetType = UNSET
    """Discharge power available right now (after SoC and temperature derating)."""


class BoilerTelemetry(TelemetryBase, frozen=True, kw_only=True, tag=AssetType.BOILER.value):
    """An electric boiler / hot-water tank. Heating draws power, so ``power_output_kw`` is never positive."""

    power_output_kw: NonPositiveKilowatts
    temperature_c: Celsius
    """Water temperature in the tank."""
    target_celsius: Celsius
    rated_power_kw: NonNegativeKilowatts | UnsetType = UNSET
    min_celsius: Celsius | UnsetType = UNSET
    """Bottom of the operator's band: the lowest ``set_temperature`` accepted (process comfort)."""
    max_celsius: Celsius | UnsetType = UNSET
    """Top of the operator's band: the highest ``set_temperature`` accepted."""
    heating: bool | UnsetType = UNSET
    """The heater is on (the thermostat is calling for heat)."""
    hysteresis_k: Kelvin | UnsetType = UNSET
    power_limit_kw: NonNegativeKilowatts | UnsetType = UNSET
    """The heater cap a controller set (``set_power_limit``), as in force; absent when none is held."""
    min_power_kw: NonNegativeKilowatts | UnsetType = UNSET
    """The heater's minimum stable power (turndown): a cap below it keeps the heater off."""
    """The thermostat's switching differential: heat below target - h/2, stop above target + h/2. A
    controller needs it to keep the whole swing inside the band and to know where heating stops."""


class GridMeterTelemetry(TelemetryBase, frozen=True, kw_only=True, tag=AssetType.GRID_METER.value):
    """The meter at the grid connection point. ``grid_power_kw`` > 0 is import, < 0 export."""

    grid_power_kw: Kilowatts
    site_load_kw: NonNegativeKilowatts | UnsetType = UNSET
    """Non-controllable site consumption, where the meter installation measures it (a sub-meter)."""
    voltage_v: Volts | UnsetType = UNSET
    frequency_hz: Hertz | UnsetType = UNSET
    import_energy_kwh: KilowattHours | UnsetType = UNSET
    export_energy_kwh: KilowattHours | UnsetType = UNSET


Telemetry = SolarInverterTelemetry | BatteryTelemetry | BoilerTelemetry | GridMeterTelemetry
"""Any telemetry message; ``match`` on the concrete type after decoding."""
