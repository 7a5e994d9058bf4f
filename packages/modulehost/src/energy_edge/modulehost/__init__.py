"""Runs one energy asset as an IoT Edge module; apps supply only what is specific to their equipment.

class BatteryAsset(AssetModule[BatteryConfig, BatteryMeasurement]):
    asset_type, config_type = AssetType.BATTERY, BatteryConfig
    def commands(self): return {**self.lifecycle_commands(start=False), "start_charging": Command(...)}
    async def sense(self): ...; def telemetry(self, measurement, header): ...
run_asset_module(lambda asset_id, env: BatteryAsset(asset_id, driver=SimulatedBattery(...)))
"""

from energy_edge.modulehost.asset import AssetModule, Measurement, TelemetryHeader
from energy_edge.modulehost.commands import ANY_STATE, Command, CommandRefused, invalid, not_now
from energy_edge.modulehost.config import ConfigError, HostConfig, TwinConfig
from energy_edge.modulehost.host import TELEMETRY_OUTPUT, ModuleHost
from energy_edge.modulehost.metrics import ModuleMetrics
from energy_edge.modulehost.observability import configure_log_export, configure_tracing
from energy_edge.modulehost.runner import run_asset_module, serve_asset_module, utc_now
from energy_edge.modulehost.setpoint import SetpointHold

__all__ = [
    "ANY_STATE",
    "TELEMETRY_OUTPUT",
    "AssetModule",
    "Command",
    "CommandRefused",
    "ConfigError",
    "HostConfig",
    "Measurement",
    "ModuleHost",
    "ModuleMetrics",
    "SetpointHold",
    "TelemetryHeader",
    "TwinConfig",
    "configure_log_export",
    "configure_tracing",
    "invalid",
    "not_now",
    "run_asset_module",
    "serve_asset_module",
    "utc_now",
]
