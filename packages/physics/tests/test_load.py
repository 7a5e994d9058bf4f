"""Site load and process draw: profile shapes, annual scaling, seeded noise, local time."""

from __future__ import annotations

import math
import random
import statistics
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from energy_edge.physics import (
    DrawProfile,
    LoadShape,
    SiteLoad,
    SiteLoadParams,
    day_shape,
    two_shift_process_draw,
)
from energy_edge.physics.load import seasonal_factor

BERLIN = ZoneInfo("Europe/Berlin")


def bare(shape: LoadShape, annual_kwh: float = 10_000.0, tz: ZoneInfo | None = None) -> SiteLoad:
    params = SiteLoadParams(shape, annual_kwh, noise_std=0.0, tz=tz or UTC)
    return SiteLoad(params, random.Random(0))


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize("shape", list(LoadShape))
@pytest.mark.parametrize("year", [2023, 2024])
def test_a_year_of_the_profile_sums_to_the_annual_energy(shape: LoadShape, year: int) -> None:
    load = bare(shape, 123_456.0)
    start = at(year, 1, 1, 0)
    # Midpoint rule at 15 min: exact for the piecewise-linear profile up to the two year-end half hours.
    energy = sum(
        load.expected_kw(start + timedelta(minutes=15 * i + 7.5)) * 0.25
        for i in range(96 * (365 + (year == 2024)))
    )
    assert energy == pytest.approx(123_456.0, rel=1e-4)


def test_household_peaks_in_the_evening_and_sleeps_at_night() -> None:
    load = bare(LoadShape.HOUSEHOLD)
    wednesday = (2024, 1, 17)
    assert load.expected_kw(at(*wednesday, 19, 30)) > 2.5 * load.expected_kw(at(*wednesday, 3, 30))


def test_household_uses_more_in_winter_than_in_summer() -> None:
    load = bare(LoadShape.HOUSEHOLD)
    assert load.expected_kw(at(2024, 1, 17, 19, 30)) > 1.3 * load.expected_kw(at(2024, 7, 17, 19, 30))
    # BDEW's H0 dynamisation: 1.24 on 1 January, about 0.8 in high summer.
    assert seasonal_factor(LoadShape.HOUSEHOLD, datetime(2024, 1, 1).date()) == pytest.approx(
        1.2421, abs=1e-3
    )


def test_commercial_works_office_hours_on_working_days() -> None:
    load = bare(LoadShape.COMMERCIAL)
    assert load.expected_kw(at(2024, 3, 13, 11, 30)) > 3.0 * load.expected_kw(
        at(2024, 3, 17, 11, 30)
    )  # Wed vs Sun
    assert load.expected_kw(at(2024, 3, 13, 11, 30)) > 3.0 * load.expected_kw(at(2024, 3, 13, 2, 30))


def test_industrial_runs_two_shifts_on_weekdays() -> None:
    load = bare(LoadShape.INDUSTRIAL)
    shift, night, sunday = at(2024, 3, 13, 14, 30), at(2024, 3, 13, 2, 30), at(2024, 3, 17, 14, 30)
    assert load.expected_kw(shift) > 3.0 * load.expected_kw(night)
    assert load.expected_kw(shift) > 3.0 * load.expected_kw(sunday)


def test_the_profile_is_continuous_across_the_hour_and_midnight() -> None:
    load = bare(LoadShape.INDUSTRIAL)
    for moment in (at(2024, 3, 13, 6, 0), at(2024, 3, 14, 0, 0), at(2024, 3, 16, 0, 0)):
        before = load.expected_kw(moment - timedelta(seconds=1))
        after = load.expected_kw(moment + timedelta(seconds=1))
        assert after == pytest.approx(before, rel=0.01)


def test_profiles_follow_the_local_clock() -> None:
    utc_site, berlin_site = bare(LoadShape.COMMERCIAL), bare(LoadShape.COMMERCIAL, tz=BERLIN)
    # 07:30 UTC is 09:30 in Berlin in summer: the Berlin office is already at work.
    moment = at(2024, 7, 17, 7, 30)
    assert berlin_site.expected_kw(moment) == pytest.approx(
        utc_site.expected_kw(at(2024, 7, 17, 9, 30)), rel=1e-3
    )


def test_noise_is_reproducible_by_seed_and_differs_between_seeds() -> None:
    def trace(seed: int) -> list[float]:
        load = SiteLoad(SiteLoadParams(LoadShape.INDUSTRIAL, 1e6), random.Random(seed))
        return [load.step(60.0, at(2024, 3, 13, 12) + timedelta(minutes=i)).power_kw for i in range(300)]

    assert trace(1) == trace(1)
    assert trace(1) != trace(2)


def test_noise_has_mean_one_and_is_correlated_in_time() -> None:
    params = SiteLoadParams(LoadShape.INDUSTRIAL, 1e6, noise_std=0.2, noise_time_constant_s=600.0)
    load = SiteLoad(params, random.Random(5))
    moment = at(2024, 3, 13, 12)
    ratios = []
    for _ in range(60_000):
        reading = load.step(30.0, moment)
        ratios.append(reading.power_kw / reading.expected_kw)
    assert statistics.fmean(ratios) == pytest.approx(1.0, abs=0.03)
    assert statistics.pstdev(ratios) == pytest.approx(math.sqrt(math.exp(0.04) - 1.0), rel=0.1)  # log-normal
    assert statistics.correlation(ratios[:-1], ratios[1:]) == pytest.approx(math.exp(-30.0 / 600.0), abs=0.02)
    assert min(ratios) > 0.0


def test_day_shape_has_a_value_per_hour_and_knows_the_weekend() -> None:
    weekday, sunday = (
        day_shape(LoadShape.COMMERCIAL, datetime(2024, 3, 13).date()),
        day_shape(
            LoadShape.COMMERCIAL,
            datetime(2024, 3, 17).date(),
        ),
    )
    assert len(weekday) == len(sunday) == 24
    assert sum(weekday) > 2.0 * sum(sunday)


def test_process_draw_follows_the_shifts_and_the_local_hour() -> None:
    draw = two_shift_process_draw(40.0, BERLIN)
    assert draw.flow_l_min(at(2024, 3, 13, 7, 30)) == pytest.approx(40.0)  # 08:30 local, Wednesday
    assert draw.flow_l_min(at(2024, 3, 13, 1, 30)) == pytest.approx(2.0)  # 02:30 local: standby
    assert draw.flow_l_min(at(2024, 3, 17, 9, 30)) == pytest.approx(2.0)  # Sunday


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"annual_kwh": -5.0}, "annual_kwh"),
        ({"annual_kwh": math.nan}, "annual_kwh"),
        ({"noise_std": 2.0}, "noise_std"),
        ({"noise_time_constant_s": 0.0}, "noise_time_constant_s"),
        ({"shape": "bakery"}, "shape"),
    ],
)
def test_impossible_load_parameters_are_rejected(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SiteLoadParams(**({"shape": LoadShape.HOUSEHOLD, "annual_kwh": 4000.0} | kwargs))  # pyright: ignore[reportArgumentType]


def test_a_draw_table_needs_24_non_negative_hours() -> None:
    with pytest.raises(ValueError, match="24 hourly values"):
        DrawProfile((1.0,) * 23, (1.0,) * 24, (1.0,) * 24)
    with pytest.raises(ValueError, match="sunday_l_min"):
        DrawProfile((1.0,) * 24, (1.0,) * 24, (-1.0,) * 24)


def test_a_bad_load_step_changes_nothing() -> None:
    load = SiteLoad(SiteLoadParams(LoadShape.HOUSEHOLD, 4000.0), random.Random(3))
    reference = SiteLoad(SiteLoadParams(LoadShape.HOUSEHOLD, 4000.0), random.Random(3))
    with pytest.raises(ValueError, match="dt_s"):
        load.step(-1.0, at(2024, 3, 13, 12))
    with pytest.raises(ValueError, match="timezone-aware"):
        load.step(1.0, datetime(2024, 3, 13, 12))
    assert load.step(1.0, at(2024, 3, 13, 12)) == reference.step(1.0, at(2024, 3, 13, 12))


@pytest.mark.parametrize("noise_std", [0.1, 0.0])
def test_noise_factors_times_the_profile_are_the_steps(noise_std: float) -> None:
    params = SiteLoadParams(LoadShape.COMMERCIAL, 50_000.0, noise_std=noise_std, tz=BERLIN)
    stepped, stretched = SiteLoad(params, random.Random(31)), SiteLoad(params, random.Random(31))
    instants = [at(2024, 10, 27, 0) + timedelta(seconds=7.0 * (i + 1)) for i in range(2000)]
    expected = [stepped.step(7.0, when).power_kw for when in instants]
    factors = stretched.noise_factors(7.0, len(instants))
    assert [stretched.expected_kw(when) * f for when, f in zip(instants, factors, strict=True)] == expected
    assert len(set(factors)) == (1 if noise_std == 0.0 else len(instants))
    # The noise went on from where the steps would have left it.
    later = at(2024, 10, 27, 9)
    assert stretched.step(7.0, later) == stepped.step(7.0, later)


def test_the_scale_per_unit_is_the_profile_per_unit_of_shape() -> None:
    load = bare(LoadShape.INDUSTRIAL, 600_000.0)
    noon = at(2024, 3, 5, 12, 30)  # a working day's midpoint of 12-13 h: the table's value itself
    value = day_shape(LoadShape.INDUSTRIAL, noon.date())[12]
    assert load.expected_kw(noon) == load.kw_per_unit(2024) * value


def test_noise_factors_need_a_step_and_a_count() -> None:
    load = SiteLoad(SiteLoadParams(LoadShape.HOUSEHOLD, 3_000.0), random.Random(32))
    with pytest.raises(ValueError, match="dt_s"):
        load.noise_factors(0.0, 3)
    with pytest.raises(ValueError, match="steps"):
        load.noise_factors(1.0, -1)
