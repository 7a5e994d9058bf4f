"""The telemetry module's own health metrics, on a registry of its own, served on ``/metrics``.

It scrapes itself like any other module (its endpoint is in the manifest's ``MetricsEndpointsCSV``), so
these reach the cloud alongside everyone else's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

PREFIX: Final = "energy_edge_telemetry"
SCRAPE_RESULTS: Final = ("ok", "timeout", "connection_error", "http_error", "invalid", "too_large")
DROP_REASONS: Final = ("buffer_full", "oversize", "non_finite")
SCRAPE_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class TelemetryMetrics:
    def __init__(self, endpoints: Iterable[str] = (), registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.scrapes = Counter(
            f"{PREFIX}_scrapes_total", "Scrapes, by endpoint and result", ("endpoint", "result"), registry=r
        )
        self.scrape_seconds = Histogram(
            f"{PREFIX}_scrape_duration_seconds",
            "Time to fetch and parse one endpoint",
            ("endpoint",),
            buckets=SCRAPE_BUCKETS,
            registry=r,
        )
        self.endpoint_up = Gauge(
            f"{PREFIX}_endpoint_up",
            "1 if the endpoint's last scrape succeeded, else 0",
            ("endpoint",),
            registry=r,
        )
        self.samples_scraped = Counter(
            f"{PREFIX}_samples_scraped_total", "Samples read from an endpoint", ("endpoint",), registry=r
        )
        self.samples_filtered = Counter(
            f"{PREFIX}_samples_filtered_total",
            "Samples left out by AllowedMetrics/BlockedMetrics",
            ("endpoint",),
            registry=r,
        )
        self.samples_shipped = Counter(
            f"{PREFIX}_samples_shipped_total", "Samples handed on upstream successfully", registry=r
        )
        self.samples_dropped = Counter(
            f"{PREFIX}_samples_dropped_total", "Samples lost, by reason", ("reason",), registry=r
        )
        self.messages_sent = Counter(f"{PREFIX}_messages_sent_total", "IoT messages sent", registry=r)
        self.bytes_sent = Counter(
            f"{PREFIX}_bytes_sent_total", "Message bodies sent, in bytes as sent (after gzip)", registry=r
        )
        self.upload_failures = Counter(
            f"{PREFIX}_upload_failures_total", "Upload attempts that failed", registry=r
        )
        self.buffered_samples = Gauge(
            f"{PREFIX}_buffered_samples", "Samples waiting to be uploaded", registry=r
        )
        self.scrape_interval = Gauge(
            f"{PREFIX}_scrape_interval_seconds", "Scrape interval in force", registry=r
        )
        for reason in DROP_REASONS:
            self.samples_dropped.labels(reason=reason)
        for endpoint in endpoints:
            self.scrapes.labels(endpoint=endpoint, result="ok")
            self.samples_scraped.labels(endpoint=endpoint)
        self._server: WSGIServer | None = None

    def serve(self, port: int, address: str = "0.0.0.0") -> int:  # noqa: S104 - scraped by itself and tools
        self.close()
        self._server, _thread = start_http_server(port, addr=address, registry=self.registry)
        return int(self._server.server_port)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
