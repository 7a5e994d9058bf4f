"""The boiler module's configuration (desired properties) and its fit to the equipment."""

from __future__ import annotations

from typing import Annotated

import msgspec

from boiler_module.driver import BoilerRatings
from energy_edge.modulehost import ConfigError, HostConfig

WaterCelsius = Annotated[float, msgspec.Meta(gt=0.0, lt=100.0)]
"""Liquid water in an unpressurised process tank: a value outside is a unit or typing error."""
Kilowatts = Annotated[float, msgspec.Meta(gt=0.0, le=100_000.0)]


class BoilerConfig(HostConfig, frozen=True, kw_only=True):
    """Operator limits for the boiler, inside what the equipment itself can do.

    ``min_celsius``..``max_celsius`` is the band a ``set_temperature`` must fall into: the process needs at
    least ``min_celsius`` and ``max_celsius`` keeps a margin to the safety trip (and scalding, and standing
    losses). ``default_target_celsius`` is the boiler's own thermostat target: where it heats when nobody
    steers it, when a controller's set-point lapses, and after a ``stop``. ``max_power_kw`` caps the
    heater (a connection or tariff limit).

    ``auto_start`` defaults to true here, unlike the host's default: a process boiler's job is to keep the
    process water hot on its own thermostat, so after a restart of the module (an update, a power cut) it
    heats again without waiting for a controller. An operator who wants it to wait sets ``auto_start: false``.
    """

    min_celsius: WaterCelsius = 55.0
    max_celsius: WaterCelsius = 90.0
    default_target_celsius: WaterCelsius = 65.0
    max_power_kw: Kilowatts = 150.0
    auto_start: bool = True

    def __post_init__(self) -> None:
        # The band first: "min must be below max" says what is wrong with an inverted band more plainly
        # than a complaint about the default target would.
        if not self.min_celsius < self.max_celsius:
            raise ValueError(
                f"min_celsius ({self.min_celsius:g}) must be below max_celsius ({self.max_celsius:g})"
            )
        if not self.min_celsius < self.default_target_celsius:
            raise ValueError(
                f"min_celsius ({self.min_celsius:g}) must be below "
                f"default_target_celsius ({self.default_target_celsius:g})"
            )
        if not self.default_target_celsius < self.max_celsius:
            raise ValueError(
                f"default_target_celsius ({self.default_target_celsius:g}) must be below "
                f"max_celsius ({self.max_celsius:g})"
            )

    def check_fits(self, ratings: BoilerRatings) -> None:
        """Raise :class:`ConfigError` when the equipment could not do what this configuration allows.

        Checked when the configuration is applied, so an operator learns at once that a band reaches the
        safety trip or that a power limit would keep the heater off, instead of a later command failing.
        """
        if self.max_celsius > ratings.max_target_celsius:
            raise ConfigError(
                f"max_celsius ({self.max_celsius:g}) is above {ratings.max_target_celsius:g} °C, the "
                "highest target whose thermostat band stays below the boiler's "
                f"{ratings.trip_celsius:g} °C safety trip"
            )
        if self.min_celsius < ratings.min_target_celsius:
            raise ConfigError(
                f"min_celsius ({self.min_celsius:g}) is below {ratings.min_target_celsius:g} °C, the lowest "
                "target the boiler's thermostat accepts"
            )
        if self.max_power_kw < ratings.min_power_kw:
            raise ConfigError(
                f"max_power_kw ({self.max_power_kw:g}) is below the heater's minimum stable power "
                f"({ratings.min_power_kw:g} kW): the boiler could not heat at all (use stop to switch it off)"
            )
