"""Light, deterministic physics of a site: sun and sky, PV, battery, boiler, site load and grid meter.

Pure Python, no I/O, no clock, randomness only from an injected ``random.Random``. Every model is advanced
by ``step(dt_s, ...)`` with explicit inputs and returns an immutable reading; bad input raises ValueError
and changes nothing. Sign convention: ``power_output_kw`` > 0 is delivered into the site bus, < 0 drawn
from it; ``grid_power_kw`` > 0 is import.

    site = example_site(random.Random(7))
    reading = site.step(1.0, datetime(2024, 6, 1, 12, tzinfo=UTC), ambient_c=22.0, battery_setpoint_kw=-30.0)
    reading.pv.power_output_kw, reading.battery.soc, reading.boiler.temperature_c, reading.meter.grid_power_kw
"""

from energy_edge.physics._checks import FaultPersistsError
from energy_edge.physics.battery import Battery, BatteryParams, BatteryReading
from energy_edge.physics.boiler import Boiler, BoilerParams, BoilerReading
from energy_edge.physics.clouds import BROKEN_DAY, CLEAR_DAY, OVERCAST_DAY, CloudModel, CloudRegime
from energy_edge.physics.exogenous import ExogenousSeries
from energy_edge.physics.load import (
    DrawProfile,
    LoadReading,
    LoadShape,
    SiteLoad,
    SiteLoadParams,
    day_shape,
    two_shift_process_draw,
)
from energy_edge.physics.meter import GridMeter, MeterReading
from energy_edge.physics.poa import ArrayOrientation, PoaIrradiance, SkyDiffuseModel
from energy_edge.physics.pv import (
    SAPM_CLOSE_MOUNT_GLASS_GLASS,
    SAPM_INSULATED_BACK_GLASS_POLYMER,
    SAPM_OPEN_RACK_GLASS_GLASS,
    SAPM_OPEN_RACK_GLASS_POLYMER,
    CellTemperatureModel,
    FaimanCellTemperature,
    PvParams,
    PvReading,
    PvSystem,
    SapmCellTemperature,
    pvwatts_ac_kw,
    pvwatts_dc_kw,
)
from energy_edge.physics.site import EquipmentReading, Site, SiteConditions, SiteReading, example_site
from energy_edge.physics.sky import ClearSky, SkyIrradiance, clear_sky, ineichen, relative_airmass
from energy_edge.physics.sun import Location, SolarPosition, solar_position

__all__ = [
    "BROKEN_DAY",
    "CLEAR_DAY",
    "OVERCAST_DAY",
    "SAPM_CLOSE_MOUNT_GLASS_GLASS",
    "SAPM_INSULATED_BACK_GLASS_POLYMER",
    "SAPM_OPEN_RACK_GLASS_GLASS",
    "SAPM_OPEN_RACK_GLASS_POLYMER",
    "ArrayOrientation",
    "Battery",
    "BatteryParams",
    "BatteryReading",
    "Boiler",
    "BoilerParams",
    "BoilerReading",
    "CellTemperatureModel",
    "ClearSky",
    "CloudModel",
    "CloudRegime",
    "DrawProfile",
    "EquipmentReading",
    "ExogenousSeries",
    "FaimanCellTemperature",
    "FaultPersistsError",
    "GridMeter",
    "LoadReading",
    "LoadShape",
    "Location",
    "MeterReading",
    "PoaIrradiance",
    "PvParams",
    "PvReading",
    "PvSystem",
    "SapmCellTemperature",
    "Site",
    "SiteConditions",
    "SiteLoad",
    "SiteLoadParams",
    "SiteReading",
    "SkyDiffuseModel",
    "SkyIrradiance",
    "SolarPosition",
    "clear_sky",
    "day_shape",
    "example_site",
    "ineichen",
    "pvwatts_ac_kw",
    "pvwatts_dc_kw",
    "relative_airmass",
    "solar_position",
    "two_shift_process_draw",
]
