"""The controller strategy: the real modules over a simulated hour, in virtual time, reproducibly."""

from __future__ import annotations

from energy_edge.sim.kpis import compute_kpis, kpi_context
from energy_edge.sim.scenario import Scenario
from energy_edge.sim.site_model import run_without_control
from energy_edge.sim.stack import run_stack


def test_the_controller_runs_the_real_modules_over_the_hour(noon_hour: Scenario) -> None:
    progress: list[float] = []
    run = run_stack(noon_hour, seed=7, progress=lambda done, _total: progress.append(done))
    assert len(run.trace) == 3600
    assert run.commands_sent > 0
    assert len(run.rollups) == 60  # one a minute
    assert {a for r in run.rollups for a in r.assets} == {"solar-01", "battery-01", "boiler-01", "meter-01"}
    assert progress[-1] == 3600.0
    # Midsummer noon: the surplus goes into the battery instead of the grid.
    assert min(run.trace.battery_kw) < -20.0
    context = kpi_context(noon_hour)
    controlled = compute_kpis(run.trace, context)
    uncontrolled = compute_kpis(run_without_control(noon_hour, seed=7), context)
    assert controlled["grid_export_kwh"] < uncontrolled["grid_export_kwh"]
    assert controlled["grid_limit_violation_kwh"] == 0.0


def test_the_same_scenario_and_seed_give_the_same_run(noon_hour: Scenario) -> None:
    first = run_stack(noon_hour, seed=7)
    again = run_stack(noon_hour, seed=7)
    assert list(first.trace.grid_kw) == list(again.trace.grid_kw)
    assert list(first.trace.soc_percent) == list(again.trace.soc_percent)
    assert first.commands_sent == again.commands_sent
