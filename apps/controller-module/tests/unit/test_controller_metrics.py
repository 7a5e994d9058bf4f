"""The controller's /metrics over real HTTP, parsed with prometheus_client's parser."""

from __future__ import annotations

import math
import urllib.request

from controller_module.metrics import ControllerMetrics
from prometheus_client.parser import text_string_to_metric_families

from energy_edge.messaging import Alert, AlertSeverity


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_are_served_and_alerts_that_clear_drop_to_zero() -> None:
    metrics = ControllerMetrics()
    port = metrics.serve(0, "127.0.0.1")
    try:
        fault = Alert(code="asset_fault", severity=AlertSeverity.CRITICAL, message="x", asset_id="battery-01")
        metrics.set_alerts([fault])
        metrics.set_grid(12.5, None)
        metrics.command("start_charging", 200)
        metrics.command("start_charging", 504)
        metrics.command("start_charging", 200)
        metrics.cycle_seconds.observe(0.0004)
        first = scrape(port)
        metrics.set_alerts([])
        second = scrape(port)
    finally:
        metrics.close()
    alert = ("energy_edge_controller_alerts_active", (("code", "asset_fault"), ("severity", "critical")))
    assert (first[alert], second[alert]) == (1.0, 0.0)
    assert first[("energy_edge_controller_grid_balance_watts", ())] == 12_500.0
    assert math.isnan(first[("energy_edge_controller_expected_grid_import_watts", ())])
    commands = "energy_edge_controller_commands_total"
    assert first[(commands, (("method", "start_charging"), ("status", "200")))] == 2.0
    assert first[(commands, (("method", "start_charging"), ("status", "504")))] == 1.0
    assert first[("energy_edge_controller_cycle_duration_seconds_count", ())] == 1.0
