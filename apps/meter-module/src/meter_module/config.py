"""The meter module's configuration (desired properties): the supply it expects to measure.

A grid meter has no set-points and no limits to enforce; what an operator configures is what a healthy
supply looks like at this connection point. A reading outside that band means the grid is in trouble (a
sagging feeder, loss of mains, a frequency excursion) or the meter's own measurement is (a blown fuse in a
voltage path, a wrongly wired transformer): either way the controller must not balance the site on it, so
the module latches FAULT (see :meth:`MeterConfig.supply_fault`).
"""

from __future__ import annotations

import math
from typing import Annotated, Final

import msgspec

from energy_edge.modulehost import HostConfig

GRID_FREQUENCIES_HZ: Final = (50.0, 60.0)

Volts = Annotated[float, msgspec.Meta(gt=0.0, le=1_000_000.0)]


class MeterConfig(HostConfig, frozen=True, kw_only=True):
    """What a healthy supply looks like at the connection point, and the host's settings.

    ``auto_start`` defaults to True here (False for the other assets): a meter has no ``start`` command,
    it measures whenever it is powered, so "RUNNING" means "its readings can be trusted" and it should get
    there on its own — at module start and again after a ``reset``. With ``auto_start: false`` the meter
    stays IDLE (commissioning): it still reports every reading, flagged as not in service.
    """

    auto_start: bool = True
    nominal_voltage_v: Volts = 230.0
    """The phase-to-neutral voltage the meter measures: 230 V on a low-voltage connection; on a
    medium-voltage connection metered through voltage transformers, the primary voltage the meter reports."""
    voltage_tolerance_percent: Annotated[float, msgspec.Meta(gt=0.0, le=50.0)] = 10.0
    """EN 50160's ±10 % band for supply voltage (207-253 V at 230 V)."""
    nominal_frequency_hz: Annotated[float, msgspec.Meta(ge=50.0, le=60.0)] = 50.0
    """50 (Europe and most of the world) or 60 (the Americas, parts of Asia)."""
    frequency_tolerance_hz: Annotated[float, msgspec.Meta(gt=0.0, le=5.0)] = 1.0
    """Beyond ±1 Hz an interconnected grid is in an emergency (Continental Europe designs for at most
    800 mHz after the reference incident; under-frequency load shedding starts at 49 Hz)."""

    def __post_init__(self) -> None:
        if self.nominal_frequency_hz not in GRID_FREQUENCIES_HZ:
            raise ValueError(f"nominal_frequency_hz must be 50 or 60, got {self.nominal_frequency_hz:g}")

    @property
    def voltage_band_v(self) -> tuple[float, float]:
        deviation = self.nominal_voltage_v * self.voltage_tolerance_percent / 100.0
        return self.nominal_voltage_v - deviation, self.nominal_voltage_v + deviation

    @property
    def frequency_band_hz(self) -> tuple[float, float]:
        return (
            self.nominal_frequency_hz - self.frequency_tolerance_hz,
            self.nominal_frequency_hz + self.frequency_tolerance_hz,
        )

    def supply_fault(self, voltage_v: float | None, frequency_hz: float | None) -> str | None:
        """Why a reading of the supply cannot be trusted, or ``None``; quantities the meter does not
        measure (``None``) are not judged."""
        if voltage_v is not None:
            low, high = self.voltage_band_v
            # Negated so that NaN (a register the meter could not fill) is out of band too.
            if not (low <= voltage_v <= high):
                return (
                    f"grid voltage {_shown(voltage_v, 1)} V outside {low:.1f}-{high:.1f} V "
                    f"({self.nominal_voltage_v:g} V ± {self.voltage_tolerance_percent:g} %)"
                )
        if frequency_hz is not None:
            low, high = self.frequency_band_hz
            if not (low <= frequency_hz <= high):
                return (
                    f"grid frequency {_shown(frequency_hz, 2)} Hz outside {low:.2f}-{high:.2f} Hz "
                    f"({self.nominal_frequency_hz:g} Hz ± {self.frequency_tolerance_hz:g} Hz)"
                )
        return None


def _shown(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}" if math.isfinite(value) else "unreadable"
