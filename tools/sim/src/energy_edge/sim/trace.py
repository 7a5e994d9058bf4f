"""What happened at the site, step by step: the record every strategy produces and every KPI reads.

Powers are averages over the step in the site convention except where named otherwise: ``pv_kw`` and
``pv_available_kw`` >= 0 (output and uncurtailed potential), ``battery_kw`` > 0 discharging, ``boiler_kw``
>= 0 (heater draw), ``load_kw`` >= 0 (non-controllable consumption), ``grid_kw`` > 0 import. State values
(``soc_percent``, ``boiler_temperature_c``) are at the end of the step.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

COLUMNS: Final = (
    "pv_available_kw",
    "pv_kw",
    "load_kw",
    "battery_kw",
    "soc_percent",
    "boiler_kw",
    "boiler_temperature_c",
    "grid_kw",
    "draw_l_min",
    "ambient_c",
)


def _column() -> array[float]:
    return array("d")


@dataclass(eq=False)
class SiteTrace:
    start: datetime
    """UTC instant at the beginning of the first step."""
    step_s: float
    pv_available_kw: array[float] = field(default_factory=_column)
    pv_kw: array[float] = field(default_factory=_column)
    load_kw: array[float] = field(default_factory=_column)
    battery_kw: array[float] = field(default_factory=_column)
    soc_percent: array[float] = field(default_factory=_column)
    boiler_kw: array[float] = field(default_factory=_column)
    boiler_temperature_c: array[float] = field(default_factory=_column)
    grid_kw: array[float] = field(default_factory=_column)
    draw_l_min: array[float] = field(default_factory=_column)
    ambient_c: array[float] = field(default_factory=_column)
    initial_soc_percent: float = 0.0
    initial_boiler_temperature_c: float = 0.0

    def __len__(self) -> int:
        return len(self.grid_kw)

    def append(
        self,
        *,
        pv_available_kw: float,
        pv_kw: float,
        load_kw: float,
        battery_kw: float,
        soc_percent: float,
        boiler_kw: float,
        boiler_temperature_c: float,
        grid_kw: float,
        draw_l_min: float,
        ambient_c: float,
    ) -> None:
        self.pv_available_kw.append(pv_available_kw)
        self.pv_kw.append(pv_kw)
        self.load_kw.append(load_kw)
        self.battery_kw.append(battery_kw)
        self.soc_percent.append(soc_percent)
        self.boiler_kw.append(boiler_kw)
        self.boiler_temperature_c.append(boiler_temperature_c)
        self.grid_kw.append(grid_kw)
        self.draw_l_min.append(draw_l_min)
        self.ambient_c.append(ambient_c)

    def column(self, name: str) -> array[float]:
        if name not in COLUMNS:
            raise KeyError(f"unknown trace column {name!r}")
        values: array[float] = getattr(self, name)
        return values

    def instant(self, index: int) -> datetime:
        """Start of step ``index``."""
        return self.start + timedelta(seconds=index * self.step_s)

    @property
    def duration_s(self) -> float:
        return len(self) * self.step_s
