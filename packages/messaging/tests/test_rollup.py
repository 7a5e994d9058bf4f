"""The controller's roll-up: the seed's fields, compact, and honest about unknown values."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from energy_edge.messaging import ROLLUP, Alert, AlertSeverity, AssetSummary, AssetType, SiteRollup
from energy_edge.statemachine import AssetState

AT = datetime(2024, 6, 1, 12, tzinfo=UTC)


def rollup(**overrides: object) -> SiteRollup:
    fields: dict[str, object] = {
        "device_id": "edge-device-01",
        "timestamp": AT,
        "total_power_kw": 185.3,
        "assets": {
            "solar-01": AssetSummary(
                asset_type=AssetType.SOLAR_INVERTER, state=AssetState.RUNNING, power_output_kw=42.5
            )
        },
        "grid_balance_kw": 12.5,
        "alerts": [],
    }
    fields.update(overrides)
    return SiteRollup(**fields)  # pyright: ignore[reportArgumentType]


def test_rollup_carries_the_seed_fields() -> None:
    body = json.loads(ROLLUP.encode(rollup()))
    assert set(body) == {"device_id", "timestamp", "total_power_kw", "assets", "grid_balance_kw", "alerts"}
    assert body["timestamp"] == "2024-06-01T12:00:00Z"
    assert body["assets"]["solar-01"] == {
        "asset_type": "solar_inverter",
        "state": "RUNNING",
        "power_output_kw": 42.5,
    }


def test_rollup_round_trips() -> None:
    original = rollup(
        alerts=[
            Alert(code="asset_fault", severity=AlertSeverity.CRITICAL, message="x", asset_id="battery-01")
        ]
    )
    assert ROLLUP.decode(ROLLUP.encode(original)) == original


def test_unknown_grid_balance_is_null_not_zero() -> None:
    assert json.loads(ROLLUP.encode(rollup(grid_balance_kw=None)))["grid_balance_kw"] is None


def test_a_stale_asset_reports_no_measurements() -> None:
    stale = AssetSummary(asset_type=AssetType.BATTERY, stale=True, last_seen=AT)
    body = json.loads(ROLLUP.encode(rollup(assets={"battery-01": stale})))
    assert body["assets"]["battery-01"] == {
        "asset_type": "battery",
        "stale": True,
        "last_seen": "2024-06-01T12:00:00Z",
    }


def test_a_busy_site_rollup_fits_one_iot_hub_message_unit() -> None:
    assets = {
        f"{kind.value}-{n:02d}": AssetSummary(
            asset_type=kind,
            state=AssetState.RUNNING,
            power_output_kw=-123.456,
            soc_percent=55.5,
            temperature_c=41.2,
            last_seen=AT,
        )
        for kind in AssetType
        for n in range(3)
    }
    alerts = [
        Alert(
            code="telemetry_stale",
            severity=AlertSeverity.WARNING,
            message=f"no telemetry from boiler-0{n} for 30 s",
            asset_id=f"boiler-0{n}",
            since=AT,
        )
        for n in range(5)
    ]
    assert len(ROLLUP.encode(rollup(assets=assets, alerts=alerts))) < 4096
