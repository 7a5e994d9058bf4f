"""The battery module's configuration (desired properties)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from energy_edge.modulehost import HostConfig

Kilowatts = Annotated[float, msgspec.Meta(gt=0.0, le=100_000.0)]
Percent = Annotated[float, msgspec.Meta(ge=0.0, le=100.0)]


class BatteryConfig(HostConfig, frozen=True, kw_only=True):
    """Operator limits, inside what the equipment itself can do.

    ``soc_min_percent``/``soc_max_percent`` is the operating window: the module refuses to charge at or above
    the top and to discharge at or below the bottom, and stops an ongoing charge or discharge when SoC
    reaches the edge (the BMS limits are wider; staying inside this window protects cycle life and keeps a
    reserve). The power limits cap every command.
    """

    max_charge_kw: Kilowatts = 50.0
    max_discharge_kw: Kilowatts = 50.0
    soc_min_percent: Percent = 10.0
    soc_max_percent: Percent = 95.0

    def __post_init__(self) -> None:
        if self.soc_min_percent >= self.soc_max_percent:
            raise ValueError(
                f"soc_min_percent ({self.soc_min_percent:g}) must be below "
                f"soc_max_percent ({self.soc_max_percent:g})"
            )
