"""The solar module's configuration (desired properties)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from energy_edge.modulehost import HostConfig

Kilowatts = Annotated[float, msgspec.Meta(gt=0.0, le=100_000.0)]
NonNegativeKilowatts = Annotated[float, msgspec.Meta(ge=0.0, le=100_000.0)]
Ratio = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
WindowSeconds = Annotated[float, msgspec.Meta(ge=10.0, le=86_400.0)]


class SolarConfig(HostConfig, frozen=True, kw_only=True):
    """Operator limits of a PV inverter, and when its output counts as a fault.

    ``max_output_kw`` caps the AC output (the site's export or connection limit for this inverter): a
    ``set_output`` above it is refused. ``fallback_output_kw`` is the limit in force whenever no controller
    set-point holds: at start-up, after ``stop`` or a fault, and when a set-point is not refreshed within
    ``setpoint_hold_s``. It must not exceed ``max_output_kw``; 0 stops feed-in while the controller is silent.

    ``fault_threshold`` (0-1): while RUNNING, output that stays below ``fault_threshold`` times the expected
    output for ``fault_window_s`` latches an underperformance fault (a blown string fuse, a failed
    connector, a derating inverter). Expected is what the array should deliver under the measured
    irradiance, or the limit in force when that is lower, so curtailment never counts. Below 5 % of the
    inverter's rating (night, dawn, dusk, curtailed to almost nothing) the comparison is not made: sensor
    error and the inverter's own start-up threshold dominate there. 0 switches the check off.

    ``auto_start`` defaults to true here (the host's default is false): a grid-tied PV inverter feeds in by
    itself whenever the sun allows, so a module restart at noon must not leave the array idle until a
    controller remembers to send ``start``.
    """

    auto_start: bool = True
    max_output_kw: Kilowatts = 80.0
    fallback_output_kw: NonNegativeKilowatts = 40.0
    fault_threshold: Ratio = 0.85
    fault_window_s: WindowSeconds = 300.0
    """Long enough for a cloud shadow to pass between the irradiance sensor and the array."""

    def __post_init__(self) -> None:
        if self.fallback_output_kw > self.max_output_kw:
            raise ValueError(
                f"fallback_output_kw ({self.fallback_output_kw:g}) must not exceed "
                f"max_output_kw ({self.max_output_kw:g})"
            )
