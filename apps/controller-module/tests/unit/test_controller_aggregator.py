"""Ingest: decode, count and drop garbage, keep the newest; roll-up: the seed's fields, compact, honest."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from controller_module.aggregator import Aggregator
from controller_module.metrics import ControllerMetrics
from controller_module.registry import AssetRegistry

from energy_edge.messaging import (
    ROLLUP,
    TELEMETRY,
    Alert,
    AlertSeverity,
    BatteryTelemetry,
    GridMeterTelemetry,
    SolarInverterTelemetry,
)
from energy_edge.messaging.message import EdgeMessage
from energy_edge.statemachine import AssetState

AT = datetime(2024, 6, 1, 12, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def message(reading: object, module: str | None = "battery-module") -> EdgeMessage:
    return EdgeMessage(body=TELEMETRY.encode(reading), connection_module_id=module)  # type: ignore[arg-type]


def battery_reading(soc: float = 55.0, at: datetime = AT, power: float = -10.0) -> BatteryTelemetry:
    return BatteryTelemetry(
        asset_id="battery-01", state=AssetState.RUNNING, timestamp=at, power_output_kw=power,
        soc_percent=soc, temperature_c=25.0,
    )  # fmt: skip


def rejected(metrics: ControllerMetrics, reason: str) -> float:
    return (
        metrics.registry.get_sample_value(
            "energy_edge_controller_telemetry_rejected_total", {"reason": reason}
        )
        or 0.0
    )


def test_valid_telemetry_lands_in_the_registry_with_its_sending_module() -> None:
    registry, metrics, clock = AssetRegistry(15.0), ControllerMetrics(), Clock()
    assert Aggregator(registry, metrics, clock).ingest(message(battery_reading()))
    record = registry.get("battery-01")
    assert record is not None
    assert record.module_id == "battery-module"
    assert (
        metrics.registry.get_sample_value(
            "energy_edge_controller_telemetry_messages_total", {"asset_type": "battery"}
        )
        == 1.0
    )


def test_garbage_is_counted_by_reason_and_dropped() -> None:
    registry, metrics = AssetRegistry(15.0), ControllerMetrics()
    aggregator = Aggregator(registry, metrics, Clock())
    good = json.loads(TELEMETRY.encode(battery_reading()))
    bodies = {
        "malformed_json": b"{not json",
        "unknown_asset_type": json.dumps({**good, "asset_type": "wind"}).encode(),
        "missing_field": json.dumps({k: v for k, v in good.items() if k != "soc_percent"}).encode(),
        "out_of_range": json.dumps({**good, "soc_percent": 140.0}).encode(),
        "wrong_type": json.dumps({**good, "soc_percent": "full"}).encode(),
    }
    for body in bodies.values():
        assert not aggregator.ingest(EdgeMessage(body=body, connection_module_id="battery-module"))
    assert {reason: rejected(metrics, reason) for reason in bodies} == dict.fromkeys(bodies, 1.0)
    assert len(registry) == 0


def test_telemetry_not_sent_by_a_module_is_dropped() -> None:
    metrics = ControllerMetrics()
    assert not Aggregator(AssetRegistry(15.0), metrics, Clock()).ingest(
        message(battery_reading(), module=None)
    )
    assert rejected(metrics, "unknown_sender") == 1.0


def test_an_older_reading_arriving_late_is_ignored() -> None:
    registry, metrics = AssetRegistry(15.0), ControllerMetrics()
    aggregator = Aggregator(registry, metrics, Clock())
    aggregator.ingest(message(battery_reading(soc=60.0, at=AT + timedelta(seconds=5))))
    assert not aggregator.ingest(message(battery_reading(soc=50.0, at=AT)))
    record = registry.get("battery-01")
    assert record is not None
    assert isinstance(record.telemetry, BatteryTelemetry)
    assert record.telemetry.soc_percent == 60.0
    assert rejected(metrics, "out_of_order") == 1.0


def test_an_asset_without_recent_telemetry_is_stale_and_unknown() -> None:
    registry, clock = AssetRegistry(15.0), Clock()
    Aggregator(registry, ControllerMetrics(), clock).ingest(message(battery_reading()))
    fresh = registry.snapshot(AT, 10.0)
    stale = registry.snapshot(AT, 16.0)
    assert [b.asset_id for b in fresh.batteries] == ["battery-01"]
    assert stale.batteries == ()
    assert stale.stale == {"battery-01"}


def test_the_rollup_carries_totals_balance_and_stale_assets_without_measurements() -> None:
    registry, clock = AssetRegistry(15.0), Clock()
    aggregator = Aggregator(registry, ControllerMetrics(), clock)
    aggregator.ingest(message(battery_reading(power=-20.0)))
    solar = SolarInverterTelemetry(
        asset_id="solar-01", state=AssetState.RUNNING, timestamp=AT, power_output_kw=60.0,
        irradiance_w_m2=800.0, efficiency=0.18, temperature_c=45.0,
    )  # fmt: skip
    aggregator.ingest(message(solar, "solar-module"))
    meter = GridMeterTelemetry(
        asset_id="meter-01", state=AssetState.RUNNING, timestamp=AT, grid_power_kw=-12.5
    )
    aggregator.ingest(message(meter, "meter-module"))
    clock.now = 10.0
    stale_boiler = json.loads(TELEMETRY.encode(battery_reading()))
    stale_boiler |= {"asset_id": "battery-02"}
    aggregator.ingest(
        EdgeMessage(body=json.dumps(stale_boiler).encode(), connection_module_id="battery-module")
    )
    snapshot = registry.snapshot(AT, 12.0)  # everything fresh
    alert = Alert(code="telemetry_stale", severity=AlertSeverity.WARNING, message="x", asset_id="battery-02")
    rollup = aggregator.rollup("edge-device-01", AT, snapshot, [alert])
    body = json.loads(ROLLUP.encode(rollup))
    assert set(body) == {"device_id", "timestamp", "total_power_kw", "assets", "grid_balance_kw", "alerts"}
    assert body["total_power_kw"] == 30.0  # PV 60 - charging 20 - battery-02 charging 10
    assert body["grid_balance_kw"] == 12.5  # export
    assert body["assets"]["solar-01"] == {
        "asset_type": "solar_inverter", "state": "RUNNING", "power_output_kw": 60.0,
        "temperature_c": 45.0, "last_seen": "2024-06-01T12:00:00Z",
    }  # fmt: skip
    assert body["assets"]["battery-01"]["soc_percent"] == 55.0
    # At 24 s, what arrived at 0 s is older than 15 s: stale; battery-02 (10 s) is still fresh.
    stale_rollup = json.loads(
        ROLLUP.encode(aggregator.rollup("edge-device-01", AT, registry.snapshot(AT, 24.0), []))
    )
    assert stale_rollup["assets"]["meter-01"] == {
        "asset_type": "grid_meter",
        "stale": True,
        "last_seen": "2024-06-01T12:00:00Z",
    }
    assert stale_rollup["grid_balance_kw"] is None
    assert len(ROLLUP.encode(rollup)) < 1024
