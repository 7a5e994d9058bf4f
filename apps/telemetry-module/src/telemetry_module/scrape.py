"""Scraping: every endpoint at once, each within its own timeout, each failure contained.

``scrape_all`` runs one task per endpoint in a task group; a down, slow or garbage-serving endpoint ends
as a failed :class:`ScrapeOutcome` and the others are unaffected. :class:`EndpointHealth` counts every
outcome in the module's metrics and logs an endpoint only when its state changes (healthy -> failing ->
healthy), so a module that is down for a day is one warning and one recovery line, not 1,440 warnings.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import anyio

from telemetry_module.config import Endpoint
from telemetry_module.fetch import FetchError, http_get
from telemetry_module.metrics import TelemetryMetrics
from telemetry_module.samples import ExpositionError, MetricSample, ParsedScrape, parse_exposition
from telemetry_module.selectors import MetricFilter

_log = logging.getLogger(__name__)

Fetch = Callable[[Endpoint], Awaitable[bytes]]


@dataclass(frozen=True, slots=True)
class ScrapeOutcome:
    endpoint: Endpoint
    result: str
    """``ok`` or why not: ``timeout``, ``connection_error``, ``http_error``, ``invalid``, ``too_large``."""
    reason: str = ""
    parsed: ParsedScrape | None = None
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.parsed is not None

    @property
    def samples(self) -> list[MetricSample]:
        return [] if self.parsed is None else self.parsed.samples


async def scrape_endpoint(
    endpoint: Endpoint,
    *,
    timeout_s: float,
    scraped_at: datetime,
    extra_labels: Mapping[str, str],
    metric_filter: MetricFilter,
    fetch: Fetch = http_get,
) -> ScrapeOutcome:
    """Fetch and parse one endpoint; never raises for anything the endpoint does."""
    started = time.perf_counter()

    def failed(result: str, reason: str) -> ScrapeOutcome:
        return ScrapeOutcome(endpoint, result, reason, None, time.perf_counter() - started)

    try:
        with anyio.fail_after(timeout_s):
            body = await fetch(endpoint)
    except TimeoutError:
        return failed("timeout", f"no complete answer within {timeout_s:g} s")
    except FetchError as error:
        return failed(error.result, error.reason)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        return failed("invalid", f"not UTF-8 text: {error.reason} at byte {error.start}")
    try:
        parsed = parse_exposition(
            text, endpoint, scraped_at=scraped_at, extra_labels=extra_labels, metric_filter=metric_filter
        )
    except ExpositionError as error:
        return failed("invalid", str(error))
    return ScrapeOutcome(endpoint, "ok", "", parsed, time.perf_counter() - started)


async def scrape_all(
    endpoints: Sequence[Endpoint],
    *,
    timeout_s: float,
    scraped_at: datetime,
    extra_labels: Callable[[Endpoint], Mapping[str, str]],
    metric_filter: MetricFilter,
    fetch: Fetch = http_get,
) -> list[ScrapeOutcome]:
    """Scrape every endpoint concurrently; outcomes in the order of ``endpoints``."""
    outcomes: dict[int, ScrapeOutcome] = {}

    async def one(index: int, endpoint: Endpoint) -> None:
        outcomes[index] = await scrape_endpoint(
            endpoint,
            timeout_s=timeout_s,
            scraped_at=scraped_at,
            extra_labels=extra_labels(endpoint),
            metric_filter=metric_filter,
            fetch=fetch,
        )

    async with anyio.create_task_group() as tasks:
        for index, endpoint in enumerate(endpoints):
            tasks.start_soon(one, index, endpoint)
    return [outcomes[index] for index in range(len(endpoints))]


class EndpointHealth:
    """Counts scrape outcomes and logs each endpoint once per change of state."""

    def __init__(self, metrics: TelemetryMetrics, *, device_id: str = "") -> None:
        self._metrics = metrics
        self._device_id = device_id
        self._failures: dict[str, int] = {}

    def failing(self, endpoint: Endpoint) -> int:
        """Consecutive failed scrapes of ``endpoint`` (0: healthy)."""
        return self._failures.get(endpoint.url, 0)

    def record(self, outcome: ScrapeOutcome) -> None:
        url = outcome.endpoint.url
        metrics = self._metrics
        metrics.scrapes.labels(endpoint=url, result=outcome.result).inc()
        metrics.scrape_seconds.labels(endpoint=url).observe(outcome.duration_s)
        metrics.endpoint_up.labels(endpoint=url).set(1 if outcome.ok else 0)
        if outcome.parsed is not None:
            parsed = outcome.parsed
            metrics.samples_scraped.labels(endpoint=url).inc(parsed.scraped)
            if parsed.filtered:
                metrics.samples_filtered.labels(endpoint=url).inc(parsed.filtered)
            if parsed.non_finite:
                metrics.samples_dropped.labels(reason="non_finite").inc(parsed.non_finite)
            failures = self._failures.pop(url, 0)
            if failures:
                _log.info("%s: healthy again after %d failed scrape(s)", url, failures)
            return
        failures = self._failures.get(url, 0)
        self._failures[url] = failures + 1
        if failures == 0:
            _log.warning(
                "%s: scrape failed (%s: %s); logged again when it recovers",
                url,
                outcome.result,
                outcome.reason,
                extra={
                    "telemetry.endpoint": url,
                    "telemetry.scrape_result": outcome.result,
                    "device.id": self._device_id,
                },
            )
        else:
            _log.debug("%s: still failing (%s: %s)", url, outcome.result, outcome.reason)
