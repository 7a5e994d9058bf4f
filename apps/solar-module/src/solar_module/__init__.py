"""IoT Edge module of a PV inverter (see the README)."""

from solar_module.asset import SolarAsset
from solar_module.config import SolarConfig
from solar_module.driver import FaultPersistsError, SolarDriver, SolarMeasurement
from solar_module.simulated import SimulatedSolarDriver

__all__ = [
    "FaultPersistsError",
    "SimulatedSolarDriver",
    "SolarAsset",
    "SolarConfig",
    "SolarDriver",
    "SolarMeasurement",
]
