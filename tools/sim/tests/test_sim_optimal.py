"""The perfect-foresight optimum on small cases solved by hand, and as a lower bound on doing nothing.

Every case also recomputes the LP trace's KPIs with ``kpis.compute_kpis`` and checks that its
``adjusted_cost`` is the LP's ``objective_eur`` within ``KPI_TOLERANCE_EUR``: the two are the same arithmetic
on the same numbers, apart from HiGHS' feasibility tolerance (1e-7 on a row) in the peak variable and in the
slack of the band and the limits.

Most cases use a *neutral boiler*: no draw, the air as warm as the water and the band's top at the initial
temperature, so the tank neither loses heat nor can take any without a penalty and drops out of the sum.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import timedelta

import pytest

from energy_edge.physics import Boiler
from energy_edge.sim.equipment import boiler_params, heat_capacity_kwh_per_k
from energy_edge.sim.kpis import compute_kpis, kpi_context
from energy_edge.sim.optimal import OptimalResult, solve_optimal
from energy_edge.sim.scenario import Scenario, parse_scenario
from energy_edge.sim.site_model import run_without_control
from energy_edge.sim.trace import SiteTrace

KPI_TOLERANCE_EUR = 1e-6
"""Absolute, plus ``KPI_TOLERANCE_REL`` of the cost: HiGHS' feasibility tolerance times the sizes involved."""
KPI_TOLERANCE_REL = 1e-9
NEUTRAL_C = 62.0
"""Initial tank temperature, air temperature and top of the band of the neutral boiler."""

Section = Mapping[str, float | str]

BASE: dict[str, Section] = {
    "site": {"latitude": 52.52, "longitude": 13.40, "timezone": "UTC"},
    "time": {"start": "2024-06-21", "days": 1, "resolution_s": 60.0},
    "pv": {"kwp": 150.0, "inverter_kw": 120.0},
    "battery": {
        "capacity_kwh": 100.0,
        "power_kw": 50.0,
        "soc_min_percent": 10.0,
        "soc_max_percent": 90.0,
        "initial_soc_percent": 50.0,
    },
    "boiler": {
        "power_kw": 10.0,
        "tank_l": 100.0,
        "min_celsius": 55.0,
        "max_celsius": NEUTRAL_C,
        "default_target_celsius": 60.0,
        "initial_celsius": NEUTRAL_C,
        "draw": "none",
    },
    "load": {"profile": "commercial", "annual_kwh": 100000.0},
    "tariff": {"import_eur_per_kwh": 0.30, "export_eur_per_kwh": 0.08},
}


def toml_value(value: float | str) -> str:
    if isinstance(value, str):
        return value if value[:4].isdigit() and value[4:5] == "-" else f'"{value}"'  # dates stay bare
    return str(value) if isinstance(value, int) else repr(value)


def make_scenario(periods: Sequence[tuple[str, str, float]] = (), **overrides: Section) -> Scenario:
    """A scenario from ``BASE`` with sections overridden key by key, and time-of-use periods (UTC)."""
    lines = ['name = "test"']
    for name in (*BASE, *(k for k in overrides if k not in BASE)):
        section = {**BASE.get(name, {}), **overrides.get(name, {})}
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {toml_value(value)}" for key, value in section.items())
    for start, end, price in periods:
        lines += [
            "[[tariff.periods]]",
            f'start = "{start}"',
            f'end = "{end}"',
            f"import_eur_per_kwh = {price}",
        ]
    return parse_scenario("\n".join(lines), "test")


def make_inputs(
    scenario: Scenario,
    load_kw: Sequence[float],
    *,
    pv_kw: Sequence[float] | None = None,
    draw_l_min: float = 0.0,
    ambient_c: float = NEUTRAL_C,
    step_s: float = 60.0,
) -> SiteTrace:
    """The inputs a ``none`` run would record, one value per step (the other columns are zero)."""
    trace = SiteTrace(start=scenario.start_utc, step_s=step_s)
    for i, load in enumerate(load_kw):
        trace.append(
            pv_available_kw=0.0 if pv_kw is None else pv_kw[i],
            pv_kw=0.0,
            load_kw=load,
            battery_kw=0.0,
            soc_percent=0.0,
            boiler_kw=0.0,
            boiler_temperature_c=0.0,
            grid_kw=0.0,
            draw_l_min=draw_l_min,
            ambient_c=ambient_c,
        )
    return trace


def minutes(hours: float) -> int:
    return round(hours * 60)


def checked(scenario: Scenario, result: OptimalResult) -> dict[str, float]:
    """The LP trace's KPIs, after checking they agree with what the LP reports."""
    assert "Optimal" in result.status
    kpis = compute_kpis(result.trace, kpi_context(scenario))
    tolerance = KPI_TOLERANCE_EUR + KPI_TOLERANCE_REL * abs(result.objective_eur)
    assert kpis["adjusted_cost"] == pytest.approx(result.objective_eur, abs=tolerance)
    assert kpis["energy_cost"] == pytest.approx(result.energy_cost_eur, abs=tolerance)
    assert kpis["boiler_comfort_violation_kh"] == pytest.approx(result.boiler_violation_kh, abs=1e-6)
    assert kpis["grid_limit_excursion_kwh"] == pytest.approx(result.grid_limit_violation_kwh, abs=1e-6)
    trace = result.trace
    assert all(len(trace.column(name)) == len(trace) for name in ("pv_kw", "soc_percent", "ambient_c"))
    assert trace.initial_soc_percent == scenario.battery.initial_soc_percent
    assert trace.initial_boiler_temperature_c == scenario.boiler.initial_celsius
    return kpis


def energy_kwh(values: Sequence[float], step_s: float = 60.0) -> float:
    return sum(values) * step_s / 3600.0


def test_flat_price_and_load_cost_the_load_at_the_price() -> None:
    # Flat price = the mean price: a discharged kWh saves exactly what the terminal value loses.
    scenario = make_scenario()
    result = solve_optimal(scenario, make_inputs(scenario, [10.0] * minutes(4)))
    checked(scenario, result)
    assert result.objective_eur == pytest.approx(10.0 * 4 * 0.30, abs=1e-6)
    assert result.boiler_violation_kh == 0.0
    assert result.grid_limit_violation_kwh == 0.0
    assert result.penalty_eur == 0.0


def test_a_price_spread_beyond_the_round_trip_loss_is_arbitraged() -> None:
    # Cheap 0.10 for two hours, dear 0.40 for two, 0.10 the rest of the day (mean 0.125, so a stored kWh is
    # worth 0.119 at the end: less than the 0.38 it saves in the dear hours, more than the 0.105 it costs).
    scenario = make_scenario(
        [("00:00", "02:00", 0.10), ("02:00", "04:00", 0.40)],
        battery={"initial_soc_percent": 10.0},
        tariff={"import_eur_per_kwh": 0.10},
    )
    result = solve_optimal(scenario, make_inputs(scenario, [50.0] * minutes(4)))
    checked(scenario, result)
    # 80 kWh of room: charged from 84.2 kWh AC in the cheap hours, all of it back as 76 kWh in the dear ones.
    stored = 80.0
    expected = (100.0 + stored / 0.95) * 0.10 + (100.0 - stored * 0.95) * 0.40
    assert result.objective_eur == pytest.approx(expected, abs=1e-6)
    battery = result.trace.battery_kw
    cheap, dear = slice(0, minutes(2)), slice(minutes(2), minutes(4))
    assert -energy_kwh(battery[cheap]) == pytest.approx(stored / 0.95, abs=1e-6)
    assert energy_kwh(battery[dear]) == pytest.approx(stored * 0.95, abs=1e-6)
    assert all(b <= 1e-9 for b in battery[cheap])
    assert all(b >= -1e-9 for b in battery[dear])
    assert result.trace.soc_percent[-1] == pytest.approx(10.0, abs=1e-6)


def test_a_spread_below_the_round_trip_loss_is_left_alone() -> None:
    # 0.30 -> 0.32: a kWh bought at 0.30 comes back at 0.30 x 0.95^2 = 0.27 of dear energy (0.289 < 0.30).
    scenario = make_scenario(
        [("00:00", "02:00", 0.30), ("02:00", "04:00", 0.32)],
        battery={"initial_soc_percent": 10.0},
    )
    result = solve_optimal(scenario, make_inputs(scenario, [50.0] * minutes(4)))
    checked(scenario, result)
    assert result.objective_eur == pytest.approx(50.0 * 2 * 0.30 + 50.0 * 2 * 0.32, abs=1e-6)
    assert energy_kwh([abs(b) for b in result.trace.battery_kw]) == pytest.approx(0.0, abs=1e-6)


def test_an_export_limit_with_a_full_battery_curtails_exactly_the_excess() -> None:
    # 100 kW of PV, 20 kW of load, 50 kW may leave: 30 kW has nowhere to go.
    scenario = make_scenario(
        battery={"initial_soc_percent": 90.0},
        grid={"export_limit_kw": 50.0},
    )
    steps = minutes(1)
    result = solve_optimal(scenario, make_inputs(scenario, [20.0] * steps, pv_kw=[100.0] * steps))
    kpis = checked(scenario, result)
    assert kpis["curtailed_kwh"] == pytest.approx(30.0, abs=1e-6)
    assert all(p == pytest.approx(70.0, abs=1e-6) for p in result.trace.pv_kw)
    assert all(g == pytest.approx(-50.0, abs=1e-6) for g in result.trace.grid_kw)
    assert result.objective_eur == pytest.approx(-50.0 * 0.08, abs=1e-6)
    assert result.grid_limit_violation_kwh == pytest.approx(0.0, abs=1e-9)


def test_a_demand_charge_shaves_the_peak_to_what_the_battery_can_hold() -> None:
    # Four quarter hours of 20, 20, 100 and 20 kW; 10 kWh stored above the minimum. The battery charges in
    # the first two quarters up to the peak P and discharges the excess over P in the third, so
    # 10 + 0.95 x 0.25 x 2 (P - 20) = 0.25 (100 - P) / 0.95, with every quarter's import then at P.
    scenario = make_scenario(
        battery={"power_kw": 100.0, "initial_soc_percent": 20.0, "soc_max_percent": 95.0},
        tariff={"demand_eur_per_kw": 10.0},
    )
    load = [20.0] * 15 + [20.0] * 15 + [100.0] * 15 + [20.0] * 15
    result = solve_optimal(scenario, make_inputs(scenario, load))
    kpis = checked(scenario, result)
    eta = 0.95
    peak = (0.25 * 100.0 / eta - 10.0 + eta * 0.5 * 20.0) / (eta * 0.5 + 0.25 / eta)
    assert kpis["peak_import_kw"] == pytest.approx(peak, abs=1e-6)
    terminal = (10.0 - 20.0) * 0.30 * eta  # the battery ends at its minimum, 10 kWh below its start
    expected = 0.30 * (0.25 * 3 * peak + 0.25 * 20.0) + 10.0 * peak - terminal
    assert result.objective_eur == pytest.approx(expected, abs=1e-6)


def test_the_boiler_heats_in_the_cheap_hours_just_enough_to_coast_through_the_dear_ones() -> None:
    # 1000 l at 80 °C, 2 l/min drawn, air at 20 °C; 0.20 for two hours, 0.60 for two, 0.05 otherwise (mean
    # 0.108: heat left at the end is worth less than it costs, so the tank ends at the band's bottom).
    scenario = make_scenario(
        [("00:00", "02:00", 0.20), ("02:00", "04:00", 0.60)],
        tariff={"import_eur_per_kwh": 0.05},
        battery={  # a battery with no room, out of the way
            "capacity_kwh": 1.0,
            "power_kw": 1.0,
            "soc_min_percent": 10.0,
            "soc_max_percent": 10.001,
            "initial_soc_percent": 10.0,
        },
        boiler={
            "tank_l": 1000.0,
            "max_celsius": 90.0,
            "default_target_celsius": 65.0,
            "initial_celsius": 80.0,
        },
    )
    draw, air = 2.0, 20.0
    result = solve_optimal(
        scenario, make_inputs(scenario, [0.0] * minutes(4), draw_l_min=draw, ambient_c=air)
    )
    checked(scenario, result)

    params = boiler_params(scenario)
    capacity = params.heat_capacity_kwh_per_k  # the physics' C = V rho c_p
    ua = params.heat_loss_w_per_k / 1000.0
    flow = draw / 60.0 * 0.983 * 4.186  # kW/K carried away by the draw
    k = (ua + flow) / capacity  # 1/h
    steady = (ua * air + flow * params.cold_water_c) / (ua + flow)
    at_two_free = steady + (80.0 - steady) * math.exp(-2.0 * k)  # coasting through the cheap hours
    at_two_needed = steady + (55.0 - steady) * math.exp(2.0 * k)  # to reach 55 °C at four hours
    rise = params.efficiency * params.rated_power_kw / (ua + flow)
    heating_h = -math.log(1.0 - (at_two_needed - at_two_free) / rise) / k  # full power at the end of cheap
    electric_kwh = params.rated_power_kw * heating_h
    mean_price = (2 * 0.20 + 2 * 0.60 + 20 * 0.05) / 24
    terminal = (55.0 - 80.0) * heat_capacity_kwh_per_k(params) * mean_price / params.efficiency
    # The LP holds the heater over whole minutes, so its one part-power minute loses a little more: 1e-4.
    assert result.objective_eur == pytest.approx(0.20 * electric_kwh - terminal, rel=1e-4)

    heater = result.trace.boiler_kw
    temperature = result.trace.boiler_temperature_c
    cheap, dear = slice(0, minutes(2)), slice(minutes(2), minutes(4))
    assert energy_kwh(heater[cheap]) == pytest.approx(electric_kwh, rel=1e-4)
    assert energy_kwh(heater[dear]) == pytest.approx(0.0, abs=1e-4)  # the 1e-5 kWh battery may help
    first_heating = next(i for i, q in enumerate(heater) if q > 1e-6)
    assert first_heating == minutes(2) - math.ceil(heating_h * 60)  # as late as possible
    assert min(temperature) == pytest.approx(55.0, abs=1e-6)
    assert temperature[-1] == pytest.approx(55.0, abs=1e-6)
    assert result.boiler_violation_kh == pytest.approx(0.0, abs=1e-9)


def test_the_tank_follows_the_physics_boiler_step_for_step() -> None:
    # A band the heater cannot reach keeps it at rated power all along; the physics boiler, asked for its
    # highest target, does the same, and both must agree on the temperature at every step.
    scenario = make_scenario(
        boiler={
            "tank_l": 1000.0,
            "min_celsius": 85.0,
            "max_celsius": 90.0,
            "default_target_celsius": 87.0,
            "initial_celsius": 62.0,
        },
    )
    draw, air = 3.0, 20.0
    result = solve_optimal(
        scenario, make_inputs(scenario, [0.0] * minutes(1), draw_l_min=draw, ambient_c=air)
    )
    checked(scenario, result)
    params = boiler_params(scenario)
    assert all(q == pytest.approx(params.rated_power_kw, abs=1e-6) for q in result.trace.boiler_kw)
    boiler = Boiler(params, target_celsius=params.max_target_celsius, initial_temperature_c=62.0)
    for lp_temperature in result.trace.boiler_temperature_c:
        reading = boiler.step(60.0, draw_l_min=draw, ambient_c=air)
        assert reading.temperature_c == pytest.approx(lp_temperature, abs=1e-9)


def test_the_optimum_never_costs_more_than_doing_nothing() -> None:
    # The real site model at 30 s over a sunny day, with time-of-use prices and a demand charge; the LP at
    # 60 s on the ``none`` run's inputs. Doing nothing is one of the LP's schedules (to the tank's
    # discretisation, far from the band here), so the optimum costs no more; the battery makes it cheaper.
    scenario = make_scenario(
        [("00:00", "06:00", 0.20), ("16:00", "20:00", 0.45)],
        site={"latitude": 52.52, "longitude": 13.40, "timezone": "Europe/Berlin"},
        time={"start": "2024-06-21", "days": 1, "resolution_s": 30.0},
        weather={"sky": "broken", "seed": 3},
        battery={"capacity_kwh": 200.0, "power_kw": 100.0, "initial_soc_percent": 40.0},
        boiler={
            "power_kw": 60.0,
            "tank_l": 3000.0,
            "max_celsius": 90.0,
            "default_target_celsius": 65.0,
            "draw": "two_shift",
            "draw_peak_l_min": 15.0,
        },
        load={"profile": "commercial", "annual_kwh": 250000.0},
        tariff={"import_eur_per_kwh": 0.30, "demand_eur_per_kw": 8.0},
        grid={"import_limit_kw": 250.0, "export_limit_kw": 100.0},
    )
    none = run_without_control(scenario, seed=3)
    context = kpi_context(scenario)
    none_kpis = compute_kpis(none, context)
    assert none_kpis["boiler_comfort_violation_kh"] == 0.0
    assert none_kpis["grid_limit_violation_kwh"] == 0.0

    result = solve_optimal(scenario, none, step_s=60.0)
    kpis = checked(scenario, result)
    assert len(result.trace) == len(none) // 2
    assert result.penalty_eur == pytest.approx(0.0, abs=1e-6)
    assert result.objective_eur < none_kpis["adjusted_cost"] - 1.0
    assert kpis["peak_import_kw"] <= none_kpis["peak_import_kw"]
    assert kpis["pv_energy_kwh"] <= none_kpis["pv_energy_kwh"] + 1e-6


def test_an_impossible_band_is_reported_not_infeasible() -> None:
    # 5 kW cannot hold 1000 l at 85 °C against 30 l/min of draw (that takes over 150 kW).
    scenario = make_scenario(
        boiler={
            "power_kw": 5.0,
            "tank_l": 1000.0,
            "min_celsius": 85.0,
            "max_celsius": 90.0,
            "default_target_celsius": 87.0,
            "initial_celsius": 62.0,
        },
    )
    result = solve_optimal(
        scenario, make_inputs(scenario, [10.0] * minutes(2), draw_l_min=30.0, ambient_c=20.0)
    )
    kpis = checked(scenario, result)
    assert result.boiler_violation_kh > 2.0 * (85.0 - 62.0)  # below the band all along, further and further
    assert kpis["boiler_comfort_violation_kh"] == pytest.approx(result.boiler_violation_kh, abs=1e-6)
    assert result.penalty_eur > 0.0
    assert all(q == pytest.approx(5.0, abs=1e-6) for q in result.trace.boiler_kw)  # doing its best


def test_an_impossible_import_limit_is_reported_not_infeasible() -> None:
    # 60 kW of load, 10 kW allowed in; the battery gives 50 kW while its 40 kWh last (48 min at 50 kW).
    scenario = make_scenario(grid={"import_limit_kw": 10.0})
    result = solve_optimal(scenario, make_inputs(scenario, [60.0] * minutes(2)))
    kpis = checked(scenario, result)
    usable_ac = 40.0 * 0.95
    expected_excess = 60.0 * 2 - 10.0 * 2 - usable_ac
    assert result.grid_limit_violation_kwh == pytest.approx(expected_excess, abs=1e-6)
    assert kpis["grid_limit_excursion_kwh"] == pytest.approx(expected_excess, abs=1e-6)
    # Minute-long excursions: breaches but for the first 5 s of each.
    assert expected_excess - 0.5 < kpis["grid_limit_violation_kwh"] < expected_excess


def test_a_negative_import_price_keeps_import_and_export_apart() -> None:
    # Export at 0.08 above an import price of -0.05: the relaxation would import and export at once to earn
    # the spread; binaries keep one direction per step, so the KPI of the net grid power matches.
    scenario = make_scenario(
        [("00:00", "01:00", -0.05)],
        battery={"initial_soc_percent": 10.0},
        boiler={"max_celsius": 90.0, "default_target_celsius": 65.0},
    )
    steps = minutes(2)
    result = solve_optimal(scenario, make_inputs(scenario, [10.0] * steps, pv_kw=[30.0] * steps))
    checked(scenario, result)  # were import and export both > 0 in a step, the net would price differently
    assert result.mixed_integer


def test_inputs_are_averaged_over_the_lp_step_including_a_partial_last_one() -> None:
    scenario = make_scenario()
    load = [float(i % 7) for i in range(370)]  # 10 s steps: 61 minutes and 40 s
    inputs = make_inputs(scenario, load, step_s=10.0)
    result = solve_optimal(scenario, inputs, step_s=60.0)
    assert len(result.trace) == 62
    for index, value in enumerate(result.trace.load_kw):
        block = load[index * 6 : index * 6 + 6]
        assert value == pytest.approx(sum(block) / len(block))
    # Flat price: the cost is the load's energy, the short last step counted for its 40 s.
    assert result.objective_eur == pytest.approx(sum(load) * 10.0 / 3600.0 * 0.30, abs=1e-6)
    assert result.trace.instant(1) == scenario.start_utc + timedelta(seconds=60)


def test_a_step_that_is_not_a_multiple_of_the_input_step_is_refused() -> None:
    scenario = make_scenario()
    with pytest.raises(ValueError, match="whole multiple"):
        solve_optimal(scenario, make_inputs(scenario, [1.0] * 10, step_s=40.0), step_s=60.0)
    with pytest.raises(ValueError, match="non-empty"):
        solve_optimal(scenario, make_inputs(scenario, []))
