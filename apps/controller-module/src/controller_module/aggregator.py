"""Telemetry in, roll-up out.

Ingest decodes each message of the ``telemetry`` input with the shared schema. Malformed or unknown
messages are counted by reason and dropped; they are logged once per reason per minute (a flood of garbage
must not become a flood of log lines), and the loop never stops on them.

The roll-up (output ``cloud``, routed to ``$upstream``) carries the seed's fields. Sizes: IoT Hub meters
device-to-cloud messages in 4 KB units; a site of four assets with two alerts encodes to about 700 bytes,
and the roll-up stays inside one unit up to about 15 assets with a few alerts (measured in the tests).
Unknown values are omitted rather than sent as ``null`` (stale assets carry no measurements), except
``grid_balance_kw``, which is ``null`` when the meter is unavailable: unknown is never zero.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Final

from controller_module.metrics import ControllerMetrics
from controller_module.registry import AssetRegistry
from controller_module.snapshot import SiteSnapshot
from energy_edge.messaging import (
    TELEMETRY,
    Alert,
    AssetSummary,
    AssetType,
    BatteryTelemetry,
    GridMeterTelemetry,
    MessageDecodeError,
    SiteRollup,
)
from energy_edge.messaging.message import EdgeMessage

_log = logging.getLogger(__name__)

LOG_EVERY_S: Final = 60.0


def rejection_reason(error: MessageDecodeError) -> str:
    """A small, fixed set of labels for the rejected-telemetry metric."""
    reason = error.reason
    if reason.startswith("JSON is malformed"):
        return "malformed_json"
    if reason.startswith("unknown asset_type"):
        return "unknown_asset_type"
    if "missing required field" in reason:
        return "missing_field"
    if "out of range" in reason or "Expected `float` >=" in reason or "Expected `float` <=" in reason:
        return "out_of_range"
    if reason.startswith("Expected"):
        return "wrong_type"
    return "invalid"


class Aggregator:
    def __init__(
        self, registry: AssetRegistry, metrics: ControllerMetrics, monotonic: Callable[[], float]
    ) -> None:
        self.registry = registry
        self.metrics = metrics
        self._monotonic = monotonic
        self._last_logged: dict[str, float] = {}
        self._dropped_since_log: dict[str, int] = {}

    def ingest(self, message: EdgeMessage) -> bool:
        """Decode and record one telemetry message; False when it was dropped."""
        now = self._monotonic()
        sender = message.connection_module_id
        if sender is None:
            self._drop(
                "unknown_sender", "telemetry without a sending module (not from this device's modules)", now
            )
            return False
        try:
            reading = TELEMETRY.decode(message.body)
        except MessageDecodeError as error:
            self._drop(rejection_reason(error), f"from {sender}: {error.reason}", now)
            return False
        if self.registry.update(reading, sender, now):
            self.metrics.count_telemetry(type(reading).__struct_config__.tag)  # pyright: ignore[reportArgumentType]
            return True
        self._drop("out_of_order", f"from {sender}: older than the last reading of {reading.asset_id}", now)
        return False

    def _drop(self, reason: str, detail: str, now: float) -> None:
        self.metrics.rejected.labels(reason=reason).inc()
        self._dropped_since_log[reason] = self._dropped_since_log.get(reason, 0) + 1
        last = self._last_logged.get(reason)
        if last is None or now - last >= LOG_EVERY_S:
            count = self._dropped_since_log.pop(reason)
            _log.warning("telemetry dropped (%s, %d since last report): %s", reason, count, detail)
            self._last_logged[reason] = now

    def rollup(
        self, device_id: str, timestamp: datetime, snapshot: SiteSnapshot, alerts: list[Alert]
    ) -> SiteRollup:
        assets: dict[str, AssetSummary] = {}
        total = 0.0
        for record in self.registry:
            reading = record.telemetry
            asset_type = AssetType(type(reading).__struct_config__.tag)  # pyright: ignore[reportArgumentType]
            if record.asset_id in snapshot.stale:
                assets[record.asset_id] = AssetSummary(
                    asset_type=asset_type, stale=True, last_seen=reading.timestamp
                )
                continue
            if isinstance(reading, GridMeterTelemetry):
                power = reading.grid_power_kw
            else:
                power = reading.power_output_kw
                total += power
            temperature = getattr(reading, "temperature_c", None)
            assets[record.asset_id] = AssetSummary(
                asset_type=asset_type,
                state=reading.state,
                power_output_kw=round(power, 3),
                soc_percent=round(reading.soc_percent, 2) if isinstance(reading, BatteryTelemetry) else None,
                temperature_c=round(temperature, 2) if isinstance(temperature, float) else None,
                last_seen=reading.timestamp,
            )
        grid = snapshot.grid_power_kw
        return SiteRollup(
            device_id=device_id,
            timestamp=timestamp,
            total_power_kw=round(total, 3),
            assets=assets,
            grid_balance_kw=None if grid is None else round(-grid, 3),
            alerts=alerts,
        )
