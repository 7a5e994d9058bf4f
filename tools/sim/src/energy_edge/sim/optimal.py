"""The ``optimal`` strategy: a perfect-foresight linear program over a run, the yardstick of regret.

It sees the whole run in advance — the uncurtailed PV potential, the site load, the process draw and the air
temperature of every step (the inputs of the ``none`` run, the same for every strategy) — and chooses, per LP
step of ``step_s`` (60 s by default), what every flexible asset does at least cost. HiGHS solves it through
``scipy.optimize.linprog`` (``milp`` when a binary is needed, see below); one day at 60 s steps is about
17,000 variables and 9,000 rows and solves in about half a second.

Variables per LP step ``t`` (powers are averages over the step, kW; states at the end of the step)::

    imp_t, oimp_t >= 0     grid import within the import limit and beyond it (the excess is penalised)
    exp_t, oexp_t >= 0     grid export within the export limit and beyond it (likewise)
    ch_t, dis_t in [0, P_b]    battery charge and discharge, AC side;  ch_t / P_ch + dis_t / P_dis <= 1
    pv_t in [0, PV_avail_t]    PV output (curtailment allowed)
    q_t in [0, P_rated]        boiler heater power
    E_t in [E_min, E_max]      battery energy, kWh
    T_t <= T_trip              tank temperature, °C
    lo_t, hi_t >= 0            kelvins below the band's minimum and above its maximum (penalised)
    peak >= 0                  highest 15-minute average import (only priced with a demand charge)

Constraints::

    balance   imp + oimp - exp - oexp = load + q + ch - dis - pv
    battery   E_t = E_{t-1} + (eta_ch ch_t - dis_t / eta_dis) dt_t,                E_{-1} = E_0
    tank      T_t = a_t T_{t-1} + (1 - a_t) (eta_b q_t + UA T_amb,t + D_t T_cold) / (UA + D_t),  T_{-1} = T_0
              a_t = exp(-(UA + D_t) dt_t / C),  D_t = draw_t [l/min] / 60 x rho c_p  (kW/K)
    band      T_min - lo_t <= T_t <= T_max + hi_t
    peak      sum over each 15-minute block of (imp + oimp) / steps in block <= peak

The tank row is the exact solution of the physics' single-node equation ``C dT/dt = eta_b q - UA (T - T_amb)
- D (T - T_cold)`` over a step with constant inputs (``energy_edge.physics.boiler``, with its heat capacity
``C = V rho c_p`` and rho = 0.983 kg/l), so at the LP's resolution it is the simulated tank itself.

Objective (EUR)::

    sum_t dt_t (p_t (imp_t + oimp_t) - p_exp (exp_t + oexp_t)) + demand x peak        the energy cost
    - terminal value                                                                   as ``kpis`` values it
    + band penalty x sum_t (lo_t + hi_t) dt_t + grid penalty x sum_t (oimp_t + oexp_t) dt_t
    + 1e-4 x sum_t (ch_t + dis_t) dt_t                                                 a tie-break

with the terminal value exactly ``kpis.compute_kpis``' ``terminal_value_eur``: (E_end - E_0) x mean import
price x eta_dis + (T_end - T_0) x C_kpi x mean import price / eta_b. ``objective_eur`` is the energy cost
minus the terminal value — the ``adjusted_cost`` KPI of the LP's own trace — without the penalties, which are
reported apart (``boiler_violation_kh``, ``grid_limit_violation_kwh``, ``penalty_eur``).

Why it is a lower bound
-----------------------
Take any schedule the simulation can run at its fine resolution (1 s) and average it over the LP steps:
import and export averaged separately, charge and discharge separately, PV, heater, with the states sampled
at the LP step ends. That averaged schedule is one of the LP's:

- the energy balance and the battery's energy are sums, so they hold for the averages;
- power limits hold at every fine step and so for their averages; a fine step either charges or discharges,
  so even ``ch / P_ch + dis / P_dis <= 1`` holds;
- the import and export limits are convex, so the averaged excess is at most the fine excess the
  ``grid_limit_violation_kwh`` KPI counts, and the peak of 15-minute averages is the same number when the LP
  step divides 15 minutes;
- the tank row is exact for inputs held over a step (see the tolerances).

Its cost is the fine schedule's cost: energy is linear in the separately averaged import and export while the
price is constant over an LP step (period boundaries are whole local minutes and the run starts at local
midnight, so every 60 s step lies within one period). The LP can then only do better — it may net import
against export within a step, which never pays more while the export price is at most the import price.
What the LP leaves out only takes options away from the real equipment: the battery's derating near full and
empty, its response time and self-discharge, the heater's on/off thermostat and minimum stable power (relaxed
to any power from 0 to rated), the limits on the thermostat's target. Hence, for any strategy,

    objective_eur + penalty_eur <= its adjusted_cost + the same penalties on its violations,

and for a strategy that keeps the band and the grid limits, ``objective_eur <= its adjusted_cost`` — up to
the tolerances below.

Tolerances and assumptions
--------------------------
- **Tank discretisation.** The tank row is exact for heater power and draw held over an LP step; a schedule
  that varies them within a step heats the tank differently by a fraction of about ``k dt / 2`` of that
  step's heating, either way (``k = (UA + D) / C``; ``k dt`` is at most 0.008 at 60 s for the shipped tanks).
  Measured: the 15 s and the 60 s optima of the shipped scenarios differ by at most 0.03 EUR a day. The band
  is checked at the LP step ends (the fine steps ending there are among those the comfort KPI counts).
- **Tie-break.** ``THROUGHPUT_TIE_BREAK_EUR_PER_KWH`` (1e-4 EUR per kWh through the battery, outside
  ``objective_eur``) can lift the result above the true LP optimum by at most that much per kWh of the
  optimum's throughput; on the shipped scenarios the objective is unchanged to 1e-12.
- **Export price above the import price** (negative import prices, or a feed-in premium) would let the
  relaxation import and export at once to earn the spread — a fine schedule approaches that only by swinging
  its battery second by second. For those steps the LP adds a binary per step (import or export, not both;
  big-M from the site's own limits) and HiGHS solves a MILP: the optimum over schedules that keep one
  direction per LP step — a bound for them, not for a controller that alternates within a step.
- **Price periods** are assumed constant within an LP step (true at 60 s steps); with longer steps the LP
  prices a step at its start, as ``kpis`` does for the trace it is given.
- **Demand charge**: exact when ``step_s`` divides 900 s; longer steps average the peak over longer blocks,
  which only lowers it and keeps the bound.
- **Penalties** are a hundred times what a violation could save (the highest price plus the demand charge it
  could shave, per kWh involved), so the LP violates the band or a limit only when nothing else is possible;
  an impossible band or limit is reported, never infeasible.
- **Heat capacity.** The tank dynamics use the physics' ``C = V rho c_p`` (rho = 0.983 kg/l); the terminal
  value uses the KPI context's ``boiler_heat_capacity_kwh_per_k`` so that ``objective_eur`` is the
  ``adjusted_cost`` KPI exactly, whatever that context says.
- **Initial state** comes from the scenario (``battery.initial_soc_percent``, ``boiler.initial_celsius``),
  as the simulation starts from it; ``inputs`` supplies only the exogenous columns. A last LP step left
  partial by a run that ``step_s`` does not divide is costed for its own length, though the trace (one
  ``step_s`` for all steps) cannot show that.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from energy_edge.physics import BatteryParams, BoilerParams
from energy_edge.sim.equipment import battery_params, boiler_params
from energy_edge.sim.kpis import KpiContext, kpi_context
from energy_edge.sim.scenario import Scenario
from energy_edge.sim.tariff import PEAK_WINDOW_S
from energy_edge.sim.trace import SiteTrace

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]

PENALTY_FACTOR: Final = 100.0
"""Penalties are this many times the largest value a violation could save (see ``_penalties``)."""
MIN_VALUE_EUR_PER_KWH: Final = 0.1
"""Floor of the energy value the penalties scale with, so a free-energy tariff still keeps the band."""
THROUGHPUT_TIE_BREAK_EUR_PER_KWH: Final = 1e-4
"""A token cost per kWh through the battery: among equally cheap schedules the LP picks the one that does not
cycle the battery for nothing (parking PV in the battery and back burns surplus PV just as curtailing it does,
and the simplex would return either). Large enough that HiGHS sees it (its dual tolerance is 1e-7 on a cost
per kW and step: 1.7e-6 at 60 s), small enough not to matter: it is not part of ``objective_eur`` and can lift
it above the LP's true optimum by at most this much per kWh of that optimum's throughput (a few cents a day
for a battery cycling once; on the shipped scenarios the objective is the same to 1e-12 with and without)."""
STEP_TOLERANCE: Final = 1e-9

# Variable blocks, each of length n (one value per LP step); ``peak`` and the binaries follow them.
IMP, OIMP, EXP, OEXP, CH, DIS, PV, HEAT, ENERGY, TEMP, LOW, HIGH = range(12)
BLOCKS: Final = 12


class OptimalError(RuntimeError):
    """HiGHS returned no solution (it should not: the program is feasible and bounded by construction)."""


@dataclass(frozen=True)
class OptimalResult:
    trace: SiteTrace
    """The optimal schedule at the LP step, every column filled, initial SoC and temperature set."""
    objective_eur: float
    """Energy cost minus the terminal value: the ``adjusted_cost`` KPI of ``trace`` (penalties excluded)."""
    status: str
    """HiGHS' status message."""
    solve_s: float
    """Wall time of the whole call: aggregating, building and solving."""
    energy_cost_eur: float = 0.0
    terminal_value_eur: float = 0.0
    boiler_violation_kh: float = 0.0
    """Kelvin-hours outside the boiler band at the LP step ends (0 unless the band cannot be kept)."""
    grid_limit_violation_kwh: float = 0.0
    """Energy beyond the import and export limits (0 unless the limits cannot be kept)."""
    penalty_eur: float = 0.0
    """What the violations cost in the LP's objective (not part of ``objective_eur``)."""
    mixed_integer: bool = False
    """Some step's export price exceeds its import price, so import and export were made exclusive."""


@dataclass(frozen=True)
class _Inputs:
    """The inputs averaged over LP steps; ``hours`` is each step's length (the last one may be shorter)."""

    pv_available_kw: FloatArray
    load_kw: FloatArray
    draw_l_min: FloatArray
    ambient_c: FloatArray
    hours: FloatArray


@dataclass(frozen=True)
class _Model:
    """Everything the program is built from, per LP step where it varies."""

    data: _Inputs
    battery: BatteryParams
    boiler: BoilerParams
    context: KpiContext
    prices: FloatArray
    """Import price per step, EUR/kWh."""
    soc_0_percent: float
    energy_0: float
    temperature_0: float
    decay: FloatArray
    """Tank: the share of the step's initial temperature left at its end."""
    gain: FloatArray
    """Tank: kelvins at the step's end per kW of heat held over the step."""
    offset: FloatArray
    """Tank: the step's end temperature from the air and the cold make-up water."""
    import_cap: FloatArray
    """The most any schedule can import in a step (the load, the heater and the charger all at once)."""
    export_cap: FloatArray
    band_penalty_kh: float
    grid_penalty_kwh: float
    battery_value: float
    """EUR per kWh stored at the end, as ``kpis`` values it."""
    heat_value: float
    """EUR per kelvin of tank at the end, as ``kpis`` values it."""
    exclusive: IndexArray
    """Steps whose export price exceeds the import price: import and export get a binary between them."""
    per_block: int
    """LP steps per 15-minute peak block."""

    @property
    def n(self) -> int:
        return len(self.data.hours)

    @property
    def peak(self) -> int:
        return BLOCKS * self.n

    @property
    def size(self) -> int:
        return self.peak + 1 + len(self.exclusive)

    def col(self, block: int) -> IndexArray:
        return np.arange(block * self.n, (block + 1) * self.n, dtype=np.int64)


def solve_optimal(
    scenario: Scenario, inputs: SiteTrace, *, step_s: float = 60.0, context: KpiContext | None = None
) -> OptimalResult:
    """The least-cost schedule for ``scenario`` over the run ``inputs`` records (any strategy's trace at the
    simulation resolution; only its PV potential, load, draw and ambient columns are read).

    ``step_s`` must be a whole multiple of ``inputs.step_s``. ``context`` prices the result (tariff, limits,
    terminal valuation); by default :func:`energy_edge.sim.kpis.kpi_context`, the context of every
    strategy's KPIs.
    Raises :class:`OptimalError` if HiGHS returns no solution.
    """
    began = time.perf_counter()
    model = _model(scenario, inputs, step_s, context or kpi_context(scenario))
    solution, message = _solve(model)
    if solution is None:
        raise OptimalError(f"HiGHS found no optimal schedule: {message}")
    return _result(model, solution, message, inputs, step_s, began)


def _solve(model: _Model) -> tuple[FloatArray | None, str]:
    """HiGHS' solution and status message: ``linprog`` for the LP (about twice as fast here as ``milp``
    without integers), ``milp`` when some steps need a binary."""
    cost, bounds, rows = _cost(model), _bounds(model), _constraints(model)
    if len(model.exclusive) == 0:
        upper, upper_rhs, equal, equal_rhs = rows.split(model.size)
        result = linprog(
            cost,
            A_ub=upper,
            b_ub=upper_rhs,
            A_eq=equal,
            b_eq=equal_rhs,
            bounds=np.column_stack([bounds.lb, bounds.ub]),  # pyright: ignore[reportUnknownMemberType]
            method="highs",
        )
    else:
        integrality = np.zeros(model.size, dtype=np.int64)
        integrality[model.peak + 1 :] = 1
        result = milp(
            cost,
            integrality=integrality,
            bounds=bounds,
            constraints=rows.constraint(model.size),
            options={"presolve": True, "mip_rel_gap": 1e-9},
        )
    solution = result.x  # pyright: ignore[reportUnknownMemberType]
    message = str(result.message)  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
    return (None if solution is None else np.asarray(solution, dtype=np.float64)), message


def _model(scenario: Scenario, inputs: SiteTrace, step_s: float, context: KpiContext) -> _Model:
    data = _aggregate(inputs, step_s)
    battery = battery_params(scenario)
    boiler = boiler_params(scenario)
    tariff = context.tariff
    prices = np.asarray(tariff.import_prices(inputs.start, step_s, len(data.hours)), dtype=np.float64)
    capacity = boiler.heat_capacity_kwh_per_k  # the physics' C = V rho c_p, not the KPI's
    ua = boiler.heat_loss_w_per_k / 1000.0
    draw = data.draw_l_min / 60.0 * (capacity * 3600.0 / boiler.tank_volume_l)  # l/s x rho c_p: kW/K
    decay = np.exp(-(ua + draw) * data.hours / capacity)
    gain = (1.0 - decay) / (ua + draw)
    band_penalty_kh, grid_penalty_kwh = _penalties(
        prices,
        context,
        step_s,
        capacity / boiler.efficiency,
        battery.charge_efficiency * battery.discharge_efficiency,
    )
    mean_price = tariff.mean_import_price
    return _Model(
        data=data,
        battery=battery,
        boiler=boiler,
        context=context,
        prices=prices,
        soc_0_percent=scenario.battery.initial_soc_percent,
        energy_0=scenario.battery.initial_soc_percent / 100.0 * battery.capacity_kwh,
        temperature_0=scenario.boiler.initial_celsius,
        decay=decay,
        gain=gain,
        offset=gain * (ua * data.ambient_c + draw * boiler.cold_water_c),
        import_cap=data.load_kw + boiler.rated_power_kw + battery.max_charge_kw,
        export_cap=data.pv_available_kw + battery.max_discharge_kw,
        band_penalty_kh=band_penalty_kh,
        grid_penalty_kwh=grid_penalty_kwh,
        battery_value=mean_price * context.battery_discharge_efficiency,
        heat_value=mean_price * context.boiler_heat_capacity_kwh_per_k / context.boiler_efficiency,
        exclusive=np.flatnonzero(prices < tariff.export_eur_per_kwh).astype(np.int64),
        per_block=max(1, round(PEAK_WINDOW_S / step_s)),
    )


def _cost(model: _Model) -> FloatArray:
    hours, col = model.data.hours, model.col
    export_price = model.context.tariff.export_eur_per_kwh
    cost = np.zeros(model.size)
    cost[col(IMP)] = model.prices * hours
    cost[col(OIMP)] = (model.prices + model.grid_penalty_kwh) * hours
    cost[col(EXP)] = -export_price * hours
    cost[col(OEXP)] = (model.grid_penalty_kwh - export_price) * hours
    cost[col(CH)] = THROUGHPUT_TIE_BREAK_EUR_PER_KWH * hours
    cost[col(DIS)] = THROUGHPUT_TIE_BREAK_EUR_PER_KWH * hours
    cost[col(LOW)] = model.band_penalty_kh * hours
    cost[col(HIGH)] = model.band_penalty_kh * hours
    cost[model.peak] = model.context.tariff.demand_eur_per_kw
    cost[col(ENERGY)[-1]] -= model.battery_value
    cost[col(TEMP)[-1]] -= model.heat_value
    return cost


def _bounds(model: _Model) -> Bounds:
    col, battery, boiler, context = model.col, model.battery, model.boiler, model.context
    lower = np.zeros(model.size)
    upper = np.full(model.size, np.inf)
    upper[col(IMP)] = np.minimum(context.import_limit_kw, model.import_cap)
    upper[col(OIMP)] = model.import_cap
    upper[col(EXP)] = np.minimum(context.export_limit_kw, model.export_cap)
    upper[col(OEXP)] = model.export_cap
    upper[col(CH)] = battery.max_charge_kw
    upper[col(DIS)] = battery.max_discharge_kw
    upper[col(PV)] = model.data.pv_available_kw
    upper[col(HEAT)] = boiler.rated_power_kw
    lower[col(ENERGY)] = battery.soc_min * battery.capacity_kwh
    upper[col(ENERGY)] = battery.soc_max * battery.capacity_kwh
    lower[col(TEMP)] = -np.inf
    upper[col(TEMP)] = max(boiler.max_temperature_c, model.temperature_0)  # the trip: no heater gets beyond
    upper[model.peak + 1 :] = 1.0
    return Bounds(lower, upper)  # pyright: ignore[reportArgumentType]  # scipy annotates lb/ub as float


def _constraints(model: _Model) -> _Rows:
    n, col, hours = model.n, model.col, model.data.hours
    battery, boiler, context = model.battery, model.boiler, model.context
    rows = _Rows()
    # Energy balance: imp + oimp - exp - oexp + pv + dis - ch - q = load.
    balance = rows.add(model.data.load_kw, model.data.load_kw)
    for block, sign in ((IMP, 1), (OIMP, 1), (EXP, -1), (OEXP, -1), (CH, -1), (DIS, 1), (PV, 1), (HEAT, -1)):
        rows.entries(balance, col(block), float(sign))
    # Battery: E_t - E_{t-1} - eta_ch dt ch_t + dt / eta_dis dis_t = 0, E_0 on the right-hand side.
    start = np.zeros(n)
    start[0] = model.energy_0
    storage = rows.add(start, start)
    rows.entries(storage, col(ENERGY), 1.0)
    rows.entries(storage[1:], col(ENERGY)[:-1], -1.0)
    rows.entries(storage, col(CH), -battery.charge_efficiency * hours)
    rows.entries(storage, col(DIS), hours / battery.discharge_efficiency)
    # Tank: T_t - a_t T_{t-1} - gain_t eta_b q_t = offset_t, a_0 T_0 on the right-hand side.
    rhs = model.offset.copy()
    rhs[0] += model.decay[0] * model.temperature_0
    tank = rows.add(rhs, rhs)
    rows.entries(tank, col(TEMP), 1.0)
    rows.entries(tank[1:], col(TEMP)[:-1], -model.decay[1:])
    rows.entries(tank, col(HEAT), -model.gain * boiler.efficiency)
    # Band: T_t + lo_t >= T_min and T_t - hi_t <= T_max.
    floor = rows.add(np.full(n, context.boiler_min_celsius), np.full(n, np.inf))
    rows.entries(floor, col(TEMP), 1.0)
    rows.entries(floor, col(LOW), 1.0)
    ceiling = rows.add(np.full(n, -np.inf), np.full(n, context.boiler_max_celsius))
    rows.entries(ceiling, col(TEMP), 1.0)
    rows.entries(ceiling, col(HIGH), -1.0)
    # One inverter: a fine step charges or discharges, so the averages share its rating.
    inverter = rows.add(np.full(n, -np.inf), np.ones(n))
    rows.entries(inverter, col(CH), 1.0 / battery.max_charge_kw)
    rows.entries(inverter, col(DIS), 1.0 / battery.max_discharge_kw)
    # Peak: the average import of each 15-minute block (grouped as kpis.peak_average groups a trace) <= peak.
    block_of = np.arange(n, dtype=np.int64) // model.per_block
    share = 1.0 / np.bincount(block_of).astype(np.float64)[block_of]
    blocks = int(block_of[-1]) + 1
    peak = rows.add(np.full(blocks, -np.inf), np.zeros(blocks))
    rows.entries(peak[block_of], col(IMP), share)
    rows.entries(peak[block_of], col(OIMP), share)
    rows.entries(peak, np.full(blocks, model.peak, dtype=np.int64), -1.0)
    if len(model.exclusive):
        _exclusive_rows(model, rows)
    return rows


def _exclusive_rows(model: _Model, rows: _Rows) -> None:
    """Import only if z = 1, export only if z = 0: imp + oimp <= M_imp z, exp + oexp <= M_exp (1 - z)."""
    steps, col = model.exclusive, model.col
    m = len(steps)
    binaries = model.peak + 1 + np.arange(m, dtype=np.int64)
    importing = rows.add(np.full(m, -np.inf), np.zeros(m))
    rows.entries(importing, col(IMP)[steps], 1.0)
    rows.entries(importing, col(OIMP)[steps], 1.0)
    rows.entries(importing, binaries, -model.import_cap[steps])
    exporting = rows.add(np.full(m, -np.inf), model.export_cap[steps])
    rows.entries(exporting, col(EXP)[steps], 1.0)
    rows.entries(exporting, col(OEXP)[steps], 1.0)
    rows.entries(exporting, binaries, model.export_cap[steps])


def _result(
    model: _Model, x: FloatArray, message: str, inputs: SiteTrace, step_s: float, began: float
) -> OptimalResult:
    n, hours, tariff = model.n, model.data.hours, model.context.tariff

    def values(block: int) -> FloatArray:
        return x[block * n : (block + 1) * n]

    imports = values(IMP) + values(OIMP)
    exports = values(EXP) + values(OEXP)
    energy, temperature = values(ENERGY), values(TEMP)
    energy_cost = (
        float(np.dot(model.prices * hours, imports))
        - tariff.export_eur_per_kwh * float(np.dot(hours, exports))
        + tariff.demand_eur_per_kw * float(x[model.peak])
    )
    terminal = (float(energy[-1]) - model.energy_0) * model.battery_value + (
        float(temperature[-1]) - model.temperature_0
    ) * model.heat_value
    band_kh = float(np.dot(values(LOW) + values(HIGH), hours))
    grid_kwh = float(np.dot(values(OIMP) + values(OEXP), hours))
    trace = SiteTrace(
        start=inputs.start,
        step_s=step_s,
        initial_soc_percent=model.soc_0_percent,
        initial_boiler_temperature_c=model.temperature_0,
    )
    columns = {
        "pv_available_kw": model.data.pv_available_kw,
        "pv_kw": values(PV),
        "load_kw": model.data.load_kw,
        "battery_kw": values(DIS) - values(CH),
        "soc_percent": energy / model.battery.capacity_kwh * 100.0,
        "boiler_kw": values(HEAT),
        "boiler_temperature_c": temperature,
        "grid_kw": imports - exports,
        "draw_l_min": model.data.draw_l_min,
        "ambient_c": model.data.ambient_c,
    }
    for name, column in columns.items():
        trace.column(name).extend(column.tolist())
    return OptimalResult(
        trace=trace,
        objective_eur=energy_cost - terminal,
        status=message,
        solve_s=time.perf_counter() - began,
        energy_cost_eur=energy_cost,
        terminal_value_eur=terminal,
        boiler_violation_kh=band_kh,
        grid_limit_violation_kwh=grid_kwh,
        penalty_eur=band_kh * model.band_penalty_kh + grid_kwh * model.grid_penalty_kwh,
        mixed_integer=len(model.exclusive) > 0,
    )


def _aggregate(inputs: SiteTrace, step_s: float) -> _Inputs:
    """Average the inputs over blocks of ``step_s`` (the last, partial block over its own length)."""
    ratio = step_s / inputs.step_s
    factor = round(ratio)
    if factor < 1 or abs(ratio - factor) > STEP_TOLERANCE * ratio:
        raise ValueError(f"step_s={step_s!r} is not a whole multiple of the input step {inputs.step_s!r}")
    columns = [
        np.asarray(inputs.column(name), dtype=np.float64)
        for name in ("pv_available_kw", "load_kw", "draw_l_min", "ambient_c")
    ]
    length = len(columns[0])
    if length == 0 or any(len(c) != length for c in columns):
        raise ValueError("the input trace needs non-empty pv_available_kw, load_kw, draw and ambient alike")
    full, rest = divmod(length, factor)

    def mean(values: FloatArray) -> FloatArray:
        blocks = values[: full * factor].reshape(full, factor).mean(axis=1)
        return np.append(blocks, values[full * factor :].mean()) if rest else blocks

    hours = np.full(full, step_s / 3600.0)
    if rest:
        hours = np.append(hours, rest * inputs.step_s / 3600.0)
    pv, load, draw, ambient = (mean(c) for c in columns)
    return _Inputs(pv_available_kw=pv, load_kw=load, draw_l_min=draw, ambient_c=ambient, hours=hours)


def _penalties(
    prices: FloatArray, context: KpiContext, step_s: float, kwh_per_kelvin: float, round_trip: float
) -> tuple[float, float]:
    """EUR per kelvin-hour outside the band and per kWh beyond a grid limit.

    A kWh moved in time is worth at most the largest price plus the demand charge it could shave (a kW of
    15-minute peak per 0.25 kWh); a kWh beyond a grid limit saves at most that value after a battery round
    trip. A kelvin of tank takes ``kwh_per_kelvin`` (C / eta_b) such kWh and a violation may last a single LP
    step (the last one, say), so the band penalty is set per kelvin and step and expressed per kelvin-hour.
    """
    tariff = context.tariff
    value = (
        max(float(np.max(np.abs(prices))), abs(tariff.export_eur_per_kwh), abs(tariff.mean_import_price))
        + tariff.demand_eur_per_kw * 3600.0 / PEAK_WINDOW_S
    )
    value = max(value, MIN_VALUE_EUR_PER_KWH)
    per_kelvin_step = PENALTY_FACTOR * value * kwh_per_kelvin
    return per_kelvin_step * 3600.0 / step_s, PENALTY_FACTOR * value / round_trip


class _Rows:
    """A sparse constraint matrix built block of rows by block of rows (COO triplets, bounds per row)."""

    def __init__(self) -> None:
        self.count = 0
        self.rows: list[IndexArray] = []
        self.cols: list[IndexArray] = []
        self.data: list[FloatArray] = []
        self.lower: list[FloatArray] = []
        self.upper: list[FloatArray] = []

    def add(self, lower: FloatArray, upper: FloatArray) -> IndexArray:
        """A block of rows with these bounds; returns their indices."""
        indices = np.arange(self.count, self.count + len(lower), dtype=np.int64)
        self.count += len(lower)
        self.lower.append(np.asarray(lower, dtype=np.float64))
        self.upper.append(np.asarray(upper, dtype=np.float64))
        return indices

    def entries(self, rows: IndexArray, cols: IndexArray, values: float | FloatArray) -> None:
        self.rows.append(rows)
        self.cols.append(cols)
        self.data.append(np.broadcast_to(np.asarray(values, dtype=np.float64), rows.shape).copy())

    def matrix(self, size: int) -> sp.csr_array:
        return sp.csr_array(
            (np.concatenate(self.data), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(self.count, size),
        )

    def constraint(self, size: int) -> LinearConstraint:
        """The rows as ``lower <= A x <= upper``, for ``milp``."""
        lower, upper = np.concatenate(self.lower), np.concatenate(self.upper)
        return LinearConstraint(self.matrix(size), lower, upper)  # pyright: ignore[reportArgumentType]

    def split(self, size: int) -> tuple[sp.csr_array, FloatArray, sp.csr_array, FloatArray]:
        """The rows as ``A_ub x <= b_ub`` and ``A_eq x = b_eq``, for ``linprog``."""
        matrix = self.matrix(size)
        lower, upper = np.concatenate(self.lower), np.concatenate(self.upper)
        equal = lower == upper
        below = np.flatnonzero(~equal & np.isfinite(upper))
        above = np.flatnonzero(~equal & np.isfinite(lower))
        upper_rows = sp.vstack([matrix[below], -matrix[above]], format="csr")
        upper_rhs = np.concatenate([upper[below], -lower[above]])
        equalities = np.flatnonzero(equal)
        return sp.csr_array(upper_rows), upper_rhs, matrix[equalities], lower[equalities]
