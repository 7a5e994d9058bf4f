"""IoT Edge module of an electric industrial boiler (see the README)."""

from boiler_module.asset import BoilerAsset
from boiler_module.config import BoilerConfig
from boiler_module.driver import BoilerDriver, BoilerMeasurement, BoilerRatings, FaultPersistsError
from boiler_module.simulated import SimulatedBoilerDriver

__all__ = [
    "BoilerAsset",
    "BoilerConfig",
    "BoilerDriver",
    "BoilerMeasurement",
    "BoilerRatings",
    "FaultPersistsError",
    "SimulatedBoilerDriver",
]
