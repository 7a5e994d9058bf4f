"""The simulated PV driver: sun, sky and clouds advanced to now, curtailment, faults."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from solar_module import FaultPersistsError, SimulatedSolarDriver, SolarMeasurement

from energy_edge.physics import (
    BROKEN_DAY,
    CLEAR_DAY,
    OVERCAST_DAY,
    SAPM_INSULATED_BACK_GLASS_POLYMER,
    CloudModel,
    CloudRegime,
    PvParams,
    PvSystem,
)

from ..conftest import ARRAY, MIDSUMMER_NOON, SITE

pytestmark = pytest.mark.anyio


class Clocks:
    """A monotonic clock the test moves, and a wall clock that follows it from ``start``."""

    def __init__(self, start: datetime = MIDSUMMER_NOON) -> None:
        self.start = start
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> datetime:
        return self.start + timedelta(seconds=self.now)


def driver(
    clocks: Clocks,
    *,
    params: PvParams = ARRAY,
    clouds: CloudModel | None = None,
    ambient_c: float = 20.0,
    max_step_s: float = 1.0,
) -> SimulatedSolarDriver:
    return SimulatedSolarDriver(
        PvSystem(params),
        location=SITE,
        wall_clock=clocks.wall,
        monotonic=clocks.monotonic,
        clouds=clouds,
        ambient_c=ambient_c,
        max_step_s=max_step_s,
    )


async def started(clocks: Clocks, **kwargs: object) -> SimulatedSolarDriver:
    inverter = driver(clocks, **kwargs)  # pyright: ignore[reportArgumentType]
    await inverter.start()
    await inverter.set_output_limit(None)
    return inverter


async def test_at_midsummer_noon_a_clear_sky_drives_the_array_near_its_inverter_rating() -> None:
    clocks = Clocks()
    inverter = await started(clocks)
    clocks.now = 60.0
    reading = await inverter.read()
    assert reading.running
    assert 950.0 < reading.irradiance_w_m2 < 1050.0
    assert 70.0 < reading.power_kw <= 80.0
    assert reading.power_kw == reading.available_kw
    assert 0.13 < reading.efficiency < 0.18  # 20 % modules after PVWatts' 14 % losses, hot and inverted
    assert reading.temperature_c > 40.0  # SAPM open rack at 1000 W/m² and 20 °C air
    assert (reading.output_limit_kw, reading.rated_kw) == (80.0, 80.0)
    assert reading.fault is None


async def test_at_night_there_is_nothing_to_deliver() -> None:
    clocks = Clocks(datetime(2024, 6, 21, 0, tzinfo=UTC))
    inverter = await started(clocks)
    clocks.now = 60.0
    reading = await inverter.read()
    assert reading.running  # an enabled inverter waits for the sun
    assert (reading.irradiance_w_m2, reading.power_kw, reading.available_kw) == (0.0, 0.0, 0.0)
    assert reading.efficiency == 0.0
    assert reading.temperature_c == pytest.approx(20.0)


async def test_an_inverter_that_is_not_started_delivers_nothing_but_still_measures() -> None:
    clocks = Clocks()
    inverter = driver(clocks)
    clocks.now = 10.0
    reading = await inverter.read()
    assert not reading.running
    assert reading.power_kw == 0.0
    assert reading.efficiency == 0.0
    assert reading.irradiance_w_m2 > 950.0
    assert reading.available_kw > 70.0


async def test_stop_ends_feed_in_at_once() -> None:
    clocks = Clocks()
    inverter = await started(clocks)
    clocks.now = 10.0
    await inverter.stop()
    reading = await inverter.read()
    assert not reading.running
    assert reading.power_kw == 0.0


async def test_an_output_limit_curtails_and_none_lifts_it() -> None:
    clocks = Clocks()
    inverter = await started(clocks)
    await inverter.set_output_limit(30.0)
    clocks.now = 10.0
    curtailed = await inverter.read()
    await inverter.set_output_limit(None)
    lifted = await inverter.read()  # no time has passed: the inverter follows at once
    await inverter.set_output_limit(500.0)
    above_rating = await inverter.read()
    assert (curtailed.power_kw, curtailed.output_limit_kw) == (30.0, 30.0)
    assert curtailed.available_kw > 70.0
    assert curtailed.efficiency < lifted.efficiency
    assert lifted.power_kw == lifted.available_kw
    assert lifted.output_limit_kw == 80.0
    assert above_rating.output_limit_kw == 80.0  # the inverter's rating still caps


async def test_a_negative_output_limit_is_refused() -> None:
    inverter = await started(Clocks())
    with pytest.raises(ValueError, match="limit_kw must be >= 0"):
        await inverter.set_output_limit(-1.0)
    assert (await inverter.read()).output_limit_kw == 80.0


async def energy_kwh(regime: CloudRegime | None, seed: int = 3) -> float:
    """Energy delivered from 10:00 to 14:00 UTC, read once a minute."""
    clocks = Clocks(datetime(2024, 6, 21, 10, tzinfo=UTC))
    clouds = None if regime is None else CloudModel(regime, random.Random(seed))
    # 10 s steps: the cloud processes advance with their exact laws, so the climate is the same as at 1 s.
    inverter = await started(clocks, clouds=clouds, max_step_s=10.0)
    total = 0.0
    for minute in range(1, 241):
        clocks.now = minute * 60.0
        total += (await inverter.read()).power_kw / 60.0
    return total


async def test_clouds_reduce_the_energy_delivered_as_the_regime_says() -> None:
    cloudless = await energy_kwh(None)
    clear, broken, overcast = [await energy_kwh(regime) for regime in (CLEAR_DAY, BROKEN_DAY, OVERCAST_DAY)]
    # Kasten & Czeplak in the mean; one seed, so a band around the physics README's clear-sky indices.
    assert clear == pytest.approx(cloudless, rel=0.03)
    assert 0.5 * cloudless < broken < 0.9 * cloudless
    assert 0.2 * cloudless < overcast < 0.5 * cloudless


async def readings(seed: int, every_s: float, until_s: float = 900.0) -> list[SolarMeasurement]:
    clocks = Clocks()
    inverter = await started(clocks, clouds=CloudModel(BROKEN_DAY, random.Random(seed)))
    taken: list[SolarMeasurement] = []
    while clocks.now < until_s:
        clocks.now += every_s
        taken.append(await inverter.read())
    return taken


async def test_the_same_seed_replays_the_same_weather() -> None:
    first, again, other = await readings(7, 5.0), await readings(7, 5.0), await readings(8, 5.0)
    assert first == again
    assert first != other


async def test_readings_do_not_depend_on_how_often_the_driver_is_read() -> None:
    # Physics always steps at most 1 s, so reading every 10 s or once after 15 minutes draws the same
    # random numbers at the same instants and ends in exactly the same state.
    often, once = await readings(7, 10.0), await readings(7, 900.0)
    assert often[-1] == once[-1]


async def test_a_wall_clock_correction_moves_the_sun_but_does_not_step_physics_backwards() -> None:
    clocks = Clocks()
    inverter = await started(clocks)
    clocks.now = 600.0
    noon = await inverter.read()
    clocks.start -= timedelta(hours=12)  # NTP puts the wall clock back to midnight
    clocks.now = 601.0
    midnight = await inverter.read()
    assert midnight.irradiance_w_m2 == 0.0
    assert midnight.power_kw == 0.0
    # One second of cooling, not twelve hours: the module keeps almost all of its noon heat.
    assert midnight.temperature_c == pytest.approx(noon.temperature_c, abs=0.2)


async def test_an_injected_fault_trips_the_inverter_until_acknowledged() -> None:
    clocks = Clocks()
    inverter = await started(clocks)
    inverter.inject_fault("inverter: insulation resistance too low")
    clocks.now = 5.0
    tripped = await inverter.read()
    await inverter.acknowledge_fault()
    clocks.now = 10.0
    cleared = await inverter.read()
    assert tripped.fault == "inverter: insulation resistance too low"
    assert tripped.power_kw == 0.0
    assert cleared.fault is None
    assert cleared.power_kw > 70.0


async def test_an_over_temperature_trip_cannot_be_acknowledged_while_the_modules_are_hot() -> None:
    clocks = Clocks()
    # Insulated-back modules (a roof-integrated array) in a 45 °C heatwave run above 100 °C at noon.
    hot = PvParams(dc_rating_kw=100.0, ac_rating_kw=80.0, cell_temperature=SAPM_INSULATED_BACK_GLASS_POLYMER)
    inverter = await started(clocks, params=hot, ambient_c=45.0)
    clocks.now = 1.0
    tripped = await inverter.read()
    with pytest.raises(FaultPersistsError, match="module temperature"):
        await inverter.acknowledge_fault()
    inverter.ambient_c = 10.0  # the heatwave breaks
    clocks.now = 3600.0
    await inverter.acknowledge_fault()
    cooled = await inverter.read()
    assert tripped.fault is not None
    assert tripped.fault.startswith("module over-temperature")
    assert tripped.power_kw == 0.0
    assert cooled.fault is None
    assert cooled.power_kw > 0.0


async def test_lost_strings_lower_the_output_but_not_the_expected_output() -> None:
    clocks = Clocks()
    inverter = await started(clocks)
    clocks.now = 10.0
    healthy = await inverter.read()
    inverter.inject_string_loss(0.25)
    damaged = await inverter.read()
    inverter.inject_string_loss(0.0)
    repaired = await inverter.read()
    assert damaged.power_kw == pytest.approx(0.75 * healthy.power_kw)
    assert damaged.available_kw == healthy.available_kw
    assert damaged.irradiance_w_m2 == healthy.irradiance_w_m2
    assert damaged.fault is None  # nothing on the inverter notices
    assert repaired.power_kw == healthy.power_kw


@pytest.mark.parametrize("share", [-0.1, 1.5, float("nan")])
async def test_a_string_loss_outside_zero_to_one_is_refused(share: float) -> None:
    inverter = await started(Clocks())
    with pytest.raises(ValueError, match="share must be within"):
        inverter.inject_string_loss(share)


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    [
        ("ambient_c", 80.0, "ambient_c must be within"),
        ("wind_m_s", -1.0, "wind_m_s must be within"),
        ("max_step_s", 0.0, "max_step_s must be > 0"),
    ],
)
def test_an_impossible_site_is_refused_when_the_driver_is_built(
    argument: str, value: float, message: str
) -> None:
    clocks = Clocks()
    with pytest.raises(ValueError, match=message):
        SimulatedSolarDriver(
            PvSystem(ARRAY),
            location=SITE,
            wall_clock=clocks.wall,
            monotonic=clocks.monotonic,
            **{argument: value},  # pyright: ignore[reportArgumentType]
        )
