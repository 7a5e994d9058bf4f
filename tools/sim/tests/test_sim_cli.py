"""``edge-sim run``: the KPI table, the three files, a reproducible report, and clear errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from energy_edge.sim.cli import main

from .conftest import short_scenario

REQUIRED_KPIS = (
    "grid_import_kwh",
    "grid_export_kwh",
    "pv_energy_kwh",
    "load_energy_kwh",
    "self_consumption_ratio",
    "self_sufficiency_ratio",
    "peak_import_kw",
    "energy_cost",
    "battery_equivalent_cycles",
    "curtailed_kwh",
    "boiler_comfort_violation_kh",
    "grid_limit_violation_kwh",
    "grid_limit_excursion_kwh",
    "commands_sent",
)


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "noon.toml"
    path.write_text(short_scenario(hours=0.5))
    return path


def run(scenario: Path, out: Path, *extra: str) -> dict[str, object]:
    assert main(["run", "--scenario", str(scenario), "--out", str(out), *extra]) == 0
    return json.loads((out / "report.json").read_text())


def test_a_run_writes_the_report_the_timeseries_and_the_overview(
    scenario_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = run(scenario_file, tmp_path / "out")
    printed = capsys.readouterr().out
    assert set(report) == {
        "scenario",
        "seed",
        "days",
        "resolution_s",
        "wall_time_s",
        "speedup",
        "strategies",
        "regret",
    }
    assert set(report["strategies"]) == {"controller", "none", "optimal"}  # type: ignore[arg-type]
    kpis = report["strategies"]["controller"]["kpis"]  # type: ignore[index]
    assert set(REQUIRED_KPIS) <= set(kpis)  # type: ignore[arg-type]
    assert "self_sufficiency_ratio" in printed
    assert "regret" in printed
    with (tmp_path / "out" / "timeseries.csv").open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "time_utc"
    assert "controller.grid_kw" in rows[0]
    assert "optimal.soc_percent" in rows[0]
    assert len(rows) == 1 + 30  # one row a minute
    assert (tmp_path / "out" / "overview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_same_scenario_and_seed_give_the_same_report_apart_from_wall_time(
    scenario_file: Path, tmp_path: Path
) -> None:
    first = run(scenario_file, tmp_path / "a", "--strategies", "controller,none")
    second = run(scenario_file, tmp_path / "b", "--strategies", "controller,none")
    for report in (first, second):
        report.pop("wall_time_s")
        report.pop("speedup")
    assert first == second


def test_a_broken_scenario_is_an_error_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(short_scenario().replace("capacity_kwh = 200.0", "capacity_kwh = -1.0"))
    assert main(["run", "--scenario", str(broken), "--out", str(tmp_path / "out")]) == 2
    assert "battery.capacity_kwh" in capsys.readouterr().out


def test_unknown_strategies_are_refused(
    scenario_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--scenario", str(scenario_file), "--strategies", "controller,genius"]) == 2
    assert "--strategies" in capsys.readouterr().out


def test_the_shipped_scenarios_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    assert "summer-sunny" in capsys.readouterr().out
