"""IoT Edge module of a site battery (see the README)."""

from battery_module.asset import BatteryAsset
from battery_module.config import BatteryConfig
from battery_module.driver import BatteryDriver, BatteryMeasurement, FaultPersistsError
from battery_module.simulated import SimulatedBatteryDriver

__all__ = [
    "BatteryAsset",
    "BatteryConfig",
    "BatteryDriver",
    "BatteryMeasurement",
    "FaultPersistsError",
    "SimulatedBatteryDriver",
]
