from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from energy_edge.benchkit import baseline_ratios, per_item_costs


def bench(name: str, group: str | None, role: str | None, low: float, mid: float) -> dict[str, Any]:
    return {
        "name": name,
        "group": group,
        "extra_info": {"role": role} if role else {},
        "stats": {"min": low, "median": mid, "mean": mid},
    }


def test_ratio_is_baseline_time_over_candidate_time() -> None:
    [ratio] = baseline_ratios(
        [bench("fast", "codec", "candidate", 1e-6, 2e-6), bench("slow", "codec", "baseline", 1e-5, 1e-5)]
    )
    assert ratio["group"] == "codec"
    assert (ratio["candidate"], ratio["baseline"]) == ("fast", "slow")
    assert ratio["speedup_min"] == pytest.approx(10.0)
    assert ratio["speedup_median"] == pytest.approx(5.0)
    assert ratio["overhead_min"] == pytest.approx(0.1)


def test_groups_without_both_roles_or_roles_are_left_out() -> None:
    assert baseline_ratios([bench("lonely", "a", "candidate", 1, 1), bench("plain", "b", None, 1, 1)]) == []


BENCH_FILE = """
def test_sum_builtin(benchmark):
    benchmark.group = "sum"
    benchmark.extra_info["role"] = "candidate"
    assert benchmark(sum, range(100)) == 4950

def test_sum_loop(benchmark):
    benchmark.group = "sum"
    benchmark.extra_info["role"] = "baseline"
    def loop():
        total = 0
        for i in range(100):
            total += i
        return total
    assert benchmark(loop) == 4950
"""


def test_plugin_writes_ratios_into_the_benchmark_json_in_a_new_folder(tmp_path: Path) -> None:
    (tmp_path / "bench_sum.py").write_text(BENCH_FILE)
    target = tmp_path / "out" / "bench" / "results.json"
    # pytest-benchmark disables itself inside an xdist worker; the child run is not one.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-o", "python_files=bench_*.py",
         "--benchmark-max-time=0.05", f"--benchmark-json={target}", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    [ratio] = json.loads(target.read_text())["ratios"]
    assert ratio["group"] == "sum"
    assert ratio["speedup_min"] > 0
    assert "speed-up against baseline" in run.stdout


def test_per_item_cost_divides_by_the_items_processed() -> None:
    scaled = bench("cycle[1000]", "cycle", None, 2e-3, 3e-3)
    scaled["extra_info"]["items"] = 1000
    [cost] = per_item_costs([scaled, bench("plain", "x", None, 1.0, 1.0)])
    assert cost["min_per_item_s"] == pytest.approx(2e-6)
    assert cost["median_per_item_s"] == pytest.approx(3e-6)
