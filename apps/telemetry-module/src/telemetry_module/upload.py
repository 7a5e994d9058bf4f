"""``UploadTarget=IoTMessage``: the collector's JSON arrays on output ``metricOutput``, buffered while edgeHub
cannot take them.

**Format** (Microsoft's metrics collector, so its cloud-side queries and workflows apply unchanged): the
body is a JSON array ``[{"TimeGeneratedUtc","Name","Value","Labels"}]`` in UTF-8, gzip-compressed when
``CompressForUpload`` is true; application property ``id=origin-iotedge-metrics-collector``; output
``metricOutput`` (the manifest routes it to ``$upstream``, so edgeHub's store-and-forward covers cloud
outages).

**System properties** (the collector sets none): ``content_type="application/json"`` always, and
``content_encoding`` ``"utf-8"`` for a plain body or ``"gzip"`` for a compressed one. edgeHub evaluates
``$body`` route conditions only for JSON with a UTF-8/16/32 encoding: a plain body stays routable on its
content, and a compressed one — which no route could look into anyway — says how to read it, as HTTP's
Content-Type plus Content-Encoding would. ``metricsToUpstream`` has no condition, so both are delivered.

**Size**: IoT Hub refuses messages over 256 KB (body plus properties). Samples are encoded one by one, so a
batch is cut exactly where the next sample would take the JSON body over ``MAX_BODY_BYTES`` (256 KiB less
4 KiB for the properties). The cut is made on the uncompressed body; gzip shrinks JSON several-fold and
adds at most a few dozen bytes even to incompressible data, which the allowance absorbs. Packing more into
a compressed message would not save IoT Hub quota, which is metered in 4 KB blocks of the message as sent.
A single sample too big for any message is dropped (counted).

**Buffer**: samples wait in a bounded FIFO (``MaxBufferedSamples``) until sent. When ``send_message``
raises ``EdgeTransportError`` (edgeHub unreachable) the batch goes back to the front and is retried on the
next scrape or when the client reconnects; when the buffer is full the oldest samples are dropped first
(counted, logged once per episode). Sending runs in its own task, so a slow edgeHub never delays a scrape.
"""

from __future__ import annotations

import gzip
import logging
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any, Final, Protocol

import anyio
import msgspec

from energy_edge.messaging.edge import EdgeClient, EdgeMessage, EdgeTransportError
from energy_edge.messaging.message import JSON_CONTENT_TYPE, UTF8
from telemetry_module.metrics import TelemetryMetrics
from telemetry_module.samples import MetricSample

_log = logging.getLogger(__name__)

METRIC_OUTPUT: Final = "metricOutput"
ID_PROPERTY: Final = "id"
ORIGIN: Final = "origin-iotedge-metrics-collector"
GZIP: Final = "gzip"
IOT_HUB_MESSAGE_LIMIT: Final = 256 * 1024
PROPERTIES_ALLOWANCE: Final = 4 * 1024
MAX_BODY_BYTES: Final = IOT_HUB_MESSAGE_LIMIT - PROPERTIES_ALLOWANCE

_ENCODER: Final = msgspec.json.Encoder()


class Uploader(Protocol):
    """Where scraped samples go: ``submit`` each scrape's samples; ``run`` does the sending."""

    def submit(self, samples: Sequence[MetricSample]) -> None: ...

    def wake(self) -> None: ...

    async def run(self) -> None: ...


def encode_sample(sample: MetricSample) -> bytes:
    return _ENCODER.encode(sample)


def json_array(records: Iterable[bytes]) -> bytes:
    return b"[" + b",".join(records) + b"]"


def take_batch(records: deque[bytes], max_body: int = MAX_BODY_BYTES) -> list[bytes]:
    """Remove from the front of ``records`` as many as fit one JSON array of at most ``max_body`` bytes."""
    size = 2  # the brackets
    batch: list[bytes] = []
    while records:
        added = len(records[0]) + (1 if batch else 0)  # the comma
        if size + added > max_body:
            break
        size += added
        batch.append(records.popleft())
    return batch


def metrics_message(records: Sequence[bytes], *, compress: bool) -> EdgeMessage:
    body = json_array(records)
    if compress:
        body = gzip.compress(body, compresslevel=6, mtime=0)
    return EdgeMessage(
        body=body,
        properties={ID_PROPERTY: ORIGIN},
        content_type=JSON_CONTENT_TYPE,
        content_encoding=GZIP if compress else UTF8,
    )


def encode_messages(
    samples: Iterable[MetricSample], *, compress: bool, max_body: int = MAX_BODY_BYTES
) -> list[EdgeMessage]:
    """Every sample in as few messages as the size limit allows (what one drain of the buffer sends)."""
    records = deque(record for record in map(encode_sample, samples) if len(record) + 2 <= max_body)
    messages: list[EdgeMessage] = []
    while records:
        messages.append(metrics_message(take_batch(records, max_body), compress=compress))
    return messages


def decode_body(message: EdgeMessage) -> list[dict[str, Any]]:
    """The samples of a metrics message (for consumers and tests): gunzip if needed, parse the array."""
    body = gzip.decompress(message.body) if message.content_encoding == GZIP else message.body
    return msgspec.json.decode(body, type=list[dict[str, Any]])


class IoTMessageUploader:
    def __init__(
        self,
        client: EdgeClient,
        metrics: TelemetryMetrics,
        *,
        compress: bool = True,
        capacity: int = 50_000,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        if capacity < 1:
            raise ValueError("the upload buffer must hold at least one sample")
        self._client = client
        self._metrics = metrics
        self._compress = compress
        self._capacity = capacity
        self._max_body = max_body
        self._buffer: deque[bytes] = deque()
        self._wakeup = anyio.Event()
        self._failed_attempts = 0
        self._dropping = False
        self._oversize_names: set[str] = set()

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def submit(self, samples: Sequence[MetricSample]) -> None:
        fits = self._max_body - 2
        for sample in samples:
            record = _ENCODER.encode(sample)
            if len(record) > fits:
                self._metrics.samples_dropped.labels(reason="oversize").inc()
                if sample.name not in self._oversize_names:
                    self._oversize_names.add(sample.name)
                    _log.warning(
                        "%s: a sample of %d bytes fits no IoT message; dropped", sample.name, len(record)
                    )
                continue
            self._buffer.append(record)
        self._enforce_capacity()
        self.wake()

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup = anyio.Event()
            await self.flush()

    async def flush(self) -> bool:
        """Send everything buffered; ``False`` if edgeHub refused (the rest stays buffered)."""
        while self._buffer:
            batch = take_batch(self._buffer, self._max_body)
            message = metrics_message(batch, compress=self._compress)
            try:
                await self._client.send_message(METRIC_OUTPUT, message)
            except EdgeTransportError as error:
                self._requeue(batch)
                self._failed(error)
                return False
            except BaseException:
                self._requeue(batch)
                raise
            self._sent(len(batch), len(message.body))
        self._dropping = False
        return True

    def _requeue(self, batch: list[bytes]) -> None:
        self._buffer.extendleft(reversed(batch))
        self._enforce_capacity()

    def _enforce_capacity(self) -> None:
        overflow = len(self._buffer) - self._capacity
        if overflow > 0:
            for _ in range(overflow):
                self._buffer.popleft()
            self._metrics.samples_dropped.labels(reason="buffer_full").inc(overflow)
            if not self._dropping:
                self._dropping = True
                _log.warning(
                    "upload buffer full (%d samples): dropping the oldest samples until uploads catch up",
                    self._capacity,
                )
        self._metrics.buffered_samples.set(len(self._buffer))

    def _failed(self, error: EdgeTransportError) -> None:
        self._metrics.upload_failures.inc()
        self._failed_attempts += 1
        if self._failed_attempts == 1:
            _log.warning(
                "metrics not sent (%s); keeping up to %d samples, retrying on the next scrape or reconnect",
                error,
                self._capacity,
            )

    def _sent(self, samples: int, body_bytes: int) -> None:
        metrics = self._metrics
        metrics.samples_shipped.inc(samples)
        metrics.messages_sent.inc()
        metrics.bytes_sent.inc(body_bytes)
        metrics.buffered_samples.set(len(self._buffer))
        if self._failed_attempts:
            _log.info("metrics upload recovered after %d failed attempt(s)", self._failed_attempts)
            self._failed_attempts = 0
