"""Per-step cost of every model and of a whole-site step, and pvlib computing the same PV step (baseline).

pvlib is the field's reference and is built for arrays: one instant costs it the same pandas and numpy
set-up as ten thousand. An edge module steps once a second, one instant at a time, which is what these
benchmarks time. Groups with a baseline and a candidate become ratios in ``out/bench/results.json``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pvlib
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from energy_edge.physics import (
    BROKEN_DAY,
    ArrayOrientation,
    Battery,
    BatteryParams,
    Boiler,
    BoilerParams,
    ClearSky,
    CloudModel,
    ExogenousSeries,
    GridMeter,
    LoadShape,
    Location,
    PvParams,
    PvSystem,
    SiteLoad,
    SiteLoadParams,
    example_site,
)

LATITUDE, LONGITUDE, ALTITUDE = 52.52, 13.40, 34.0
INSTANT = datetime(2024, 6, 21, 11, 0, tzinfo=UTC)
AMBIENT_C, WIND_M_S = 25.0, 1.0
PV = PvParams(dc_rating_kw=100.0, ac_rating_kw=80.0, thermal_time_constant_s=0.0)

PV_SYSTEM = PvSystem(PV)  # no thermal lag: every call is the same instant, as pvlib's
LOCATION = Location(LATITUDE, LONGITUDE, ALTITUDE)
CLEAR_SKY = ClearSky(ALTITUDE, 3.0)
ORIENTATION = ArrayOrientation(tilt_deg=30.0, azimuth_deg=180.0, albedo=0.25, sky_model="haydavies")
PVLIB_INEICHEN: Any = pvlib.clearsky.ineichen  # unannotated in pvlib; see tests/test_sky.py


def run(benchmark: BenchmarkFixture, group: str, role: str | None, fn: Callable[[], Any]) -> Any:
    benchmark.group = group
    if role is not None:
        benchmark.extra_info["role"] = role
    return benchmark(fn)


def ours_pv_step(unix_s: float = INSTANT.timestamp()) -> float:
    """Sun, clear sky, plane of array, cell temperature, PVWatts DC and inverter: AC kW for one instant."""
    sun = LOCATION.sun_at(unix_s)
    poa = ORIENTATION.irradiance(sun, CLEAR_SKY.irradiance(sun))
    return PV_SYSTEM.step(
        1.0, poa_w_m2=poa.global_w_m2, ambient_c=AMBIENT_C, wind_m_s=WIND_M_S
    ).power_output_kw


def pvlib_pv_step(when: datetime = INSTANT) -> float:
    """The same chain in pvlib for a one-element DatetimeIndex (pvlib's ModelChain does these calls)."""
    times = pd.DatetimeIndex([when])
    sun = pvlib.solarposition.get_solarposition(times, LATITUDE, LONGITUDE, ALTITUDE)
    apparent_zenith = np.asarray(sun["apparent_zenith"])
    dni_extra = pvlib.irradiance.get_extra_radiation(times.day_of_year.to_numpy().astype(float))
    airmass = pvlib.atmosphere.get_absolute_airmass(
        pvlib.atmosphere.get_relative_airmass(apparent_zenith), pvlib.atmosphere.alt2pres(ALTITUDE)
    )
    clear = PVLIB_INEICHEN(apparent_zenith, airmass, 3.0, altitude=ALTITUDE, dni_extra=dni_extra)
    poa = pvlib.irradiance.get_total_irradiance(
        30.0,
        180.0,
        apparent_zenith,
        np.asarray(sun["azimuth"]),
        clear["dni"],
        clear["ghi"],
        clear["dhi"],
        dni_extra=dni_extra,
        albedo=0.25,
        model="haydavies",
    )
    cell = pvlib.temperature.sapm_cell(poa["poa_global"], AMBIENT_C, WIND_M_S, -3.56, -0.075, 3.0)
    dc = pvlib.pvsystem.pvwatts_dc(poa["poa_global"], cell, 100e3, -0.0037) * (1.0 - 0.14)
    ac = pvlib.inverter.pvwatts(dc, 80e3 / 0.96, 0.96, 0.9637)
    return float(np.asarray(ac)[0]) / 1000.0


PVLIB_AC_KW = pvlib_pv_step()
"""A ratio between two computations means something only if both compute the same: each run checks it."""


@pytest.mark.parametrize(
    ("role", "fn"), [("candidate", ours_pv_step), ("baseline", pvlib_pv_step)], ids=["ours", "pvlib"]
)
def test_pv_step_one_instant(benchmark: BenchmarkFixture, role: str, fn: Callable[[], float]) -> None:
    assert run(benchmark, "pv step, one instant", role, fn) == pytest.approx(PVLIB_AC_KW, rel=0.005)


@pytest.mark.parametrize(
    ("role", "fn"),
    [
        ("candidate", lambda: LOCATION.sun_at(INSTANT.timestamp())),
        (
            "baseline",
            lambda: pvlib.solarposition.get_solarposition(
                pd.DatetimeIndex([INSTANT]), LATITUDE, LONGITUDE, ALTITUDE
            ),
        ),
    ],
    ids=["ours", "pvlib-spa"],
)
def test_solar_position_one_instant(benchmark: BenchmarkFixture, role: str, fn: Callable[[], Any]) -> None:
    run(benchmark, "solar position, one instant", role, fn)


class Clock:
    """Advances one second per call, as a module stepping in real time would."""

    def __init__(self, start: datetime = INSTANT) -> None:
        self.now = start

    def tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def test_whole_site_step(benchmark: BenchmarkFixture) -> None:
    site, clock = example_site(random.Random(1)), Clock()
    setpoints = [50.0 * math.sin(2.0 * math.pi * i / 3600.0) for i in range(3600)]
    calls = iter(range(10**12))

    def step() -> Any:
        return site.step(
            1.0, clock.tick(), ambient_c=AMBIENT_C, battery_setpoint_kw=setpoints[next(calls) % 3600]
        )

    reading = run(benchmark, "whole site step (sun, sky, PV, battery, boiler, load, meter)", None, step)
    assert reading.meter.grid_power_kw == pytest.approx(
        reading.load.power_kw
        - reading.pv.power_output_kw
        - reading.battery.power_output_kw
        - reading.boiler.power_output_kw
    )


def test_site_conditions_step(benchmark: BenchmarkFixture) -> None:
    """The half of a site step no set-point changes, which a simulator computes once per day."""
    site, clock = example_site(random.Random(1)), Clock()
    run(benchmark, "site step, first half: conditions", None, lambda: site.conditions(1.0, clock.tick()))


def hour_series() -> ExogenousSeries:
    """An hour of an example site's weather and demand at 1 s, for the equipment to replay."""
    weather, clock = example_site(random.Random(1)), Clock()
    series = ExogenousSeries(1.0)
    for _ in range(3600):
        now = weather.conditions(1.0, clock.tick())
        series.append(
            poa_w_m2=now.poa.global_w_m2,
            ambient_c=AMBIENT_C,
            draw_l_min=now.draw_l_min,
            site_load_kw=now.load.power_kw,
        )
    return series


def test_site_equipment_step(benchmark: BenchmarkFixture) -> None:
    """The half a simulator repeats for every strategy: PV, boiler, battery and meter from a series."""
    site, series = example_site(random.Random(1)), hour_series()
    setpoints = [50.0 * math.sin(2.0 * math.pi * i / 3600.0) for i in range(3600)]
    calls = iter(range(10**12))

    def step() -> Any:
        i = next(calls) % 3600
        return site.step_equipment(series, i, battery_setpoint_kw=setpoints[i])

    reading = run(benchmark, "site step, second half: equipment on a series", None, step)
    assert reading.meter.grid_power_kw == pytest.approx(
        reading.site_load_kw
        - reading.pv.power_output_kw
        - reading.battery.power_output_kw
        - reading.boiler.power_output_kw
    )


def test_site_equipment_stretch(benchmark: BenchmarkFixture) -> None:
    """The second half over an hour under held set-points, as a simulator steps between two driver calls
    (``equipment_steps``: set-points checked once); ``items`` makes the figure per step."""
    site, series = example_site(random.Random(1)), hour_series()
    benchmark.extra_info["items"] = 3600

    def stretch() -> Any:
        reading = None
        for reading in site.equipment_steps(series, 0, 3600, battery_setpoint_kw=-20.0):  # noqa: B007
            pass  # a simulator reads each step as it goes; keeping them all would time the allocator
        return reading

    benchmark.group = "site step, second half: equipment over a stretch"
    reading = benchmark.pedantic(stretch, rounds=5, iterations=1)
    assert reading.meter.grid_power_kw == pytest.approx(
        reading.site_load_kw
        - reading.pv.power_output_kw
        - reading.battery.power_output_kw
        - reading.boiler.power_output_kw
    )


@pytest.mark.parametrize("role", ["candidate", "baseline"])
def test_whole_site_against_pvlib_pv_alone(benchmark: BenchmarkFixture, role: str) -> None:
    """The whole site, every model, against pvlib doing only the PV part of it."""
    site, clock = example_site(random.Random(2)), Clock()
    fn = (lambda: site.step(1.0, clock.tick(), ambient_c=AMBIENT_C)) if role == "candidate" else pvlib_pv_step
    run(benchmark, "whole site vs pvlib PV alone", role, fn)


def test_sun_and_clear_sky_step(benchmark: BenchmarkFixture) -> None:
    clock = Clock()
    run(
        benchmark,
        "model step: sun + clear sky",
        None,
        lambda: CLEAR_SKY.irradiance(LOCATION.sun_at(clock.tick().timestamp())),
    )


def test_cloud_step(benchmark: BenchmarkFixture) -> None:
    clouds, clear = (
        CloudModel(BROKEN_DAY, random.Random(3)),
        CLEAR_SKY.irradiance(LOCATION.sun_at(INSTANT.timestamp())),
    )
    run(benchmark, "model step: clouds", None, lambda: clouds.step(1.0, clear))


def test_plane_of_array_step(benchmark: BenchmarkFixture) -> None:
    sun = LOCATION.sun_at(INSTANT.timestamp())
    sky = CLEAR_SKY.irradiance(sun)
    run(benchmark, "model step: plane of array", None, lambda: ORIENTATION.irradiance(sun, sky))


def test_pv_system_step(benchmark: BenchmarkFixture) -> None:
    pv = PvSystem(PvParams(dc_rating_kw=100.0, ac_rating_kw=80.0))
    run(
        benchmark,
        "model step: PV + inverter",
        None,
        lambda: pv.step(1.0, poa_w_m2=850.0, ambient_c=AMBIENT_C, wind_m_s=WIND_M_S),
    )


def test_battery_step(benchmark: BenchmarkFixture) -> None:
    battery = Battery(BatteryParams(capacity_kwh=200.0, inverter_rating_kw=100.0))
    setpoints = [80.0 * math.sin(2.0 * math.pi * i / 3600.0) for i in range(3600)]
    calls = iter(range(10**12))
    run(
        benchmark,
        "model step: battery",
        None,
        lambda: battery.step(1.0, setpoints[next(calls) % 3600], AMBIENT_C),
    )


def test_boiler_step(benchmark: BenchmarkFixture) -> None:
    boiler = Boiler(BoilerParams(), target_celsius=75.0, initial_temperature_c=70.0)
    run(benchmark, "model step: boiler", None, lambda: boiler.step(1.0, draw_l_min=30.0, ambient_c=AMBIENT_C))


def test_site_load_step(benchmark: BenchmarkFixture) -> None:
    load, clock = SiteLoad(SiteLoadParams(LoadShape.INDUSTRIAL, 600_000.0), random.Random(4)), Clock()
    run(benchmark, "model step: site load", None, lambda: load.step(1.0, clock.tick()))


def test_grid_meter_step(benchmark: BenchmarkFixture) -> None:
    meter = GridMeter()
    run(
        benchmark,
        "model step: grid meter",
        None,
        lambda: meter.step(1.0, site_load_kw=60.0, power_outputs_kw=(42.5, -20.0, -150.0)),
    )
