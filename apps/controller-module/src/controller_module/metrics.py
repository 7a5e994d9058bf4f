"""Prometheus metrics of the controller, on a registry of its own, served on ``/metrics``."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Final
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Gauge, start_http_server

from energy_edge.messaging import Alert
from energy_edge.modulehost.tally import CounterChild, CounterTally, HistogramTally

PREFIX: Final = "energy_edge_controller"
CYCLE_BUCKETS: Final = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


class ControllerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        # Counters and histograms are tallies (energy_edge.modulehost.tally): the same exposition as
        # prometheus_client's, without a lock taken for each message and cycle.
        self.telemetry = CounterTally(
            f"{PREFIX}_telemetry_messages_total", "Telemetry accepted", ("asset_type",), registry=r
        )
        self.rejected = CounterTally(
            f"{PREFIX}_telemetry_rejected_total", "Telemetry dropped, by reason", ("reason",), registry=r
        )
        self.cycle_seconds = HistogramTally(
            f"{PREFIX}_cycle_duration_seconds",
            "Control cycle: snapshot to commands",
            (),
            buckets=CYCLE_BUCKETS,
            registry=r,
        )
        self.commands = CounterTally(
            f"{PREFIX}_commands_total",
            "Direct methods sent, by method and status",
            ("method", "status"),
            registry=r,
        )
        self.grid_balance = Gauge(
            f"{PREFIX}_grid_balance_watts",
            "Export at the grid connection (> 0 surplus); NaN when unknown",
            registry=r,
        )
        self.expected_grid = Gauge(
            f"{PREFIX}_expected_grid_import_watts",
            "Import expected once the set-points act; NaN without a meter",
            registry=r,
        )
        self.alerts = Gauge(f"{PREFIX}_alerts_active", "Active alerts", ("code", "severity"), registry=r)
        self.rollups = CounterTally(f"{PREFIX}_rollups_total", "Roll-ups sent upstream", (), registry=r)
        self.assets = Gauge(
            f"{PREFIX}_assets", "Assets known, by state (stale counted as STALE)", ("state",), registry=r
        )
        # Read at scrape time from what the last control cycle set: a cycle every few seconds (hundreds of
        # thousands in a simulated day), a scrape far less often, and Gauge.set takes a lock every time.
        self._grid_balance_watts = self._expected_grid_watts = 0.0
        self.grid_balance.set_function(lambda: self._grid_balance_watts)
        self.expected_grid.set_function(lambda: self._expected_grid_watts)
        self._alert_labels: set[tuple[str, str]] = set()
        self._telemetry_children: dict[str, CounterChild] = {}
        self._command_children: dict[tuple[str, int], CounterChild] = {}
        self._server: WSGIServer | None = None

    def count_telemetry(self, asset_type: str) -> None:
        # One labelled child per asset type, looked up once: labels() costs more than inc() itself.
        child = self._telemetry_children.get(asset_type)
        if child is None:
            child = self._telemetry_children[asset_type] = self.telemetry.labels(asset_type=asset_type)
        child.inc()

    def command(self, method: str, status: int) -> None:
        # As for telemetry: one child per (method, status) seen, looked up once.
        child = self._command_children.get((method, status))
        if child is None:
            child = self._command_children[(method, status)] = self.commands.labels(
                method=method, status=str(status)
            )
        child.inc()

    def set_grid(self, balance_kw: float | None, expected_import_kw: float | None) -> None:
        self._grid_balance_watts = math.nan if balance_kw is None else balance_kw * 1000.0
        self._expected_grid_watts = math.nan if expected_import_kw is None else expected_import_kw * 1000.0

    def set_alerts(self, alerts: Iterable[Alert]) -> None:
        counts: dict[tuple[str, str], int] = {}
        for alert in alerts:
            key = (alert.code, alert.severity.value)
            counts[key] = counts.get(key, 0) + 1
        for key in self._alert_labels - counts.keys():
            self.alerts.labels(*key).set(0)
        for key, count in counts.items():
            self.alerts.labels(*key).set(count)
        self._alert_labels |= counts.keys()

    def set_asset_states(self, counts: dict[str, int]) -> None:
        for state, count in counts.items():
            self.assets.labels(state=state).set(count)

    def serve(self, port: int, address: str = "0.0.0.0") -> int:  # noqa: S104 - the telemetry module scrapes it
        self.close()
        self._server, _thread = start_http_server(port, addr=address, registry=self.registry)
        return int(self._server.server_port)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
