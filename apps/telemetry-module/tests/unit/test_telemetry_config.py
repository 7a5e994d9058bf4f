"""The environment (read once at start) and the desired property ``scrape_interval_s``."""

from __future__ import annotations

import msgspec
import pytest
from telemetry_module.config import (
    DEFAULT_ENDPOINTS,
    MODULE_IDS,
    ConfigurationError,
    Settings,
    TelemetryConfig,
    UploadTarget,
    parse_endpoint,
)

from energy_edge.messaging.manifest import load_manifest
from energy_edge.modulehost.testing import find_deployment_template

MANIFEST = load_manifest(find_deployment_template())


def test_defaults() -> None:
    settings = Settings.from_environ({})
    assert [endpoint.url for endpoint in settings.endpoints] == list(DEFAULT_ENDPOINTS)
    assert settings.scrape_interval_s == 300.0  # the collector's default
    assert settings.scrape_timeout_s == 10.0
    assert settings.upload_target is UploadTarget.IOT_MESSAGE
    assert settings.compress is True
    assert settings.metric_filter.admits_everything
    assert settings.max_buffered_samples == 50_000
    assert (settings.resource_id, settings.iothub, settings.connection_string) == (None, None, None)


def test_the_default_endpoints_are_every_module_of_the_manifest_on_its_metrics_port() -> None:
    assert set(MODULE_IDS) == set(MANIFEST.module_ids)
    expected = {
        f"http://{module}:{MANIFEST.env(module)['METRICS_PORT']}/metrics" for module in MANIFEST.module_ids
    }
    assert set(DEFAULT_ENDPOINTS) == expected


def test_the_manifests_environment_is_valid_and_means_what_it_says() -> None:
    environ = MANIFEST.env("telemetry-module")
    settings = Settings.from_environ(environ)
    assert {endpoint.module_name for endpoint in settings.endpoints} == set(MANIFEST.module_ids)
    assert settings.scrape_interval_s == 60.0
    assert settings.upload_target is UploadTarget.IOT_MESSAGE
    assert settings.compress is True
    assert settings.resource_id is None  # "${IOT_HUB_RESOURCE_ID}" is an unresolved placeholder
    assert settings.connection_string is None
    desired = MANIFEST.desired_properties["telemetry-module"]
    assert msgspec.convert(desired, TelemetryConfig, strict=True).scrape_interval_s == 60.0


def test_every_setting_from_the_environment() -> None:
    settings = Settings.from_environ(
        {
            "MetricsEndpointsCSV": " http://a:9601/metrics , http://b/m?x=1 ,",
            "ScrapeFrequencyInSecs": "15",
            "ScrapeTimeoutInSecs": "2.5",
            "UploadTarget": "azuremonitor",  # case-insensitive, as the collector's enum binding
            "CompressForUpload": "False",
            "AllowedMetrics": "energy_edge_*",
            "BlockedMetrics": "*_created",
            "MaxBufferedSamples": "1000",
            "ResourceID": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Devices/IotHubs/h",
            "IOTEDGE_IOTHUBHOSTNAME": "h.azure-devices.net",
            "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=k",
        }
    )
    a, b = settings.endpoints
    assert (a.url, a.host, a.port, a.target, a.instance) == (
        "http://a:9601/metrics",
        "a",
        9601,
        "/metrics",
        "a:9601",
    )
    assert (b.host, b.port, b.target) == ("b", 80, "/m?x=1")
    assert settings.scrape_interval_s == 15.0
    assert settings.scrape_timeout_s == 2.5
    assert settings.upload_target is UploadTarget.AZURE_MONITOR
    assert settings.compress is False
    assert [s.text for s in settings.metric_filter.allowed] == ["energy_edge_*"]
    assert [s.text for s in settings.metric_filter.blocked] == ["*_created"]
    assert settings.max_buffered_samples == 1000
    assert settings.resource_id is not None
    assert settings.resource_id.endswith("/IotHubs/h")  # ResourceID or ResourceId, as the collector
    assert settings.iothub == "h.azure-devices.net"
    assert settings.connection_string == "InstrumentationKey=k"


def test_every_problem_is_reported_at_once_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_environ(
            {
                "MetricsEndpointsCSV": "https://secure:9600/metrics",
                "ScrapeFrequencyInSecs": "soon",
                "ScrapeTimeoutInSecs": "0",
                "UploadTarget": "LogAnalytics",
                "CompressForUpload": "maybe",
                "AllowedMetrics": "m{status}",
                "MaxBufferedSamples": "0",
            }
        )
    problems = raised.value.problems
    assert problems == [
        "MetricsEndpointsCSV='https://secure:9600/metrics': 'https://secure:9600/metrics': only http:// "
        "endpoints can be scraped",
        "ScrapeFrequencyInSecs='soon': not a number of seconds",
        "ScrapeTimeoutInSecs='0': must lie between 0.001 and 3600 seconds",
        "UploadTarget='LogAnalytics': must be one of IoTMessage, AzureMonitor",
        "CompressForUpload='maybe': must be true or false",
        "AllowedMetrics='m{status}': expected =, !=, =~ or !~ after the label name at position 8, found '}'",
        "MaxBufferedSamples='0': must be at least 1",
    ]


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({"MetricsEndpointsCSV": " , "}, "no endpoints"),
        ({"MetricsEndpointsCSV": "http://a/metrics,http://a:80/metrics"}, "is listed twice"),
        ({"MetricsEndpointsCSV": "http://:9600/metrics"}, "has no host"),
        ({"MetricsEndpointsCSV": "http://a:99999/metrics"}, "is not a URL"),
        ({"MetricsEndpointsCSV": "http://user:pw@a/metrics"}, "credentials"),
        ({"MetricsEndpointsCSV": "http://a/mét rics"}, "only printable ASCII without spaces"),
        ({"ScrapeFrequencyInSecs": "0.01"}, "between 0.1 and 86400"),
        ({"ScrapeFrequencyInSecs": "nan"}, "between"),
        (
            {"UploadTarget": "AzureMonitor"},
            "UploadTarget=AzureMonitor needs APPLICATIONINSIGHTS_CONNECTION_STRING",
        ),
        (
            {"UploadTarget": "AzureMonitor", "APPLICATIONINSIGHTS_CONNECTION_STRING": "${CONNECTION}"},
            "needs APPLICATIONINSIGHTS_CONNECTION_STRING",
        ),
    ],
)
def test_invalid_settings(environ: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem.replace("$", r"\$").replace("{", r"\{")):
        Settings.from_environ(environ)


@pytest.mark.parametrize(
    ("text", "value"), [("true", True), ("TRUE", True), ("1", True), ("no", False), ("0", False)]
)
def test_booleans(text: str, value: bool) -> None:
    assert Settings.from_environ({"CompressForUpload": text}).compress is value


def test_endpoint_identity() -> None:
    endpoint = parse_endpoint("http://Battery-Module:9600/metrics")
    assert (endpoint.module_name, endpoint.instance) == ("battery-module", "battery-module:9600")
    assert parse_endpoint("http://[::1]:9600/metrics").instance == "[::1]:9600"


@pytest.mark.parametrize(
    ("desired", "interval"),
    [
        ({}, None),
        ({"scrape_interval_s": 10}, 10.0),
        ({"scrape_interval_s": 0.5}, 0.5),
        ({"scrape_interval_s": None}, None),
    ],
)
def test_twin_configuration(desired: dict[str, object], interval: float | None) -> None:
    assert msgspec.convert(desired, TelemetryConfig, strict=True).scrape_interval_s == interval


@pytest.mark.parametrize(
    "desired",
    [
        {"scrape_interval_s": 0},
        {"scrape_interval_s": "60"},
        {"scrape_interval": 60},
        {"scrape_interval_s": 1e6},
    ],
)
def test_invalid_twin_configuration(desired: dict[str, object]) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(desired, TelemetryConfig, strict=True)
