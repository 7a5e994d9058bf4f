"""The exogenous series: computed once per run, shared by the strategies, and the same as stepping the whole
site (weather included) every step as the site model used to: to the bit for everything but the sunlight,
which numpy computes for a chunk at once and may round differently in the last bits (1e-9 relative)."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import pytest

from energy_edge.sim import runner
from energy_edge.sim.equipment import ambient_c, build_site
from energy_edge.sim.exogenous import EPSILON_S, ExogenousInputs
from energy_edge.sim.scenario import Scenario, parse_scenario
from energy_edge.sim.site_model import SiteModel, run_without_control
from energy_edge.sim.stack import run_stack
from energy_edge.sim.trace import COLUMNS, SiteTrace

from .conftest import short_scenario

SetPoints = tuple[float, float | None, float | None]
"""(battery set-point, PV limit, boiler power limit) in force, as the drivers leave them in the model."""

SCHEDULE: tuple[tuple[float, SetPoints], ...] = (
    (0.0, (0.0, None, None)),
    (97.0, (-45.0, None, 30.0)),
    (301.0, (30.0, 12.0, None)),
    (602.5, (0.0, 0.0, 0.0)),
    (777.0, (80.0, 50.0, 5.0)),
)
"""Set-points from each offset on; a model applies them from its next step."""


def whole_site_trace(scenario: Scenario, seed: int) -> SiteTrace:
    """The reference: ``Site.step`` for every step, sun, clouds and load included, on the instants and with
    the once-a-minute air temperature the site model always used."""
    site = build_site(scenario, seed)
    start, dt, end_s = scenario.start_utc, scenario.time.resolution_s, scenario.duration_s()
    trace = SiteTrace(start=start, step_s=dt)
    now, minute_of_air, air = 0.0, -1.0, 0.0
    while now + dt <= end_s + EPSILON_S:
        end = now + dt
        minute = (end - dt / 2) // 60.0
        if minute != minute_of_air:
            minute_of_air = minute
            air = ambient_c(scenario, start + timedelta(seconds=minute * 60.0 + 30.0))
        battery, pv, boiler = [points for since, points in SCHEDULE if end > since + EPSILON_S][-1]
        reading = site.step(
            dt,
            start + timedelta(seconds=end),
            ambient_c=air,
            battery_setpoint_kw=battery,
            pv_target_kw=pv,
            boiler_power_limit_kw=boiler,
        )
        trace.append(
            pv_available_kw=reading.pv.available_kw,
            pv_kw=reading.pv.power_output_kw,
            load_kw=reading.load.power_kw,
            battery_kw=reading.battery.power_output_kw,
            soc_percent=reading.battery.soc * 100.0,
            boiler_kw=-reading.boiler.power_output_kw,
            boiler_temperature_c=reading.boiler.temperature_c,
            grid_kw=reading.meter.grid_power_kw,
            draw_l_min=reading.draw_l_min,
            ambient_c=air,
        )
        now = end
    return trace


def scheduled_trace(model: SiteModel) -> SiteTrace:
    """The site model driven through :data:`SCHEDULE`, set-points written between advances as drivers do."""
    for since, (battery, pv, boiler) in SCHEDULE:
        model.advance_to(since)
        model.battery_setpoint_kw, model.battery_connected = battery, True
        model.pv_limit_kw, model.boiler_power_limit_kw = pv, boiler
    model.run_to_end()
    return model.trace


def columns(trace: SiteTrace) -> dict[str, list[float]]:
    return {name: list(trace.column(name)) for name in COLUMNS}


SUNLIT: Final = ("pv_available_kw", "pv_kw", "grid_kw")
"""The columns the irradiance on the array reaches; nothing else depends on numpy's sin, cos, exp..."""


def assert_same_site(got: SiteTrace, expected: SiteTrace) -> None:
    """Every column the same; the sunlit ones to 1e-9 relative (1e-9 kW absolute around zero), where numpy
    may differ in the last bits from the platform's libm (it does not where they are one, as on x86-64)."""
    got_columns, expected_columns = columns(got), columns(expected)
    assert {name: got_columns[name] for name in COLUMNS if name not in SUNLIT} == {
        name: expected_columns[name] for name in COLUMNS if name not in SUNLIT
    }
    for name in SUNLIT:
        assert got_columns[name] == pytest.approx(expected_columns[name], rel=1e-9, abs=1e-9), name


@pytest.mark.parametrize(
    "scenario",
    [
        parse_scenario(short_scenario(hours=0.25), "summer noon"),
        # Clocks go back at 03:00: local hours repeat, and the draw, the load and the air follow local time.
        parse_scenario(
            short_scenario("winter-overcast", start_time="01:30", hours=2.5).replace(
                "start = 2024-12-11", "start = 2024-10-27"
            ),
            "the night the clocks go back",
        ),
        # A step that is no binary fraction: the clock is a float sum, the last step lands within EPSILON_S.
        parse_scenario(
            short_scenario(hours=0.25).replace("resolution_s = 1.0", "resolution_s = 0.7"), "0.7 s steps"
        ),
    ],
    ids=["noon", "dst-end", "0.7s"],
)
def test_the_model_on_the_series_steps_as_the_whole_site(scenario: Scenario) -> None:
    model = SiteModel(scenario, seed=5)
    assert_same_site(scheduled_trace(model), whole_site_trace(scenario, 5))
    assert len(model.trace) == len(model.exogenous.series)


def test_a_shared_series_gives_the_run_a_series_of_its_own_gives(noon_hour: Scenario) -> None:
    shared = ExogenousInputs(noon_hour, seed=7)
    none = run_without_control(noon_hour, seed=7, exogenous=shared)
    series = shared.series
    before = (list(series.poa_w_m2), list(series.site_load_kw), list(series.ambient_c))
    controlled = run_stack(noon_hour, seed=7, exogenous=shared)
    alone = run_stack(noon_hour, seed=7)
    assert columns(controlled.trace) == columns(alone.trace)
    assert controlled.commands_sent == alone.commands_sent
    assert columns(none) == columns(run_without_control(noon_hour, seed=7))
    # Replaying it changed nothing in it: the next strategy gets the same day.
    assert (list(series.poa_w_m2), list(series.site_load_kw), list(series.ambient_c)) == before
    assert len(series) == 3600


@pytest.fixture
def steps_computed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    computed: list[int] = []
    fill_to = ExogenousInputs.fill_to

    def counting(self: ExogenousInputs, steps: int) -> int:
        before = len(self.series)
        done = fill_to(self, steps)
        computed.append(done - before)
        return done

    monkeypatch.setattr(ExogenousInputs, "fill_to", counting)
    return computed


def test_a_scenario_run_computes_its_weather_and_demand_once(
    noon_hour: Scenario, steps_computed: list[int]
) -> None:
    result = runner.run_scenario(noon_hour, seed=7, strategies=("controller", "none"))
    assert sum(steps_computed) == 3600  # not once per strategy
    none, controlled = result.outcomes["none"].trace, result.outcomes["controller"].trace
    assert list(none.load_kw) == list(controlled.load_kw)
    assert list(none.pv_available_kw) == list(controlled.pv_available_kw)  # no curtailment moves the sun


def test_the_series_is_computed_as_far_as_a_model_has_stepped(steps_computed: list[int]) -> None:
    day = parse_scenario(short_scenario(start_time="00:00", hours=24.0), "summer day")
    model = SiteModel(day, seed=7)
    model.advance_to(10.0)
    assert len(model.exogenous.series) == 3600  # one chunk, an hour, not the day
    model.advance_to(3601.0)
    assert steps_computed == [3600, 3600]


def test_the_series_does_not_depend_on_how_it_was_asked_for(noon_hour: Scenario) -> None:
    at_once, in_pieces = ExogenousInputs(noon_hour, seed=7), ExogenousInputs(noon_hour, seed=7)
    assert at_once.fill_to(10**9) == 3600
    for steps in (1, 2, 700, 701, 2999, 10**9):
        in_pieces.fill_to(steps)
    for name in ("poa_w_m2", "ambient_c", "wind_m_s", "draw_l_min", "site_load_kw"):
        assert list(getattr(in_pieces.series, name)) == list(getattr(at_once.series, name)), name


def test_a_series_of_another_run_is_refused(noon_hour: Scenario) -> None:
    series = ExogenousInputs(noon_hour, seed=7)
    with pytest.raises(ValueError, match="does not belong"):
        SiteModel(noon_hour, seed=8, exogenous=series)
    with pytest.raises(ValueError, match="does not belong"):
        SiteModel(noon_hour, seed=7, days=1, exogenous=series)
