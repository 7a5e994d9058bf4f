"""One scraped sample in the metrics collector's record format, and the exposition-text parser around it.

``MetricSample`` encodes to exactly the collector's JSON object
``{"TimeGeneratedUtc": "...Z", "Name": ..., "Value": ..., "Labels": {...}}``, in that key order.

``parse_exposition`` turns an endpoint's exposition text (parsed by prometheus_client's parser) into the
samples to ship: selected by the :class:`MetricFilter`, identifying labels added where the sample does not
already carry them (as the collector's ``AddIdentifyingTags`` does), the exposition's own timestamp kept
when it has one (else the scrape's time), and NaN/±Inf values left out (JSON cannot carry them; counted).
The whole text is rejected if any line is malformed: a partly parsed exposition may be a truncated or
corrupted one, and Prometheus fails such a scrape as a whole too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import msgspec
from prometheus_client.parser import text_string_to_metric_families

from telemetry_module.config import Endpoint
from telemetry_module.selectors import MetricFilter

EDGE_DEVICE = "edge_device"
IOTHUB = "iothub"
MODULE_NAME = "module_name"
INSTANCE = "instance"


class MetricSample(msgspec.Struct, rename="pascal", gc=False):
    """A sample as the collector ships it (field names become ``TimeGeneratedUtc``, ``Name``, ...)."""

    time_generated_utc: str
    name: str
    value: float
    labels: dict[str, str]


class ExpositionError(ValueError):
    """The endpoint's response is not Prometheus text exposition format."""


@dataclass(slots=True)
class ParsedScrape:
    samples: list[MetricSample] = field(default_factory=list[MetricSample])
    scraped: int = 0
    """Samples in the exposition."""
    filtered: int = 0
    """Left out by the selectors."""
    non_finite: int = 0
    """Left out because the value is NaN or infinite."""


def utc_text(moment: datetime) -> str:
    """RFC 3339 in UTC with ``Z`` and microseconds, e.g. ``2024-06-01T12:00:00.000000Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def identifying_labels(endpoint: Endpoint, device_id: str, iothub: str | None) -> dict[str, str]:
    """The labels added to every sample of ``endpoint`` (unless the sample has them already)."""
    labels = {EDGE_DEVICE: device_id}
    if iothub:
        labels[IOTHUB] = iothub
    labels[MODULE_NAME] = endpoint.module_name
    labels[INSTANCE] = endpoint.instance
    return labels


def parse_exposition(
    text: str,
    endpoint: Endpoint,
    *,
    scraped_at: datetime,
    extra_labels: Mapping[str, str],
    metric_filter: MetricFilter,
) -> ParsedScrape:
    """The samples of one endpoint's exposition to ship; raises :class:`ExpositionError`."""
    result = ParsedScrape()
    scrape_time = utc_text(scraped_at)
    extras = tuple(extra_labels.items())
    select = not metric_filter.admits_everything
    url, module = endpoint.url, endpoint.module_name
    append = result.samples.append
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                result.scraped += 1
                labels = sample.labels
                if select and not metric_filter.admits(url, module, family.name, sample.name, labels):
                    result.filtered += 1
                    continue
                value = float(sample.value)
                if not math.isfinite(value):
                    result.non_finite += 1
                    continue
                for name, label_value in extras:
                    labels.setdefault(name, label_value)
                timestamp = scrape_time if sample.timestamp is None else _exposition_time(sample.timestamp)
                append(MetricSample(timestamp or scrape_time, sample.name, value, labels))
    except (ValueError, TypeError, IndexError, KeyError) as error:
        raise ExpositionError(f"not Prometheus text format: {str(error) or type(error).__name__}") from None
    return result


def _exposition_time(timestamp: object) -> str | None:
    try:
        seconds = float(timestamp)  # pyright: ignore[reportArgumentType] - float or prometheus Timestamp
        return utc_text(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError, ValueError, TypeError):
        return None  # an absurd timestamp: use the scrape's time
