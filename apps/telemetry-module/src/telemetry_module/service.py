"""The telemetry module: four tasks over one EdgeClient.

- **scrape**: every scrape interval (the first one interval after start), every endpoint concurrently, each
  within ``min(ScrapeTimeoutInSecs, interval)``; the selected samples go to the uploader;
- **upload**: the uploader's own loop (IoT messages from the buffer, or an Azure Monitor export), so a slow
  upload never delays a scrape;
- **twin**: ``scrape_interval_s`` from the desired properties, validated, applied at once (a shorter
  interval does not wait out the longer one) and reported, as on every module;
- **connection**: when the edgeHub connection comes back, the uploader retries at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import anyio
import anyio.abc

from energy_edge.messaging.edge import EdgeClient
from energy_edge.modulehost import TwinConfig
from energy_edge.modulehost.twin_sync import ConfigFollower
from telemetry_module.config import Endpoint, Settings, TelemetryConfig
from telemetry_module.fetch import http_get
from telemetry_module.metrics import TelemetryMetrics
from telemetry_module.samples import MetricSample, identifying_labels
from telemetry_module.scrape import EndpointHealth, Fetch, ScrapeOutcome, scrape_all
from telemetry_module.upload import Uploader

_log = logging.getLogger(__name__)


class TelemetryService:
    def __init__(
        self,
        client: EdgeClient,
        settings: Settings,
        *,
        uploader: Uploader,
        clock: Callable[[], datetime],
        metrics: TelemetryMetrics | None = None,
        fetch: Fetch = http_get,
    ) -> None:
        self.client = client
        self.settings = settings
        self.uploader = uploader
        self.metrics = metrics if metrics is not None else TelemetryMetrics(e.url for e in settings.endpoints)
        self.health = EndpointHealth(self.metrics, device_id=client.device_id)
        self.twin: TwinConfig[TelemetryConfig] = TwinConfig(TelemetryConfig)
        self.config_follower = ConfigFollower(self.twin, client, apply=self._apply, name="telemetry")
        self.scrapes = 0
        self._clock = clock
        self._fetch = fetch
        self._labels = {
            endpoint.url: identifying_labels(endpoint, client.device_id, settings.iothub)
            for endpoint in settings.endpoints
        }
        self._interval_s = settings.scrape_interval_s
        self._interval_changed = anyio.Event()
        self.metrics.scrape_interval.set(self._interval_s)

    @property
    def interval_s(self) -> float:
        """The scrape interval in force: the desired property if set, else ``ScrapeFrequencyInSecs``."""
        return self._interval_s

    @property
    def timeout_s(self) -> float:
        return min(self.settings.scrape_timeout_s, self._interval_s)

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        await self.config_follower.load()
        _log.info(
            "scraping %d endpoint(s) every %g s, uploading as %s",
            len(self.settings.endpoints),
            self._interval_s,
            self.settings.upload_target.value,
        )
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(self._scrape_forever)
            tasks.start_soon(self.uploader.run)
            tasks.start_soon(self.config_follower.follow)
            tasks.start_soon(self._retry_on_reconnect)
            task_status.started()

    async def scrape_once(self) -> list[ScrapeOutcome]:
        """One scrape of every endpoint; the samples go to the uploader."""
        outcomes = await scrape_all(
            self.settings.endpoints,
            timeout_s=self.timeout_s,
            scraped_at=self._clock(),
            extra_labels=self._extra_labels,
            metric_filter=self.settings.metric_filter,
            fetch=self._fetch,
        )
        samples: list[MetricSample] = []
        for outcome in outcomes:
            self.health.record(outcome)
            samples += outcome.samples
        self.uploader.submit(samples)
        self.scrapes += 1
        return outcomes

    # -- loops -------------------------------------------------------------------------------------------

    async def _scrape_forever(self) -> None:
        last = anyio.current_time()
        while True:
            await self._wait_until_due(last)
            last = anyio.current_time()
            await self.scrape_once()

    async def _wait_until_due(self, last: float) -> None:
        """Sleep until ``last`` + the interval; a new interval re-plans the wait from ``last``."""
        while (remaining := last + self._interval_s - anyio.current_time()) > 0:
            with anyio.move_on_after(remaining) as waiting:
                await self._interval_changed.wait()
            if waiting.cancelled_caught:
                return
            self._interval_changed = anyio.Event()

    async def _retry_on_reconnect(self) -> None:
        async for connected in self.client.connection_changes():
            if connected:
                self.uploader.wake()

    def _extra_labels(self, endpoint: Endpoint) -> Mapping[str, str]:
        return self._labels[endpoint.url]

    # -- configuration -----------------------------------------------------------------------------------

    async def apply_patch(self, patch: Mapping[str, Any]) -> bool:
        return await self.config_follower.apply_patch(patch)

    async def _apply(self, config: TelemetryConfig) -> None:
        interval = (
            self.settings.scrape_interval_s if config.scrape_interval_s is None else config.scrape_interval_s
        )
        if interval != self._interval_s:
            _log.info("scrape interval %g s -> %g s", self._interval_s, interval)
            self._interval_s = interval
            self.metrics.scrape_interval.set(interval)
            self._interval_changed.set()
