"""The run's outputs: ``report.json``, ``timeseries.csv`` and ``overview.png``.

``report.json`` is deterministic for a scenario and seed except ``wall_time_s`` and ``speedup`` (and each
strategy's ``wall_time_s``). ``timeseries.csv`` holds one-minute averages (states at the end of the minute)
of every strategy side by side: a day at one second would be 86 400 rows per strategy, more than anyone
reads; the one-second trace stays in memory for the KPIs, which are computed at full resolution.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from energy_edge.sim.trace import COLUMNS, SiteTrace

CSV_STEP_S: Final = 60.0
STATE_COLUMNS: Final = frozenset({"soc_percent", "boiler_temperature_c"})
STRATEGY_ORDER: Final = ("controller", "none", "optimal")


@dataclass(eq=False)
class StrategyOutcome:
    name: str
    trace: SiteTrace
    kpis: dict[str, float]
    wall_time_s: float
    extra: dict[str, Any] = field(default_factory=dict)
    series_s: float = 0.0
    """Wall time of the exogenous series this strategy replayed but did not compute (for its speed-up)."""


def build_report(
    *,
    scenario: str,
    seed: int,
    days: float,
    resolution_s: float,
    simulated_s: float,
    outcomes: Mapping[str, StrategyOutcome],
    regret: float | None,
) -> dict[str, Any]:
    wall = sum(outcome.wall_time_s for outcome in outcomes.values())
    controller = outcomes.get("controller")
    # The controller's own simulated time (a warm-up included) against its wall time, with the time the
    # weather and demand series it replayed took to compute (whoever computed it).
    speedup = (
        float(controller.extra.get("simulated_s", simulated_s))
        / (controller.wall_time_s + controller.series_s)
        if controller is not None and controller.wall_time_s > 0
        else None
    )
    return {
        "scenario": scenario,
        "seed": seed,
        "days": days,
        "resolution_s": resolution_s,
        "wall_time_s": round(wall, 3),
        "speedup": None if speedup is None else round(speedup, 1),
        "strategies": {
            name: {"kpis": {k: _rounded(v) for k, v in outcome.kpis.items()}, **outcome.extra}
            for name, outcome in outcomes.items()
        },
        "regret": None if regret is None else round(regret, 4),
    }


def _rounded(value: float) -> float:
    # Six significant decimals keep the file readable and identical across runs of the same seed.
    return round(value, 6) if math.isfinite(value) else value


def write_report(path: Path, report: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(report, indent=2) + "\n")


def resample(trace: SiteTrace, step_s: float = CSV_STEP_S) -> dict[str, list[float]]:
    """Averages of every column over ``step_s`` (states: the value at the end of the block)."""
    per_block = max(1, round(step_s / trace.step_s))
    blocks = math.ceil(len(trace) / per_block)
    out: dict[str, list[float]] = {}
    for name in COLUMNS:
        values = trace.column(name)
        column: list[float] = []
        for block in range(blocks):
            chunk = values[block * per_block : (block + 1) * per_block]
            column.append(chunk[-1] if name in STATE_COLUMNS else sum(chunk) / len(chunk))
        out[name] = column
    return out


def write_timeseries(path: Path, outcomes: Mapping[str, StrategyOutcome]) -> None:
    if not outcomes:
        return
    first = next(iter(outcomes.values())).trace
    sampled = {name: resample(outcome.trace) for name, outcome in outcomes.items()}
    rows = max(len(columns["grid_kw"]) for columns in sampled.values())
    names = [name for name in STRATEGY_ORDER if name in sampled]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["time_utc", *(f"{strategy}.{column}" for strategy in names for column in COLUMNS)])
        for row in range(rows):
            at = first.start.timestamp() + (row + 1) * CSV_STEP_S
            stamp = _iso(at)
            values: list[str] = []
            for strategy in names:
                for column in COLUMNS:
                    series = sampled[strategy][column]
                    values.append(f"{series[row]:.4f}" if row < len(series) else "")
            writer.writerow([stamp, *values])


def _iso(unix_s: float) -> str:
    from datetime import UTC, datetime  # noqa: PLC0415 - local: only the CSV writer needs it

    return datetime.fromtimestamp(unix_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


PANELS: Final = (
    ("PV output (kW)", ("pv_kw",), ("pv_available_kw",)),
    ("Site load (kW)", ("load_kw",), ()),
    ("Grid import (kW, < 0 export)", ("grid_kw",), ()),
    ("Battery SoC (%)", ("soc_percent",), ()),
    ("Battery power (kW, > 0 discharge)", ("battery_kw",), ()),
    ("Boiler temperature (°C)", ("boiler_temperature_c",), ()),
    ("Boiler power (kW)", ("boiler_kw",), ()),
)
COLORS: Final = {"controller": "tab:blue", "none": "tab:gray", "optimal": "tab:green"}


def write_overview(path: Path, outcomes: Mapping[str, StrategyOutcome], title: str) -> None:
    """One panel per quantity, every strategy overlaid, one-minute averages."""
    import matplotlib as mpl  # noqa: PLC0415 - heavy; only the report imports it

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    sampled = {name: resample(outcome.trace) for name, outcome in outcomes.items()}
    figure, axes = plt.subplots(len(PANELS), 1, figsize=(12, 2.2 * len(PANELS)), sharex=True)
    for axis, (label, columns, dotted) in zip(axes, PANELS, strict=True):
        for strategy in (s for s in STRATEGY_ORDER if s in sampled):
            series = sampled[strategy]
            hours = [(i + 1) * CSV_STEP_S / 3600.0 for i in range(len(series["grid_kw"]))]
            for column in columns:
                axis.plot(hours, series[column], color=COLORS[strategy], linewidth=0.9, label=strategy)
            for column in dotted:
                axis.plot(hours, series[column], color=COLORS[strategy], linewidth=0.6, linestyle=":")
        axis.set_ylabel(label, fontsize=8)
        axis.grid(visible=True, alpha=0.3)
    axes[0].legend(loc="upper right", fontsize=8)
    axes[-1].set_xlabel("hours since the start of the run")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def kpi_rows(outcomes: Mapping[str, StrategyOutcome]) -> list[tuple[str, list[str]]]:
    """The KPI table for the terminal: one row per KPI, one column per strategy."""
    names = [name for name in STRATEGY_ORDER if name in outcomes]
    keys: Sequence[str] = list(next(iter(outcomes.values())).kpis) if outcomes else []
    return [(key, [_format(outcomes[name].kpis[key]) for name in names]) for key in keys]


def _format(value: float) -> str:
    if value == int(value) and abs(value) < 1e6:
        return f"{int(value)}"
    return f"{value:,.3f}"
