"""The grid meter: its reading is the exact sum of the flows, in the site's sign convention."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energy_edge.physics import GridMeter

flows = st.floats(-1e4, 1e4, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(load=st.floats(0.0, 1e4), outputs=st.lists(flows, max_size=8))
def test_the_reading_is_the_correctly_rounded_sum_of_the_flows(load: float, outputs: list[float]) -> None:
    reading = GridMeter().step(1.0, site_load_kw=load, power_outputs_kw=outputs)
    exact = Fraction(load) - sum((Fraction(o) for o in outputs), Fraction(0))
    assert reading.grid_power_kw == float(exact)


def test_sign_convention_at_the_connection_point() -> None:
    meter = GridMeter()
    # 50 kW load, PV 30 kW, battery discharging 10 kW, boiler heating 40 kW (output -40).
    reading = meter.step(1.0, site_load_kw=50.0, power_outputs_kw=(30.0, 10.0, -40.0))
    assert reading.grid_power_kw == 50.0 + 40.0 - 30.0 - 10.0  # import = load + boiler - PV - battery
    assert reading.grid_balance_kw == -50.0  # the roll-up reports a 50 kW deficit
    export = meter.step(1.0, site_load_kw=5.0, power_outputs_kw=(60.0, 0.0, 0.0))
    assert export.grid_power_kw == -55.0
    assert export.grid_balance_kw == 55.0


def test_registers_count_import_and_export_separately() -> None:
    meter = GridMeter()
    meter.step(3600.0, site_load_kw=20.0, power_outputs_kw=())
    reading = meter.step(1800.0, site_load_kw=0.0, power_outputs_kw=(30.0,))
    assert reading.import_energy_kwh == pytest.approx(20.0)
    assert reading.export_energy_kwh == pytest.approx(15.0)
    assert (meter.import_energy_kwh, meter.export_energy_kwh) == (
        reading.import_energy_kwh,
        reading.export_energy_kwh,
    )


def test_registers_continue_from_their_readings() -> None:
    meter = GridMeter(import_energy_kwh=1000.0, export_energy_kwh=500.0)
    reading = meter.step(3600.0, site_load_kw=1.0, power_outputs_kw=())
    assert (reading.import_energy_kwh, reading.export_energy_kwh) == (1001.0, 500.0)


def test_flows_beyond_the_connection_rating_are_flagged() -> None:
    meter = GridMeter(connection_limit_kw=100.0)
    assert not meter.step(1.0, site_load_kw=100.0, power_outputs_kw=()).over_limit
    assert meter.step(1.0, site_load_kw=101.0, power_outputs_kw=()).over_limit
    assert meter.step(1.0, site_load_kw=0.0, power_outputs_kw=(120.0,)).over_limit


@pytest.mark.parametrize(
    ("load", "outputs", "message"),
    [
        (-1.0, (), "site_load_kw"),
        (math.nan, (), "site_load_kw"),
        (10.0, (1.0, math.nan), "power_outputs_kw"),
        (10.0, (math.inf,), "power_outputs_kw"),
    ],
)
def test_bad_flows_are_rejected_and_the_registers_do_not_move(
    load: float, outputs: tuple[float, ...], message: str
) -> None:
    meter = GridMeter(import_energy_kwh=7.0, export_energy_kwh=3.0)
    with pytest.raises(ValueError, match=message):
        meter.step(60.0, site_load_kw=load, power_outputs_kw=outputs)
    assert (meter.import_energy_kwh, meter.export_energy_kwh) == (7.0, 3.0)


def test_bad_meter_configuration_is_rejected() -> None:
    with pytest.raises(ValueError, match="connection_limit_kw"):
        GridMeter(connection_limit_kw=0.0)
    with pytest.raises(ValueError, match="import_energy_kwh"):
        GridMeter(import_energy_kwh=-1.0)
