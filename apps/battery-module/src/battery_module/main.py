"""Entry point of the battery-module container (``battery-module`` / ``python -m battery_module``).

The driver is chosen by ``BATTERY_DRIVER`` (``simulated``, the default and for now the only one). The
simulated battery's size comes from ``BATTERY_CAPACITY_KWH`` (default 200), ``BATTERY_C_RATE`` (0.5) and
``BATTERY_INITIAL_SOC_PERCENT`` (50).
"""

from __future__ import annotations

from collections.abc import Mapping

from battery_module.asset import BatteryAsset
from battery_module.simulated import SimulatedBatteryDriver
from energy_edge.modulehost import run_asset_module
from energy_edge.physics import Battery, BatteryParams


def build(asset_id: str, environ: Mapping[str, str]) -> BatteryAsset:
    driver_name = environ.get("BATTERY_DRIVER", "simulated")
    if driver_name != "simulated":
        raise SystemExit(f"BATTERY_DRIVER={driver_name!r}: only 'simulated' is available")
    capacity_kwh = float(environ.get("BATTERY_CAPACITY_KWH", "200"))
    c_rate = float(environ.get("BATTERY_C_RATE", "0.5"))
    initial_soc = float(environ.get("BATTERY_INITIAL_SOC_PERCENT", "50")) / 100.0
    params = BatteryParams(capacity_kwh=capacity_kwh, max_charge_c_rate=c_rate, max_discharge_c_rate=c_rate)
    return BatteryAsset(asset_id, SimulatedBatteryDriver(Battery(params, initial_soc=initial_soc)))


def main() -> None:
    run_asset_module(build)
