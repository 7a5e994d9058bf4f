"""The grid meter at the connection point: the one place where every flow of the site adds up.

    grid_power_kw = site_load_kw - Σ power_output_kw        (> 0 import, < 0 export)

Every asset reports ``power_output_kw`` in the site convention (> 0 delivered into the site bus, < 0 drawn
from it), so the meter needs no knowledge of asset types: PV output and battery discharge reduce import,
battery charging and the boiler's heating (negative outputs) add to it. The sum is taken with ``math.fsum``,
so the reading is the correctly rounded sum of the flows, whatever their order or magnitude. Energy
registers count import and export separately, as a bidirectional revenue meter does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from energy_edge.physics._checks import finite, non_negative, positive, step_seconds
from energy_edge.physics._readings import new_reading


class MeterReading(NamedTuple):
    grid_power_kw: float
    """Power at the connection point: > 0 import from the grid, < 0 export."""
    import_energy_kwh: float
    """Import register (cumulative)."""
    export_energy_kwh: float
    """Export register (cumulative)."""
    over_limit: bool
    """Import or export beyond the connection's rating in this step."""

    @property
    def grid_balance_kw(self) -> float:
        """The controller roll-up's convention: export, > 0 surplus, < 0 deficit."""
        return -self.grid_power_kw


class GridMeter:
    """Sums the site's flows each step and keeps the import and export registers."""

    __slots__ = ("_export_kwh", "_import_kwh", "connection_limit_kw")

    def __init__(
        self,
        *,
        connection_limit_kw: float | None = None,
        import_energy_kwh: float = 0.0,
        export_energy_kwh: float = 0.0,
    ) -> None:
        if connection_limit_kw is not None:
            positive("connection_limit_kw", connection_limit_kw)
        self.connection_limit_kw = connection_limit_kw
        self._import_kwh = non_negative("import_energy_kwh", import_energy_kwh)
        self._export_kwh = non_negative("export_energy_kwh", export_energy_kwh)

    @property
    def import_energy_kwh(self) -> float:
        return self._import_kwh

    @property
    def export_energy_kwh(self) -> float:
        return self._export_kwh

    def step(self, dt_s: float, *, site_load_kw: float, power_outputs_kw: Sequence[float]) -> MeterReading:
        """Meter one step of ``dt_s``: the site's own load and every asset's ``power_output_kw``."""
        step_seconds(dt_s)
        non_negative("site_load_kw", site_load_kw)
        flows = [site_load_kw]
        flows.extend(-finite("power_outputs_kw", output) for output in power_outputs_kw)
        return self._advance(dt_s, flows)

    def _advance(self, dt_s: float, flows: Sequence[float]) -> MeterReading:
        """Meter one step of checked ``flows`` (the load and every output negated: they add to import)."""
        grid_kw = math.fsum(flows)
        energy_kwh = grid_kw * dt_s / 3600.0
        if energy_kwh >= 0.0:
            self._import_kwh += energy_kwh
        else:
            self._export_kwh -= energy_kwh
        limit = self.connection_limit_kw
        return new_reading(
            MeterReading,
            (grid_kw, self._import_kwh, self._export_kwh, limit is not None and abs(grid_kw) > limit),
        )
