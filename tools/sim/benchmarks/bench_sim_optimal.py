"""What the ``optimal`` strategy adds to a run: one site day's LP against simulating that day.

The baseline is the ``none`` run of ``summer-sunny`` at its 1 s resolution — the inputs the LP reads and the
cheapest strategy the simulator runs; the candidate is the perfect-foresight LP over the same day at 60 s
steps (1440 steps, about 17,000 variables). ``items`` is the number of LP steps, for the cost per step.
"""

from __future__ import annotations

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from energy_edge.sim.optimal import OptimalResult, solve_optimal
from energy_edge.sim.scenario import Scenario, load_scenario
from energy_edge.sim.site_model import run_without_control
from energy_edge.sim.trace import SiteTrace

GROUP = "optimum of one site day (summer-sunny)"
SEED = 7


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario("summer-sunny")


@pytest.fixture(scope="module")
def inputs(scenario: Scenario) -> SiteTrace:
    return run_without_control(scenario, seed=SEED)


def test_simulate_the_day_without_control(benchmark: BenchmarkFixture, scenario: Scenario) -> None:
    benchmark.group = GROUP
    benchmark.extra_info["role"] = "baseline"
    trace = benchmark.pedantic(lambda: run_without_control(scenario, seed=SEED), rounds=3, iterations=1)
    assert len(trace) == 86_400


@pytest.mark.parametrize("step_s", [60.0, 300.0, 900.0], ids=["60s", "300s", "900s"])
def test_solve_the_day(
    benchmark: BenchmarkFixture, scenario: Scenario, inputs: SiteTrace, step_s: float
) -> None:
    benchmark.group = GROUP if step_s == 60.0 else f"optimum of one site day at {step_s:.0f} s steps"
    if step_s == 60.0:
        benchmark.extra_info["role"] = "candidate"
    benchmark.extra_info["items"] = round(86_400 / step_s)
    result: OptimalResult = benchmark.pedantic(
        lambda: solve_optimal(scenario, inputs, step_s=step_s), rounds=5, iterations=1
    )
    assert "Optimal" in result.status
    assert result.penalty_eur == pytest.approx(0.0, abs=1e-6)
