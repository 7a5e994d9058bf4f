"""Benchmark ratios against a baseline measured in the same run (a pytest plugin, loaded automatically)."""

from energy_edge.benchkit.plugin import baseline_ratios, per_item_costs

__all__ = ["baseline_ratios", "per_item_costs"]
