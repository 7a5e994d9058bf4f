"""Energy prices: import and export per kWh, optional time-of-use periods for import, and a demand charge.

Periods are in the site's local time, ``start`` inclusive and ``end`` exclusive, and may wrap midnight
(``22:00``-``06:00``). The demand charge is per kW of the run's highest 15-minute average import (the
billing convention of most network tariffs that charge for peaks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, tzinfo
from typing import Final

PEAK_WINDOW_S: Final = 900.0


@dataclass(frozen=True, slots=True)
class PricePeriod:
    start: time
    end: time
    import_eur_per_kwh: float

    def covers(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True, slots=True)
class Tariff:
    import_eur_per_kwh: float
    export_eur_per_kwh: float
    demand_eur_per_kw: float = 0.0
    periods: tuple[PricePeriod, ...] = ()
    tz: tzinfo | None = None

    def import_price(self, when: datetime) -> float:
        """Import price in force at ``when`` (the first period that covers its local time wins)."""
        if self.periods:
            local = (when.astimezone(self.tz) if self.tz is not None else when).time()
            for period in self.periods:
                if period.covers(local):
                    return period.import_eur_per_kwh
        return self.import_eur_per_kwh

    def import_prices(self, start: datetime, step_s: float, steps: int) -> list[float]:
        """Per step, the price at the step's start (periods start on whole minutes, steps are short)."""
        from datetime import timedelta  # noqa: PLC0415 - keeps the module's surface to the dataclasses

        return [self.import_price(start + timedelta(seconds=i * step_s)) for i in range(steps)]

    @property
    def mean_import_price(self) -> float:
        """Average import price over a day (weights each period by its hours): the value of stored energy."""
        if not self.periods:
            return self.import_eur_per_kwh
        minutes = [self._price_at_minute(m) for m in range(0, 24 * 60, 15)]
        return sum(minutes) / len(minutes)

    def _price_at_minute(self, minute: int) -> float:
        local = time(minute // 60, minute % 60)
        for period in self.periods:
            if period.covers(local):
                return period.import_eur_per_kwh
        return self.import_eur_per_kwh


def peak_average(values_kw: Sequence[float], step_s: float, window_s: float = PEAK_WINDOW_S) -> float:
    """Highest average of ``values_kw`` over consecutive ``window_s`` blocks (e.g. 15-minute import)."""
    per_block = max(1, round(window_s / step_s))
    best = 0.0
    for start in range(0, len(values_kw), per_block):
        block = values_kw[start : start + per_block]
        if block:
            best = max(best, sum(block) / len(block))
    return best
