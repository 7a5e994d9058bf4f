"""Set-point expiry: a command from outside holds only for a while unless it is refreshed.

A controller that crashes, loses its edgeHub connection or hangs must not leave a battery discharging or a
boiler heating forever. Every accepted set-point arms a deadline ``hold_s`` ahead; the module's tick
checks it, and when it passes the asset falls back to its safe behaviour (battery: stop; PV: a configured
fallback limit; boiler: local thermostat at the default temperature). Refreshing the set-point — the
controller re-sending it each control cycle — moves the deadline. OpenEMS's API writes expire the same way.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(eq=False)
class SetpointHold:
    """Deadline of the set-point in force, on the module's monotonic clock (seconds)."""

    deadline_s: float | None = None
    described: str | None = None
    """What is being held, for the log line and reported properties (e.g. ``charging at 20.0 kW``)."""

    @property
    def armed(self) -> bool:
        return self.deadline_s is not None

    def arm(self, now_s: float, hold_s: float, described: str) -> None:
        self.deadline_s = now_s + hold_s
        self.described = described

    def clear(self) -> None:
        self.deadline_s = None
        self.described = None

    def lapsed(self, now_s: float) -> bool:
        """True once, when the deadline has passed; the hold is cleared so the fallback runs once."""
        if self.deadline_s is None or now_s < self.deadline_s:
            return False
        self.clear()
        return True
