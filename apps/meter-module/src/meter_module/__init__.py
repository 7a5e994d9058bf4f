"""IoT Edge module of the grid meter at the site's connection point (see the README)."""

from meter_module.asset import MeterAsset
from meter_module.config import MeterConfig
from meter_module.driver import FaultPersistsError, MeterDriver, MeterMeasurement
from meter_module.simulated import SimulatedMeterDriver

__all__ = [
    "FaultPersistsError",
    "MeterAsset",
    "MeterConfig",
    "MeterDriver",
    "MeterMeasurement",
    "SimulatedMeterDriver",
]
