"""Argument checks shared by every model, and the one exception a model raises besides ``ValueError``.

Every check runs before a model touches its state, so a rejected call changes nothing. ``not (x >= lo)``
rather than ``x < lo`` is deliberate throughout: NaN fails every comparison, so the negated form rejects it.
"""

from __future__ import annotations

import math


class FaultPersistsError(RuntimeError):
    """``reset_fault()`` was called while the condition that tripped the model still holds.

    The fault stays latched and nothing changes; an asset module answers the ``reset`` method with a 409.
    """


def finite(name: str, value: float) -> float:
    """``value`` as a float when it is a finite number; otherwise a ValueError naming ``name``."""
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def positive(name: str, value: float) -> float:
    """A finite number > 0."""
    if not (value > 0.0 and value < math.inf):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def non_negative(name: str, value: float) -> float:
    """A finite number >= 0."""
    if not (value >= 0.0 and value < math.inf):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def in_range(name: str, value: float, low: float, high: float) -> float:
    """A number in the closed interval [low, high]."""
    if not (low <= value <= high):
        raise ValueError(f"{name} must be within [{low}, {high}], got {value!r}")
    return float(value)


def fraction(name: str, value: float) -> float:
    """A number in [0, 1], e.g. an efficiency or a state of charge."""
    return in_range(name, value, 0.0, 1.0)


def step_seconds(dt_s: float) -> float:
    """A step length: finite and > 0 (a zero-length step would divide by zero in every rate)."""
    if not (dt_s > 0.0 and dt_s < math.inf):  # spelled out rather than positive(): every model calls it
        raise ValueError(f"dt_s must be a finite number > 0, got {dt_s!r}")
    return float(dt_s)


def ambient_celsius(name: str, value: float) -> float:
    """An air temperature somebody could plausibly meet at a site on Earth, -60 to 70 °C."""
    if not (-60.0 <= value <= 70.0):  # spelled out: every model checks its ambient every step
        raise ValueError(f"{name} must be within [-60.0, 70.0], got {value!r}")
    return float(value)
