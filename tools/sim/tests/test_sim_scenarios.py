"""Scenario files: the shipped ones load, and a broken one is refused naming the field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from energy_edge.sim.scenario import ScenarioError, load_scenario, parse_scenario, shipped_scenarios

from .conftest import SCENARIOS, short_scenario

VALID = (SCENARIOS / "summer-sunny.toml").read_text()


def test_at_least_the_four_required_scenarios_ship() -> None:
    assert {"summer-sunny", "winter-overcast", "industrial-peak-shaving", "export-limited"} <= set(
        shipped_scenarios()
    )


@pytest.mark.parametrize("name", shipped_scenarios())
def test_every_shipped_scenario_loads(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.duration_s() == 86_400.0


def test_the_run_starts_at_local_midnight_unless_told_otherwise() -> None:
    assert load_scenario("summer-sunny").start_utc == datetime(2024, 6, 20, 22, tzinfo=UTC)  # CEST
    short = parse_scenario(short_scenario(start_time="11:00", hours=1.5))
    assert short.start_utc == datetime(2024, 6, 21, 9, tzinfo=UTC)
    assert short.duration_s() == 5400.0
    assert short.duration_s(days=2) == 172_800.0


def test_a_scenario_file_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(VALID.replace('name = "summer-sunny"', 'name = "mine"'))
    assert load_scenario(str(path)).name == "mine"


def test_an_unknown_scenario_names_the_shipped_ones() -> None:
    with pytest.raises(ScenarioError, match=r"no scenario 'mars-base'.*summer-sunny"):
        load_scenario("mars-base")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "capacity_kwh = 200.0",
            'capacity_kwh = "big"',
            r"battery\.capacity_kwh: Expected `float`, got `str`",
        ),
        ("capacity_kwh = 200.0", "capacity_kwh = -5.0", r"battery\.capacity_kwh: Expected `float` > 0\.0"),
        ("kwp = 150.0", "kwp = 150.0\nkwpp = 3.0", r"pv: Object contains unknown field `kwpp`"),
        ('sky = "clear"', 'sky = "sandstorm"', r"weather\.sky: Invalid enum value 'sandstorm'"),
        ('timezone = "Europe/Berlin"', 'timezone = "Mars/Olympus"', r"site\.timezone: unknown time zone"),
        ("soc_min_percent = 10.0", "soc_min_percent = 96.0", r"battery: soc_min_percent must be below"),
        ("latitude = 52.52", "latitude = 152.52", r"site\.latitude: Expected `float` <= 90\.0"),
        ("[load]", "[lode]", r"Object contains unknown field `lode`"),
        (
            "resolution_s = 1.0",
            "resolution_s = 1.0\nwarmup_days = -1",
            r"time\.warmup_days: Expected `int` >= 0",
        ),
        (
            "resolution_s = 1.0",
            'resolution_s = 1.0\n[[tariff.periods]]\nstart = "25:00"\nend = "06:00"\n'
            "import_eur_per_kwh = 0.1",
            r"tariff\.periods\[0\]\.start",
        ),
    ],
    ids=[
        "type",
        "range",
        "unknown-field",
        "enum",
        "timezone",
        "soc-window",
        "latitude",
        "section-typo",
        "warmup",
        "clock",
    ],
)
def test_a_broken_scenario_is_refused_naming_the_field(old: str, new: str, message: str) -> None:
    assert old in VALID
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(VALID.replace(old, new, 1), "broken.toml")


def test_invalid_toml_is_refused() -> None:
    with pytest.raises(ScenarioError, match="not valid TOML"):
        parse_scenario("name = ", "broken.toml")


def test_time_of_use_periods_price_import_by_local_time() -> None:
    text = VALID.replace(
        "export_eur_per_kwh = 0.08",
        'export_eur_per_kwh = 0.08\n[[tariff.periods]]\nstart = "22:00"\nend = "06:00"\n'
        "import_eur_per_kwh = 0.10",
    )
    tariff = parse_scenario(text).tariff_model()
    assert tariff.import_price(datetime(2024, 6, 21, 21, 30, tzinfo=UTC)) == 0.10  # 23:30 local
    assert tariff.import_price(datetime(2024, 6, 21, 10, 0, tzinfo=UTC)) == 0.30
    assert tariff.mean_import_price == pytest.approx((8 * 0.10 + 16 * 0.30) / 24)
