"""pytest plugin: speed-up ratios of candidate benchmarks over baselines measured in the same run.

Benchmarks report speed as ratios against a baseline measured in the same run, never as absolute
thresholds. The headline ratio uses each side's minimum time: on a shared (virtualised) machine the
minimum is the estimate least disturbed by other tenants; the median ratio is reported beside it.

A benchmark marks itself ``extra_info["role"] = "baseline"`` or ``"candidate"`` and shares a ``group``
with its counterpart. After the run every group with both roles gets a ``ratios`` entry in the
JSON written by ``--benchmark-json`` (``poe bench`` writes ``out/bench/results.json``) and a line in the
terminal summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

_RATIOS_KEY = pytest.StashKey[list[dict[str, Any]]]()
_PER_ITEM_KEY = pytest.StashKey[list[dict[str, Any]]]()


def pytest_configure(config: pytest.Config) -> None:
    target = config.getoption("benchmark_json", default=None)
    if target is not None:
        # pytest-benchmark opens the file as given; make sure its folder exists on a fresh clone.
        Path(target).parent.mkdir(parents=True, exist_ok=True)


def baseline_ratios(benchmarks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each group holding one baseline and one candidate: how many times faster the candidate is."""
    by_group: dict[str, dict[str, dict[str, Any]]] = {}
    for bench in benchmarks:
        role = bench.get("extra_info", {}).get("role")
        if role in {"baseline", "candidate"}:
            by_group.setdefault(bench["group"] or bench["name"], {})[role] = bench
    ratios = []
    for group, pair in sorted(by_group.items()):
        if set(pair) != {"baseline", "candidate"}:
            continue
        base, cand = pair["baseline"]["stats"], pair["candidate"]["stats"]
        ratios.append(
            {
                "group": group,
                "baseline": pair["baseline"]["name"],
                "candidate": pair["candidate"]["name"],
                "baseline_min_s": base["min"],
                "candidate_min_s": cand["min"],
                "speedup_min": base["min"] / cand["min"],
                "overhead_min": cand["min"] / base["min"],
                "speedup_median": base["median"] / cand["median"],
                "speedup_mean": base["mean"] / cand["mean"],
            }
        )
    return ratios


def per_item_costs(benchmarks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cost per item for benchmarks that process a known number of items (``extra_info["items"]``): how a
    scaling series (10, 100, 1 000 ... assets) shows that the cost grows linearly."""
    costs = []
    for bench in benchmarks:
        items = bench.get("extra_info", {}).get("items")
        if isinstance(items, int) and items > 0:
            costs.append(
                {
                    "name": bench["name"],
                    "group": bench["group"],
                    "items": items,
                    "min_per_item_s": bench["stats"]["min"] / items,
                    "median_per_item_s": bench["stats"]["median"] / items,
                }
            )
    return costs


def pytest_benchmark_update_json(config: pytest.Config, benchmarks: Any, output_json: dict[str, Any]) -> None:
    output_json["ratios"] = config.stash[_RATIOS_KEY] = baseline_ratios(output_json["benchmarks"])
    output_json["per_item"] = config.stash[_PER_ITEM_KEY] = per_item_costs(output_json["benchmarks"])


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    per_item = config.stash.get(_PER_ITEM_KEY, [])
    if per_item:
        terminalreporter.section("cost per item")
        for cost in per_item:
            terminalreporter.write_line(
                f"{cost['name']:<60} {cost['min_per_item_s'] * 1e6:9.2f} µs/item on min "
                f"({cost['median_per_item_s'] * 1e6:.2f} on median, {cost['items']} items)"
            )
    ratios = config.stash.get(_RATIOS_KEY, [])
    if not ratios:
        return
    terminalreporter.section("speed-up against baseline, same run")
    for ratio in ratios:
        # A candidate that does more than its baseline (routing vs a bare hand-off) reads better as an
        # overhead factor than as a speed-up below one.
        faster = ratio["speedup_min"] >= 1
        headline = (
            f"{ratio['speedup_min']:6.1f}x faster" if faster else f"{ratio['overhead_min']:6.1f}x the time"
        )
        terminalreporter.write_line(
            f"{ratio['group']:<40} {headline} on min "
            f"({ratio['candidate_min_s'] * 1e6:.2f} µs vs {ratio['baseline_min_s'] * 1e6:.2f} µs); "
            f"speed-up {ratio['speedup_median']:.2f}x on median"
        )
