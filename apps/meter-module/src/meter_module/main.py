"""Entry point of the meter-module container (``meter-module`` / ``python -m meter_module``).

The driver is chosen by ``METER_DRIVER`` (``simulated``, the default and for now the only one). The
simulated meter sees the site's own load, shaped by ``METER_LOAD_PROFILE`` (``household``, ``commercial``
or ``industrial``; default ``industrial``) and scaled to ``METER_ANNUAL_KWH`` a year (default 600000, a
small industrial site), on the local clock of ``METER_TIMEZONE`` (an IANA name; default ``UTC``). Its noise
is seeded by ``METER_SEED`` (an integer; unset: a fresh seed at every start).

A setting that cannot be used stops the container with a message naming it, rather than metering a site
that is not there.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from energy_edge.modulehost import run_asset_module, utc_now
from energy_edge.physics import LoadShape, SiteLoad, SiteLoadParams
from meter_module.asset import MeterAsset
from meter_module.simulated import SimulatedMeterDriver

DEFAULT_LOAD_PROFILE = LoadShape.INDUSTRIAL
DEFAULT_ANNUAL_KWH = 600_000.0
DEFAULT_TIMEZONE = "UTC"


def build(asset_id: str, environ: Mapping[str, str]) -> MeterAsset:
    driver_name = environ.get("METER_DRIVER", "simulated")
    if driver_name != "simulated":
        raise SystemExit(f"METER_DRIVER={driver_name!r}: only 'simulated' is available")
    params = load_params(environ)
    seed = _seed(environ)
    # Seeded simulation noise, not cryptography: a given seed replays the same site. The load and the
    # supply draw their own generators, so a change to one never shifts the other's sequence.
    rng = random.Random(seed)  # noqa: S311
    load = SiteLoad(params, random.Random(rng.getrandbits(64)))  # noqa: S311
    driver = SimulatedMeterDriver(load, rng=random.Random(rng.getrandbits(64)), clock=utc_now)  # noqa: S311
    return MeterAsset(asset_id, driver)


def load_params(environ: Mapping[str, str]) -> SiteLoadParams:
    """The simulated site's load from ``METER_LOAD_PROFILE``, ``METER_ANNUAL_KWH`` and ``METER_TIMEZONE``."""
    profile = environ.get("METER_LOAD_PROFILE", DEFAULT_LOAD_PROFILE.value)
    try:
        shape = LoadShape(profile)
    except ValueError:
        known = ", ".join(known.value for known in LoadShape)
        raise SystemExit(f"METER_LOAD_PROFILE={profile!r}: expected one of {known}") from None
    annual = environ.get("METER_ANNUAL_KWH", "")
    zone = environ.get("METER_TIMEZONE", DEFAULT_TIMEZONE)
    try:
        # UTC needs no time-zone database, so the default works on an image without tzdata.
        tz = UTC if zone == "UTC" else ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SystemExit(f"METER_TIMEZONE={zone!r}: not a time zone name (e.g. Europe/Berlin)") from None
    try:
        return SiteLoadParams(shape, float(annual) if annual.strip() else DEFAULT_ANNUAL_KWH, tz=tz)
    except ValueError:
        raise SystemExit(f"METER_ANNUAL_KWH={annual!r}: expected the site's kWh a year, > 0") from None


def _seed(environ: Mapping[str, str]) -> int | None:
    seed = environ.get("METER_SEED", "").strip()
    if not seed:
        return None
    try:
        return int(seed)
    except ValueError:
        raise SystemExit(f"METER_SEED={seed!r}: expected an integer") from None


def main() -> None:
    run_asset_module(build)
