"""Alerts in the roll-up: what an operator must see, each with a code, a severity, the asset and since when.

| code | severity | raised while |
|---|---|---|
| ``asset_fault`` | critical | an asset reports FAULT (message carries its fault code) |
| ``meter_unavailable`` | critical | no working grid meter: the site cannot be balanced |
| ``grid_import_limit`` / ``grid_export_limit`` | critical | the meter measures beyond a grid limit |
| ``telemetry_stale`` | warning | an asset has not reported for ``stale_after_s`` |
| ``command_failed`` | warning | the last command to an asset failed (until one succeeds) |
| ``battery_at_reserve`` | info | a battery's SoC is at or below the reserve |
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from controller_module.config import ControllerConfig
from controller_module.dispatcher import CommandOutcome
from controller_module.registry import AssetRegistry
from controller_module.snapshot import SiteSnapshot
from energy_edge.messaging import Alert, AlertSeverity, BatteryTelemetry, GridMeterTelemetry
from energy_edge.statemachine import AssetState

LIMIT_TOLERANCE_KW: Final = 0.5

_Key = tuple[str, str | None]


class AlertBook:
    """Computes the active alerts and remembers since when each has been active."""

    def __init__(self) -> None:
        self._since: dict[_Key, datetime] = {}

    def current(
        self,
        registry: AssetRegistry,
        snapshot: SiteSnapshot,
        failures: Mapping[str, CommandOutcome],
        config: ControllerConfig,
    ) -> list[Alert]:
        raised: list[tuple[str, AlertSeverity, str, str | None]] = []
        meter_seen = False
        for record in registry:
            reading, asset_id = record.telemetry, record.asset_id
            if isinstance(reading, GridMeterTelemetry):
                meter_seen = True
            if asset_id in snapshot.stale:
                age = snapshot.monotonic_s - record.received_at_s
                raised.append(
                    (
                        "telemetry_stale",
                        AlertSeverity.WARNING,
                        f"no telemetry from {asset_id} for {age:.0f} s",
                        asset_id,
                    )
                )
                continue
            if reading.state is AssetState.FAULT:
                code = reading.fault_code or "no fault code"
                raised.append(
                    ("asset_fault", AlertSeverity.CRITICAL, f"{asset_id} in FAULT: {code}", asset_id)
                )
            reserve = config.battery_reserve_percent
            if isinstance(reading, BatteryTelemetry) and reading.soc_percent <= reserve:
                message = f"{asset_id} at {reading.soc_percent:.1f} % (reserve {reserve:g} %)"
                raised.append(("battery_at_reserve", AlertSeverity.INFO, message, asset_id))
        grid = snapshot.grid_power_kw
        if grid is None:
            why = "stale or faulted" if meter_seen else "never reported"
            raised.append(
                ("meter_unavailable", AlertSeverity.CRITICAL, f"grid meter {why}: site not balanced", None)
            )
        elif grid > config.import_limit_kw + LIMIT_TOLERANCE_KW:
            message = f"import {grid:.1f} kW above the {config.import_limit_kw:g} kW limit"
            raised.append(("grid_import_limit", AlertSeverity.CRITICAL, message, None))
        elif grid < -config.export_limit_kw - LIMIT_TOLERANCE_KW:
            message = f"export {-grid:.1f} kW above the {config.export_limit_kw:g} kW limit"
            raised.append(("grid_export_limit", AlertSeverity.CRITICAL, message, None))
        for outcome in failures.values():
            command = outcome.command
            message = f"{command.method} to {command.asset_id} failed: {outcome.status} {outcome.error}"
            raised.append(("command_failed", AlertSeverity.WARNING, message, command.asset_id))

        alerts: list[Alert] = []
        active: set[_Key] = set()
        for code, severity, message, asset_id in raised:
            key = (code, asset_id)
            active.add(key)
            since = self._since.setdefault(key, snapshot.at)
            alerts.append(
                Alert(code=code, severity=severity, message=message, asset_id=asset_id, since=since)
            )
        for key in set(self._since) - active:
            del self._since[key]
        return alerts
