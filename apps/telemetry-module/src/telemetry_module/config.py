"""The telemetry module's settings: the environment (read once at start) and one desired property.

Environment variables carry the names of Microsoft's IoT Edge metrics collector where a setting is the same
(``MetricsEndpointsCSV``, ``ScrapeFrequencyInSecs``, ``UploadTarget``, ``AllowedMetrics``,
``BlockedMetrics``, ``CompressForUpload``, ``ResourceId``); like the collector's .NET configuration they are
looked up case-insensitively (``ResourceID`` works too). Every problem is reported at once, naming the
variable and the value, before the module connects to edgeHub.

The module twin's desired property ``scrape_interval_s`` overrides ``ScrapeFrequencyInSecs`` at run time;
``null`` (or no property) goes back to the environment's interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Final, TypeVar
from urllib.parse import urlsplit

import msgspec

from telemetry_module.selectors import MetricFilter, SelectorError, parse_selectors

MODULE_IDS: Final = (
    "meter-module",
    "solar-module",
    "battery-module",
    "boiler-module",
    "controller-module",
    "telemetry-module",
)
"""Every module of the deployment (DESIGN.md's module ids); a test keeps this in step with the manifest."""
DEFAULT_METRICS_PORT: Final = 9600
DEFAULT_ENDPOINTS: Final = tuple(f"http://{module}:{DEFAULT_METRICS_PORT}/metrics" for module in MODULE_IDS)

DEFAULT_SCRAPE_INTERVAL_S: Final = 300.0
"""The collector's default; the deployment manifest sets 60 s."""
DEFAULT_SCRAPE_TIMEOUT_S: Final = 10.0
DEFAULT_MAX_BUFFERED_SAMPLES: Final = 50_000
MIN_INTERVAL_S: Final = 0.1
MAX_INTERVAL_S: Final = 86_400.0

AZURE_MONITOR_CONNECTION_STRING: Final = "APPLICATIONINSIGHTS_CONNECTION_STRING"

T = TypeVar("T")

IntervalSeconds = Annotated[float, msgspec.Meta(ge=MIN_INTERVAL_S, le=MAX_INTERVAL_S)]


class ConfigurationError(ValueError):
    """The environment does not describe a runnable telemetry module; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class UploadTarget(StrEnum):
    IOT_MESSAGE = "IoTMessage"
    """JSON arrays in the collector's format on output ``metricOutput`` (routed to ``$upstream``)."""
    AZURE_MONITOR = "AzureMonitor"
    """OpenTelemetry metrics to Application Insights (``APPLICATIONINSIGHTS_CONNECTION_STRING``)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One Prometheus endpoint: ``url`` as configured, what to connect to, and its identifying labels."""

    url: str
    host: str
    port: int
    target: str
    """The request target: path and query."""

    @property
    def module_name(self) -> str:
        """The module the endpoint belongs to: its host name (on IoT Edge, the module's name)."""
        return self.host

    @property
    def instance(self) -> str:
        """``host:port``, Prometheus' ``instance``."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_endpoint(url: str) -> Endpoint:
    """An ``http://host[:port]/path`` endpoint; raises ``ValueError`` naming what is wrong."""
    text = url.strip()
    if not text.isascii() or any(char.isspace() or not char.isprintable() for char in text):
        raise ValueError(f"{text!r}: only printable ASCII without spaces (percent-encode the rest)")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise ValueError(f"{text!r} is not a URL: {error}") from error
    if parts.scheme.lower() != "http":
        raise ValueError(f"{text!r}: only http:// endpoints can be scraped")
    if not parts.hostname:
        raise ValueError(f"{text!r} has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{text!r}: credentials in the URL are not supported")
    if parts.fragment:
        raise ValueError(f"{text!r}: a URL fragment has no meaning here")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Endpoint(text, parts.hostname, 80 if port is None else port, target)


class TelemetryConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The desired properties of ``telemetry-module``."""

    scrape_interval_s: IntervalSeconds | None = None
    """Overrides ``ScrapeFrequencyInSecs`` while set; ``null`` returns to it."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What the environment configures (read once at start)."""

    endpoints: tuple[Endpoint, ...]
    scrape_interval_s: float = DEFAULT_SCRAPE_INTERVAL_S
    scrape_timeout_s: float = DEFAULT_SCRAPE_TIMEOUT_S
    upload_target: UploadTarget = UploadTarget.IOT_MESSAGE
    compress: bool = True
    metric_filter: MetricFilter = field(default_factory=MetricFilter)
    max_buffered_samples: int = DEFAULT_MAX_BUFFERED_SAMPLES
    resource_id: str | None = None
    iothub: str | None = None
    """``IOTEDGE_IOTHUBHOSTNAME`` (set by edgeAgent): the ``iothub`` label, as the collector adds it."""
    connection_string: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from the process environment; raises :class:`ConfigurationError` listing every problem."""
        env = _Environment(environ)
        endpoints = env.parse(
            "MetricsEndpointsCSV", _endpoints, tuple(map(parse_endpoint, DEFAULT_ENDPOINTS))
        )
        interval = env.parse(
            "ScrapeFrequencyInSecs", _seconds(MIN_INTERVAL_S, MAX_INTERVAL_S), DEFAULT_SCRAPE_INTERVAL_S
        )
        timeout = env.parse("ScrapeTimeoutInSecs", _seconds(0.001, 3600.0), DEFAULT_SCRAPE_TIMEOUT_S)
        target = env.parse("UploadTarget", _upload_target, UploadTarget.IOT_MESSAGE)
        compress = env.parse("CompressForUpload", _boolean, True)
        allowed = env.parse("AllowedMetrics", parse_selectors, ())
        blocked = env.parse("BlockedMetrics", parse_selectors, ())
        capacity = env.parse("MaxBufferedSamples", _count, DEFAULT_MAX_BUFFERED_SAMPLES)
        connection_string = env.configured(AZURE_MONITOR_CONNECTION_STRING)
        if target is UploadTarget.AZURE_MONITOR and connection_string is None:
            env.problems.append(f"UploadTarget=AzureMonitor needs {AZURE_MONITOR_CONNECTION_STRING}")
        if env.problems:
            raise ConfigurationError(env.problems)
        return cls(
            endpoints=endpoints,
            scrape_interval_s=interval,
            scrape_timeout_s=timeout,
            upload_target=target,
            compress=compress,
            metric_filter=MetricFilter(allowed, blocked),
            max_buffered_samples=capacity,
            resource_id=env.configured("ResourceId"),
            iothub=env.configured("IOTEDGE_IOTHUBHOSTNAME"),
            connection_string=connection_string,
        )


class _Environment:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self._folded = {name.casefold(): name for name in environ}
        self.problems: list[str] = []

    def get(self, name: str) -> str | None:
        if name in self._environ:
            return self._environ[name]
        actual = self._folded.get(name.casefold())
        return None if actual is None else self._environ[actual]

    def configured(self, name: str) -> str | None:
        """The value, or ``None`` when unset, blank or an unresolved deployment placeholder (``${...}``)."""
        value = (self.get(name) or "").strip()
        return value if value and not value.startswith("${") else None

    def parse(self, name: str, parse: Callable[[str], T], default: T) -> T:
        raw = self.get(name)
        if raw is None:
            return default
        try:
            return parse(raw)
        except ValueError as error:
            self.problems.append(f"{name}={raw!r}: {error}")
            return default


def _endpoints(text: str) -> tuple[Endpoint, ...]:
    urls = [part.strip() for part in text.split(",") if part.strip()]
    if not urls:
        raise ValueError("no endpoints (leave it unset to scrape every module of the deployment)")
    endpoints = tuple(parse_endpoint(url) for url in urls)
    seen: set[tuple[str, int, str]] = set()
    for endpoint in endpoints:
        key = (endpoint.host, endpoint.port, endpoint.target)
        if key in seen:
            raise ValueError(f"{endpoint.url!r} is listed twice (its metrics would be shipped twice)")
        seen.add(key)
    return endpoints


def _seconds(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise ValueError("not a number of seconds") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"must lie between {low:g} and {high:g} seconds")
        return value

    return parse


def _count(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError("not a whole number") from None
    if value < 1:
        raise ValueError("must be at least 1")
    return value


_TRUE: Final = frozenset({"true", "1", "yes", "on"})
_FALSE: Final = frozenset({"false", "0", "no", "off"})


def _boolean(text: str) -> bool:
    value = text.strip().casefold()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("must be true or false")


def _upload_target(text: str) -> UploadTarget:
    value = text.strip().casefold()
    for target in UploadTarget:
        if target.value.casefold() == value:
            return target
    raise ValueError(f"must be one of {', '.join(target.value for target in UploadTarget)}")


__all__ = [
    "DEFAULT_ENDPOINTS",
    "MODULE_IDS",
    "ConfigurationError",
    "Endpoint",
    "SelectorError",
    "Settings",
    "TelemetryConfig",
    "UploadTarget",
    "parse_endpoint",
]
