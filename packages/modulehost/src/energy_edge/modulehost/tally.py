"""Prometheus counters and histograms that the hot path bumps as plain numbers, built into metric families
only when the registry is scraped.

prometheus_client's ``Counter.inc`` and ``Histogram.observe`` check the metric and take a lock on every
call, and a histogram walks its buckets in Python: about 1.5 µs and 3 µs. A module's tick and the
controller's cycle bump a dozen of them every few seconds, which in the site simulator is 17,280 times a
simulated day. A tally keeps each child's numbers in slots of its own and leaves the rest to the scrape, a
few times a minute at most: the exposition is the same as the library's metrics give (``_total`` and
``_created`` for a counter; ``_bucket``, ``_count``, ``_sum`` and ``_created`` for a histogram).

Each child is written by one thread only (the module's event loop); the metrics server's thread reads it.
Under the GIL every read sees a whole number; a scrape may miss an increment made while it runs, which
the next scrape has, as with any counter read between two events. A histogram's ``_count`` is taken from
the same copy of the buckets as they are, so ``_count`` always equals the ``+Inf`` bucket.
"""

from __future__ import annotations

import bisect
import math
import time
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString  # pyright: ignore[reportUnknownVariableType]

_Child = TypeVar("_Child", "CounterChild", "HistogramChild")


class CounterChild:
    """One label set's count."""

    __slots__ = ("created", "value")

    def __init__(self) -> None:
        self.value = 0.0
        self.created = time.time()

    def inc(self, amount: float = 1.0) -> None:
        # "not >= 0" rather than "< 0": NaN is refused too, as prometheus_client refuses it.
        if not amount >= 0.0:
            raise ValueError(f"counters can only be incremented by non-negative amounts, got {amount!r}")
        self.value += amount


class HistogramChild:
    """One label set's observations, counted per bucket (not cumulative: the scrape adds them up)."""

    __slots__ = ("_bounds", "counts", "created", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self._bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last one is +Inf's own
        self.sum = 0.0
        self.created = time.time()

    def observe(self, amount: float) -> None:
        # bisect_left: an observation equal to a bound belongs to that bucket (le is "less or equal").
        self.counts[bisect.bisect_left(self._bounds, amount)] += 1
        self.sum += amount


class _Tally(Collector, Generic[_Child]):
    """A labelled family of children, registered as a collector."""

    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str], registry: CollectorRegistry | None
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self._children: dict[tuple[str, ...], _Child] = {}
        if not self.labelnames:
            self._children[()] = self._new_child()
        if registry is not None:
            registry.register(self)

    @abstractmethod
    def _new_child(self) -> _Child:
        """A child at zero, of the family's kind."""

    def labels(self, *values: str, **by_name: str) -> _Child:
        """The child of one label set, made on first use (by position or by name, not both)."""
        if values and by_name:
            raise ValueError("label values by position or by name, not both")
        if by_name:
            if set(by_name) != set(self.labelnames):
                raise ValueError(f"{self.name} takes labels {self.labelnames}, got {tuple(by_name)}")
            values = tuple(by_name[name] for name in self.labelnames)
        if len(values) != len(self.labelnames) or not self.labelnames:
            raise ValueError(f"{self.name} takes {len(self.labelnames)} label values, got {len(values)}")
        key = tuple(str(value) for value in values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._new_child()
        return child

    def _unlabelled(self) -> _Child:
        if self.labelnames:
            raise ValueError(f"{self.name} is labelled {self.labelnames}: call labels() first")
        return self._children[()]

    def describe(self) -> Iterator[Metric]:
        """The family without samples: the registry refuses a second metric of the same name, as it does
        for prometheus_client's own."""
        yield self._family()

    @abstractmethod
    def _family(self) -> Metric:
        """The family without samples, of the family's kind."""

    def _snapshot(self) -> list[tuple[tuple[str, ...], _Child]]:
        # A copy: a child added by the event loop thread while the scrape iterates must not break it.
        return list(self._children.items())


class CounterTally(_Tally[CounterChild]):
    """What ``prometheus_client.Counter`` exposes, with a cheap ``inc``. ``name`` without ``_total``."""

    def _new_child(self) -> CounterChild:
        return CounterChild()

    def inc(self, amount: float = 1.0) -> None:
        self._unlabelled().inc(amount)

    def _family(self) -> CounterMetricFamily:
        return CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)

    def collect(self) -> Iterator[Metric]:
        family = self._family()
        for values, child in self._snapshot():
            family.add_metric(values, child.value, created=child.created)
        yield family


class HistogramTally(_Tally[HistogramChild]):
    """What ``prometheus_client.Histogram`` exposes, with a cheap ``observe``."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        *,
        buckets: Sequence[float],
        registry: CollectorRegistry | None,
    ) -> None:
        bounds = tuple(float(bound) for bound in buckets if bound != math.inf)
        if not bounds or list(bounds) != sorted(set(bounds)):
            raise ValueError(f"{name}: buckets must be increasing and not empty, got {tuple(buckets)}")
        self.bounds = bounds
        super().__init__(name, documentation, labelnames, registry)

    def _new_child(self) -> HistogramChild:
        return HistogramChild(self.bounds)

    def observe(self, amount: float) -> None:
        self._unlabelled().observe(amount)

    def _family(self) -> HistogramMetricFamily:
        return HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)

    def collect(self) -> Iterator[Metric]:
        family = self._family()
        for values, child in self._snapshot():
            counts, total = list(child.counts), child.sum
            cumulative, buckets = 0, list[tuple[str, float]]()
            for bound, count in zip((*self.bounds, math.inf), counts, strict=True):
                cumulative += count
                buckets.append((_le(bound), float(cumulative)))
            family.add_metric(values, buckets, total)
            labels = dict(zip(self.labelnames, values, strict=True))
            family.samples.append(Sample(f"{self.name}_created", labels, child.created))
        yield family


def _le(bound: float) -> str:
    """An upper bound as prometheus_client writes it ("+Inf", "0.005", "1.0")."""
    label: str = floatToGoString(bound)
    return label
