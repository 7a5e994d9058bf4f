"""The shared site model: lazy fixed steps, set-points from the next step, every flow through the meter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from energy_edge.physics import EquipmentReading, ExogenousSeries, Site
from energy_edge.sim.drivers import SiteBattery, SiteBoiler, SiteMeter, SiteSolar
from energy_edge.sim.scenario import Scenario
from energy_edge.sim.site_model import SiteModel, run_without_control
from energy_edge.sim.trace import COLUMNS

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_model_advances_only_when_asked_and_in_whole_steps(noon_hour: Scenario) -> None:
    model = SiteModel(noon_hour, seed=1)
    model.advance_to(10.5)
    assert (len(model.trace), model.now_s) == (10, 10.0)
    model.advance_to(10.9)
    assert len(model.trace) == 10
    model.run_to_end()
    assert len(model.trace) == 3600
    assert model.finished


def test_each_stretch_asks_the_physics_for_exactly_the_steps_due(
    noon_hour: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = SiteModel(noon_hour, seed=1)
    asked: list[tuple[int, int, bool]] = []
    equipment_steps = Site.equipment_steps

    def spy(
        site: Site,
        series: ExogenousSeries,
        start: int,
        stop: int,
        *,
        battery_setpoint_kw: float = 0.0,
        pv_target_kw: float | None = None,
        boiler_power_limit_kw: float | None = None,
    ) -> Iterator[EquipmentReading]:
        steps = equipment_steps(
            site,
            series,
            start,
            stop,
            battery_setpoint_kw=battery_setpoint_kw,
            pv_target_kw=pv_target_kw,
            boiler_power_limit_kw=boiler_power_limit_kw,
        )
        taken_whole = False
        try:
            yield from steps
            taken_whole = True
        finally:
            asked.append((start, stop, taken_whole))

    monkeypatch.setattr(Site, "equipment_steps", spy)
    for t_s in (10.5, 10.9, 12.0, 12.0, 3599.5, 4000.0):
        model.advance_to(t_s)
    # Whole stretches: the physics' iterator ends by itself, none is dropped half-way (closing a suspended
    # generator throws into it); the last stretch stops at the end of the run. No stretch for a call
    # that finds the model already there.
    assert asked == [(0, 10, True), (10, 12, True), (12, 3599, True), (3599, 3600, True)]
    assert (len(model.trace), model.now_s) == (3600, 3600.0)


def test_the_trace_read_at_any_time_holds_every_step_so_far(noon_hour: Scenario) -> None:
    # A model holds its last steps before writing them into the trace: reading the trace writes them first,
    # and a run read now and then records the same as one read once at the end.
    whole = run_without_control(noon_hour, seed=1)
    model = SiteModel(noon_hour, seed=1)
    for t_s in (0.5, 1.0, 7.0, 7.0, 600.0, 601.0, 3000.0, 3600.0):
        model.advance_to(t_s)
        trace = model.trace
        assert {len(trace.column(name)) for name in COLUMNS} == {int(t_s)}
    assert {name: list(model.trace.column(name)) for name in COLUMNS} == {
        name: list(whole.column(name)) for name in COLUMNS
    }


def test_the_meter_sees_every_flow_with_the_design_sign_convention(noon_hour: Scenario) -> None:
    trace = run_without_control(noon_hour, seed=1)
    for i in range(0, len(trace), 97):
        expected = trace.load_kw[i] + trace.boiler_kw[i] - trace.pv_kw[i] - trace.battery_kw[i]
        assert trace.grid_kw[i] == pytest.approx(expected, abs=1e-9)


def test_the_same_seed_gives_the_same_site_and_another_seed_another(noon_hour: Scenario) -> None:
    first = run_without_control(noon_hour, seed=1)
    again = run_without_control(noon_hour, seed=1)
    other = run_without_control(noon_hour, seed=2)
    assert list(first.grid_kw) == list(again.grid_kw)
    assert list(first.load_kw) != list(other.load_kw)


async def test_a_battery_set_point_acts_from_the_next_step_once_connected(noon_hour: Scenario) -> None:
    model, clock = SiteModel(noon_hour, seed=1), Clock()
    battery = SiteBattery(model, clock)
    await battery.set_power(-40.0)
    clock.now = 5.0
    idle = await battery.read()
    await battery.connect()
    clock.now = 30.0
    charging = await battery.read()
    assert idle.power_kw == 0.0
    assert not idle.running
    assert charging.running
    assert charging.power_kw == pytest.approx(-40.0, abs=0.5)
    assert model.trace.battery_kw[4] == 0.0  # before the contactor closed at t = 5 s


async def test_disconnecting_ramps_down_then_opens_the_contactor(noon_hour: Scenario) -> None:
    model, clock = SiteModel(noon_hour, seed=1), Clock()
    battery = SiteBattery(model, clock)
    await battery.connect()
    await battery.set_power(30.0)
    clock.now = 20.0
    await battery.read()
    await battery.disconnect()
    clock.now = 40.0
    reading = await battery.read()
    assert not reading.running
    assert abs(reading.power_kw) < 0.05


async def test_the_pv_limit_and_feed_in_switch(noon_hour: Scenario) -> None:
    model, clock = SiteModel(noon_hour, seed=1), Clock()
    solar = SiteSolar(model, clock)
    clock.now = 10.0
    free = await solar.read()
    await solar.set_output_limit(20.0)
    clock.now = 20.0
    limited = await solar.read()
    await solar.stop()
    clock.now = 30.0
    stopped = await solar.read()
    assert free.power_kw > 60.0
    assert free.available_kw == pytest.approx(free.power_kw)
    assert limited.power_kw == pytest.approx(20.0, abs=0.01)
    assert limited.available_kw > 60.0
    assert (stopped.power_kw, stopped.running) == (0.0, False)


async def test_the_boiler_heats_to_the_target_it_is_given(noon_hour: Scenario) -> None:
    model, clock = SiteModel(noon_hour, seed=1), Clock()
    boiler = SiteBoiler(model, clock)
    await boiler.set_target(85.0)
    clock.now = 600.0
    reading = await boiler.read()
    assert reading.target_celsius == 85.0
    assert reading.heating
    assert reading.temperature_c > noon_hour.boiler.initial_celsius


async def test_the_meter_driver_reports_import_and_the_registers(noon_hour: Scenario) -> None:
    model, clock = SiteModel(noon_hour, seed=1), Clock()
    meter = SiteMeter(model, clock)
    clock.now = 60.0
    reading = await meter.read()
    assert reading.power_kw == pytest.approx(model.trace.grid_kw[-1])
    assert reading.import_energy_kwh + reading.export_energy_kwh > 0.0
    assert reading.site_load_kw == pytest.approx(model.trace.load_kw[-1])


async def test_the_drivers_report_the_equipment_as_it_stands(noon_hour: Scenario) -> None:
    # Before the first step and after steps (read from the last step's reading), what the equipment's own
    # properties say; a target set between steps shows at once.
    model, clock = SiteModel(noon_hour, seed=1), Clock()
    battery, boiler, meter = SiteBattery(model, clock), SiteBoiler(model, clock), SiteMeter(model, clock)
    site = model.site
    await battery.connect()
    await battery.set_power(-30.0)
    for now in (0.0, 45.0, 90.0):
        clock.now = now
        charging, heating, metering = await battery.read(), await boiler.read(), await meter.read()
        assert (charging.power_kw, charging.soc_percent, charging.temperature_c, charging.fault) == (
            site.battery.power_kw,
            site.battery.soc * 100.0,
            site.battery.temperature_c,
            site.battery.fault,
        )
        assert (heating.temperature_c, heating.target_celsius) == (
            site.boiler.temperature_c,
            site.boiler.target_celsius,
        )
        assert (metering.import_energy_kwh, metering.export_energy_kwh) == (
            site.meter.import_energy_kwh,
            site.meter.export_energy_kwh,
        )
        await boiler.set_target(70.0 + now / 10.0)
    assert charging.power_kw < -20.0
