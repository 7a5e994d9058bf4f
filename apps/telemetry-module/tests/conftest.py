from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio
import pytest
from prometheus_client.parser import text_string_to_metric_families
from telemetry_module import IoTMessageUploader, Settings, TelemetryMetrics, TelemetryService
from telemetry_module.upload import Uploader

from energy_edge.messaging.edge import EdgeClient, InProcessHub
from energy_edge.messaging.edge.twin import ModuleTwin
from energy_edge.messaging.manifest import load_manifest
from energy_edge.modulehost.testing import find_deployment_template

MODULE = "telemetry-module"


@pytest.fixture
def anyio_backend() -> str:
    """Real time: these tests talk to real HTTP servers on loopback, with sub-second intervals."""
    return "asyncio"


def settings_for(
    urls: list[str], *, interval_s: float = 0.2, timeout_s: float = 0.15, **env: str
) -> Settings:
    """Settings through the real environment parser."""
    environ = {
        "MetricsEndpointsCSV": ",".join(urls),
        "ScrapeFrequencyInSecs": str(interval_s),
        "ScrapeTimeoutInSecs": str(timeout_s),
        **env,
    }
    return Settings.from_environ(environ)


async def until(condition: Callable[[], bool], *, timeout_s: float = 5.0) -> None:
    """Poll ``condition`` (no event to wait on: the hub and the metrics are plain state)."""
    with anyio.fail_after(timeout_s):
        while not condition():  # noqa: ASYNC110 - polling plain state
            await anyio.sleep(0.005)


@dataclass
class RunningModule:
    hub: InProcessHub
    client: EdgeClient
    service: TelemetryService
    metrics: TelemetryMetrics

    def sample(self, name: str, **labels: str) -> float:
        """A value from the module's own registry (0 if the series does not exist)."""
        value = self.metrics.registry.get_sample_value(name, labels)
        return 0.0 if value is None else value

    @property
    def reported(self) -> dict[str, object]:
        return self.hub.twins[MODULE].reported


@asynccontextmanager
async def telemetry_on_hub(
    settings: Settings,
    *,
    desired: Mapping[str, object] | None = None,
    uploader: Callable[[EdgeClient, TelemetryMetrics], Uploader] | None = None,
) -> AsyncGenerator[RunningModule]:
    """The telemetry module running on an in-process hub routed by the real deployment manifest.

    ``desired`` replaces the module's desired properties (default: none, so the environment's interval
    holds; the manifest's 60 s would make these tests slow)."""
    with InProcessHub(load_manifest(find_deployment_template())) as hub:
        hub.twins[MODULE] = ModuleTwin(desired=dict(desired or {}))
        async with hub.client(MODULE) as client, anyio.create_task_group() as tasks:
            metrics = TelemetryMetrics(endpoint.url for endpoint in settings.endpoints)
            chosen = (
                uploader(client, metrics)
                if uploader is not None
                else IoTMessageUploader(
                    client, metrics, compress=settings.compress, capacity=settings.max_buffered_samples
                )
            )
            service = TelemetryService(
                client, settings, uploader=chosen, clock=lambda: datetime.now(UTC), metrics=metrics
            )
            await tasks.start(service.run)
            yield RunningModule(hub, client, service, metrics)
            tasks.cancel_scope.cancel()


def parse_metrics(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Exposition text as {sample name: {sorted labels: value}}."""
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples
