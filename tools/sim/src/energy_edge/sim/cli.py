"""``edge-sim``: run a scenario, print the KPI table, write report.json, timeseries.csv and overview.png.

edge-sim run [--scenario NAME|PATH] [--out DIR] [--seed N] [--days N] [--strategies controller,none,optimal]
edge-sim list
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from energy_edge.sim.report import write_overview, write_report, write_timeseries
from energy_edge.sim.runner import STRATEGIES, run_scenario
from energy_edge.sim.scenario import DEFAULT_SCENARIO, ScenarioError, load_scenario, shipped_scenarios


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="edge-sim", description="Simulate whole site days in virtual time.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a scenario")
    run.add_argument(
        "--scenario", default=DEFAULT_SCENARIO, help=f"shipped name or TOML path ({DEFAULT_SCENARIO})"
    )
    run.add_argument("--out", type=Path, help="output folder (default out/sim/<scenario>)")
    run.add_argument("--seed", type=int, help="weather and load seed (default: the scenario's)")
    run.add_argument("--days", type=int, help="days to simulate (default: the scenario's)")
    run.add_argument(
        "--strategies", default=",".join(STRATEGIES), help="comma-separated subset of " + ",".join(STRATEGIES)
    )
    commands.add_parser("list", help="list the shipped scenarios")
    args = parser.parse_args(argv)
    console = Console()
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "list":
        for name in shipped_scenarios():
            console.print(f"{name}: {load_scenario(name).description}")
        return 0
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as error:
        console.print(f"[red]error:[/red] {error}")
        return 2
    strategies = [name.strip() for name in args.strategies.split(",") if name.strip()]
    unknown = [name for name in strategies if name not in STRATEGIES]
    if unknown or not strategies:
        console.print(f"[red]error:[/red] --strategies takes a subset of {', '.join(STRATEGIES)}")
        return 2
    if args.days is not None and args.days < 1:
        console.print("[red]error:[/red] --days must be at least 1")
        return 2
    out: Path = args.out or Path("out") / "sim" / scenario.name
    out.mkdir(parents=True, exist_ok=True)

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        total = scenario.duration_s(args.days)
        task = bar.add_task(f"{scenario.name}: controller", total=total)

        def progress(done: float, _total: float) -> None:
            bar.update(task, completed=done)

        def on_strategy(name: str) -> None:
            bar.update(task, description=f"{scenario.name}: {name}")

        result = run_scenario(
            scenario,
            seed=args.seed,
            days=args.days,
            strategies=strategies,
            progress=progress,
            on_strategy=on_strategy,
        )
        bar.update(task, completed=total)

    write_report(out / "report.json", result.report)
    write_timeseries(out / "timeseries.csv", result.outcomes)
    write_overview(out / "overview.png", result.outcomes, f"{scenario.name} (seed {result.report['seed']})")
    console.print(_table(result.report, [n for n in STRATEGIES if n in result.outcomes]))
    regret = result.report["regret"]
    console.print(
        f"regret {regret if regret is not None else 'n/a'}   speed-up {result.report['speedup'] or 'n/a'}x   "
        f"written to {out}"
    )
    return 0


def _table(report: dict[str, object], names: list[str]) -> Table:
    table = Table(title=f"{report['scenario']}: KPIs")
    table.add_column("KPI")
    for name in names:
        table.add_column(name, justify="right")
    strategies = report["strategies"]
    assert isinstance(strategies, dict)
    keys = list(strategies[names[0]]["kpis"]) if names else []
    for key in keys:
        table.add_row(key, *(_cell(strategies[name]["kpis"][key]) for name in names))
    return table


def _cell(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:,.3f}"


if __name__ == "__main__":
    sys.exit(main())
