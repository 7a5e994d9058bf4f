"""Per asset: the latest decoded telemetry, where it came from, when it arrived, and whether it is stale.

Arrival time is the controller's own monotonic clock, not the sender's timestamp: a device with a wrong
clock must not make its data look fresh (or stale). An older message arriving after a newer one (edgeHub
re-delivering after an outage) is ignored and counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from msgspec import UNSET

from controller_module.snapshot import BatteryView, BoilerView, MeterView, PvView, SiteSnapshot
from energy_edge.messaging import (
    BatteryTelemetry,
    BoilerTelemetry,
    GridMeterTelemetry,
    SolarInverterTelemetry,
    Telemetry,
)


@dataclass(eq=False, slots=True)
class AssetRecord:
    asset_id: str
    module_id: str
    telemetry: Telemetry
    received_at_s: float


class AssetRegistry:
    """What the controller knows about every asset that ever reported."""

    def __init__(self, stale_after_s: float) -> None:
        self.stale_after_s = stale_after_s
        self._records: dict[str, AssetRecord] = {}
        self.out_of_order = 0
        self.last_grid_kw: float | None = None
        """The latest grid meter reading (> 0 import), for the limit guard between control cycles."""

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[AssetRecord]:
        return iter(self._records.values())

    def get(self, asset_id: str) -> AssetRecord | None:
        return self._records.get(asset_id)

    def update(self, telemetry: Telemetry, module_id: str, now_s: float) -> bool:
        """Record a reading; returns False (and keeps the newer one) for a message older than the last."""
        record = self._records.get(telemetry.asset_id)
        if record is None:
            self._records[telemetry.asset_id] = AssetRecord(telemetry.asset_id, module_id, telemetry, now_s)
        elif telemetry.timestamp < record.telemetry.timestamp:
            self.out_of_order += 1
            return False
        else:
            record.telemetry, record.module_id, record.received_at_s = telemetry, module_id, now_s
        if isinstance(telemetry, GridMeterTelemetry):
            self.last_grid_kw = telemetry.grid_power_kw
        return True

    def is_stale(self, record: AssetRecord, now_s: float) -> bool:
        return now_s - record.received_at_s > self.stale_after_s

    def snapshot(self, at: datetime, now_s: float) -> SiteSnapshot:
        pv: list[PvView] = []
        batteries: list[BatteryView] = []
        boilers: list[BoilerView] = []
        meter: MeterView | None = None
        stale: set[str] = set()
        for record in self._records.values():
            if self.is_stale(record, now_s):
                stale.add(record.asset_id)
                continue
            reading, module = record.telemetry, record.module_id
            match reading:
                case SolarInverterTelemetry():
                    available = (
                        reading.available_kw if reading.available_kw is not UNSET else reading.power_output_kw
                    )
                    pv.append(
                        PvView(
                            asset_id=reading.asset_id,
                            module_id=module,
                            state=reading.state,
                            power_kw=reading.power_output_kw,
                            available_kw=max(available, reading.power_output_kw),
                            limit_kw=_known(reading.output_limit_kw),
                            max_output_kw=_known(reading.max_output_kw),
                        )
                    )
                case BatteryTelemetry():
                    batteries.append(
                        BatteryView(
                            asset_id=reading.asset_id,
                            module_id=module,
                            state=reading.state,
                            power_kw=reading.power_output_kw,
                            soc_percent=reading.soc_percent,
                            capacity_kwh=_known(reading.capacity_kwh),
                            max_charge_kw=_known(reading.max_charge_kw) or 0.0,
                            max_discharge_kw=_known(reading.max_discharge_kw) or 0.0,
                        )
                    )
                case BoilerTelemetry():
                    boilers.append(
                        BoilerView(
                            asset_id=reading.asset_id,
                            module_id=module,
                            state=reading.state,
                            draw_kw=-reading.power_output_kw,
                            temperature_c=reading.temperature_c,
                            target_celsius=reading.target_celsius,
                            rated_power_kw=_known(reading.rated_power_kw),
                            min_celsius=_known(reading.min_celsius),
                            max_celsius=_known(reading.max_celsius),
                            hysteresis_k=_known(reading.hysteresis_k),
                            min_power_kw=_known(reading.min_power_kw),
                            heating=reading.heating if isinstance(reading.heating, bool) else None,
                        )
                    )
                case GridMeterTelemetry():
                    # One grid connection, one meter: the site's balance is measured there.
                    meter = MeterView(
                        reading.asset_id, reading.state, reading.grid_power_kw, record.received_at_s
                    )
        # Views keep the registry's order (first report first), so decisions are deterministic.
        return SiteSnapshot(
            at=at,
            monotonic_s=now_s,
            pv=tuple(pv),
            batteries=tuple(batteries),
            boilers=tuple(boilers),
            meter=meter,
            stale=frozenset(stale),
        )


def _known(value: float | object) -> float | None:
    return value if isinstance(value, float) else None
