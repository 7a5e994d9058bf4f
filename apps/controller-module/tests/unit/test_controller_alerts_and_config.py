from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from controller_module.alerts import AlertBook
from controller_module.config import ControllerConfig
from controller_module.dispatcher import Command, CommandOutcome
from controller_module.registry import AssetRegistry

from energy_edge.messaging import AlertSeverity, BatteryTelemetry, GridMeterTelemetry
from energy_edge.statemachine import AssetState

AT = datetime(2024, 6, 1, 12, tzinfo=UTC)


def registry_with(*readings: object, received_at_s: float = 0.0) -> AssetRegistry:
    registry = AssetRegistry(15.0)
    for reading in readings:
        registry.update(reading, "some-module", received_at_s)  # type: ignore[arg-type]
    return registry


def battery(
    soc: float = 50.0, state: AssetState = AssetState.RUNNING, fault: str | None = None
) -> BatteryTelemetry:
    return BatteryTelemetry(
        asset_id="battery-01", state=state, timestamp=AT, fault_code=fault, power_output_kw=0.0,
        soc_percent=soc, temperature_c=25.0,
    )  # fmt: skip


def meter(grid_kw: float) -> GridMeterTelemetry:
    return GridMeterTelemetry(
        asset_id="meter-01", state=AssetState.RUNNING, timestamp=AT, grid_power_kw=grid_kw
    )


def codes(
    book: AlertBook,
    registry: AssetRegistry,
    now_s: float = 1.0,
    failures: dict | None = None,
    **config: Any,
) -> dict[str, tuple[AlertSeverity, str | None]]:
    snapshot = registry.snapshot(AT + timedelta(seconds=now_s), now_s)
    return {
        a.code: (a.severity, a.asset_id)
        for a in book.current(registry, snapshot, failures or {}, ControllerConfig(**config))
    }


def test_a_healthy_site_raises_nothing() -> None:
    assert codes(AlertBook(), registry_with(battery(), meter(10.0))) == {}


def test_a_faulted_asset_is_critical_with_its_fault_code() -> None:
    book, registry = (
        AlertBook(),
        registry_with(battery(state=AssetState.FAULT, fault="BMS: over-voltage"), meter(0.0)),
    )
    snapshot = registry.snapshot(AT, 1.0)
    [alert] = book.current(registry, snapshot, {}, ControllerConfig())
    assert (alert.code, alert.severity, alert.asset_id) == (
        "asset_fault",
        AlertSeverity.CRITICAL,
        "battery-01",
    )
    assert alert.message == "battery-01 in FAULT: BMS: over-voltage"


def test_stale_telemetry_and_a_missing_meter() -> None:
    registry = registry_with(battery())
    assert codes(AlertBook(), registry, now_s=30.0) == {
        "telemetry_stale": (AlertSeverity.WARNING, "battery-01"),
        "meter_unavailable": (AlertSeverity.CRITICAL, None),
    }


def test_grid_limits_measured_beyond_their_limit() -> None:
    assert "grid_import_limit" in codes(AlertBook(), registry_with(meter(260.0)), import_limit_kw=250.0)
    assert "grid_export_limit" in codes(AlertBook(), registry_with(meter(-120.0)), export_limit_kw=100.0)


def test_battery_at_reserve_is_information() -> None:
    assert codes(AlertBook(), registry_with(battery(soc=19.0), meter(0.0)), battery_reserve_percent=20.0) == {
        "battery_at_reserve": (AlertSeverity.INFO, "battery-01")
    }


def test_a_failed_command_is_a_warning_until_one_succeeds() -> None:
    command = Command("battery-01", "battery-module", "start_charging", {"power_kw": 5.0}, "test")
    failures = {"battery-01": CommandOutcome(command, 409, "battery full", 1.0)}
    assert codes(AlertBook(), registry_with(meter(0.0)), failures=failures) == {
        "command_failed": (AlertSeverity.WARNING, "battery-01")
    }


def test_an_alert_keeps_the_time_it_was_first_raised() -> None:
    book = AlertBook()
    registry = registry_with(battery(state=AssetState.FAULT, fault="x"), meter(0.0))
    first = book.current(registry, registry.snapshot(AT, 1.0), {}, ControllerConfig())
    later = book.current(registry, registry.snapshot(AT + timedelta(minutes=5), 2.0), {}, ControllerConfig())
    assert first[0].since == later[0].since == AT


def test_configuration_cross_checks() -> None:
    with pytest.raises(msgspec.ValidationError, match="boiler_off_fraction"):
        msgspec.convert({"boiler_on_fraction": 0.2, "boiler_off_fraction": 0.5}, ControllerConfig)
    with pytest.raises(msgspec.ValidationError, match="grid_target_kw"):
        msgspec.convert({"grid_target_kw": 150.0, "export_limit_kw": 100.0}, ControllerConfig)
    with pytest.raises(msgspec.ValidationError, match="setpoint_refresh_s"):
        msgspec.convert({"command_timeout_s": 20.0, "setpoint_refresh_s": 30.0}, ControllerConfig)
    with pytest.raises(msgspec.ValidationError, match="Invalid enum value 'maximise_profit'"):
        msgspec.convert({"mode": "maximise_profit"}, ControllerConfig)
