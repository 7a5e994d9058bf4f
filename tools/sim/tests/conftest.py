from __future__ import annotations

from pathlib import Path

import pytest

from energy_edge.sim.scenario import Scenario, parse_scenario

SCENARIOS = Path(__file__).parents[1] / "src" / "energy_edge" / "sim" / "scenarios"


def short_scenario(name: str = "summer-sunny", *, start_time: str = "11:00", hours: float = 1.0) -> str:
    """A shipped scenario cut to ``hours`` from ``start_time`` local: the same site, quick enough for CI."""
    text = (SCENARIOS / f"{name}.toml").read_text()
    lines = []
    for line in text.splitlines():
        lines.append(line)
        if line.startswith("start = "):
            lines += [f'start_time = "{start_time}"', f"hours = {hours}"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def noon_hour() -> Scenario:
    return parse_scenario(short_scenario(), "summer-sunny (11:00-12:00)")
