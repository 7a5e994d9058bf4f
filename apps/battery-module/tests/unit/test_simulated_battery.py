"""The simulated driver: physics advanced to now, contactor behaviour, faults."""

from __future__ import annotations

import pytest
from battery_module import FaultPersistsError, SimulatedBatteryDriver

from energy_edge.physics import Battery, BatteryParams

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def driver(clock: Clock, **params: float) -> SimulatedBatteryDriver:
    battery = Battery(BatteryParams(capacity_kwh=100.0, max_charge_c_rate=1.0, **params), initial_soc=0.5)
    return SimulatedBatteryDriver(battery, monotonic=clock)


async def test_a_set_point_is_followed_only_while_connected() -> None:
    clock = Clock()
    battery = driver(clock)
    await battery.set_power(-40.0)
    clock.now = 10.0
    assert (await battery.read()).power_kw == 0.0
    await battery.connect()
    await battery.set_power(-40.0)
    clock.now = 20.0
    reading = await battery.read()
    assert reading.power_kw == pytest.approx(-40.0, abs=0.01)
    assert reading.soc_percent > 50.0
    assert reading.running


async def test_disconnect_ramps_down_then_opens_the_contactor() -> None:
    clock = Clock()
    battery = driver(clock, response_time_s=2.0)
    await battery.connect()
    await battery.set_power(30.0)
    clock.now = 30.0
    await battery.read()
    await battery.disconnect()
    clock.now = 31.0
    ramping = await battery.read()
    clock.now = 60.0
    opened = await battery.read()
    assert ramping.running
    assert 0.0 < ramping.power_kw < 30.0
    assert not opened.running
    assert opened.power_kw == pytest.approx(0.0, abs=0.05)


async def test_an_injected_fault_is_reported_until_acknowledged() -> None:
    battery = driver(Clock())
    battery.inject_fault("BMS: cell isolation fault")
    assert (await battery.read()).fault == "BMS: cell isolation fault"
    await battery.acknowledge_fault()
    assert (await battery.read()).fault is None


async def test_an_over_temperature_trip_cannot_be_acknowledged_while_hot() -> None:
    clock = Clock()
    battery = driver(clock, max_temperature_c=30.0)
    battery.ambient_c = 45.0  # a container in the sun with its cooling failed
    await battery.read()  # time starts at the first call
    clock.now = 3600.0
    reading = await battery.read()
    assert reading.fault is not None
    assert "temperature" in reading.fault
    with pytest.raises(FaultPersistsError):
        await battery.acknowledge_fault()
