"""Tallies expose exactly what prometheus_client's Counter and Histogram expose for the same events."""

from __future__ import annotations

import math
import re
import threading

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from energy_edge.modulehost.tally import CounterTally, HistogramTally

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 1.0)


def exposition(registry: CollectorRegistry) -> str:
    """The text format with the ``_created`` timestamps (wall clock at creation) blanked out."""
    return re.sub(r"(_created\{?[^ ]*) \S+", r"\1 T", generate_latest(registry).decode())


def test_a_counter_tally_exposes_what_a_counter_does() -> None:
    library, ours = CollectorRegistry(), CollectorRegistry()
    reference = Counter("edge_commands_total", "Commands", ("method", "status"), registry=library)
    tally = CounterTally("edge_commands_total", "Commands", ("method", "status"), registry=ours)
    for method, status, amount in [("start", "200", 1.0), ("stop", "504", 2.5), ("start", "200", 1.0)]:
        reference.labels(method=method, status=status).inc(amount)
        tally.labels(method=method, status=status).inc(amount)
    assert exposition(ours) == exposition(library)
    assert ours.get_sample_value("edge_commands_total", {"method": "start", "status": "200"}) == 2.0


def test_an_unlabelled_counter_tally_counts_from_zero() -> None:
    registry = CollectorRegistry()
    rollups = CounterTally("edge_rollups_total", "Roll-ups", (), registry=registry)
    assert registry.get_sample_value("edge_rollups_total") == 0.0
    rollups.inc()
    rollups.inc()
    assert registry.get_sample_value("edge_rollups_total") == 2.0


def test_a_histogram_tally_exposes_what_a_histogram_does() -> None:
    library, ours = CollectorRegistry(), CollectorRegistry()
    reference = Histogram("edge_cycle_seconds", "Cycle", ("module",), buckets=BUCKETS, registry=library)
    tally = HistogramTally("edge_cycle_seconds", "Cycle", ("module",), buckets=BUCKETS, registry=ours)
    # On a bound, between bounds, below the first, above the last.
    for module, seconds in [("a", 0.001), ("a", 0.003), ("b", 0.0001), ("a", 7.0), ("b", 0.0025)]:
        reference.labels(module=module).observe(seconds)
        tally.labels(module=module).observe(seconds)
    assert exposition(ours) == exposition(library)
    assert ours.get_sample_value("edge_cycle_seconds_count", {"module": "a"}) == 3.0


def test_bad_use_is_refused_as_prometheus_client_refuses_it() -> None:
    registry = CollectorRegistry()
    commands = CounterTally("edge_commands_total", "Commands", ("method",), registry=registry)
    with pytest.raises(ValueError, match="non-negative"):
        commands.labels(method="start").inc(-1.0)
    with pytest.raises(ValueError, match="non-negative"):
        commands.labels(method="start").inc(math.nan)
    with pytest.raises(ValueError, match=r"call labels\(\) first"):
        commands.inc()
    with pytest.raises(ValueError, match="takes labels"):
        commands.labels(status="200")
    with pytest.raises(ValueError, match="label values"):
        commands.labels("start", "200")
    with pytest.raises(ValueError, match="increasing"):
        HistogramTally("edge_latency_seconds", "Latency", buckets=(1.0, 0.5), registry=None)
    # A second metric of the same name, ours or the library's, is refused by the registry.
    with pytest.raises(ValueError, match="Duplicated"):
        Counter("edge_commands_total", "Commands", registry=registry)
    assert registry.get_sample_value("edge_commands_total", {"method": "start"}) == 0.0


def test_a_scrape_while_children_are_added_sees_whole_numbers() -> None:
    registry = CollectorRegistry()
    commands = CounterTally("edge_commands_total", "Commands", ("method",), registry=registry)
    done = threading.Event()

    def bump() -> None:
        for n in range(5_000):
            commands.labels(method=f"m{n % 500}").inc()
        done.set()

    writer = threading.Thread(target=bump)
    writer.start()
    scrapes = 0
    while not done.is_set() or scrapes == 0:
        generate_latest(registry)  # must not fail on a dict that grows while it is read
        scrapes += 1
    writer.join()
    assert (
        sum(
            sample.value
            for family in registry.collect()
            for sample in family.samples
            if sample.name == "edge_commands_total"
        )
        == 5_000.0
    )
