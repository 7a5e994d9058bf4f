"""Prometheus metrics of one asset module, on a registry of its own, served on ``/metrics``.

Names are in base units with the ``energy_edge_`` prefix (DESIGN.md): watts, celsius, ratio, seconds,
``_total`` counters. A module owns a :class:`CollectorRegistry` rather than the process-global one, so the
site simulator can run every module in one process without their series colliding.
"""

from __future__ import annotations

from typing import Final
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Gauge, start_http_server

from energy_edge.modulehost.tally import CounterChild, CounterTally, HistogramChild, HistogramTally
from energy_edge.statemachine import AssetState

PREFIX: Final = "energy_edge"
METHOD_LATENCY_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class ModuleMetrics:
    """The series every asset module exports, labelled with its module and asset id."""

    def __init__(self, *, module_id: str, asset_id: str, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        labels = {"module": module_id, "asset_id": asset_id}
        names = ("module", "asset_id")

        def gauge(name: str, doc: str) -> Gauge:
            # Children with the module's labels are bound once: labels() costs more than set() itself,
            # and the tick updates these every second.
            return Gauge(f"{PREFIX}_{name}", doc, names, registry=self.registry).labels(**labels)

        def counter(name: str, doc: str) -> CounterChild:
            # Tallies, not prometheus_client Counters: the tick counts every message (see tally.py).
            return CounterTally(f"{PREFIX}_{name}", doc, names, registry=self.registry).labels(**labels)

        self._labels = labels
        self._server: WSGIServer | None = None
        self.power_watts = gauge(
            "asset_power_watts", "Active power, > 0 into the site bus (meter: > 0 import)"
        )
        state = Gauge(
            f"{PREFIX}_asset_state",
            "1 for the asset's current lifecycle state, 0 for the others",
            (*names, "state"),
            registry=self.registry,
        )
        self._states = {candidate: state.labels(**labels, state=candidate.value) for candidate in AssetState}
        self.temperature = gauge("asset_temperature_celsius", "Equipment temperature")
        self.soc_ratio = gauge("battery_soc_ratio", "Battery state of charge, 0-1")
        # Read at scrape time from what the tick last observed: a scrape comes every few seconds at most, a
        # tick every second (and a simulated day has hundreds of thousands), and Gauge.set checks the
        # child and takes its lock every time.
        self._power_watts = self._temperature_c = self._soc_ratio = 0.0
        self.power_watts.set_function(lambda: self._power_watts)
        self.temperature.set_function(lambda: self._temperature_c)
        self.soc_ratio.set_function(lambda: self._soc_ratio)
        self.commands = CounterTally(
            f"{PREFIX}_commands_total",
            "Direct methods handled, by method and status",
            (*names, "method", "status"),
            registry=self.registry,
        )
        self.method_seconds = HistogramTally(
            f"{PREFIX}_method_duration_seconds",
            "Time to handle a direct method",
            (*names, "method"),
            buckets=METHOD_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.telemetry_sent = counter("telemetry_messages_total", "Telemetry messages sent")
        self.telemetry_failed = counter(
            "telemetry_send_failures_total", "Telemetry messages that could not be sent"
        )
        self.faults = counter("asset_faults_total", "Transitions into FAULT")
        self.setpoint_expiries = counter(
            "setpoint_expiries_total", "Set-points that lapsed and fell back to safe"
        )
        self.config_rejections = counter("config_rejections_total", "Desired-property patches rejected")
        # Labelled children of the per-method series, looked up once per (method, status): the label set is
        # small (the command table, 'unknown' for the rest, a handful of statuses).
        self._command_children: dict[tuple[str, int], tuple[CounterChild, HistogramChild]] = {}
        self.set_state(AssetState.IDLE)

    def set_state(self, state: AssetState) -> None:
        for candidate, child in self._states.items():
            child.set(1 if candidate is state else 0)

    def observe(self, *, power_kw: float, temperature_c: float | None, soc_percent: float | None) -> None:
        """A reading's power, temperature and state of charge, exported from now on (an unknown one keeps
        the last known value)."""
        self._power_watts = power_kw * 1000.0
        if temperature_c is not None:
            self._temperature_c = temperature_c
        if soc_percent is not None:
            self._soc_ratio = soc_percent / 100.0

    def command(self, method: str, status: int, seconds: float) -> None:
        children = self._command_children.get((method, status))
        if children is None:
            children = self._command_children[(method, status)] = (
                self.commands.labels(**self._labels, method=method, status=str(status)),
                self.method_seconds.labels(**self._labels, method=method),
            )
        count, duration = children
        count.inc()
        duration.observe(seconds)

    @staticmethod
    def count(counter: CounterChild) -> None:
        counter.inc()

    def serve(self, port: int, address: str = "0.0.0.0") -> int:  # noqa: S104 - other modules scrape it
        """Serve ``/metrics`` over HTTP in a daemon thread; returns the bound port (``port=0`` picks one)."""
        self.close()
        self._server, _thread = start_http_server(port, addr=address, registry=self.registry)
        return int(self._server.server_port)

    def close(self) -> None:
        """Stop serving (idempotent)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
