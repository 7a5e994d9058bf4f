"""The simulated meter: the site's load by time of day, registers, sign convention, supply, faults."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from meter_module import FaultPersistsError, MeterMeasurement, SimulatedMeterDriver

from energy_edge.physics import LoadShape, SiteLoad, SiteLoadParams

from ..conftest import WEDNESDAY, SiteClock, simulated_meter

pytestmark = pytest.mark.anyio


def meter(clock: SiteClock, **kwargs: Any) -> SimulatedMeterDriver:
    return simulated_meter(clock.wall, clock.monotonic, **kwargs)


async def read_at(driver: SimulatedMeterDriver, clock: SiteClock, when: datetime) -> MeterMeasurement:
    clock.advance((when - clock.wall()).total_seconds())
    return await driver.read()


@pytest.mark.parametrize(
    ("shape", "quiet", "busy"),
    [
        # Households peak in the evening, offices and shops during opening hours, factories on shift.
        (LoadShape.HOUSEHOLD, WEDNESDAY + timedelta(hours=3, minutes=30), WEDNESDAY + timedelta(hours=19)),
        (LoadShape.COMMERCIAL, WEDNESDAY + timedelta(hours=2), WEDNESDAY + timedelta(hours=11)),
        (LoadShape.INDUSTRIAL, WEDNESDAY + timedelta(hours=2), WEDNESDAY + timedelta(hours=9, minutes=30)),
    ],
)
async def test_the_site_load_follows_its_profile_through_the_day(
    shape: LoadShape, quiet: datetime, busy: datetime
) -> None:
    clock = SiteClock(quiet)
    driver = meter(clock, shape=shape, max_step_s=60.0)
    night = await driver.read()
    day = await read_at(driver, clock, busy)
    assert night.site_load_kw is not None
    assert day.site_load_kw is not None
    assert day.site_load_kw > 2.0 * night.site_load_kw
    # Alone, the meter sees only the site's load: all of it is imported (import > 0).
    assert (night.power_kw, day.power_kw) == (night.site_load_kw, day.site_load_kw)


async def test_the_load_is_the_profile_scaled_to_the_annual_energy() -> None:
    when = WEDNESDAY + timedelta(hours=10)
    small = await meter(SiteClock(when), annual_kwh=100_000.0, noise_std=0.0).read()
    large = await meter(SiteClock(when), annual_kwh=300_000.0, noise_std=0.0).read()
    profile = SiteLoad(SiteLoadParams(LoadShape.INDUSTRIAL, 100_000.0, noise_std=0.0), random.Random())
    assert small.power_kw == pytest.approx(profile.expected_kw(when), rel=1e-9)
    assert large.power_kw == pytest.approx(3.0 * small.power_kw, rel=1e-9)


async def test_the_import_register_counts_the_energy_the_site_draws() -> None:
    # 10:30 to 11:30 lies between two hour midpoints, where the profile is a straight line: its energy is
    # the mean of the two ends times one hour.
    clock = SiteClock(WEDNESDAY + timedelta(hours=10, minutes=30))
    driver = meter(clock, noise_std=0.0)
    first = await driver.read()
    last = await read_at(driver, clock, WEDNESDAY + timedelta(hours=11, minutes=30))
    imported = last.import_energy_kwh - first.import_energy_kwh
    assert imported == pytest.approx((first.power_kw + last.power_kw) / 2.0, rel=1e-3)
    assert last.import_energy_kwh > first.import_energy_kwh > 0.0
    assert last.export_energy_kwh == 0.0


async def test_assets_delivering_more_than_the_site_uses_make_the_meter_export() -> None:
    clock = SiteClock(WEDNESDAY + timedelta(hours=12))
    pv_kw = 400.0  # a PV array at noon, well above the site's ~100 kW
    driver = meter(clock, noise_std=0.0, asset_outputs_kw=lambda _: (pv_kw,))
    first = await driver.read()
    clock.advance(900.0)
    last = await driver.read()
    assert last.site_load_kw is not None
    assert last.power_kw == pytest.approx(last.site_load_kw - pv_kw)
    assert last.power_kw < 0.0  # export is negative grid power
    exported = last.export_energy_kwh - first.export_energy_kwh
    # 12:00-12:15 is on one straight stretch of the profile: the mean of the ends for a quarter hour.
    assert exported == pytest.approx(-(first.power_kw + last.power_kw) / 2.0 * 0.25, rel=1e-4)
    assert last.import_energy_kwh == first.import_energy_kwh


async def test_one_late_read_meters_exactly_what_reads_every_second_do() -> None:
    start = WEDNESDAY + timedelta(hours=6)
    punctual_clock, late_clock = SiteClock(start), SiteClock(start)
    punctual, late = meter(punctual_clock), meter(late_clock)
    every_second = await punctual.read()
    await late.read()
    for _ in range(600):
        punctual_clock.advance(1.0)
        every_second = await punctual.read()
    late_clock.advance(600.0)
    once = await late.read()
    # The same 1 s steps, the same noise draws, the same order: identical to the last bit. One 600 s
    # step instead would hold the end-of-step power over ten minutes of a ramping shift start.
    assert once == every_second


async def test_no_time_no_energy() -> None:
    clock = SiteClock(WEDNESDAY)
    driver = meter(clock)
    clock.advance(60.0)
    first = await driver.read()
    again = await driver.read()
    assert (again.import_energy_kwh, again.export_energy_kwh) == (first.import_energy_kwh, 0.0)


async def test_voltage_and_frequency_wander_close_to_nominal_reproducibly() -> None:
    async def readings(seed: int) -> list[tuple[float | None, float | None]]:
        clock = SiteClock(WEDNESDAY)
        driver = meter(clock, seed=seed)
        values = []
        for _ in range(600):
            clock.advance(1.0)
            reading = await driver.read()
            values.append((reading.voltage_v, reading.frequency_hz))
        return values

    seven, again, other = await readings(7), await readings(7), await readings(8)
    voltages = [v for v, _ in seven if v is not None]
    frequencies = [f for _, f in seven if f is not None]
    assert len(voltages) == len(frequencies) == 600
    assert all(225.0 < v < 235.0 for v in voltages)
    assert all(49.9 < f < 50.1 for f in frequencies)
    assert len(set(voltages)) > 500  # it does wander
    assert seven == again
    assert seven != other


async def test_loss_of_mains_reads_no_voltage_and_no_frequency() -> None:
    clock = SiteClock(WEDNESDAY)
    driver = meter(clock)
    driver.grid_voltage_v = 0.0
    clock.advance(1.0)
    reading = await driver.read()
    assert (reading.voltage_v, reading.frequency_hz) == (0.0, None)


async def test_a_staged_grid_excursion_is_what_the_meter_reads() -> None:
    clock = SiteClock(WEDNESDAY)
    driver = meter(clock)
    driver.grid_voltage_v, driver.grid_frequency_hz = 190.0, 48.8
    clock.advance(1.0)
    reading = await driver.read()
    assert reading.voltage_v == pytest.approx(190.0, rel=0.03)
    assert reading.frequency_hz == pytest.approx(48.8, abs=0.1)


async def test_an_injected_error_is_reported_until_acknowledged() -> None:
    driver = meter(SiteClock(WEDNESDAY))
    driver.inject_fault("meter: measurement circuit error")
    assert (await driver.read()).fault == "meter: measurement circuit error"
    await driver.acknowledge_fault()
    assert (await driver.read()).fault is None


async def test_a_persisting_error_cannot_be_acknowledged_until_repaired() -> None:
    driver = meter(SiteClock(WEDNESDAY))
    driver.inject_fault("meter: voltage path fuse blown", persists=True)
    with pytest.raises(FaultPersistsError, match="voltage path fuse blown"):
        await driver.acknowledge_fault()
    assert (await driver.read()).fault == "meter: voltage path fuse blown"
    driver.repair()
    assert (await driver.read()).fault == "meter: voltage path fuse blown"  # until acknowledged
    await driver.acknowledge_fault()
    assert (await driver.read()).fault is None


async def test_a_meter_without_its_link_does_not_answer_but_keeps_counting() -> None:
    clock, reference_clock = SiteClock(WEDNESDAY), SiteClock(WEDNESDAY)
    driver, reference = meter(clock), meter(reference_clock)
    await driver.read()
    await reference.read()
    driver.lose_link()
    clock.advance(300.0)
    with pytest.raises(TimeoutError, match="meter did not answer"):
        await driver.read()
    with pytest.raises(TimeoutError):
        await driver.acknowledge_fault()
    driver.restore_link()
    clock.advance(300.0)
    reference_clock.advance(600.0)
    after = await driver.read()
    # The registers are in the meter: the energy of the silent minutes is there once it answers again.
    assert after == await reference.read()
    assert after.import_energy_kwh > 0.0
