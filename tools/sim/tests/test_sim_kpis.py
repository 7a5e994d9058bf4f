"""KPI definitions on traces small enough to check by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from energy_edge.sim.kpis import KpiContext, compute_kpis
from energy_edge.sim.tariff import Tariff
from energy_edge.sim.trace import SiteTrace


def trace_of_grid(grid_kw: list[float], step_s: float = 1.0) -> SiteTrace:
    trace = SiteTrace(start=datetime(2024, 6, 21, tzinfo=UTC), step_s=step_s)
    for grid in grid_kw:
        trace.append(
            pv_available_kw=0.0,
            pv_kw=0.0,
            load_kw=max(grid, 0.0),
            battery_kw=0.0,
            soc_percent=50.0,
            boiler_kw=0.0,
            boiler_temperature_c=60.0,
            grid_kw=grid,
            draw_l_min=0.0,
            ambient_c=20.0,
        )
    trace.initial_soc_percent, trace.initial_boiler_temperature_c = 50.0, 60.0
    return trace


CONTEXT = KpiContext(
    tariff=Tariff(import_eur_per_kwh=0.3, export_eur_per_kwh=0.08),
    import_limit_kw=100.0,
    export_limit_kw=30.0,
    battery_capacity_kwh=100.0,
    battery_discharge_efficiency=0.95,
    boiler_heat_capacity_kwh_per_k=1.0,
    boiler_efficiency=1.0,
    boiler_min_celsius=55.0,
    boiler_max_celsius=90.0,
)


def test_excursions_shorter_than_the_response_time_are_not_breaches() -> None:
    # 3 s at 10 kW beyond the export limit (corrected in time), then 8 s at 10 kW beyond the import limit:
    # its first 5 s are forgiven, the last 3 s are a breach.
    grid = [0.0] * 5 + [-40.0] * 3 + [0.0] * 5 + [110.0] * 8 + [0.0] * 5
    kpis = compute_kpis(trace_of_grid(grid), CONTEXT)
    assert kpis["grid_limit_excursion_kwh"] == pytest.approx(110.0 / 3600.0)
    assert kpis["grid_limit_violation_kwh"] == pytest.approx(30.0 / 3600.0)


def test_a_step_longer_than_the_response_time_is_a_breach_for_all_but_its_first_5_s() -> None:
    kpis = compute_kpis(trace_of_grid([0.0, -36.0, -36.0], step_s=60.0), CONTEXT)
    assert kpis["grid_limit_excursion_kwh"] == pytest.approx(6.0 * 120.0 / 3600.0)
    assert kpis["grid_limit_violation_kwh"] == pytest.approx(6.0 * 115.0 / 3600.0)
