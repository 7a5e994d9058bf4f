"""Key performance indicators of a run, with the literature's definitions.

All energies in kWh over the run, powers in kW:

- ``grid_import_kwh`` / ``grid_export_kwh``: energy through the connection point in each direction.
- ``pv_energy_kwh``: energy the PV delivered (after curtailment); ``curtailed_kwh``: what curtailment gave up.
- ``load_energy_kwh``: the site's consumption: the non-controllable load plus the boiler's heating.
- ``self_consumption_ratio`` = (PV energy - export) / PV energy: the share of PV used on site, the battery
  included (0 without PV).
- ``self_sufficiency_ratio`` = 1 - min(1, import / consumption): the share of consumption not bought from
  the grid (Home Assistant's and OpenEMS's "autarchy"; 0 without consumption).
- ``peak_import_kw``: the highest 15-minute average import (the demand charge's measure).
- ``energy_cost``: import x its (time-of-use) price - export x feed-in price + demand charge x peak, in EUR.
- ``terminal_value_eur``: what the energy left in storage at the end is worth, compared with the start:
  battery
  energy at the mean import price x discharge efficiency, tank heat at the mean import price / boiler
  efficiency (energy that will not have to be bought) - and ``adjusted_cost`` = ``energy_cost`` -
  ``terminal_value_eur``, so a strategy cannot look good by emptying the battery before the run ends.
- ``battery_equivalent_cycles``: battery throughput / (2 x capacity).
- ``boiler_comfort_violation_kh``: kelvin-hours the tank spent outside its band.
- ``grid_limit_violation_kwh``: energy beyond the import or export limit once an excursion has lasted
  longer than ``LIMIT_RESPONSE_S`` (5 s): an export limitation scheme must bring the power back under its
  limit within 5 s (ENA Engineering Recommendation G100), and import limitation is held to the same rule.
  A controller that samples a meter cannot undo a step (a cloud edge, a kettle) before it has seen it;
  one that leaves the limit crossed for longer is in breach. ``grid_limit_excursion_kwh``: all energy beyond
  a limit, however short (what the breach figure forgives, shown so it stays small).
- ``commands_sent``: direct methods the controller sent (0 for strategies without one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from energy_edge.sim.equipment import battery_params, boiler_params, heat_capacity_kwh_per_k
from energy_edge.sim.scenario import Scenario
from energy_edge.sim.tariff import Tariff, peak_average
from energy_edge.sim.trace import SiteTrace

LIMIT_RESPONSE_S: Final = 5.0
"""How long a grid limit may be exceeded before it is a breach (ENA ER G100's export limitation response)."""


@dataclass(frozen=True, slots=True)
class KpiContext:
    """What the KPIs need beyond the trace: prices, limits, storage sizes."""

    tariff: Tariff
    import_limit_kw: float
    export_limit_kw: float
    battery_capacity_kwh: float
    battery_discharge_efficiency: float
    boiler_heat_capacity_kwh_per_k: float
    boiler_efficiency: float
    boiler_min_celsius: float
    boiler_max_celsius: float


def kpi_context(scenario: Scenario) -> KpiContext:
    """The KPI context of a scenario, from the same equipment parameters the simulation uses."""
    battery = battery_params(scenario)
    boiler = boiler_params(scenario)
    return KpiContext(
        tariff=scenario.tariff_model(),
        import_limit_kw=scenario.grid.import_limit_kw,
        export_limit_kw=scenario.grid.export_limit_kw,
        battery_capacity_kwh=battery.capacity_kwh,
        battery_discharge_efficiency=battery.discharge_efficiency,
        boiler_heat_capacity_kwh_per_k=heat_capacity_kwh_per_k(boiler),
        boiler_efficiency=boiler.efficiency,
        boiler_min_celsius=scenario.boiler.min_celsius,
        boiler_max_celsius=scenario.boiler.max_celsius,
    )


def compute_kpis(trace: SiteTrace, context: KpiContext, *, commands_sent: int = 0) -> dict[str, float]:
    hours = trace.step_s / 3600.0
    prices = context.tariff.import_prices(trace.start, trace.step_s, len(trace))
    imports = [max(g, 0.0) for g in trace.grid_kw]
    exports = [max(-g, 0.0) for g in trace.grid_kw]
    grid_import = sum(imports) * hours
    grid_export = sum(exports) * hours
    pv_energy = sum(trace.pv_kw) * hours
    load_energy = (sum(trace.load_kw) + sum(trace.boiler_kw)) * hours
    peak = peak_average(imports, trace.step_s)
    tariff = context.tariff
    energy_cost = (
        sum(i * p for i, p in zip(imports, prices, strict=True)) * hours
        - grid_export * tariff.export_eur_per_kwh
        + tariff.demand_eur_per_kw * peak
    )
    final_soc = trace.soc_percent[-1] if len(trace) else trace.initial_soc_percent
    final_temperature = trace.boiler_temperature_c[-1] if len(trace) else trace.initial_boiler_temperature_c
    battery_gain_kwh = (final_soc - trace.initial_soc_percent) / 100.0 * context.battery_capacity_kwh
    heat_gain_kwh = (
        final_temperature - trace.initial_boiler_temperature_c
    ) * context.boiler_heat_capacity_kwh_per_k
    mean_price = tariff.mean_import_price
    terminal_value = (
        battery_gain_kwh * mean_price * context.battery_discharge_efficiency
        + heat_gain_kwh * mean_price / context.boiler_efficiency
    )
    low, high = context.boiler_min_celsius, context.boiler_max_celsius
    comfort = sum(max(low - t, 0.0, t - high) for t in trace.boiler_temperature_c) * hours
    beyond_import = [max(g - context.import_limit_kw, 0.0) for g in trace.grid_kw]
    beyond_export = [max(-g - context.export_limit_kw, 0.0) for g in trace.grid_kw]
    excursions = (sum(beyond_import) + sum(beyond_export)) * hours
    violations = (_breach(beyond_import, trace.step_s) + _breach(beyond_export, trace.step_s)) * hours
    throughput = sum(abs(b) for b in trace.battery_kw) * hours
    capacity = context.battery_capacity_kwh
    return {
        "grid_import_kwh": grid_import,
        "grid_export_kwh": grid_export,
        "pv_energy_kwh": pv_energy,
        "load_energy_kwh": load_energy,
        "self_consumption_ratio": (pv_energy - grid_export) / pv_energy if pv_energy > 0 else 0.0,
        "self_sufficiency_ratio": 1.0 - min(1.0, grid_import / load_energy) if load_energy > 0 else 0.0,
        "peak_import_kw": peak,
        "energy_cost": energy_cost,
        "terminal_value_eur": terminal_value,
        "adjusted_cost": energy_cost - terminal_value,
        "battery_equivalent_cycles": throughput / (2.0 * capacity) if capacity > 0 else 0.0,
        "curtailed_kwh": sum(a - p for a, p in zip(trace.pv_available_kw, trace.pv_kw, strict=True)) * hours,
        "boiler_comfort_violation_kh": comfort,
        "grid_limit_violation_kwh": violations,
        "grid_limit_excursion_kwh": excursions,
        "commands_sent": float(commands_sent),
    }


def _breach(beyond_kw: list[float], step_s: float) -> float:
    """Sum of power beyond a limit (kW x steps), counting only what lies after the first
    ``LIMIT_RESPONSE_S`` of each excursion (a step that straddles that moment counts in part)."""
    total = 0.0
    run_s = 0.0
    for kw in beyond_kw:
        if kw <= 0.0:
            run_s = 0.0
            continue
        late_s = min(max(run_s + step_s - LIMIT_RESPONSE_S, 0.0), step_s)
        total += kw * late_s / step_s
        run_s += step_s
    return total


def regret(controller_cost: float, none_cost: float, optimal_cost: float) -> float | None:
    """(cost_controller - cost_optimal) / (cost_none - cost_optimal): 0 is optimal, 1 no better than nothing.

    ``None`` when no control could save anything (the optimum costs what doing nothing costs)."""
    possible = none_cost - optimal_cost
    if possible <= 1e-9:
        return None
    return (controller_cost - optimal_cost) / possible
