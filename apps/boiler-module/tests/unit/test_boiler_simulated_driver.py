"""The simulated driver: thermostat with hysteresis, process draw on the wall clock, power limit, the trip."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from boiler_module import FaultPersistsError, SimulatedBoilerDriver

from energy_edge.physics import Boiler, BoilerParams, DrawProfile

from ..conftest import constant_draw

pytestmark = pytest.mark.anyio

SATURDAY_NOON = datetime(2024, 6, 1, 12, tzinfo=UTC)


class Clocks:
    """A monotonic clock the test moves, and the wall clock that goes with it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def wall(self) -> datetime:
        return SATURDAY_NOON + timedelta(seconds=self.now)


def driver(
    clocks: Clocks,
    *,
    draw: DrawProfile | None = None,
    temperature_c: float = 60.0,
    target_celsius: float = 65.0,
    tank_volume_l: float = 500.0,
) -> SimulatedBoilerDriver:
    boiler = Boiler(
        BoilerParams(rated_power_kw=150.0, tank_volume_l=tank_volume_l),
        target_celsius=target_celsius,
        initial_temperature_c=temperature_c,
    )
    return SimulatedBoilerDriver(
        boiler, draw or constant_draw(10.0), wall_clock=clocks.wall, monotonic=clocks
    )


async def test_the_heater_stays_off_until_started() -> None:
    clocks = Clocks()
    boiler = driver(clocks, temperature_c=40.0)
    await boiler.read()  # time starts at the first call
    clocks.now = 600.0
    reading = await boiler.read()
    assert not reading.running
    assert not reading.heating
    assert reading.power_kw == 0.0
    assert reading.temperature_c < 40.0


async def test_it_heats_at_full_power_then_cycles_inside_the_hysteresis_band() -> None:
    clocks = Clocks()
    boiler = driver(clocks, temperature_c=60.0)
    await boiler.set_target(70.0)
    await boiler.start()
    clocks.now = 1.0
    first = await boiler.read()
    readings = []
    for second in range(2, 3600):
        clocks.now = float(second)
        readings.append(await boiler.read())
    assert first.running
    assert first.heating
    assert first.power_kw == pytest.approx(-150.0)
    assert first.target_celsius == 70.0
    first_off = next(i for i, reading in enumerate(readings) if not reading.heating)
    cycling = [reading.temperature_c for reading in readings[first_off:]]
    switches = sum(a.heating != b.heating for a, b in itertools.pairwise(readings))
    # The thermostat switches on at target - 2 K and off at target + 2 K (4 K hysteresis), never beyond,
    # and the draw takes the water through the whole band between two heating cycles.
    assert min(cycling) >= 68.0 - 1e-9
    assert max(cycling) <= 72.0 + 1e-9
    assert min(cycling) < 68.5
    assert max(cycling) > 71.5
    assert switches >= 4


async def test_the_process_draw_cools_the_tank() -> None:
    clocks = Clocks()
    idle_tank = driver(clocks, draw=constant_draw(0.0), temperature_c=80.0)
    busy_tank = driver(clocks, draw=constant_draw(40.0), temperature_c=80.0)
    await idle_tank.read()
    await busy_tank.read()
    clocks.now = 3600.0
    idle, busy = await idle_tank.read(), await busy_tank.read()
    assert 77.0 < idle.temperature_c < 80.0  # standby losses only (25 W/K)
    assert busy.temperature_c < 50.0  # 2.4 m³ of cold mains water through a 0.5 m³ tank


async def test_the_draw_follows_the_wall_clock_hour() -> None:
    clocks = Clocks()
    only_at_one = tuple(40.0 if hour == 13 else 0.0 for hour in range(24))
    tank = driver(clocks, draw=DrawProfile((0.0,) * 24, only_at_one, (0.0,) * 24), temperature_c=80.0)
    await tank.read()
    clocks.now = 3600.0  # Saturday 13:00
    at_one = await tank.read()
    clocks.now = 7200.0  # 14:00
    at_two = await tank.read()
    assert at_one.temperature_c > 77.0  # standby losses only
    assert at_two.temperature_c < 60.0


async def test_the_power_limit_caps_the_heater() -> None:
    clocks = Clocks()
    boiler = driver(clocks, temperature_c=40.0)
    await boiler.set_power_limit(60.0)
    await boiler.start()
    clocks.now = 10.0
    limited = await boiler.read()
    await boiler.set_power_limit(150.0)
    clocks.now = 20.0
    full = await boiler.read()
    assert limited.power_kw == pytest.approx(-60.0)
    assert full.power_kw == pytest.approx(-150.0)
    assert limited.rated_power_kw == 150.0


async def test_a_power_limit_below_the_turndown_keeps_the_heater_off() -> None:
    clocks = Clocks()
    boiler = driver(clocks, temperature_c=40.0)
    await boiler.set_power_limit(10.0)  # below the 15 kW minimum stable power
    await boiler.start()
    clocks.now = 10.0
    reading = await boiler.read()
    assert reading.power_kw == 0.0
    assert boiler.ratings.min_power_kw == 15.0


async def test_stop_switches_the_heater_off() -> None:
    clocks = Clocks()
    boiler = driver(clocks, temperature_c=40.0)
    await boiler.start()
    clocks.now = 10.0
    await boiler.read()
    await boiler.stop()
    clocks.now = 20.0
    reading = await boiler.read()
    assert not reading.running
    assert not reading.heating
    assert reading.power_kw == 0.0


async def test_reading_once_in_two_hours_equals_reading_every_second() -> None:
    clocks = Clocks()
    shifts = tuple(40.0 if hour == 13 else 5.0 for hour in range(24))
    profile = DrawProfile(shifts, shifts, shifts)
    every_second, once = driver(clocks, draw=profile), driver(clocks, draw=profile)
    for boiler in (every_second, once):
        await boiler.set_target(75.0)
        await boiler.start()
    for second in range(1, 7201):
        clocks.now = float(second)
        await every_second.read()
    fine, coarse = await every_second.read(), await once.read()
    assert coarse.temperature_c == pytest.approx(fine.temperature_c, abs=1e-6)
    assert coarse.heating == fine.heating


async def test_the_ratings_come_from_the_nameplate() -> None:
    ratings = driver(Clocks()).ratings
    assert ratings.rated_power_kw == 150.0
    assert ratings.trip_celsius == 95.0
    assert ratings.max_target_celsius == 91.0  # trip minus the 4 K hysteresis
    assert ratings.min_target_celsius == 14.0  # cold mains water plus half the hysteresis


async def test_a_welded_contactor_heats_to_the_trip_which_stays_latched_until_the_water_cools() -> None:
    clocks = Clocks()
    boiler = driver(clocks, temperature_c=64.0, draw=constant_draw(5.0))
    await boiler.start()
    await boiler.read()
    boiler.weld_contactor()
    await boiler.stop()  # a welded contactor ignores the stop: only the safety trip ends the heating
    tripped = await boiler.read()
    while tripped.fault is None:
        clocks.now += 10.0
        tripped = await boiler.read()
    clocks.now += 10.0
    latched = await boiler.read()  # the tripping step's average still holds some heating
    with pytest.raises(FaultPersistsError, match=r"above the re-arm point 91\.0 °C"):
        await boiler.acknowledge_fault()
    clocks.now += 3600.0
    cooled = await boiler.read()
    await boiler.acknowledge_fault()
    cleared = await boiler.read()
    assert tripped.fault == "boiler over-temperature: water reached the 95.0 °C trip"
    assert tripped.temperature_c > 91.0
    assert not tripped.heating
    assert latched.power_kw == 0.0
    assert latched.fault == tripped.fault
    assert cooled.temperature_c < 91.0
    assert cleared.fault is None


async def test_a_weld_takes_effect_when_it_happens_not_back_to_the_last_reading() -> None:
    clocks = Clocks()
    boiler = driver(clocks, temperature_c=80.0)
    await boiler.read()
    clocks.now = 3600.0  # an hour unread, heater off: the tank cooled
    boiler.weld_contactor()
    reading = await boiler.read()
    assert reading.fault is None
    assert reading.temperature_c < 80.0


@pytest.mark.parametrize("limit_kw", [-1.0, float("nan"), float("inf")])
async def test_a_power_limit_must_be_a_finite_non_negative_number(limit_kw: float) -> None:
    clocks = Clocks()
    boiler = driver(clocks, temperature_c=40.0)
    with pytest.raises(ValueError, match="power limit must be a finite number >= 0 kW"):
        await boiler.set_power_limit(limit_kw)
    await boiler.start()
    clocks.now = 10.0
    assert (await boiler.read()).power_kw == pytest.approx(-150.0)  # the rated limit still applies


async def test_an_injected_fault_is_reported_until_acknowledged() -> None:
    boiler = driver(Clocks())
    boiler.inject_fault("heater element 2: earth fault")
    assert (await boiler.read()).fault == "heater element 2: earth fault"
    await boiler.acknowledge_fault()
    assert (await boiler.read()).fault is None
