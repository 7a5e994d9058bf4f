"""The site's controller: aggregates telemetry, decides set-points, commands assets, reports upstream."""

from controller_module.config import ControllerConfig, Mode
from controller_module.decision import Decision, Flag, StrategyMemory
from controller_module.service import ControllerService
from controller_module.strategy import decide

__all__ = ["ControllerConfig", "ControllerService", "Decision", "Flag", "Mode", "StrategyMemory", "decide"]
