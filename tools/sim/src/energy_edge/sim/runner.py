"""Run a scenario under the chosen strategies and collect their KPIs.

- ``none``: the site with no controller and no set-points (battery idle, boiler on its own thermostat, no
  curtailment): the physics alone. Its trace is also the input of the optimum: the weather, the load and
  the hot-water draw are the same whatever a strategy does.
- ``controller``: the real modules and controller on the in-process hub (:mod:`energy_edge.sim.stack`).
- ``optimal``: the perfect-foresight linear program (:mod:`energy_edge.sim.optimal`), a lower bound on cost.

``none`` and ``controller`` replay one exogenous series (:mod:`energy_edge.sim.exogenous`): the weather,
load and draw are computed once, by whichever runs first, not once per strategy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from energy_edge.sim.exogenous import ExogenousInputs
from energy_edge.sim.kpis import compute_kpis, kpi_context, regret
from energy_edge.sim.report import StrategyOutcome, build_report
from energy_edge.sim.scenario import Scenario
from energy_edge.sim.site_model import run_without_control
from energy_edge.sim.stack import Progress, run_stack

STRATEGIES: Final = ("controller", "none", "optimal")
OPTIMAL_STEP_S: Final = 60.0


@dataclass(frozen=True, slots=True)
class RunResult:
    report: dict[str, Any]
    outcomes: dict[str, StrategyOutcome]


def run_scenario(
    scenario: Scenario,
    *,
    seed: int | None = None,
    days: int | None = None,
    strategies: Sequence[str] = STRATEGIES,
    progress: Progress | None = None,
    on_strategy: Callable[[str], None] | None = None,
) -> RunResult:
    unknown = [name for name in strategies if name not in STRATEGIES]
    if unknown:
        raise ValueError(f"unknown strategies {', '.join(unknown)} (known: {', '.join(STRATEGIES)})")
    seed = scenario.weather.seed if seed is None else seed
    context = kpi_context(scenario)
    outcomes: dict[str, StrategyOutcome] = {}
    # The do-nothing run comes first: it is also the optimum's input.
    started = time.perf_counter()
    exogenous = ExogenousInputs(scenario, seed=seed, days=days)
    none_trace = run_without_control(scenario, seed=seed, days=days, exogenous=exogenous)
    none_wall = time.perf_counter() - started
    if "controller" in strategies:
        if on_strategy is not None:
            on_strategy("controller")
        run = run_stack(scenario, seed=seed, days=days, progress=progress, exogenous=exogenous)
        outcomes["controller"] = StrategyOutcome(
            "controller",
            run.trace,
            compute_kpis(run.trace, context, commands_sent=run.commands_sent),
            run.wall_time_s,
            {
                "rollups_sent": len(run.rollups),
                "warmup_days": run.warmup_days,
                "learned_quarter_hours": run.learned_quarter_hours,
                "simulated_s": run.simulated_s,
            },
            # The weather and demand it replayed were computed by the run before it: its speed-up pays.
            series_s=exogenous.fill_s,
        )
    if "none" in strategies:
        outcomes["none"] = StrategyOutcome("none", none_trace, compute_kpis(none_trace, context), none_wall)
    if "optimal" in strategies:
        if on_strategy is not None:
            on_strategy("optimal")
        from energy_edge.sim.optimal import solve_optimal  # noqa: PLC0415 - scipy loads only when asked for

        result = solve_optimal(scenario, none_trace, step_s=OPTIMAL_STEP_S)
        outcomes["optimal"] = StrategyOutcome(
            "optimal",
            result.trace,
            compute_kpis(result.trace, context),
            result.solve_s,
            {
                "solver_status": result.status,
                "objective_eur": round(result.objective_eur, 6),
                "step_s": OPTIMAL_STEP_S,
            },
        )
    costs = {name: outcome.kpis["adjusted_cost"] for name, outcome in outcomes.items()}
    gap = (
        regret(costs["controller"], costs["none"], costs["optimal"])
        if {"controller", "none", "optimal"} <= costs.keys()
        else None
    )
    report = build_report(
        scenario=scenario.name,
        seed=seed,
        days=scenario.duration_s(days) / 86_400.0,
        resolution_s=scenario.time.resolution_s,
        simulated_s=scenario.duration_s(days),
        outcomes=outcomes,
        regret=gap,
    )
    return RunResult(report, outcomes)
