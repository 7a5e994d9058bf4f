"""A site in two halves: weather and demand once into a series, then the equipment from it, as Site.step."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from energy_edge.physics import ExogenousSeries, example_site

BERLIN = ZoneInfo("Europe/Berlin")
DST_ENDS = datetime(2024, 10, 27, tzinfo=UTC)
"""Berlin's clocks go back at 01:00 UTC: the day has 25 local hours, one of them twice."""


def battery_kw(i: int) -> float:
    return 60.0 * math.sin(i / 7.0)


def pv_target_kw(i: int) -> float | None:
    return None if i % 3 == 0 else 20.0 * (i % 5)


def boiler_limit_kw(i: int) -> float | None:
    return None if i % 4 == 0 else 10.0 * (i % 17)  # below the turndown now and then: the heater stays off


def one_step(**values: float) -> ExogenousSeries:
    series = ExogenousSeries(60.0)
    series.append(
        **({"poa_w_m2": 600.0, "ambient_c": 20.0, "draw_l_min": 30.0, "site_load_kw": 45.0} | values)
    )
    return series


def minute_series(seed: int, start: datetime, minutes: int, ambient_c: float) -> ExogenousSeries:
    """``minutes`` one-minute steps of an example site's weather and demand from ``start`` on."""
    weather = example_site(random.Random(seed))
    series = ExogenousSeries(60.0)
    for i in range(minutes):
        now = weather.conditions(60.0, start + timedelta(minutes=i + 1))
        series.append(
            poa_w_m2=now.poa.global_w_m2,
            ambient_c=ambient_c,
            draw_l_min=now.draw_l_min,
            site_load_kw=now.load.power_kw,
        )
    return series


def test_the_two_halves_replay_the_whole_site_step_exactly() -> None:
    whole = example_site(random.Random(11), tz=BERLIN)
    weather = example_site(random.Random(11), tz=BERLIN)
    equipment = example_site(random.Random(11), tz=BERLIN)
    series = ExogenousSeries(60.0)
    for i in range(25 * 60):
        when = DST_ENDS + timedelta(minutes=i + 1)
        ambient = 8.0 + 6.0 * math.sin(i / 229.0)
        # The same instant on the site's clock, as the simulator passes it (draw and load convert no more).
        now = weather.conditions(60.0, when.astimezone(BERLIN))
        series.append(
            poa_w_m2=now.poa.global_w_m2,
            ambient_c=ambient,
            draw_l_min=now.draw_l_min,
            site_load_kw=now.load.power_kw,
        )
        expected = whole.step(
            60.0,
            when,
            ambient_c=ambient,
            battery_setpoint_kw=battery_kw(i),
            pv_target_kw=pv_target_kw(i),
            boiler_power_limit_kw=boiler_limit_kw(i),
        )
        replayed = equipment.step_equipment(
            series,
            i,
            battery_setpoint_kw=battery_kw(i),
            pv_target_kw=pv_target_kw(i),
            boiler_power_limit_kw=boiler_limit_kw(i),
        )
        assert now == (expected.sun, expected.sky, expected.poa, expected.draw_l_min, expected.load)
        assert replayed == (
            expected.pv,
            expected.battery,
            expected.boiler,
            expected.load.power_kw,
            expected.meter,
        )
    assert equipment.meter.import_energy_kwh == whole.meter.import_energy_kwh > 0.0
    assert equipment.battery.energy_kwh == whole.battery.energy_kwh


def test_one_series_replays_under_different_set_points() -> None:
    series = minute_series(12, datetime(2024, 6, 12, 11, tzinfo=UTC), 60, ambient_c=20.0)
    idle, steered = example_site(random.Random(12)), example_site(random.Random(12))
    for i in range(60):
        first = idle.step_equipment(series, i)
        second = steered.step_equipment(series, i, battery_setpoint_kw=-50.0, pv_target_kw=5.0)
        assert first.site_load_kw == second.site_load_kw == series.site_load_kw[i]
        assert first.pv.irradiance_w_m2 == second.pv.irradiance_w_m2 == series.poa_w_m2[i]
        assert second.meter.grid_power_kw > first.meter.grid_power_kw
    assert idle.battery.soc < steered.battery.soc


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"poa_w_m2": -1.0}, "poa_w_m2"),
        ({"poa_w_m2": math.nan}, "poa_w_m2"),
        ({"ambient_c": 71.0}, "ambient_c"),
        ({"wind_m_s": math.inf}, "wind_m_s"),
        ({"draw_l_min": -0.5}, "draw_l_min"),
        ({"site_load_kw": math.inf}, "site_load_kw"),
    ],
)
def test_a_value_its_model_would_refuse_adds_no_step(value: dict[str, float], message: str) -> None:
    series = one_step()
    with pytest.raises(ValueError, match=message):
        series.append(**({"poa_w_m2": 0.0, "ambient_c": 0.0, "draw_l_min": 0.0, "site_load_kw": 0.0} | value))
    columns = (series.poa_w_m2, series.ambient_c, series.wind_m_s, series.draw_l_min, series.site_load_kw)
    assert len(series) == 1
    assert [len(column) for column in columns] == [1] * 5


def test_a_series_needs_a_step_length() -> None:
    with pytest.raises(ValueError, match="dt_s"):
        ExogenousSeries(0.0)


@pytest.mark.parametrize(
    ("index", "setpoints", "message"),
    [
        (1, {}, "index"),
        (-1, {}, "index"),
        (0, {"battery_setpoint_kw": math.nan}, "battery_setpoint_kw"),
        (0, {"pv_target_kw": -1.0}, "pv_target_kw"),
        (0, {"boiler_power_limit_kw": math.inf}, "boiler_power_limit_kw"),
    ],
)
def test_a_rejected_equipment_step_changes_no_model(
    index: int, setpoints: dict[str, float], message: str
) -> None:
    site, twin = example_site(random.Random(13)), example_site(random.Random(13))
    series = one_step()
    with pytest.raises(ValueError, match=message):
        site.step_equipment(series, index, **setpoints)
    assert site.step_equipment(series, 0, battery_setpoint_kw=20.0) == twin.step_equipment(
        series, 0, battery_setpoint_kw=20.0
    )


@pytest.mark.parametrize(
    ("dt_s", "when", "message"),
    [
        (0.0, datetime(2024, 6, 12, 12, tzinfo=UTC), "dt_s"),
        (60.0, datetime(2024, 6, 12, 12), "timezone-aware"),
    ],
)
def test_rejected_conditions_move_neither_clouds_nor_load(dt_s: float, when: datetime, message: str) -> None:
    site, twin = example_site(random.Random(14)), example_site(random.Random(14))
    with pytest.raises(ValueError, match=message):
        site.conditions(dt_s, when)
    noon = datetime(2024, 6, 12, 12, tzinfo=UTC)
    assert site.conditions(60.0, noon) == twin.conditions(60.0, noon)


def test_extend_is_append_step_by_step_and_refuses_as_append_does() -> None:
    rows = [
        {"poa_w_m2": 600.0 + i, "ambient_c": 20.0 - i, "draw_l_min": 30.0, "site_load_kw": 45.0 * i}
        for i in range(4)
    ]
    appended, extended = ExogenousSeries(60.0), ExogenousSeries(60.0)
    for row in rows:
        appended.append(**row)
    extended.extend(**{name: [row[name] for row in rows] for name in rows[0]})
    columns = ("poa_w_m2", "ambient_c", "wind_m_s", "draw_l_min", "site_load_kw")
    assert [list(getattr(extended, name)) for name in columns] == [
        list(getattr(appended, name)) for name in columns
    ]
    for name, bad in (("ambient_c", 71.0), ("site_load_kw", math.nan), ("draw_l_min", -1.0)):
        with pytest.raises(ValueError, match=name):
            extended.extend(
                **{column: [row[column] for row in rows[:2]] for column in rows[0]} | {name: [1.0, bad]}
            )
    with pytest.raises(ValueError, match="one length"):
        extended.extend(poa_w_m2=[1.0], ambient_c=[1.0], draw_l_min=[1.0], site_load_kw=[1.0, 2.0])
    assert len(extended) == 4
    assert all(len(getattr(extended, name)) == 4 for name in columns)


def test_equipment_steps_over_a_stretch_are_the_single_steps() -> None:
    series = minute_series(15, datetime(2024, 6, 12, 5, tzinfo=UTC), 240, ambient_c=15.0)
    single, stretched = example_site(random.Random(15)), example_site(random.Random(15))
    setpoints = {"battery_setpoint_kw": -40.0, "pv_target_kw": 30.0, "boiler_power_limit_kw": 20.0}
    expected = [single.step_equipment(series, i, **setpoints) for i in range(240)]
    assert list(stretched.equipment_steps(series, 0, 100, **setpoints)) == expected[:100]
    # Steps are taken as they are read: a stretch left half-read leaves the models after the last one read.
    steps = stretched.equipment_steps(series, 100, 240, **setpoints)
    assert [next(steps) for _ in range(40)] == expected[100:140]
    assert list(stretched.equipment_steps(series, 140, 240, **setpoints)) == expected[140:]


@pytest.mark.parametrize(
    ("span", "setpoints", "message"),
    [
        ((0, 2), {}, "range"),
        ((1, 0), {}, "range"),
        ((-1, 1), {}, "range"),
        ((0, 1), {"battery_setpoint_kw": math.inf}, "battery_setpoint_kw"),
        ((0, 1), {"pv_target_kw": math.nan}, "pv_target_kw"),
        ((0, 1), {"boiler_power_limit_kw": -3.0}, "boiler_power_limit_kw"),
    ],
)
def test_a_rejected_stretch_is_refused_before_any_step(
    span: tuple[int, int], setpoints: dict[str, float], message: str
) -> None:
    site, twin = example_site(random.Random(16)), example_site(random.Random(16))
    series = one_step()
    with pytest.raises(ValueError, match=message):
        site.equipment_steps(series, *span, **setpoints)  # at the call, not at the first step
    assert list(site.equipment_steps(series, 0, 1)) == [twin.step_equipment(series, 0)]
