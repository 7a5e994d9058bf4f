"""The whole site in one step: the meter closes the books, the day looks like a day, seeds reproduce it."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from energy_edge.physics import CLEAR_DAY, OVERCAST_DAY, Location, Site, SiteReading, example_site


def run_day(site: Site, day: datetime, step_s: float = 60.0, **setpoints: float) -> list[SiteReading]:
    steps = int(86400 / step_s)
    return [
        site.step(step_s, day + timedelta(seconds=step_s * (i + 1)), ambient_c=18.0, **setpoints)
        for i in range(steps)
    ]


JUNE = datetime(2024, 6, 12, tzinfo=UTC)  # a Wednesday
DECEMBER = datetime(2024, 12, 11, tzinfo=UTC)


def test_the_meter_sees_load_plus_boiler_minus_pv_minus_battery() -> None:
    site = example_site(random.Random(1))
    for reading in run_day(site, JUNE, battery_setpoint_kw=-25.0):
        expected = (
            reading.load.power_kw
            - reading.boiler.power_output_kw  # heating is negative output: it adds to import
            - reading.pv.power_output_kw
            - reading.battery.power_output_kw  # charging is negative output: it adds to import
        )
        assert reading.meter.grid_power_kw == pytest.approx(expected, abs=1e-9)


def test_the_meter_registers_hold_the_day_energy_of_every_flow() -> None:
    site = example_site(random.Random(2))
    readings = run_day(site, JUNE, battery_setpoint_kw=10.0)
    hours = 60.0 / 3600.0
    net = sum(r.meter.grid_power_kw for r in readings) * hours
    last = readings[-1].meter
    assert last.import_energy_kwh - last.export_energy_kwh == pytest.approx(net, rel=1e-9)
    flows = sum(
        r.load.power_kw - r.pv.power_output_kw - r.battery.power_output_kw - r.boiler.power_output_kw
        for r in readings
    )
    assert net == pytest.approx(flows * hours, rel=1e-9)


def test_the_same_seed_replays_the_same_day() -> None:
    first = run_day(example_site(random.Random(3)), JUNE, step_s=300.0)
    second = run_day(example_site(random.Random(3)), JUNE, step_s=300.0)
    third = run_day(example_site(random.Random(4)), JUNE, step_s=300.0)
    assert first == second
    assert first != third


def test_a_clear_june_day_yields_plausible_pv_energy_and_dark_nights() -> None:
    site = example_site(random.Random(5), regime=CLEAR_DAY)
    readings = run_day(site, JUNE)
    pv_kwh = sum(r.pv.power_output_kw for r in readings) / 60.0
    # 100 kWp at 30 deg south in Berlin, clear June day: about 6-7 full-load hours after PVWatts' losses.
    assert 500.0 < pv_kwh < 800.0
    assert 65.0 < max(r.pv.power_output_kw for r in readings) <= 80.0  # never above the inverter's rating
    midnight = readings[60 * 23]
    assert midnight.pv.power_output_kw == 0.0
    assert midnight.sky.ghi_w_m2 == 0.0
    assert not midnight.sun.is_up


def test_an_overcast_december_day_yields_little() -> None:
    site = example_site(random.Random(6), regime=OVERCAST_DAY)
    pv_kwh = sum(r.pv.power_output_kw for r in run_day(site, DECEMBER)) / 60.0
    assert 5.0 < pv_kwh < 100.0


def test_the_boiler_keeps_the_process_supplied_through_a_shift_day() -> None:
    site = example_site(random.Random(7))
    readings = run_day(site, JUNE)
    assert all(not r.boiler.below_process_minimum for r in readings)
    assert sum(r.boiler.electric_kwh for r in readings) > 500.0  # 40 l/min at 60 K for two shifts
    assert any(r.draw_l_min > 30.0 for r in readings)


def test_set_points_reach_the_assets() -> None:
    site = example_site(random.Random(8))
    noon = JUNE + timedelta(hours=11)
    site.step(60.0, noon, ambient_c=20.0)
    reading = site.step(
        60.0, noon, ambient_c=20.0, battery_setpoint_kw=-40.0, pv_target_kw=10.0, boiler_power_limit_kw=0.0
    )
    assert reading.battery.power_output_kw == pytest.approx(-40.0)
    assert reading.pv.power_output_kw <= 10.0
    assert reading.boiler.power_output_kw == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dt_s": 0.0}, "dt_s"),
        ({"ambient_c": math.nan}, "ambient_c"),
        ({"wind_m_s": -1.0}, "wind_m_s"),
        ({"battery_setpoint_kw": math.inf}, "battery_setpoint_kw"),
        ({"pv_target_kw": -1.0}, "pv_target_kw"),
        ({"boiler_power_limit_kw": math.nan}, "boiler_power_limit_kw"),
        ({"when": datetime(2024, 6, 12, 12)}, "timezone-aware"),
    ],
)
def test_a_rejected_step_leaves_the_whole_site_unchanged(kwargs: dict[str, object], message: str) -> None:
    site, twin = example_site(random.Random(9)), example_site(random.Random(9))
    noon = JUNE + timedelta(hours=12)
    step: dict[str, object] = {"dt_s": 60.0, "when": noon, "ambient_c": 20.0} | kwargs
    with pytest.raises(ValueError, match=message):
        site.step(**step)  # pyright: ignore[reportArgumentType]
    # Nothing moved, not even the random generators: the next step matches a site that never saw the call.
    assert site.step(60.0, noon, ambient_c=20.0) == twin.step(60.0, noon, ambient_c=20.0)


def test_a_site_elsewhere_sees_its_own_sun() -> None:
    southern = example_site(random.Random(10), regime=CLEAR_DAY, location=Location(-25.75, 28.19, 1339.0))
    readings = run_day(southern, JUNE)
    # June is winter at 25 deg S, and a south-facing array looks away from the northern sun.
    assert sum(r.poa.beam_w_m2 for r in readings) < 0.2 * sum(r.sky.dni_w_m2 for r in readings)
