"""Scenario files: a site, its weather, its equipment, its tariff and its controller, as TOML.

A scenario is validated as a whole; an error names the field (``battery.capacity_kwh: Expected `float` >
0.0``). Shipped scenarios live in ``energy_edge/sim/scenarios/`` and are found by name; anything else is a
path. The README of ``tools/sim`` documents every field.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from energy_edge.sim.tariff import PricePeriod, Tariff

DEFAULT_SCENARIO: Final = "summer-sunny"

Positive = Annotated[float, msgspec.Meta(gt=0.0, le=1e7)]
NonNegative = Annotated[float, msgspec.Meta(ge=0.0, le=1e7)]
Percent = Annotated[float, msgspec.Meta(ge=0.0, le=100.0)]
Fraction = Annotated[float, msgspec.Meta(gt=0.0, le=1.0)]
Celsius = Annotated[float, msgspec.Meta(ge=-50.0, le=150.0)]
Price = Annotated[float, msgspec.Meta(ge=-10.0, le=10.0)]
Clock = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class _Section(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Sections refuse unknown keys: a misspelt field must not silently fall back to its default."""


class Sky(StrEnum):
    CLEAR = "clear"
    BROKEN = "broken"
    OVERCAST = "overcast"


class LoadProfile(StrEnum):
    HOUSEHOLD = "household"
    COMMERCIAL = "commercial"
    INDUSTRIAL = "industrial"


class DrawKind(StrEnum):
    TWO_SHIFT = "two_shift"
    CONSTANT = "constant"
    NONE = "none"


class SiteSection(_Section, frozen=True):
    latitude: Annotated[float, msgspec.Meta(ge=-90.0, le=90.0)]
    longitude: Annotated[float, msgspec.Meta(ge=-180.0, le=180.0)]
    altitude_m: Annotated[float, msgspec.Meta(ge=-500.0, le=9000.0)] = 0.0
    timezone: str = "UTC"


class TimeSection(_Section, frozen=True):
    start: date
    """Local date of the first day."""
    start_time: Clock = "00:00"
    """Local time the run starts at (a whole day from midnight by default)."""
    days: Annotated[int, msgspec.Meta(ge=1, le=366)] = 1
    hours: Annotated[float, msgspec.Meta(gt=0.0, le=24.0)] | None = None
    """Run only this many hours of the first day instead of whole ``days`` (a quick look, or a test)."""
    resolution_s: Annotated[float, msgspec.Meta(ge=0.1, le=900.0)] = 1.0
    """Physics step of the site model."""
    warmup_days: Annotated[int, msgspec.Meta(ge=0, le=14)] = 0
    """Days the controller runs on the site before the scored run (the days just before ``start``, with
    weather and load drawn from another seed): what it learns there (its demand profile) it keeps, as a
    controller that has been on site for a while does. Every strategy's scored run starts from the same
    initial state; only the controller strategy runs the warm-up."""


class WeatherSection(_Section, frozen=True):
    sky: Sky = Sky.BROKEN
    seed: Annotated[int, msgspec.Meta(ge=0)] = 1
    """Seed of the cloud and load noise (``--seed`` overrides it)."""
    ambient_c: Celsius = 15.0
    """Mean air temperature; the day swings around it (coldest at 05:00, warmest at 15:00 local)."""
    ambient_swing_c: Annotated[float, msgspec.Meta(ge=0.0, le=30.0)] = 5.0


class PvSection(_Section, frozen=True):
    kwp: Positive
    inverter_kw: Positive
    tilt_deg: Annotated[float, msgspec.Meta(ge=0.0, le=90.0)] = 30.0
    azimuth_deg: Annotated[float, msgspec.Meta(ge=0.0, lt=360.0)] = 180.0


class BatterySection(_Section, frozen=True):
    capacity_kwh: Positive
    power_kw: Positive
    soc_min_percent: Percent = 10.0
    soc_max_percent: Percent = 95.0
    charge_efficiency: Fraction = 0.95
    discharge_efficiency: Fraction = 0.95
    initial_soc_percent: Percent = 50.0

    def __post_init__(self) -> None:
        if not self.soc_min_percent < self.soc_max_percent:
            raise ValueError("soc_min_percent must be below soc_max_percent")
        if not self.soc_min_percent <= self.initial_soc_percent <= self.soc_max_percent:
            raise ValueError("initial_soc_percent must lie within the SoC window")


class BoilerSection(_Section, frozen=True):
    power_kw: Positive
    tank_l: Positive
    min_celsius: Celsius = 55.0
    max_celsius: Celsius = 90.0
    default_target_celsius: Celsius = 65.0
    initial_celsius: Celsius = 62.0
    draw: DrawKind = DrawKind.TWO_SHIFT
    draw_peak_l_min: NonNegative = 40.0

    def __post_init__(self) -> None:
        if not self.min_celsius < self.default_target_celsius < self.max_celsius:
            raise ValueError("min_celsius < default_target_celsius < max_celsius must hold")


class LoadSection(_Section, frozen=True):
    profile: LoadProfile
    annual_kwh: Positive


class PeriodSection(_Section, frozen=True):
    start: Clock
    end: Clock
    import_eur_per_kwh: Price


class TariffSection(_Section, frozen=True):
    import_eur_per_kwh: Price
    export_eur_per_kwh: Price = 0.0
    demand_eur_per_kw: Annotated[float, msgspec.Meta(ge=0.0, le=10_000.0)] = 0.0
    periods: tuple[PeriodSection, ...] = ()


class GridSection(_Section, frozen=True):
    import_limit_kw: Positive = 1e6
    export_limit_kw: NonNegative = 1e6


class ModulesSection(_Section, frozen=True):
    telemetry_interval_s: Annotated[float, msgspec.Meta(ge=0.1, le=3600.0)] = 5.0
    """How often the asset modules report in the simulation (the physics still steps at ``resolution_s``)."""
    meter_interval_s: Annotated[float, msgspec.Meta(ge=0.1, le=3600.0)] | None = None
    """How often the grid meter reports; ``telemetry_interval_s`` when not set. The modules start together,
    so at equal intervals every meter reading coincides with the assets' (a consistent process image, as on
    a site where all of them report every second); a faster meter sees limits crossed sooner."""


class Scenario(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    description: str = ""
    site: SiteSection
    time: TimeSection
    weather: WeatherSection = msgspec.field(default_factory=WeatherSection)
    pv: PvSection
    battery: BatterySection
    boiler: BoilerSection
    load: LoadSection
    tariff: TariffSection
    grid: GridSection = msgspec.field(default_factory=GridSection)
    controller: dict[str, Any] = msgspec.field(default_factory=dict)
    """Desired properties of controller-module, over the deployment manifest's (grid limits come from
    ``[grid]``)."""
    modules: ModulesSection = msgspec.field(default_factory=ModulesSection)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.site.timezone)

    @property
    def start_utc(self) -> datetime:
        """The start (local date and time), as a UTC instant."""
        local = datetime.combine(self.time.start, time.fromisoformat(self.time.start_time), tzinfo=self.tz)
        return local.astimezone(UTC)

    def duration_s(self, days: int | None = None) -> float:
        """Length of the run: ``days`` (overriding the scenario's) or the scenario's hours or days."""
        if days is None and self.time.hours is not None:
            return self.time.hours * 3600.0
        return float((days or self.time.days) * 86_400)

    def tariff_model(self) -> Tariff:
        periods = tuple(
            PricePeriod(time.fromisoformat(p.start), time.fromisoformat(p.end), p.import_eur_per_kwh)
            for p in self.tariff.periods
        )
        return Tariff(
            import_eur_per_kwh=self.tariff.import_eur_per_kwh,
            export_eur_per_kwh=self.tariff.export_eur_per_kwh,
            demand_eur_per_kw=self.tariff.demand_eur_per_kw,
            periods=periods,
            tz=self.tz,
        )

    def end_utc(self, days: int | None = None) -> datetime:
        return self.start_utc + timedelta(seconds=self.duration_s(days))


class ScenarioError(ValueError):
    """A scenario that cannot be run; the message names the scenario and the field."""


def shipped_scenarios() -> list[str]:
    folder = resources.files("energy_edge.sim") / "scenarios"
    return sorted(
        entry.name.removesuffix(".toml") for entry in folder.iterdir() if entry.name.endswith(".toml")
    )


def load_scenario(name_or_path: str) -> Scenario:
    """A shipped scenario by name (``summer-sunny``) or a TOML file by path."""
    if name_or_path in shipped_scenarios():
        text = (resources.files("energy_edge.sim") / "scenarios" / f"{name_or_path}.toml").read_text()
        return parse_scenario(text, name_or_path)
    path = Path(name_or_path)
    if not path.is_file():
        known = ", ".join(shipped_scenarios())
        raise ScenarioError(f"no scenario {name_or_path!r}: not a shipped scenario ({known}) nor a file")
    return parse_scenario(path.read_text(), str(path))


def parse_scenario(text: str, origin: str = "<scenario>") -> Scenario:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{origin}: not valid TOML: {error}") from error
    try:
        scenario = msgspec.convert(document, Scenario, strict=True)
    except msgspec.ValidationError as error:
        raise ScenarioError(f"{origin}: {_field_message(error)}") from error
    try:
        ZoneInfo(scenario.site.timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ScenarioError(
            f"{origin}: site.timezone: unknown time zone {scenario.site.timezone!r}"
        ) from error
    if scenario.battery.power_kw > 10 * scenario.battery.capacity_kwh:
        raise ScenarioError(f"{origin}: battery.power_kw: more than 10 C is not a stationary battery")
    return scenario


def _field_message(error: msgspec.ValidationError) -> str:
    message = str(error)
    if " - at `$." in message:
        reason, _, where = message.partition(" - at `$.")
        return f"{where.rstrip('`')}: {reason}"
    return message
