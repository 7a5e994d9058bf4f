"""AllowedMetrics / BlockedMetrics: the metrics collector's selector syntax and semantics."""

from __future__ import annotations

import pytest
from telemetry_module.selectors import MetricFilter, SelectorError, parse_selectors

BATTERY = "http://battery-module:9600/metrics"
SOLAR = "http://solar-module:9600/metrics"


def admits(
    allowed: str,
    blocked: str = "",
    *,
    name: str,
    family: str | None = None,
    labels: dict[str, str] | None = None,
    endpoint: str = BATTERY,
) -> bool:
    metric_filter = MetricFilter(parse_selectors(allowed), parse_selectors(blocked))
    module = endpoint.split("//")[1].split(":", maxsplit=1)[0]
    return metric_filter.admits(endpoint, module, family or name, name, labels or {})


def test_no_selectors_admit_everything() -> None:
    assert MetricFilter().admits_everything
    assert admits("", name="anything_at_all")


@pytest.mark.parametrize(
    ("selector", "name", "expected"),
    [
        ("energy_edge_asset_power_watts", "energy_edge_asset_power_watts", True),
        ("energy_edge_asset_power_watts", "energy_edge_asset_power_watts_max", False),
        ("energy_edge_*", "energy_edge_asset_power_watts", True),
        ("energy_edge_*", "edgehub_messages_received_total", False),
        ("*_total", "energy_edge_commands_total", True),
        ("*", "anything:with_colons", True),
        ("energy_edge_asset_?tate", "energy_edge_asset_state", True),
        ("energy_edge_asset_?tate", "energy_edge_asset_sstate", False),
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("edgehub:*", "edgehub:queue_length", True),
    ],
)
def test_names_match_whole_with_star_and_question_mark(selector: str, name: str, expected: bool) -> None:
    assert admits(selector, name=name) is expected


def test_a_family_name_selects_every_series_of_the_family() -> None:
    histogram = "energy_edge_method_duration_seconds"
    for sample in ("_bucket", "_sum", "_count"):
        assert admits(histogram, name=histogram + sample, family=histogram)
    assert admits(histogram + "_count", name=histogram + "_count", family=histogram)
    assert not admits(histogram + "_count", name=histogram + "_sum", family=histogram)
    # prometheus_client's parser names a counter's family without "_total"
    assert admits("energy_edge_commands", name="energy_edge_commands_total", family="energy_edge_commands")


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ('m{status="500"}', {"status": "500"}, True),
        ('m{status="500"}', {"status": "200"}, False),
        ("m{status=500}", {"status": "500"}, True),  # bare values as well as the collector's quoted ones
        ("m{status!=500}", {"status": "200"}, True),
        ("m{status!=500}", {"status": "500"}, False),
        ('m{status=~"5.."}', {"status": "503"}, True),
        ('m{status=~"5.."}', {"status": "5030"}, False),  # the regular expression spans the whole value
        ('m{status!~"5.."}', {"status": "200"}, True),
        ('m{status="500", method="stop"}', {"status": "500", "method": "stop"}, True),
        ('m{status="500",method="stop"}', {"status": "500", "method": "start"}, False),
        ('m{status="5*"}', {"status": "500"}, False),  # = compares exactly: * is literal in values
        ('m{module="a,b}c"}', {"module": "a,b}c"}, True),
        (r'm{text="say \"hi\""}', {"text": 'say "hi"'}, True),
        # As in the collector, a named label must be present, even for != ...
        ("m{status!=500}", {}, False),
        ('m{status=""}', {}, False),
        # ... and labels a selector does not name do not matter.
        ('m{status="500"}', {"status": "500", "other": "x"}, True),
        ("m{}", {"any": "thing"}, True),
    ],
)
def test_label_matchers(selector: str, labels: dict[str, str], expected: bool) -> None:
    assert admits(selector, name="m", labels=labels) is expected


@pytest.mark.parametrize(
    ("selector", "endpoint", "expected"),
    [
        (f"*[{BATTERY}]", BATTERY, True),
        (f"*[{BATTERY}]", SOLAR, False),
        ("*[battery-module]", BATTERY, True),  # the module name (the endpoint's host) works too
        ("*[battery-module]", SOLAR, False),
        (f"m {{a=1}} [ {BATTERY} ]", BATTERY, True),  # whitespace around the parts, as the collector allows
    ],
)
def test_endpoint_part(selector: str, endpoint: str, expected: bool) -> None:
    assert admits(selector, name="m", labels={"a": "1"}, endpoint=endpoint) is expected


def test_the_block_list_wins() -> None:
    allowed = "energy_edge_*"
    blocked = 'energy_edge_commands_total{status="200"} *_created'
    assert admits(allowed, blocked, name="energy_edge_asset_power_watts")
    assert admits(allowed, blocked, name="energy_edge_commands_total", labels={"status": "500"})
    assert not admits(allowed, blocked, name="energy_edge_commands_total", labels={"status": "200"})
    assert not admits(allowed, blocked, name="energy_edge_commands_created")
    assert not admits("", "*", name="energy_edge_asset_power_watts")  # block everything, allow-all list


def test_block_only_on_one_endpoint() -> None:
    blocked = "*[solar-module]"
    assert admits("", blocked, name="m", endpoint=BATTERY)
    assert not admits("", blocked, name="m", endpoint=SOLAR)


def test_lists_are_separated_by_whitespace_or_commas() -> None:
    selectors = parse_selectors(' a b{x="1",y="2"}[battery-module],c\n\td* ,, ')
    assert [selector.text for selector in selectors] == ["a", 'b{x="1",y="2"}[battery-module]', "c", "d*"]
    assert [selector.endpoint for selector in selectors] == [None, "battery-module", None, None]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9lives", "expected a metric name .* at position 0"),
        ("a-b", "expected whitespace or a comma between selectors at position 1"),
        ("m{status}", "expected =, !=, =~ or !~ after the label name at position 8"),
        ("m{status=500", "expected ',' or '}' after a label matcher at position 12, found the end"),
        ('m{status="500}', r"expected a closing quote \(\"\)"),
        ("m{,}", "expected a label name at position 2"),
        ("m{9=1}", "expected a label name at position 2"),
        ("m{a=1,a=2}", "label 'a' is named twice"),
        ('m{a=~"("}', "label 'a': invalid regular expression"),
        ("m[battery-module", "expected ']' closing the endpoint"),
        ("m[]", "endpoint '' at position 1"),
        ("m[a b]", "endpoint 'a b'"),
    ],
)
def test_invalid_selectors_are_refused_with_the_position(text: str, message: str) -> None:
    with pytest.raises(SelectorError, match=message):
        parse_selectors(text)
