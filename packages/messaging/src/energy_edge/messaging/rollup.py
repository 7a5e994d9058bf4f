"""The controller's site roll-up, sent on output ``cloud`` (routed to ``$upstream``).

IoT Hub meters device-to-cloud messages in 4 KB units, so the roll-up is deliberately compact: optional
fields are omitted when unknown (``omit_defaults``) rather than sent as ``null``. A site with a handful of
assets and a few alerts stays well inside one 4 KB unit; the controller issue measures and documents it.

``grid_balance_kw`` is the export at the grid connection (> 0 surplus, < 0 deficit) and is ``None`` when
the grid meter's reading is stale: an unknown balance is never reported as zero.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from energy_edge.messaging.quantities import (
    AssetId,
    Celsius,
    DeviceId,
    Kilowatts,
    Percent,
    UtcTimestamp,
)
from energy_edge.messaging.telemetry import AssetType
from energy_edge.statemachine import AssetState


class AlertSeverity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Alert(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Something an operator should see: an asset fault, stale data, a grid limit hit."""

    code: str
    """Stable machine-readable identifier, e.g. ``asset_fault`` or ``telemetry_stale``."""
    severity: AlertSeverity
    message: str
    asset_id: AssetId | None = None
    since: UtcTimestamp | None = None


class AssetSummary(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The latest known condition of one asset. Measurements are omitted while the asset is stale."""

    asset_type: AssetType
    state: AssetState | None = None
    power_output_kw: Kilowatts | None = None
    soc_percent: Percent | None = None
    temperature_c: Celsius | None = None
    stale: bool = False
    last_seen: UtcTimestamp | None = None


class SiteRollup(msgspec.Struct, frozen=True, kw_only=True):
    """The seed's roll-up: ``device_id``, ``timestamp``, ``total_power_kw``, ``assets``, ``grid_balance_kw``,
    ``alerts``."""

    device_id: DeviceId
    timestamp: UtcTimestamp
    total_power_kw: Kilowatts
    """Net power the controlled assets deliver into the site's AC bus (sum of ``power_output_kw``)."""
    assets: dict[AssetId, AssetSummary]
    grid_balance_kw: Kilowatts | None
    alerts: list[Alert] = msgspec.field(default_factory=list)
