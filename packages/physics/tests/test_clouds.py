"""The cloud model: reproducible by seed, correlated in time, Kasten & Czeplak in the mean, never negative."""

from __future__ import annotations

import itertools
import math
import random
import statistics

import pytest

from energy_edge.physics import (
    BROKEN_DAY,
    CLEAR_DAY,
    OVERCAST_DAY,
    ClearSky,
    CloudModel,
    CloudRegime,
    Location,
)
from energy_edge.physics.sky import SkyIrradiance

from .conftest import NOON_JUNE

BERLIN = Location(52.52, 13.40)
DAY_START = NOON_JUNE.timestamp() - 11 * 3600.0


def clear_day(step_s: float = 30.0) -> list[SkyIrradiance]:
    sky = ClearSky()
    return [sky.irradiance(BERLIN.sun_at(DAY_START + i * step_s)) for i in range(int(86400 / step_s))]


CLEAR_JUNE_DAY = clear_day()


def run(
    regime: CloudRegime, seed: int, clear: list[SkyIrradiance], step_s: float = 30.0
) -> list[SkyIrradiance]:
    model = CloudModel(regime, random.Random(seed))
    return [model.step(step_s, sky) for sky in clear]


def clear_sky_index(cloudy: list[SkyIrradiance], clear: list[SkyIrradiance]) -> float:
    return sum(s.ghi_w_m2 for s in cloudy) / sum(s.ghi_w_m2 for s in clear)


def test_the_same_seed_gives_the_same_weather() -> None:
    assert run(BROKEN_DAY, 42, CLEAR_JUNE_DAY) == run(BROKEN_DAY, 42, CLEAR_JUNE_DAY)


def test_different_seeds_give_different_weather() -> None:
    assert run(BROKEN_DAY, 42, CLEAR_JUNE_DAY) != run(BROKEN_DAY, 43, CLEAR_JUNE_DAY)


def test_day_types_darken_the_day_in_order() -> None:
    # Mean clear-sky index over three seeded days each: about 1.0, 0.74 and 0.46 here.
    index = {
        regime.name: statistics.fmean(
            clear_sky_index(run(regime, seed, CLEAR_JUNE_DAY), CLEAR_JUNE_DAY) for seed in range(3)
        )
        for regime in (CLEAR_DAY, BROKEN_DAY, OVERCAST_DAY)
    }
    assert index["clear"] > 0.97
    assert 0.6 < index["broken"] < 0.9
    assert 0.25 < index["overcast"] < 0.55


def test_the_mean_follows_kasten_czeplak_for_the_cover_that_occurred() -> None:
    # Long run at a fixed high sun: sum GHI / sum GHI_clear·(1 - 0.75 N^3.4) -> 1 as shading averages out.
    sun = BERLIN.sun_at(NOON_JUNE.timestamp())
    clear = ClearSky().irradiance(sun)
    model = CloudModel(BROKEN_DAY, random.Random(5))
    observed = expected = 0.0
    for _ in range(100_000):
        sky = model.step(20.0, clear)
        observed += sky.ghi_w_m2
        expected += clear.ghi_w_m2 * (1.0 - 0.75 * model.cloud_cover**3.4)
    assert observed / expected == pytest.approx(1.0, abs=0.02)


def test_cover_is_correlated_from_one_second_to_the_next() -> None:
    model = CloudModel(BROKEN_DAY, random.Random(11))
    clear = CLEAR_JUNE_DAY[len(CLEAR_JUNE_DAY) // 2]
    covers = []
    for _ in range(20_000):
        model.step(1.0, clear)
        covers.append(model.cloud_cover)
    assert statistics.correlation(covers[:-1], covers[1:]) > 0.99
    assert statistics.pstdev(covers) > 0.01  # correlated, yet it does move


def test_shading_comes_in_spells_of_minutes_not_seconds() -> None:
    model = CloudModel(BROKEN_DAY, random.Random(2))
    clear = CLEAR_JUNE_DAY[len(CLEAR_JUNE_DAY) // 2]
    states = []
    for _ in range(36_000):
        model.step(1.0, clear)
        states.append(model.sun_shaded)
    switches = sum(a != b for a, b in itertools.pairwise(states))
    assert 0 < switches < 36_000 / 60  # mean spell well over a minute
    shaded_share = sum(states) / len(states)
    assert 0.05 < shaded_share < 0.8


def test_statistics_do_not_depend_on_the_step_length() -> None:
    # The exact OU and telegraph transitions: 1 s and 60 s steps see the same climate.
    sun = BERLIN.sun_at(NOON_JUNE.timestamp())
    clear = ClearSky().irradiance(sun)

    def mean_index(step_s: float, seed: int) -> float:
        model = CloudModel(BROKEN_DAY, random.Random(seed))
        steps = int(40 * 86400 / step_s)
        return sum(model.step(step_s, clear).ghi_w_m2 for _ in range(steps)) / (steps * clear.ghi_w_m2)

    assert mean_index(60.0, 1) == pytest.approx(mean_index(600.0, 2), abs=0.04)


def test_irradiance_is_never_negative_and_diffuse_never_exceeds_global() -> None:
    for regime in (CLEAR_DAY, BROKEN_DAY, OVERCAST_DAY):
        for sky in run(regime, 9, CLEAR_JUNE_DAY):
            assert sky.ghi_w_m2 >= 0.0
            assert sky.dni_w_m2 >= 0.0
            assert sky.dhi_w_m2 >= 0.0
            assert sky.dhi_w_m2 <= sky.ghi_w_m2 + 1e-9


def test_a_shaded_sun_leaves_only_diffuse_light() -> None:
    model = CloudModel(OVERCAST_DAY, random.Random(4))
    clear = CLEAR_JUNE_DAY[len(CLEAR_JUNE_DAY) // 2]
    for _ in range(1000):
        sky = model.step(10.0, clear)
        if model.sun_shaded:
            assert sky.dni_w_m2 == 0.0
            assert sky.ghi_w_m2 == sky.dhi_w_m2
        else:
            assert sky.dni_w_m2 == clear.dni_w_m2


def test_night_stays_dark() -> None:
    model = CloudModel(BROKEN_DAY, random.Random(1))
    assert all(model.step(60.0, SkyIrradiance(0.0, 0.0, 0.0)) == (0.0, 0.0, 0.0) for _ in range(100))


def test_changing_the_day_type_keeps_the_weather_continuous() -> None:
    model = CloudModel(CLEAR_DAY, random.Random(8))
    before = model.cloud_cover
    model.regime = OVERCAST_DAY
    assert model.regime is OVERCAST_DAY
    assert model.cloud_cover > before  # same latent state, a cloudier regime


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("median_cover", 0.0),
        ("median_cover", 1.0),
        ("cover_spread", -1.0),
        ("cover_time_constant_s", 0.0),
        ("shade_dwell_s", math.nan),
    ],
)
def test_impossible_regimes_are_rejected(field: str, value: float) -> None:
    kwargs: dict[str, float] = {
        "median_cover": 0.5,
        "cover_spread": 1.0,
        "cover_time_constant_s": 600.0,
        "shade_dwell_s": 60.0,
    }
    kwargs[field] = value
    with pytest.raises(ValueError, match=field):
        CloudRegime("custom", **kwargs)


def test_a_bad_step_changes_nothing() -> None:
    model = CloudModel(BROKEN_DAY, random.Random(3))
    before = (model.cloud_cover, model.sun_shaded)
    with pytest.raises(ValueError, match="dt_s"):
        model.step(math.nan, CLEAR_JUNE_DAY[0])
    assert (model.cloud_cover, model.sun_shaded) == before
    # The generator did not move either: the next step equals a fresh model's first step.
    assert model.step(10.0, CLEAR_JUNE_DAY[0]) == CloudModel(BROKEN_DAY, random.Random(3)).step(
        10.0, CLEAR_JUNE_DAY[0]
    )


@pytest.mark.parametrize("regime", [CLEAR_DAY, BROKEN_DAY, OVERCAST_DAY], ids=lambda regime: regime.name)
def test_a_stretch_at_once_is_the_same_weather_as_step_by_step(regime: CloudRegime) -> None:
    # The whole day: night, dawn (the beam-free branch) and the sun up; a few steps first by step().
    stepped, stretched = CloudModel(regime, random.Random(21)), CloudModel(regime, random.Random(21))
    expected = [stepped.step(30.0, sky) for sky in CLEAR_JUNE_DAY]
    head = [stretched.step(30.0, sky) for sky in CLEAR_JUNE_DAY[:5]]
    ghi, dni, dhi = stretched.step_many(
        30.0, *(list(column) for column in zip(*CLEAR_JUNE_DAY[5:], strict=True))
    )
    assert head + [SkyIrradiance(*sky) for sky in zip(ghi, dni, dhi, strict=True)] == expected
    # It leaves the model where the steps left it: the next step is the same too.
    assert (stretched.cloud_cover, stretched.sun_shaded) == (stepped.cloud_cover, stepped.sun_shaded)
    assert stretched.step(30.0, CLEAR_JUNE_DAY[0]) == stepped.step(30.0, CLEAR_JUNE_DAY[0])


def test_a_bad_stretch_changes_nothing() -> None:
    model, twin = CloudModel(BROKEN_DAY, random.Random(22)), CloudModel(BROKEN_DAY, random.Random(22))
    with pytest.raises(ValueError, match="dt_s"):
        model.step_many(0.0, [500.0], [600.0], [100.0])
    with pytest.raises(ValueError, match="one length"):
        model.step_many(30.0, [500.0, 500.0], [600.0], [100.0])
    assert model.step_many(30.0, [500.0], [600.0], [100.0]) == twin.step_many(30.0, [500.0], [600.0], [100.0])
