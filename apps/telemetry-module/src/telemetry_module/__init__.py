"""The telemetry module: scrapes every module's Prometheus ``/metrics`` and ships the samples upstream.

settings = Settings.from_environ(os.environ)           # MetricsEndpointsCSV, ScrapeFrequencyInSecs, ...
uploader = IoTMessageUploader(client, metrics)         # or AzureMonitorUploader(reader)
await TelemetryService(client, settings, uploader=uploader, clock=utc_now, metrics=metrics).run()
"""

from telemetry_module.azure_monitor import AzureMonitorUploader, CountingExporter, azure_monitor_reader
from telemetry_module.config import ConfigurationError, Endpoint, Settings, TelemetryConfig, UploadTarget
from telemetry_module.metrics import TelemetryMetrics
from telemetry_module.samples import MetricSample, parse_exposition
from telemetry_module.selectors import MetricFilter, SelectorError, parse_selectors
from telemetry_module.service import TelemetryService
from telemetry_module.upload import METRIC_OUTPUT, ORIGIN, IoTMessageUploader, decode_body, encode_messages

__all__ = [
    "METRIC_OUTPUT",
    "ORIGIN",
    "AzureMonitorUploader",
    "ConfigurationError",
    "CountingExporter",
    "Endpoint",
    "IoTMessageUploader",
    "MetricFilter",
    "MetricSample",
    "SelectorError",
    "Settings",
    "TelemetryConfig",
    "TelemetryMetrics",
    "TelemetryService",
    "UploadTarget",
    "azure_monitor_reader",
    "decode_body",
    "encode_messages",
    "parse_exposition",
    "parse_selectors",
]
