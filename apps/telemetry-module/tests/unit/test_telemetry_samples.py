"""Exposition text -> the samples to ship: selection, identifying labels, timestamps, bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from telemetry_module.config import parse_endpoint
from telemetry_module.samples import (
    ExpositionError,
    MetricSample,
    ParsedScrape,
    identifying_labels,
    parse_exposition,
    utc_text,
)
from telemetry_module.selectors import MetricFilter, parse_selectors

from ..servers import app_registry

AT = datetime(2024, 6, 1, 12, 0, 0, 250_000, tzinfo=UTC)
ENDPOINT = parse_endpoint("http://battery-module:9600/metrics")
LABELS = identifying_labels(ENDPOINT, "edge-device-01", "hub.azure-devices.net")


def parse(text: str, metric_filter: MetricFilter | None = None) -> ParsedScrape:
    return parse_exposition(
        text, ENDPOINT, scraped_at=AT, extra_labels=LABELS, metric_filter=metric_filter or MetricFilter()
    )


def test_the_record_is_the_collectors_json_object() -> None:
    sample = MetricSample("2024-06-01T12:00:00.250000Z", "up", 1.0, {"job": "x"})
    assert msgspec.json.encode(sample) == (
        b'{"TimeGeneratedUtc":"2024-06-01T12:00:00.250000Z","Name":"up","Value":1.0,"Labels":{"job":"x"}}'
    )


def test_identifying_labels() -> None:
    assert LABELS == {
        "edge_device": "edge-device-01",
        "iothub": "hub.azure-devices.net",
        "module_name": "battery-module",
        "instance": "battery-module:9600",
    }
    assert "iothub" not in identifying_labels(ENDPOINT, "d", None)


def test_every_sample_of_a_real_registry_with_identifying_labels() -> None:
    text = generate_latest(app_registry("a", requests=3)).decode()
    parsed = parse(text)
    by_key = {(s.name, tuple(sorted(s.labels.items()))): s for s in parsed.samples}
    key = ("app_requests_total", tuple(sorted({"app": "a", "code": "200", **LABELS}.items())))
    assert by_key[key].value == 3.0
    assert by_key[key].time_generated_utc == "2024-06-01T12:00:00.250000Z"
    names = {s.name for s in parsed.samples}
    assert {"app_latency_seconds_bucket", "app_latency_seconds_sum", "app_latency_seconds_count"} <= names
    assert parsed.scraped == len(parsed.samples)
    assert (parsed.filtered, parsed.non_finite) == (0, 0)
    assert all(s.labels.items() >= LABELS.items() for s in parsed.samples)


def test_labels_the_sample_already_has_are_kept() -> None:
    parsed = parse('edgehub_queue_length{edge_device="other-device",module_name="edgeHub"} 3\n')
    [sample] = parsed.samples
    assert sample.labels["edge_device"] == "other-device"
    assert sample.labels["module_name"] == "edgeHub"
    assert sample.labels["instance"] == "battery-module:9600"


def test_the_expositions_own_timestamp_wins_over_the_scrape_time() -> None:
    [stamped, unstamped, absurd] = parse("a 1 1717243200123\nb 2\nc 3 99999999999999999999\n").samples
    assert stamped.time_generated_utc == "2024-06-01T12:00:00.123000Z"
    assert unstamped.time_generated_utc == utc_text(AT)
    assert absurd.time_generated_utc == utc_text(AT)


def test_nan_and_infinite_values_are_left_out_and_counted() -> None:
    registry = CollectorRegistry()
    Gauge("grid_balance_watts", "NaN when unknown", registry=registry).set(float("nan"))
    Gauge("inf_watts", "+Inf", registry=registry).set(float("inf"))
    Gauge("real_watts", "a value", registry=registry).set(5.0)
    parsed = parse(generate_latest(registry).decode())
    assert [s.name for s in parsed.samples] == ["real_watts"]
    assert parsed.non_finite == 2


def test_selectors_are_applied_and_counted() -> None:
    text = generate_latest(app_registry("a")).decode()
    metric_filter = MetricFilter(
        parse_selectors("app_*"), parse_selectors('app_latency_seconds app_requests{code="500"} *_created')
    )
    parsed = parse(text, metric_filter)
    assert {(s.name, s.labels.get("code")) for s in parsed.samples} == {
        ("app_requests_total", "200"),
        ("app_temperature_celsius", None),
    }
    assert parsed.filtered == parsed.scraped - 2


@pytest.mark.parametrize(
    "text",
    [
        "<html><body>502 Bad Gateway</body></html>",
        "up one",
        'up{job="x" 1',
        "up 1\nthis is not a metric line\n",
        '{job="x"} 1',
    ],
)
def test_malformed_text_is_rejected_as_a_whole(text: str) -> None:
    with pytest.raises(ExpositionError, match="not Prometheus text format"):
        parse(text)


def test_empty_text_is_an_empty_scrape() -> None:
    assert parse("").samples == []
