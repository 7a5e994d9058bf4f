"""Electric boiler and tank: thermostat with hysteresis, exact stretches, energy balance, trip, comfort."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energy_edge.physics import Boiler, BoilerParams, FaultPersistsError

PARAMS = BoilerParams(rated_power_kw=150.0, tank_volume_l=5000.0, hysteresis_k=4.0, max_temperature_c=95.0)


def test_heating_draws_power_from_the_bus_as_a_negative_output() -> None:
    boiler = Boiler(PARAMS, target_celsius=75.0, initial_temperature_c=60.0)
    reading = boiler.step(60.0, draw_l_min=0.0)
    assert reading.heating
    assert reading.power_output_kw == pytest.approx(-150.0)
    assert reading.electric_kwh == pytest.approx(2.5)
    assert reading.temperature_c > 60.0


def test_thermostat_switches_at_the_edges_of_its_band() -> None:
    boiler = Boiler(PARAMS, target_celsius=75.0, initial_temperature_c=70.0)
    temperatures, heating = [], []
    for _ in range(6 * 3600):
        reading = boiler.step(1.0, draw_l_min=20.0, ambient_c=20.0)
        temperatures.append(reading.temperature_c)
        heating.append(reading.heating)
    band = temperatures[3600:]
    assert min(band) >= 73.0 - 1e-9
    assert max(band) <= 77.0 + 1e-9
    assert min(band) < 73.1
    assert max(band) > 76.9
    assert sum(a != b for a, b in itertools.pairwise(heating)) > 2


def test_the_result_does_not_depend_on_the_step_length() -> None:
    # Switching happens at the exact threshold inside a step, so an hour in one step equals 3600 steps.
    fine = Boiler(PARAMS, target_celsius=75.0, initial_temperature_c=60.0)
    fine_kwh = sum(fine.step(1.0, draw_l_min=30.0, ambient_c=15.0).electric_kwh for _ in range(3 * 3600))
    coarse = Boiler(PARAMS, target_celsius=75.0, initial_temperature_c=60.0)
    coarse_reading = coarse.step(3 * 3600.0, draw_l_min=30.0, ambient_c=15.0)
    assert coarse_reading.temperature_c == pytest.approx(fine.temperature_c, abs=1e-9)
    assert coarse_reading.electric_kwh == pytest.approx(fine_kwh, rel=1e-9)
    assert coarse.heating == fine.heating


@settings(max_examples=40, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.floats(1.0, 1800.0), st.floats(0.0, 120.0), st.floats(-10.0, 35.0), st.floats(0.0, 200.0)
        ),
        min_size=1,
        max_size=60,
    ),
    target=st.floats(40.0, 91.0),
)
def test_energy_balance_closes(steps: list[tuple[float, float, float, float]], target: float) -> None:
    boiler = Boiler(PARAMS, target_celsius=target, initial_temperature_c=60.0)
    start = boiler.temperature_c
    heat_in = losses = drawn = 0.0
    for dt_s, draw, ambient, limit in steps:
        reading = boiler.step(dt_s, draw_l_min=draw, ambient_c=ambient, power_limit_kw=limit)
        heat_in += reading.electric_kwh * PARAMS.efficiency
        losses += reading.standby_loss_kwh
        drawn += reading.heat_to_process_kwh
    stored = PARAMS.heat_capacity_kwh_per_k * (boiler.temperature_c - start)
    assert abs(heat_in - losses - drawn - stored) < 1e-9 * max(1.0, heat_in)


@settings(max_examples=40, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.floats(1.0, 3600.0), st.floats(0.0, 60.0), st.booleans()), min_size=1, max_size=80
    ),
    target=st.floats(40.0, 91.0),
    weld_at=st.integers(0, 80),
)
def test_temperature_never_exceeds_the_trip_without_a_fault(
    steps: list[tuple[float, float, bool]], target: float, weld_at: int
) -> None:
    boiler = Boiler(PARAMS, target_celsius=target, initial_temperature_c=60.0)
    for index, (dt_s, draw, raise_target) in enumerate(steps):
        if index == weld_at:
            boiler.weld_contactor()
        if raise_target:
            boiler.target_celsius = PARAMS.max_target_celsius
        reading = boiler.step(dt_s, draw_l_min=draw, ambient_c=25.0)
        assert reading.temperature_c <= PARAMS.max_temperature_c
        if reading.fault is None:
            assert reading.temperature_c < PARAMS.max_temperature_c
        if index < weld_at:
            # An intact thermostat keeps to its band (the highest target's band ends 2 K below the trip).
            assert reading.fault is None
            assert reading.temperature_c <= max(
                60.0, boiler.target_celsius + PARAMS.hysteresis_k / 2.0 + 1e-9
            )


def test_a_welded_contactor_heats_until_the_trip_which_latches() -> None:
    boiler = Boiler(PARAMS, target_celsius=75.0, initial_temperature_c=70.0)
    boiler.weld_contactor()
    reading = boiler.step(1.0, draw_l_min=5.0)
    while reading.fault is None:
        assert reading.power_output_kw == pytest.approx(-150.0)  # thermostat ignored
        reading = boiler.step(1.0, draw_l_min=5.0)
    assert "95.0 °C trip" in reading.fault
    assert reading.temperature_c <= 95.0
    # The trip holds: no power, cooling, until reset.
    after = boiler.step(600.0, draw_l_min=5.0)
    assert after.power_output_kw == 0.0
    assert after.fault == reading.fault
    assert after.temperature_c < 95.0


def test_reset_waits_for_the_tank_to_cool_and_repairs_the_contactor() -> None:
    boiler = Boiler(PARAMS, target_celsius=75.0, initial_temperature_c=90.0)
    boiler.weld_contactor()
    boiler.step(3600.0, draw_l_min=0.0)
    assert boiler.fault is not None
    with pytest.raises(FaultPersistsError, match="re-arm"):
        boiler.reset_fault()
    boiler.step(3600.0, draw_l_min=60.0)  # process draw cools the tank
    boiler.reset_fault()
    assert boiler.fault is None
    reading = boiler.step(3600.0, draw_l_min=10.0)
    assert reading.fault is None
    assert reading.temperature_c <= 77.0 + 1e-9


def test_a_power_limit_modulates_and_zero_stops_the_heater() -> None:
    boiler = Boiler(PARAMS, target_celsius=75.0, initial_temperature_c=60.0)
    assert boiler.step(10.0, draw_l_min=0.0, power_limit_kw=60.0).power_output_kw == pytest.approx(-60.0)
    stopped = boiler.step(10.0, draw_l_min=0.0, power_limit_kw=0.0)
    assert stopped.power_output_kw == 0.0
    assert not stopped.heating
    assert math.copysign(1.0, stopped.power_output_kw) == 1.0  # telemetry shows 0.0, never -0.0
    assert boiler.step(10.0, draw_l_min=0.0, power_limit_kw=500.0).power_output_kw == pytest.approx(-150.0)


def test_below_the_minimum_stable_power_the_heater_cannot_run() -> None:
    boiler = Boiler(BoilerParams(min_power_kw=15.0), target_celsius=75.0, initial_temperature_c=60.0)
    assert boiler.step(10.0, draw_l_min=0.0, power_limit_kw=10.0).power_output_kw == 0.0
    assert boiler.step(10.0, draw_l_min=0.0, power_limit_kw=15.0).power_output_kw == pytest.approx(-15.0)


def test_standby_losses_cool_an_idle_tank_towards_ambient() -> None:
    boiler = Boiler(PARAMS, target_celsius=75.0, initial_temperature_c=76.0)
    reading = boiler.step(3600.0, draw_l_min=0.0, ambient_c=20.0, power_limit_kw=0.0)
    rate = PARAMS.heat_loss_w_per_k / 1000.0 / (PARAMS.heat_capacity_kwh_per_k * 3600.0)
    assert reading.temperature_c == pytest.approx(20.0 + 56.0 * math.exp(-rate * 3600.0))
    assert reading.standby_loss_kwh == pytest.approx(
        PARAMS.heat_capacity_kwh_per_k * (76.0 - reading.temperature_c)
    )


def test_process_shortfall_is_flagged_and_counted_in_kelvin_hours() -> None:
    boiler = Boiler(PARAMS, target_celsius=60.0, initial_temperature_c=56.0)
    # Heater stopped, heavy draw: the tank falls through the 55 °C process minimum.
    readings = [boiler.step(60.0, draw_l_min=100.0, power_limit_kw=0.0) for _ in range(60)]
    assert not readings[0].below_process_minimum
    assert readings[-1].below_process_minimum
    shortfall = sum(r.process_shortfall_kh for r in readings)
    # Cross-check with a fine trapezoid over the temperature trace.
    check = Boiler(PARAMS, target_celsius=60.0, initial_temperature_c=56.0)
    previous, kelvin_hours = 56.0, 0.0
    for _ in range(3600):
        now = check.step(1.0, draw_l_min=100.0, power_limit_kw=0.0).temperature_c
        kelvin_hours += (max(0.0, 55.0 - previous) + max(0.0, 55.0 - now)) / 2.0 / 3600.0
        previous = now
    assert shortfall == pytest.approx(kelvin_hours, rel=1e-4)
    assert shortfall > 0.5


def test_a_target_whose_band_would_reach_the_trip_is_refused() -> None:
    boiler = Boiler(PARAMS, target_celsius=75.0)
    with pytest.raises(ValueError, match="target_celsius"):
        boiler.target_celsius = 94.0
    assert boiler.target_celsius == 75.0
    boiler.target_celsius = PARAMS.max_target_celsius
    assert boiler.target_celsius == 91.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rated_power_kw": -1.0}, "rated_power_kw"),
        ({"tank_volume_l": 0.0}, "tank_volume_l"),
        ({"efficiency": 1.1}, "efficiency"),
        ({"efficiency": math.nan}, "efficiency"),
        ({"min_power_kw": 500.0}, "min_power_kw"),
        ({"heat_loss_w_per_k": 0.0}, "heat_loss_w_per_k"),
        ({"hysteresis_k": 0.0}, "hysteresis_k"),
        ({"min_process_temperature_c": 99.0}, "min_process_temperature_c"),
    ],
)
def test_impossible_parameters_are_rejected(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BoilerParams(**kwargs)  # pyright: ignore[reportArgumentType]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dt_s": math.nan}, "dt_s"),
        ({"draw_l_min": -1.0}, "draw_l_min"),
        ({"draw_l_min": math.nan}, "draw_l_min"),
        ({"ambient_c": 500.0}, "ambient_c"),
        ({"power_limit_kw": -10.0}, "power_limit_kw"),
    ],
)
def test_bad_step_inputs_are_rejected_and_change_nothing(kwargs: dict[str, float], message: str) -> None:
    boiler = Boiler(PARAMS, target_celsius=75.0, initial_temperature_c=65.0)
    boiler.step(10.0, draw_l_min=10.0)
    before = (boiler.temperature_c, boiler.heating, boiler.fault, boiler.target_celsius)
    step: dict[str, float] = {"dt_s": 10.0, "draw_l_min": 10.0} | kwargs
    with pytest.raises(ValueError, match=message):
        boiler.step(**step)  # pyright: ignore[reportArgumentType]
    assert (boiler.temperature_c, boiler.heating, boiler.fault, boiler.target_celsius) == before
