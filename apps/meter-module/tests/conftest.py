from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest
from meter_module import MeterAsset, SimulatedMeterDriver
from trio.testing import MockClock

from energy_edge.modulehost.testing import DEFAULT_START, wall_clock_from
from energy_edge.physics import LoadShape, SiteLoad, SiteLoadParams


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    """Virtual time: minutes of metering run in milliseconds, deterministically."""
    return "trio", {"clock": MockClock(autojump_threshold=0)}


class SiteClock:
    """A monotonic clock and the wall clock that goes with it, moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.elapsed_s = 0.0

    def monotonic(self) -> float:
        return self.elapsed_s

    def wall(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed_s)

    def advance(self, seconds: float) -> None:
        self.elapsed_s += seconds


def simulated_meter(
    clock: Callable[[], datetime],
    monotonic: Callable[[], float] = anyio.current_time,
    *,
    shape: LoadShape = LoadShape.INDUSTRIAL,
    annual_kwh: float = 600_000.0,
    noise_std: float = 0.1,
    seed: int = 7,
    asset_outputs_kw: Callable[[datetime], Sequence[float]] | None = None,
    max_step_s: float = 1.0,
) -> SimulatedMeterDriver:
    rng = random.Random(seed)
    load = SiteLoad(
        SiteLoadParams(shape, annual_kwh, noise_std=noise_std), random.Random(rng.getrandbits(64))
    )
    extra: dict[str, Any] = {} if asset_outputs_kw is None else {"asset_outputs_kw": asset_outputs_kw}
    return SimulatedMeterDriver(
        load,
        rng=random.Random(rng.getrandbits(64)),
        clock=clock,
        monotonic=monotonic,
        max_step_s=max_step_s,
        **extra,
    )


def meter_asset(start: datetime = DEFAULT_START) -> MeterAsset:
    """A meter on the module's own (virtual or real) anyio clock; call it inside the test."""
    return MeterAsset("meter-01", simulated_meter(wall_clock_from(start)))


def driver_of(asset: MeterAsset) -> SimulatedMeterDriver:
    assert isinstance(asset.driver, SimulatedMeterDriver)
    return asset.driver


WEDNESDAY = datetime(2024, 6, 5, tzinfo=UTC)
"""A working day in June: no weekend shape, summer season."""

DESIRED = {
    "nominal_voltage_v": 230.0,
    "voltage_tolerance_percent": 10.0,
    "nominal_frequency_hz": 50.0,
    "frequency_tolerance_hz": 1.0,
    "telemetry_interval_s": 1.0,
}
