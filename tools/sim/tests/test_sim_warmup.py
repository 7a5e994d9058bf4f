"""The controller's warm-up: days on the site before the scored run, whose learned demand it keeps."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest

from energy_edge.sim import stack
from energy_edge.sim.scenario import Scenario, parse_scenario
from energy_edge.sim.stack import run_stack, warmup_scenarios, warmup_seed

from .conftest import short_scenario


def coarse_shift_day(warmup_days: int) -> Scenario:
    """The industrial site at one-minute steps and reports (a warm-up day in about a second), scored for
    an hour from 06:00 local."""
    text = short_scenario("industrial-peak-shaving", start_time="06:00", hours=1.0)
    text, replaced = re.subn(r"(?m)^warmup_days = \d+$", f"warmup_days = {warmup_days}", text)
    assert replaced == 1
    text = text.replace("resolution_s = 1.0", "resolution_s = 60.0")
    text = text.replace(
        "[controller]",
        "[modules]\ntelemetry_interval_s = 60.0\n\n"
        "[controller]\ncontrol_interval_s = 60.0\nstale_after_s = 180.0",
    )
    return parse_scenario(text, "industrial, coarse")


def test_the_warm_up_covers_the_days_just_before_the_start_one_by_one() -> None:
    scenario = coarse_shift_day(2)
    days = warmup_scenarios(scenario)
    assert [day.time.start for day in days] == [date(2024, 4, 15), date(2024, 4, 16)]
    assert [day.duration_s() for day in days] == [86_400.0, 86_400.0]
    assert all(day.time.warmup_days == 0 for day in days)
    # Each day its own weather and load, none of them the scored day's.
    assert len({3, warmup_seed(3, 0), warmup_seed(3, 1)}) == 3


def test_every_warm_up_day_is_a_stack_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each warm-up day starts afresh from the scenario's state (a restart into a new billing period), with
    # its own weather and load; the scored run follows, reading what they taught the controller.
    runs: list[tuple[date, float, int]] = []
    simulate = stack._simulate  # pyright: ignore[reportPrivateUsage]

    async def recorded(scenario: Scenario, *args: Any, seed: int, **kwargs: Any) -> Mapping[str, Any]:
        runs.append((scenario.time.start, scenario.duration_s(), seed))
        return await simulate(scenario, *args, seed=seed, **kwargs)

    monkeypatch.setattr(stack, "_simulate", recorded)
    run = run_stack(coarse_shift_day(2), seed=3)
    assert runs == [
        (date(2024, 4, 15), 86_400.0, warmup_seed(3, 0)),
        (date(2024, 4, 16), 86_400.0, warmup_seed(3, 1)),
        (date(2024, 4, 17), 3_600.0, 3),
    ]
    assert run.simulated_s == 2 * 86_400.0 + 3_600.0
    # Each day's last quarter hour never ended while its controller watched: bridged, not learned.
    assert run.learned_quarter_hours == 95


def test_a_warm_up_day_teaches_the_controller_the_site_s_demand() -> None:
    scenario = coarse_shift_day(1)
    run = run_stack(scenario, seed=3)
    # Every quarter hour of the day before but the last, which never ended while the controller watched.
    assert run.learned_quarter_hours == 95
    assert run.simulated_s == 86_400.0 + 3_600.0
    assert len(run.trace) == 60  # the trace is the scored hour alone
    # The scored hour starts from the scenario's state, not where the warm-up left the site.
    assert run.trace.soc_percent[0] == pytest.approx(scenario.battery.initial_soc_percent, abs=1.0)


def test_without_a_warm_up_nothing_is_learned_before_the_run() -> None:
    run = run_stack(coarse_shift_day(0), seed=3)
    assert run.learned_quarter_hours == 0
    assert run.simulated_s == 3_600.0
