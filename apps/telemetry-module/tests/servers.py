"""Real HTTP servers on loopback for the telemetry module's tests.

- :func:`prometheus_server`: prometheus_client's own ``start_http_server`` on port 0 with a registry of its
  own, i.e. exactly what every module of the platform serves;
- :class:`ScriptedServer`: a tiny ``http.server`` whose status, body and delay the test changes while it
  runs (a slow endpoint, one serving garbage, one that fails and recovers);
- :func:`closed_port`: a loopback port nobody listens on (an endpoint that is down).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

LOOPBACK = "127.0.0.1"


@contextmanager
def prometheus_server(registry: CollectorRegistry) -> Iterator[str]:
    """Serve ``registry`` on ``http://127.0.0.1:<port>/metrics`` until the block ends."""
    with prometheus_servers(registry) as (url,):
        yield url


@contextmanager
def prometheus_servers(*registries: CollectorRegistry) -> Iterator[tuple[str, ...]]:
    """One prometheus_client server per registry; stopped together (each stop takes up to the server's
    0.5 s poll interval, so they are stopped in parallel)."""
    started = [start_http_server(0, addr=LOOPBACK, registry=registry) for registry in registries]
    try:
        yield tuple(f"http://{LOOPBACK}:{server.server_port}/metrics" for server, _ in started)
    finally:
        stoppers = [threading.Thread(target=server.shutdown) for server, _ in started]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join(timeout=5)
        for server, thread in started:
            server.server_close()
            thread.join(timeout=5)


def app_registry(app: str, *, requests: int = 3, temperature: float = 21.5) -> CollectorRegistry:
    """A small registry like a module's: a labelled counter, a gauge and a histogram."""
    registry = CollectorRegistry()
    counter = Counter("app_requests_total", "Requests handled", ("app", "code"), registry=registry)
    counter.labels(app=app, code="200").inc(requests)
    counter.labels(app=app, code="500").inc(1)
    Gauge("app_temperature_celsius", "Temperature", ("app",), registry=registry).labels(app=app).set(
        temperature
    )
    histogram = Histogram(
        "app_latency_seconds", "Latency", ("app",), buckets=(0.01, 0.1, 1.0), registry=registry
    )
    histogram.labels(app=app).observe(0.05)
    return registry


def closed_port() -> int:
    """A loopback port that was just free: connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


class ScriptedServer:
    """An HTTP server whose answer the test scripts: ``status``, ``body``, ``delay_s`` (changeable live).

    A delayed answer waits on an event that :meth:`close` sets, so teardown never waits for a sleeper.
    """

    def __init__(self, body: bytes = b"", *, status: int = 200, delay_s: float = 0.0) -> None:
        self.body = body
        self.status = status
        self.delay_s = delay_s
        self.requests = 0
        self._released = threading.Event()
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                scripted.requests += 1
                if scripted.delay_s and scripted._released.wait(scripted.delay_s):
                    return  # the test is over
                try:
                    self.send_response(scripted.status)
                    self.send_header("Content-Type", "text/plain; version=0.0.4")
                    self.send_header("Content-Length", str(len(scripted.body)))
                    self.end_headers()
                    self.wfile.write(scripted.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the scraper gave up waiting

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        self.url = f"http://{LOOPBACK}:{self._server.server_port}/metrics"

    def close(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


GARBAGE = b"<html><body>502 Bad Gateway</body></html>\n"
MALFORMED = b'# HELP up Up.\n# TYPE up gauge\nup{job="x",instance="unterminated} 1\n'
