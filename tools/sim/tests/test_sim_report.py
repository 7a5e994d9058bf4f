"""The report's speed-up: the controller's simulated time over all the wall time it took."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from energy_edge.sim.report import StrategyOutcome, build_report
from energy_edge.sim.trace import SiteTrace


def outcome(
    name: str, wall_s: float, *, series_s: float = 0.0, simulated_s: float | None = None
) -> StrategyOutcome:
    trace = SiteTrace(start=datetime(2024, 6, 21, tzinfo=UTC), step_s=1.0)
    extra = {} if simulated_s is None else {"simulated_s": simulated_s}
    return StrategyOutcome(name, trace, {"energy_cost": 1.0}, wall_s, extra, series_s)


def report(*outcomes: StrategyOutcome) -> dict[str, object]:
    return build_report(
        scenario="s",
        seed=1,
        days=1.0,
        resolution_s=1.0,
        simulated_s=86_400.0,
        outcomes={o.name: o for o in outcomes},
        regret=None,
    )


def test_the_speed_up_counts_the_series_the_controller_replayed() -> None:
    # 8 s of its own and 2 s of weather and demand the none run computed for it: 8,640x, not 10,800x.
    assert report(outcome("controller", 8.0, series_s=2.0))["speedup"] == pytest.approx(8_640.0)


def test_the_speed_up_counts_the_warm_up() -> None:
    # Two simulated days (a warm-up and the scored one) in 16 s.
    assert report(outcome("controller", 16.0, simulated_s=172_800.0))["speedup"] == pytest.approx(10_800.0)


def test_without_the_controller_there_is_no_speed_up() -> None:
    assert report(outcome("none", 3.0))["speedup"] is None
