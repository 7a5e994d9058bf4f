"""UploadTarget=IoTMessage: the collector's message format, size splitting, gzip, the bounded buffer."""

from __future__ import annotations

import gzip
import json
import logging
from typing import cast

import pytest
from telemetry_module.metrics import TelemetryMetrics
from telemetry_module.samples import MetricSample
from telemetry_module.upload import (
    IOT_HUB_MESSAGE_LIMIT,
    MAX_BODY_BYTES,
    METRIC_OUTPUT,
    IoTMessageUploader,
    decode_body,
    encode_messages,
    encode_sample,
)

from energy_edge.messaging.edge import EdgeClient, InProcessHub
from energy_edge.messaging.manifest import load_manifest
from energy_edge.modulehost.testing import find_deployment_template

AT = "2024-06-01T12:00:00.000000Z"


def samples(count: int, *, label_bytes: int = 150) -> list[MetricSample]:
    return [
        MetricSample(
            AT, "energy_edge_asset_power_watts", float(i), {"index": str(i), "pad": "x" * label_bytes}
        )
        for i in range(count)
    ]


def test_the_body_is_exactly_the_collectors_json_array() -> None:
    sample = MetricSample(AT, "energy_edge_commands_total", 3.0, {"method": "stop", "edge_device": "d1"})
    [message] = encode_messages([sample], compress=False)
    assert message.body == (
        b'[{"TimeGeneratedUtc":"2024-06-01T12:00:00.000000Z","Name":"energy_edge_commands_total",'
        b'"Value":3.0,"Labels":{"method":"stop","edge_device":"d1"}}]'
    )
    assert json.loads(message.body) == [
        {
            "TimeGeneratedUtc": AT,
            "Name": "energy_edge_commands_total",
            "Value": 3.0,
            "Labels": {"method": "stop", "edge_device": "d1"},
        }
    ]
    assert dict(message.properties) == {"id": "origin-iotedge-metrics-collector"}
    assert (message.content_type, message.content_encoding) == ("application/json", "utf-8")


def test_gzip_round_trip() -> None:
    original = samples(500)
    [plain] = encode_messages(original, compress=False)
    [packed] = encode_messages(original, compress=True)
    assert packed.content_encoding == "gzip"
    assert packed.content_type == "application/json"
    assert dict(packed.properties) == {"id": "origin-iotedge-metrics-collector"}
    assert packed.body[:2] == b"\x1f\x8b"  # a gzip member
    assert gzip.decompress(packed.body) == plain.body
    assert len(packed.body) < len(plain.body) / 5
    assert decode_body(packed) == decode_body(plain) == json.loads(plain.body)


@pytest.mark.parametrize("compress", [False, True])
def test_many_samples_are_split_into_messages_under_256_kb(compress: bool) -> None:
    original = samples(6_000)  # about 1.3 MB of JSON
    messages = encode_messages(original, compress=compress)
    assert len(messages) >= 5
    for message in messages:
        assert len(message.body) < IOT_HUB_MESSAGE_LIMIT
        raw = gzip.decompress(message.body) if compress else message.body
        assert len(raw) <= MAX_BODY_BYTES
    received = [record for message in messages for record in decode_body(message)]
    assert [record["Value"] for record in received] == [float(i) for i in range(6_000)]  # all, in order
    # every message but the last is as full as it can be: the next sample would not have fitted
    first = gzip.decompress(messages[0].body) if compress else messages[0].body
    assert len(first) + 1 + len(encode_sample(original[len(decode_body(messages[0]))])) > MAX_BODY_BYTES


def test_a_sample_larger_than_any_message_is_left_out() -> None:
    huge = MetricSample(AT, "huge", 1.0, {"pad": "x" * MAX_BODY_BYTES})
    messages = encode_messages([*samples(2), huge, *samples(1)], compress=False)
    assert [record["Name"] for message in messages for record in decode_body(message)] == [
        "energy_edge_asset_power_watts"
    ] * 3


# -- the uploader on the in-process hub ---------------------------------------------------------------------


def hub() -> InProcessHub:
    return InProcessHub(load_manifest(find_deployment_template()))


def value(metrics: TelemetryMetrics, name: str, **labels: str) -> float:
    found = metrics.registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


@pytest.mark.anyio
async def test_sent_samples_are_counted_and_the_buffer_empties() -> None:
    with hub() as edge_hub:
        async with edge_hub.client("telemetry-module") as client:
            metrics = TelemetryMetrics()
            uploader = IoTMessageUploader(client, metrics, compress=True, capacity=100_000)
            uploader.submit(samples(3_000))
            assert await uploader.flush()
    delivered = edge_hub.upstream.delivered
    assert len(delivered) >= 2
    assert all(message.output_name == METRIC_OUTPUT for message in delivered)
    assert uploader.buffered == 0
    assert value(metrics, "energy_edge_telemetry_samples_shipped_total") == 3_000
    assert value(metrics, "energy_edge_telemetry_messages_sent_total") == len(delivered)
    assert value(metrics, "energy_edge_telemetry_bytes_sent_total") == sum(len(m.body) for m in delivered)
    assert value(metrics, "energy_edge_telemetry_buffered_samples") == 0


@pytest.mark.anyio
async def test_a_failed_send_keeps_everything_in_order_and_logs_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="telemetry_module")
    with hub() as edge_hub:
        async with edge_hub.client("telemetry-module") as client:
            metrics = TelemetryMetrics()
            uploader = IoTMessageUploader(client, metrics, compress=False, capacity=100)
            edge_hub.set_link("telemetry-module", False)
            for start in (0, 10, 20):
                uploader.submit([MetricSample(AT, "m", float(start + i), {}) for i in range(10)])
                assert not await uploader.flush()
            assert uploader.buffered == 30
            edge_hub.set_link("telemetry-module", True)
            assert await uploader.flush()
    [message] = edge_hub.upstream.delivered
    assert [record["Value"] for record in decode_body(message)] == [float(i) for i in range(30)]
    assert value(metrics, "energy_edge_telemetry_upload_failures_total") == 3
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "metrics not sent" in warnings[0].getMessage()
    assert any("recovered after 3 failed attempt(s)" in r.getMessage() for r in caplog.records)


@pytest.mark.anyio
async def test_a_full_buffer_drops_the_oldest_samples_and_counts_them() -> None:
    with hub() as edge_hub:
        async with edge_hub.client("telemetry-module") as client:
            metrics = TelemetryMetrics()
            uploader = IoTMessageUploader(client, metrics, compress=False, capacity=25)
            edge_hub.set_link("telemetry-module", False)
            for start in (0, 10, 20):
                uploader.submit([MetricSample(AT, "m", float(start + i), {}) for i in range(10)])
                await uploader.flush()
            assert value(metrics, "energy_edge_telemetry_buffered_samples") == 25
            edge_hub.set_link("telemetry-module", True)
            await uploader.flush()
    [message] = edge_hub.upstream.delivered
    assert [record["Value"] for record in decode_body(message)] == [float(i) for i in range(5, 30)]
    assert value(metrics, "energy_edge_telemetry_samples_dropped_total", reason="buffer_full") == 5


@pytest.mark.anyio
async def test_an_oversize_sample_is_counted() -> None:
    with hub() as edge_hub:
        async with edge_hub.client("telemetry-module") as client:
            metrics = TelemetryMetrics()
            uploader = IoTMessageUploader(client, metrics, max_body=1_000)
            uploader.submit([MetricSample(AT, "big", 1.0, {"pad": "x" * 2_000}), *samples(1, label_bytes=10)])
            await uploader.flush()
    assert value(metrics, "energy_edge_telemetry_samples_dropped_total", reason="oversize") == 1
    assert value(metrics, "energy_edge_telemetry_samples_shipped_total") == 1


def test_the_buffer_holds_at_least_one_sample() -> None:
    with pytest.raises(ValueError, match="at least one"):
        IoTMessageUploader(cast("EdgeClient", None), TelemetryMetrics(), capacity=0)
