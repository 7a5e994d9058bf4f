"""The telemetry module against real Prometheus servers on loopback, on an in-process hub routed by the real
deployment manifest, in real time (sub-second intervals and timeouts)."""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import anyio
import pytest
from opentelemetry.sdk.metrics.export import Gauge, InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from telemetry_module import AzureMonitorUploader, decode_body
from telemetry_module.main import build

from energy_edge.messaging.edge import EdgeClient, InProcessHub
from energy_edge.messaging.edge.twin import ModuleTwin
from energy_edge.messaging.manifest import load_manifest
from energy_edge.modulehost.runner import serve_edge_module
from energy_edge.modulehost.testing import find_deployment_template

from ..conftest import MODULE, parse_metrics, settings_for, telemetry_on_hub, until
from ..servers import GARBAGE, MALFORMED, ScriptedServer, app_registry, closed_port, prometheus_servers

pytestmark = pytest.mark.anyio

SAMPLE = "energy_edge_telemetry_scrapes_total"


@dataclass
class Site:
    healthy: tuple[str, ...]
    down: str
    slow: str
    garbage: str

    @property
    def all(self) -> list[str]:
        return [*self.healthy, self.down, self.slow, self.garbage]


@contextmanager
def site() -> Iterator[Site]:
    """Three healthy prometheus_client servers, one closed port, one that answers after 5 s, one that
    serves malformed exposition text (an unterminated label value)."""
    with ExitStack() as stack:
        healthy = stack.enter_context(
            prometheus_servers(*(app_registry(app, requests=index + 1) for index, app in enumerate("abc")))
        )
        slow = stack.enter_context(ScriptedServer(b"up 1\n", delay_s=5.0))
        garbage = stack.enter_context(ScriptedServer(MALFORMED))
        yield Site(healthy, f"http://127.0.0.1:{closed_port()}/metrics", slow.url, garbage.url)


def instance(url: str) -> str:
    return url.split("//")[1].split("/", maxsplit=1)[0]


async def test_healthy_endpoints_reach_upstream_while_the_broken_ones_are_counted() -> None:
    with site() as endpoints:
        settings = settings_for(endpoints.all, interval_s=0.35, timeout_s=0.3)
        async with telemetry_on_hub(settings) as module:
            await until(lambda: len(module.hub.upstream.delivered) >= 2)
            hub, delivered = module.hub, list(module.hub.upstream.delivered)
            values = {url: module.sample(SAMPLE, endpoint=url, result="ok") for url in endpoints.healthy}
            failures = {
                "down": module.sample(SAMPLE, endpoint=endpoints.down, result="connection_error"),
                "slow": module.sample(SAMPLE, endpoint=endpoints.slow, result="timeout"),
                "garbage": module.sample(SAMPLE, endpoint=endpoints.garbage, result="invalid"),
            }
            up = {
                url: module.sample("energy_edge_telemetry_endpoint_up", endpoint=url) for url in endpoints.all
            }

    for message in delivered:
        assert message.properties["id"] == "origin-iotedge-metrics-collector"
        assert (message.content_type, message.content_encoding) == ("application/json", "gzip")
        assert (message.connection_module_id, message.output_name) == (MODULE, "metricOutput")
    records = decode_body(delivered[0])
    assert {record["Labels"]["instance"] for record in records} == {
        instance(url) for url in endpoints.healthy
    }
    for record in records:
        assert set(record) == {"TimeGeneratedUtc", "Name", "Value", "Labels"}
        assert record["Labels"]["edge_device"] == hub.device_id
        assert record["Labels"]["module_name"] == "127.0.0.1"
    requests = {
        (record["Labels"]["app"], record["Value"])
        for record in records
        if record["Name"] == "app_requests_total" and record["Labels"]["code"] == "200"
    }
    assert requests == {("a", 1.0), ("b", 2.0), ("c", 3.0)}
    assert all(count >= 2 for count in values.values())
    assert all(count >= 2 for count in failures.values()), failures
    assert up == {url: (1.0 if url in endpoints.healthy else 0.0) for url in endpoints.all}


async def test_a_slow_endpoint_costs_one_timeout_not_a_stalled_scrape() -> None:
    with site() as endpoints:
        settings = settings_for(endpoints.all, interval_s=60, timeout_s=0.3)
        async with telemetry_on_hub(settings) as module:
            started = anyio.current_time()
            outcomes = await module.service.scrape_once()
            elapsed = anyio.current_time() - started
    assert [outcome.result for outcome in outcomes] == [
        "ok",
        "ok",
        "ok",
        "connection_error",
        "timeout",
        "invalid",
    ]
    assert 0.3 <= elapsed < 0.8  # the scrapes ran concurrently: one timeout in all, not a queue of them


async def test_failures_are_logged_once_per_change_of_state(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="telemetry_module")
    with ScriptedServer(b"up 1\n") as flaky:
        settings = settings_for([flaky.url], interval_s=60)
        async with telemetry_on_hub(settings) as module:
            await module.service.scrape_once()
            flaky.status = 500
            for _ in range(3):
                await module.service.scrape_once()
            flaky.status, flaky.body = 200, GARBAGE
            await module.service.scrape_once()  # still failing, for another reason: no new warning
            flaky.body = b"up 1\n"
            for _ in range(2):
                await module.service.scrape_once()
            counts = {
                result: module.sample(SAMPLE, endpoint=flaky.url, result=result)
                for result in ("ok", "http_error", "invalid")
            }
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]
    about = [(level, text) for level, text in lines if text.startswith(flaky.url)]
    assert about == [
        ("WARNING", f"{flaky.url}: scrape failed (http_error: HTTP 500 Internal Server Error); "
         "logged again when it recovers"),
        ("INFO", f"{flaky.url}: healthy again after 4 failed scrape(s)"),
    ]  # fmt: skip
    assert counts == {"ok": 3.0, "http_error": 3.0, "invalid": 1.0}


async def test_edgehub_store_and_forward_holds_metrics_while_the_cloud_is_unreachable() -> None:
    with prometheus_servers(app_registry("a")) as urls:
        async with telemetry_on_hub(settings_for(list(urls), interval_s=60)) as module:
            upstream = module.hub.upstream
            upstream.set_reachable(False)
            for _ in range(3):
                await module.service.scrape_once()
            await until(lambda: upstream.held == 3)
            assert upstream.delivered == []
            upstream.set_reachable(True)
            delivered = list(upstream.delivered)
            shipped = module.sample("energy_edge_telemetry_samples_shipped_total")
    assert len(delivered) == 3
    times = [decode_body(message)[0]["TimeGeneratedUtc"] for message in delivered]
    assert times == sorted(times)  # in the order they were sent
    assert shipped == sum(len(decode_body(message)) for message in delivered)


async def test_the_module_buffers_while_edgehub_is_unreachable_and_sends_when_it_returns() -> None:
    with prometheus_servers(app_registry("a")) as urls:
        async with telemetry_on_hub(settings_for(list(urls), interval_s=60)) as module:
            module.hub.set_link(MODULE, False)
            for _ in range(3):
                await module.service.scrape_once()
            await until(lambda: module.sample("energy_edge_telemetry_upload_failures_total") >= 1)
            buffered = module.sample("energy_edge_telemetry_buffered_samples")
            assert module.hub.upstream.delivered == []
            module.hub.set_link(MODULE, True)  # the reconnection wakes the uploader: no scrape needed
            await until(lambda: len(module.hub.upstream.delivered) >= 1)
            delivered = list(module.hub.upstream.delivered)
    per_scrape = buffered / 3
    assert per_scrape > 10
    assert sum(len(decode_body(message)) for message in delivered) == buffered


async def test_a_full_buffer_drops_the_oldest_scrapes() -> None:
    with prometheus_servers(app_registry("a")) as urls:
        settings = settings_for(
            list(urls), interval_s=60, MaxBufferedSamples="20", BlockedMetrics="*_created"
        )
        async with telemetry_on_hub(settings) as module:
            module.hub.set_link(MODULE, False)
            outcomes = [await module.service.scrape_once() for _ in range(4)]
            per_scrape = len(outcomes[0][0].samples)
            await until(lambda: module.sample("energy_edge_telemetry_buffered_samples") == 20)
            module.hub.set_link(MODULE, True)
            await until(lambda: len(module.hub.upstream.delivered) >= 1)
            dropped = module.sample("energy_edge_telemetry_samples_dropped_total", reason="buffer_full")
            delivered = [
                record for message in module.hub.upstream.delivered for record in decode_body(message)
            ]
    assert dropped == 4 * per_scrape - 20
    newest = {sample.time_generated_utc for sample in outcomes[-1][0].samples}
    assert newest <= {record["TimeGeneratedUtc"] for record in delivered}
    assert len(delivered) == 20


async def test_the_desired_scrape_interval_applies_at_once_and_null_restores_the_environment() -> None:
    with prometheus_servers(app_registry("a")) as urls:
        async with telemetry_on_hub(settings_for(list(urls), interval_s=30)) as module:
            await anyio.sleep(0.2)
            assert module.service.scrapes == 0  # the environment's 30 s interval is in force
            await module.hub.update_desired(MODULE, {"scrape_interval_s": 0.1})
            await until(lambda: module.service.scrapes >= 3, timeout_s=2)
            assert module.reported["config"] == {"scrape_interval_s": 0.1}
            assert module.sample("energy_edge_telemetry_scrape_interval_seconds") == 0.1
            await module.hub.update_desired(MODULE, {"scrape_interval_s": None})
            await until(lambda: module.service.interval_s == 30)
            await module.hub.update_desired(MODULE, {"scrape_interval_s": 0})  # out of range: refused
            await until(
                lambda: "config_error" in module.reported and module.reported["config_error"] is not None
            )
            interval = module.service.interval_s
    assert interval == 30


async def test_the_manifests_desired_interval_is_used_at_start() -> None:
    settings = settings_for([f"http://127.0.0.1:{closed_port()}/metrics"], interval_s=0.1)
    async with telemetry_on_hub(settings, desired={"scrape_interval_s": 60.0}) as module:
        interval = module.service.interval_s
        scrapes = module.service.scrapes
    assert scrapes == 0
    assert interval == 60.0
    assert load_manifest(find_deployment_template()).desired_properties[MODULE] == {"scrape_interval_s": 60.0}


async def test_azure_monitor_target_with_an_in_memory_reader() -> None:
    reader = InMemoryMetricReader()
    with site() as endpoints:
        settings = settings_for(
            endpoints.all,
            interval_s=60,
            UploadTarget="AzureMonitor",
            APPLICATIONINSIGHTS_CONNECTION_STRING="InstrumentationKey=k",
        )
        async with telemetry_on_hub(
            settings, uploader=lambda client, metrics: AzureMonitorUploader(reader)
        ) as module:
            await module.service.scrape_once()
            data = reader.get_metrics_data()
            delivered = list(module.hub.upstream.delivered)
    assert delivered == []  # nothing goes through edgeHub on this target
    assert data is not None
    metrics = {m.name: m for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    requests = metrics["app_requests_total"].data
    assert isinstance(requests, Gauge)
    found = {
        (str(point.attributes["app"]), point.value)
        for point in requests.data_points
        if point.attributes is not None and point.attributes["code"] == "200"
    }
    assert found == {("a", 1.0), ("b", 2.0), ("c", 3.0)}
    instances = {
        str(point.attributes["instance"]) for point in requests.data_points if point.attributes is not None
    }
    assert instances == {instance(url) for url in endpoints.healthy}


# -- the process ---------------------------------------------------------------------------------------------


def fetch_text(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


async def test_the_process_serves_its_own_health_metrics_over_http() -> None:
    with (
        prometheus_servers(app_registry("a")) as urls,
        InProcessHub(load_manifest(find_deployment_template())) as hub,
    ):
        hub.twins[MODULE] = ModuleTwin(desired={"scrape_interval_s": 0.1})
        environ = {
            "IOTEDGE_DEVICEID": "edge-device-01",
            "IOTEDGE_MODULEID": MODULE,
            "METRICS_PORT": "0",
            "MetricsEndpointsCSV": f"{urls[0]},http://127.0.0.1:{closed_port()}/metrics",
            "ScrapeTimeoutInSecs": "0.2",
        }

        def client(tracer_provider: TracerProvider | None) -> EdgeClient:
            return hub.client(MODULE)

        own: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
        async with anyio.create_task_group() as tasks:
            port = await tasks.start(serve_edge_module, build, environ, client)
            assert port is not None
            await until(lambda: len(hub.upstream.delivered) >= 2)
            own = parse_metrics(await anyio.to_thread.run_sync(fetch_text, port))
            tasks.cancel_scope.cancel()
    ok = own[SAMPLE][(("endpoint", urls[0]), ("result", "ok"))]
    refused = own[SAMPLE][
        (("endpoint", environ["MetricsEndpointsCSV"].split(",")[1]), ("result", "connection_error"))
    ]
    assert ok >= 2
    assert refused >= 2
    assert own["energy_edge_telemetry_samples_shipped_total"][()] > 0
    assert own["energy_edge_telemetry_messages_sent_total"][()] >= 2
    assert own["energy_edge_telemetry_bytes_sent_total"][()] > 0
    assert own["energy_edge_telemetry_scrape_interval_seconds"][()] == 0.1
    assert own["energy_edge_telemetry_samples_dropped_total"][(("reason", "buffer_full"),)] == 0
    assert hub.twins[MODULE].reported["config"] == {"scrape_interval_s": 0.1}


async def test_a_bad_environment_stops_the_module_before_edgehub_is_reached() -> None:
    connected: list[str] = []

    def client(tracer_provider: TracerProvider | None) -> EdgeClient:
        connected.append("edgeHub")
        raise AssertionError("must not connect")

    environ = {"IOTEDGE_DEVICEID": "d", "IOTEDGE_MODULEID": MODULE, "ScrapeFrequencyInSecs": "soon",
               "UploadTarget": "AzureMonitor"}  # fmt: skip
    with pytest.raises(
        SystemExit, match="telemetry-module: invalid environment: ScrapeFrequencyInSecs='soon'"
    ) as exit_:
        await serve_edge_module(build, environ, client)
    assert "UploadTarget=AzureMonitor needs APPLICATIONINSIGHTS_CONNECTION_STRING" in str(exit_.value)
    assert connected == []
