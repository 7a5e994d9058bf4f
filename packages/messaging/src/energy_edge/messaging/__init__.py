"""Contracts between Energy Edge modules: telemetry, the site roll-up and direct methods.

from energy_edge.messaging import TELEMETRY, BatteryTelemetry, MessageDecodeError
body = TELEMETRY.encode(BatteryTelemetry(asset_id="battery-01", state=..., timestamp=..., ...))
match TELEMETRY.decode(body):          # raises MessageDecodeError with a readable reason
    case BatteryTelemetry(soc_percent=soc): ...
"""

from energy_edge.messaging.codec import (
    METHOD_RESULT,
    NO_ARGUMENTS,
    ROLLUP,
    SET_OUTPUT,
    SET_POWER,
    SET_TEMPERATURE,
    TELEMETRY,
    Codec,
    decode_telemetry,
    encode_telemetry,
)
from energy_edge.messaging.errors import MessageDecodeError
from energy_edge.messaging.methods import (
    CommandAccepted,
    CommandRejected,
    MethodResult,
    MethodStatus,
    NoArguments,
    SetOutput,
    SetPower,
    SetTemperature,
)
from energy_edge.messaging.rollup import Alert, AlertSeverity, AssetSummary, SiteRollup
from energy_edge.messaging.telemetry import (
    AssetType,
    BatteryTelemetry,
    BoilerTelemetry,
    GridMeterTelemetry,
    SolarInverterTelemetry,
    Telemetry,
    TelemetryBase,
)

__all__ = [
    "METHOD_RESULT",
    "NO_ARGUMENTS",
    "ROLLUP",
    "SET_OUTPUT",
    "SET_POWER",
    "SET_TEMPERATURE",
    "TELEMETRY",
    "Alert",
    "AlertSeverity",
    "AssetSummary",
    "AssetType",
    "BatteryTelemetry",
    "BoilerTelemetry",
    "Codec",
    "CommandAccepted",
    "CommandRejected",
    "GridMeterTelemetry",
    "MessageDecodeError",
    "MethodResult",
    "MethodStatus",
    "NoArguments",
    "SetOutput",
    "SetPower",
    "SetTemperature",
    "SiteRollup",
    "SolarInverterTelemetry",
    "Telemetry",
    "TelemetryBase",
    "decode_telemetry",
    "encode_telemetry",
]
