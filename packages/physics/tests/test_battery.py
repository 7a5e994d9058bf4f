"""Battery: the energy balance closes, SoC stays in its window, requests are limited, losses are real."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energy_edge.physics import Battery, BatteryParams, BatteryReading, FaultPersistsError

PARAMS = BatteryParams(capacity_kwh=100.0, max_charge_c_rate=0.5, max_discharge_c_rate=1.0)


def run(battery: Battery, setpoint_kw: float, seconds: float, dt_s: float = 1.0) -> list[BatteryReading]:
    return [battery.step(dt_s, setpoint_kw, 25.0) for _ in range(int(seconds / dt_s))]


day_of_setpoints = st.lists(st.floats(-150.0, 150.0), min_size=24, max_size=24)
"""One set-point per hour, up to 1.5 times what the battery can do in either direction."""


@settings(max_examples=25, deadline=None)
@given(
    setpoints=day_of_setpoints,
    initial_soc=st.floats(0.05, 0.95),
    dt_s=st.sampled_from([30.0, 60.0, 300.0]),
    ambient_c=st.floats(-10.0, 35.0),
)
def test_energy_balance_closes_over_a_random_day(
    setpoints: list[float], initial_soc: float, dt_s: float, ambient_c: float
) -> None:
    battery = Battery(PARAMS, initial_soc=initial_soc)
    start_kwh = battery.energy_kwh
    charged = discharged = self_discharge = 0.0
    for hour, setpoint in enumerate(setpoints):
        for _ in range(int(3600 / dt_s)):
            reading = battery.step(dt_s, setpoint, ambient_c)
            charged += reading.charged_kwh
            discharged += reading.discharged_kwh
            self_discharge += reading.self_discharge_kwh
            # The AC energy of a step is its power held over the step, in the site's sign convention.
            assert (
                abs(reading.charged_kwh - reading.discharged_kwh + reading.power_output_kw * dt_s / 3600.0)
                < 1e-12
            )
            assert PARAMS.soc_min <= reading.soc <= PARAMS.soc_max, hour
    balance = charged * PARAMS.charge_efficiency - discharged / PARAMS.discharge_efficiency - self_discharge
    assert abs(balance - (battery.energy_kwh - start_kwh)) < 1e-9


@settings(max_examples=40, deadline=None)
@given(
    steps=st.lists(st.tuples(st.floats(-1e4, 1e4), st.floats(0.1, 3600.0)), min_size=1, max_size=200),
    initial_soc=st.floats(0.05, 0.95),
)
def test_soc_never_leaves_its_limits_whatever_is_asked(
    steps: list[tuple[float, float]], initial_soc: float
) -> None:
    battery = Battery(PARAMS, initial_soc=initial_soc)
    for setpoint, dt_s in steps:
        reading = battery.step(dt_s, setpoint, 25.0)
        assert PARAMS.soc_min <= reading.soc <= PARAMS.soc_max
        assert -reading.max_charge_kw <= reading.power_output_kw <= reading.max_discharge_kw
        assert reading.loss_kwh >= 0.0
        assert reading.self_discharge_kwh >= 0.0


def test_discharging_delivers_positive_power_and_empties_the_battery() -> None:
    battery = Battery(PARAMS, initial_soc=0.5)
    reading = run(battery, 40.0, 600.0)[-1]
    assert reading.power_output_kw == pytest.approx(40.0)
    assert reading.soc < 0.5
    assert reading.soc_percent == pytest.approx(100.0 * reading.soc)
    assert reading.energy_kwh == pytest.approx(50.0 - 40.0 / 6.0 / 0.95, abs=0.05)  # lag and self-discharge
    assert reading.discharged_kwh > 0.0
    assert reading.charged_kwh == 0.0


def test_charging_draws_negative_power_and_fills_the_battery() -> None:
    battery = Battery(PARAMS, initial_soc=0.5)
    reading = run(battery, -40.0, 600.0)[-1]
    assert reading.power_output_kw == pytest.approx(-40.0)
    assert reading.soc > 0.5


def test_a_request_beyond_the_c_rate_is_limited_and_the_actual_power_returned() -> None:
    battery = Battery(PARAMS, initial_soc=0.5)
    charge = run(battery, -500.0, 30.0)[-1]
    assert charge.limited
    assert charge.power_output_kw == pytest.approx(-50.0)  # 0.5 C of 100 kWh
    discharge = run(battery, 500.0, 30.0)[-1]
    assert discharge.power_output_kw == pytest.approx(100.0)  # 1 C


def test_the_inverter_rating_caps_both_directions() -> None:
    params = BatteryParams(
        capacity_kwh=100.0, max_charge_c_rate=1.0, max_discharge_c_rate=1.0, inverter_rating_kw=30.0
    )
    battery = Battery(params, initial_soc=0.5)
    assert run(battery, 80.0, 30.0)[-1].power_output_kw == pytest.approx(30.0)
    assert run(battery, -80.0, 30.0)[-1].power_output_kw == pytest.approx(-30.0)


def test_power_tapers_near_full() -> None:
    battery = Battery(PARAMS, initial_soc=0.93)  # 2 % below soc_max, band 5 %: 40 % of the limit
    reading = battery.step(1.0, -50.0, 25.0)
    assert reading.max_charge_kw == pytest.approx(50.0 * (0.95 - 0.93) / 0.05)
    assert reading.limited


def test_power_tapers_near_empty() -> None:
    battery = Battery(PARAMS, initial_soc=0.06)
    reading = battery.step(1.0, 100.0, 25.0)
    assert reading.max_discharge_kw == pytest.approx(100.0 * (0.06 - 0.05) / 0.05)


def test_charging_stops_exactly_at_soc_max() -> None:
    battery = Battery(PARAMS, initial_soc=0.9)
    readings = run(battery, -50.0, 3 * 3600.0, dt_s=60.0)
    assert readings[-1].soc == pytest.approx(0.95, abs=1e-12)
    assert readings[-1].limited
    # Held full: only the trickle that replaces self-discharge still flows (0.1 %/day of 95 kWh = 4 W).
    assert readings[-1].power_output_kw == pytest.approx(-0.095 / 24.0 / 0.95, rel=0.01)


def test_discharging_stops_exactly_at_soc_min() -> None:
    battery = Battery(PARAMS, initial_soc=0.2)
    readings = run(battery, 100.0, 3 * 3600.0, dt_s=60.0)
    assert readings[-1].soc == pytest.approx(0.05, abs=1e-12)


def test_round_trip_loses_what_the_efficiencies_say() -> None:
    battery = Battery(BatteryParams(capacity_kwh=100.0, response_time_s=0.0, self_discharge_per_day=0.0))
    charged = sum(r.charged_kwh for r in run(battery, -40.0, 1800.0))  # 20 kWh in, 19 kWh stored
    # 19 kWh stored give 18.05 kWh out: 1624.5 s at 40 kW.
    discharged = sum(r.discharged_kwh for r in run(battery, 40.0, 1624.5, dt_s=0.5))
    assert charged == pytest.approx(20.0)
    assert battery.soc == pytest.approx(0.5, abs=1e-12)
    assert discharged == pytest.approx(20.0 * 0.95 * 0.95)


def test_self_discharge_drains_a_resting_battery() -> None:
    battery = Battery(BatteryParams(capacity_kwh=100.0, self_discharge_per_day=0.01), initial_soc=0.8)
    readings = run(battery, 0.0, 86400.0, dt_s=3600.0)
    assert battery.energy_kwh == pytest.approx(80.0 * 0.99)
    assert sum(r.self_discharge_kwh for r in readings) == pytest.approx(0.8)
    assert all(r.power_output_kw == 0.0 for r in readings)


def test_self_discharge_stops_at_soc_min() -> None:
    battery = Battery(BatteryParams(capacity_kwh=100.0, self_discharge_per_day=0.5), initial_soc=0.06)
    run(battery, 0.0, 30 * 86400.0, dt_s=3600.0)
    assert battery.soc == pytest.approx(0.05)


def test_power_follows_a_set_point_change_with_a_first_order_lag() -> None:
    battery = Battery(BatteryParams(capacity_kwh=100.0, response_time_s=2.0))
    first = battery.step(1.0, 40.0, 25.0).power_output_kw
    assert first == pytest.approx(40.0 * (1.0 - math.exp(-0.5)))
    assert battery.step(1.0, 40.0, 25.0).power_output_kw == pytest.approx(40.0 * (1.0 - math.exp(-1.0)))
    assert run(battery, 40.0, 30.0)[-1].power_output_kw == pytest.approx(40.0, rel=1e-6)


def test_a_step_of_another_length_decays_by_its_own_length() -> None:
    # What a step computes from its length alone is kept for the next step of that length, and only for it.
    params = BatteryParams(capacity_kwh=100.0, self_discharge_per_day=0.01, response_time_s=60.0)
    battery = Battery(params, initial_soc=0.8, initial_temperature_c=35.0)
    cooling_per_s = 4.0 * 100.0 / 1000.0 / (9.0 * 100.0)  # UA over the thermal mass
    for dt_s in (1.0, 600.0, 1.0, 3600.0):
        energy, temperature = battery.energy_kwh, battery.temperature_c
        resting = battery.step(dt_s, 0.0, 25.0)
        lost = 1.0 - 0.99 ** (dt_s / 86400.0)
        assert resting.self_discharge_kwh == pytest.approx(energy * lost, rel=1e-9)
        assert resting.temperature_c == pytest.approx(
            25.0 + (temperature - 25.0) * math.exp(-cooling_per_s * dt_s), rel=1e-12
        )
    for dt_s in (1.0, 30.0, 1.0, 90.0):
        power_kw = battery.power_kw
        reading = battery.step(dt_s, 10.0, 25.0)
        assert reading.power_output_kw == pytest.approx(10.0 + (power_kw - 10.0) * math.exp(-dt_s / 60.0))


def test_losses_warm_the_battery_towards_their_steady_state() -> None:
    params = BatteryParams(capacity_kwh=100.0, max_discharge_c_rate=1.0)
    battery = Battery(params, initial_temperature_c=25.0)
    readings = run(battery, 50.0, 1800.0, dt_s=10.0)
    loss_kw = 50.0 * (1.0 / 0.95 - 1.0)
    steady = 25.0 + loss_kw / (4.0 * 100.0 / 1000.0)
    assert 25.0 < readings[-1].temperature_c < steady
    # At rest it cools back towards ambient.
    assert run(battery, 0.0, 6 * 3600.0, dt_s=60.0)[-1].temperature_c == pytest.approx(25.0, abs=0.5)


def test_over_temperature_trips_opens_the_contactor_and_latches() -> None:
    hot = BatteryParams(
        capacity_kwh=100.0, max_discharge_c_rate=2.0, heat_transfer_w_per_k_kwh=0.5, max_temperature_c=45.0
    )
    battery = Battery(hot, initial_soc=0.95, initial_temperature_c=40.0)
    tripped = battery.step(10.0, 200.0, 25.0)
    while tripped.fault is None:
        tripped = battery.step(10.0, 200.0, 25.0)
    assert "over-temperature" in tripped.fault
    assert tripped.temperature_c > 45.0
    with pytest.raises(FaultPersistsError, match="still above"):
        battery.reset_fault()  # still hot
    after = battery.step(10.0, 200.0, 25.0)
    assert after.power_output_kw == 0.0
    assert after.max_discharge_kw == 0.0
    assert after.fault == tripped.fault
    run(battery, 0.0, 12 * 3600.0, dt_s=60.0)
    battery.reset_fault()
    assert battery.fault is None
    assert battery.step(10.0, 20.0, 25.0).power_output_kw > 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"capacity_kwh": -10.0}, "capacity_kwh"),
        ({"capacity_kwh": math.nan}, "capacity_kwh"),
        ({"charge_efficiency": 1.05}, "charge_efficiency"),
        ({"discharge_efficiency": 0.0}, "discharge_efficiency"),
        ({"soc_min": 0.6, "soc_max": 0.5}, "soc_min"),
        ({"soc_max": 1.2}, "soc_max"),
        ({"max_charge_c_rate": -1.0}, "max_charge_c_rate"),
        ({"inverter_rating_kw": 0.0}, "inverter_rating_kw"),
        ({"self_discharge_per_day": 1.0}, "self_discharge_per_day"),
        ({"response_time_s": math.inf}, "response_time_s"),
        ({"derate_band": 0.0}, "derate_band"),
    ],
)
def test_impossible_parameters_are_rejected(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BatteryParams(**({"capacity_kwh": 100.0} | kwargs))  # pyright: ignore[reportArgumentType]


def test_an_initial_soc_outside_the_window_is_rejected() -> None:
    with pytest.raises(ValueError, match="initial_soc"):
        Battery(PARAMS, initial_soc=0.99)


@pytest.mark.parametrize(
    ("dt_s", "setpoint_kw", "ambient_c", "message"),
    [
        (0.0, 10.0, 25.0, "dt_s"),
        (-1.0, 10.0, 25.0, "dt_s"),
        (1.0, math.nan, 25.0, "setpoint_kw"),
        (1.0, math.inf, 25.0, "setpoint_kw"),
        (1.0, 10.0, math.nan, "ambient_c"),
    ],
)
def test_bad_step_inputs_are_rejected_and_change_nothing(
    dt_s: float, setpoint_kw: float, ambient_c: float, message: str
) -> None:
    battery = Battery(PARAMS)
    battery.step(1.0, 20.0, 25.0)
    before = (battery.energy_kwh, battery.power_kw, battery.temperature_c, battery.fault)
    with pytest.raises(ValueError, match=message):
        battery.step(dt_s, setpoint_kw, ambient_c)
    assert (battery.energy_kwh, battery.power_kw, battery.temperature_c, battery.fault) == before


def test_energy_balance_closes_over_a_day_at_one_second_resolution() -> None:
    rng = random.Random(20240601)
    battery = Battery(PARAMS, initial_soc=0.5)
    start_kwh = battery.energy_kwh
    balance = 0.0
    for _ in range(24):
        setpoint = rng.uniform(-120.0, 120.0)
        for _ in range(3600):
            r = battery.step(1.0, setpoint, 25.0)
            balance += r.charged_kwh * 0.95 - r.discharged_kwh / 0.95 - r.self_discharge_kwh
    assert abs(balance - (battery.energy_kwh - start_kwh)) < 1e-9
