"""PV array + inverter: PVWatts DC/AC and cell temperature as pvlib computes them, then clipping,
curtailment, the over-temperature trip, and what the telemetry reports."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pvlib
import pytest

from energy_edge.physics import (
    SAPM_CLOSE_MOUNT_GLASS_GLASS,
    SAPM_INSULATED_BACK_GLASS_POLYMER,
    SAPM_OPEN_RACK_GLASS_GLASS,
    SAPM_OPEN_RACK_GLASS_POLYMER,
    FaimanCellTemperature,
    FaultPersistsError,
    PvParams,
    PvSystem,
    SapmCellTemperature,
)
from energy_edge.physics.pv import pvwatts_ac_kw, pvwatts_dc_for_ac_kw

pvlib_faiman: Any = pvlib.temperature.faiman
"""pvlib has no annotations; pyright would type ``wind_speed`` as float from its default and reject arrays."""

PVLIB_TOLERANCE = 0.01
"""The issue's bound (1 %); the implementation agrees to rounding (rtol 1e-12 below)."""

POA = np.array([0.0, 1.0, 5.0, 20.0, 50.0, 100.0, 200.0, 400.0, 600.0, 800.0, 1000.0, 1100.0, 1250.0])
AMBIENT = np.array([-15.0, 0.0, 10.0, 25.0, 40.0])
WIND = np.array([0.0, 1.0, 4.0, 10.0])
GRID = np.array(np.meshgrid(POA, AMBIENT, WIND, indexing="ij")).reshape(3, -1)


def steady_reading_grid(params: PvParams) -> np.ndarray:
    """One first step per operating point (the first step starts at the cell model's steady state)."""
    rows = []
    for poa, ambient, wind in GRID.T:
        reading = PvSystem(params).step(1.0, poa_w_m2=poa, ambient_c=ambient, wind_m_s=wind)
        rows.append((reading.available_kw, reading.dc_power_kw, reading.temperature_c, reading.clipped))
    return np.array(rows)


@pytest.mark.parametrize(
    ("cell_model", "pvlib_params"),
    [
        (SAPM_OPEN_RACK_GLASS_POLYMER, "open_rack_glass_polymer"),
        (SAPM_OPEN_RACK_GLASS_GLASS, "open_rack_glass_glass"),
        (SAPM_CLOSE_MOUNT_GLASS_GLASS, "close_mount_glass_glass"),
        (SAPM_INSULATED_BACK_GLASS_POLYMER, "insulated_back_glass_polymer"),
    ],
)
def test_dc_and_ac_power_match_pvlib_pvwatts(cell_model: SapmCellTemperature, pvlib_params: str) -> None:
    # The trip is ours, not PVWatts': lifted out of the way so hot roofs at 40 °C compare too.
    params = PvParams(
        dc_rating_kw=100.0, ac_rating_kw=80.0, cell_temperature=cell_model, max_module_temperature_c=150.0
    )
    ours = steady_reading_grid(params)
    poa, ambient, wind = GRID
    sapm = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"][pvlib_params]
    cell = pvlib.temperature.sapm_cell(poa, ambient, wind, **sapm)
    dc_w = np.asarray(pvlib.pvsystem.pvwatts_dc(poa, cell, pdc0=100e3, gamma_pdc=-0.0037)) * (1.0 - 0.14)
    ac_w = np.asarray(pvlib.inverter.pvwatts(dc_w, pdc0=80e3 / 0.96, eta_inv_nom=0.96, eta_inv_ref=0.9637))

    np.testing.assert_allclose(ours[:, 2], cell, rtol=1e-12)
    np.testing.assert_allclose(ours[:, 0] * 1000.0, ac_w, rtol=1e-12, atol=1e-9)
    # DC at the maximum power point, wherever the inverter does not move off it to clip.
    unclipped = ours[:, 3] == 0.0
    np.testing.assert_allclose(ours[unclipped, 1] * 1000.0, dc_w[unclipped], rtol=1e-12, atol=1e-9)
    bright = ac_w > 100.0
    assert np.abs(ours[bright, 0] * 1000.0 / ac_w[bright] - 1.0).max() < PVLIB_TOLERANCE


def test_faiman_cell_temperature_matches_pvlib() -> None:
    poa, ambient, wind = GRID
    model = FaimanCellTemperature(u0=25.0, u1=6.84)
    ours = [model.cell_temperature_c(e, t, w) for e, t, w in GRID.T]
    np.testing.assert_allclose(ours, pvlib_faiman(poa, ambient, wind, u0=25.0, u1=6.84), rtol=1e-12)


def test_ac_output_is_clipped_at_the_inverter_rating() -> None:
    pv = PvSystem(PvParams(dc_rating_kw=120.0, ac_rating_kw=80.0, thermal_time_constant_s=0.0))
    reading = pv.step(1.0, poa_w_m2=1000.0, ambient_c=10.0)
    assert reading.clipped
    assert reading.power_output_kw == pytest.approx(80.0)
    assert not reading.curtailed  # clipping is the inverter's limit, not a curtailment
    # Clipping moves the array off its MPP: the DC drawn is just what 80 kW AC needs.
    assert reading.dc_power_kw == pytest.approx(80.0 / 0.96)
    assert reading.inverter_efficiency == pytest.approx(0.96)


def test_target_kw_curtails_below_what_the_array_could_deliver() -> None:
    pv = PvSystem(PvParams(dc_rating_kw=100.0, ac_rating_kw=80.0, thermal_time_constant_s=0.0))
    free = pv.step(1.0, poa_w_m2=800.0, ambient_c=20.0)
    curtailed = pv.step(1.0, poa_w_m2=800.0, ambient_c=20.0, target_kw=30.0)
    assert free.power_output_kw > 60.0
    assert not free.curtailed
    assert curtailed.power_output_kw == 30.0
    assert curtailed.curtailed
    assert curtailed.available_kw == pytest.approx(free.available_kw)
    assert curtailed.output_limit_kw == 30.0
    # Off the MPP: DC is what 30 kW AC needs, and converting it is consistent with the inverter curve.
    assert curtailed.dc_power_kw < free.dc_power_kw
    assert pvwatts_ac_kw(curtailed.dc_power_kw, 80.0 / 0.96, 0.96, 0.9637) == pytest.approx(30.0)


def test_a_target_above_the_available_power_does_not_curtail() -> None:
    pv = PvSystem(PvParams(dc_rating_kw=100.0, ac_rating_kw=80.0, thermal_time_constant_s=0.0))
    reading = pv.step(1.0, poa_w_m2=300.0, ambient_c=20.0, target_kw=70.0)
    assert not reading.curtailed
    assert reading.power_output_kw == reading.available_kw < 70.0


def test_max_output_kw_caps_the_output_like_a_standing_curtailment() -> None:
    pv = PvSystem(PvParams(dc_rating_kw=100.0, ac_rating_kw=80.0), max_output_kw=50.0)
    reading = pv.step(1.0, poa_w_m2=1000.0, ambient_c=20.0)
    assert reading.power_output_kw == 50.0
    assert reading.curtailed
    pv.max_output_kw = 20.0
    assert pv.step(1.0, poa_w_m2=1000.0, ambient_c=20.0, target_kw=35.0).power_output_kw == 20.0
    assert pv.step(1.0, poa_w_m2=1000.0, ambient_c=20.0, target_kw=5.0).power_output_kw == 5.0


def test_curtailing_to_zero_stops_the_output() -> None:
    pv = PvSystem(PvParams(dc_rating_kw=100.0, ac_rating_kw=80.0))
    reading = pv.step(1.0, poa_w_m2=900.0, ambient_c=20.0, target_kw=0.0)
    assert reading.power_output_kw == 0.0
    assert reading.efficiency == 0.0


def test_inverse_inverter_curve_round_trips() -> None:
    for ac in (0.5, 5.0, 20.0, 40.0, 79.9):
        dc = pvwatts_dc_for_ac_kw(ac, 80.0 / 0.96, 0.96, 0.9637)
        assert pvwatts_ac_kw(dc, 80.0 / 0.96, 0.96, 0.9637) == pytest.approx(ac, rel=1e-12)


def test_efficiency_is_sunlight_to_ac_as_in_the_seed_telemetry() -> None:
    params = PvParams(
        dc_rating_kw=100.0, ac_rating_kw=100.0, module_efficiency=0.2, thermal_time_constant_s=0.0
    )
    reading = PvSystem(params).step(1.0, poa_w_m2=850.0, ambient_c=20.0)
    area_m2 = 100.0 / 0.2  # 500 m2 of 20 % modules make 100 kW at 1000 W/m2
    assert reading.efficiency == pytest.approx(reading.power_output_kw / (0.85 * area_m2))
    assert 0.14 < reading.efficiency < 0.2  # the seed's example reports 0.178
    assert reading.irradiance_w_m2 == 850.0
    assert PvSystem(params).step(1.0, poa_w_m2=0.0, ambient_c=20.0).efficiency == 0.0


def test_module_temperature_lags_the_irradiance() -> None:
    pv = PvSystem(PvParams(dc_rating_kw=50.0, ac_rating_kw=50.0, thermal_time_constant_s=300.0))
    cool = pv.step(1.0, poa_w_m2=100.0, ambient_c=20.0).temperature_c
    after_a_minute = pv.step(60.0, poa_w_m2=1000.0, ambient_c=20.0).temperature_c
    steady = SAPM_OPEN_RACK_GLASS_POLYMER.cell_temperature_c(1000.0, 20.0, 1.0)
    assert after_a_minute == pytest.approx(steady + (cool - steady) * math.exp(-60.0 / 300.0))
    after_an_hour = pv.step(3600.0, poa_w_m2=1000.0, ambient_c=20.0).temperature_c
    assert after_an_hour == pytest.approx(steady, abs=0.01)


def hot_roof() -> PvSystem:
    params = PvParams(
        dc_rating_kw=50.0,
        ac_rating_kw=50.0,
        cell_temperature=SAPM_INSULATED_BACK_GLASS_POLYMER,
        thermal_time_constant_s=0.0,
        max_module_temperature_c=85.0,
    )
    return PvSystem(params)


def test_over_temperature_trips_and_latches_until_reset() -> None:
    pv = hot_roof()
    tripped = pv.step(1.0, poa_w_m2=1100.0, ambient_c=40.0, wind_m_s=0.0)
    assert tripped.temperature_c > 85.0
    assert tripped.fault is not None
    assert "over-temperature" in tripped.fault
    assert tripped.power_output_kw == 0.0
    # Still latched after cooling, until someone resets it.
    cooled = pv.step(1.0, poa_w_m2=500.0, ambient_c=20.0)
    assert cooled.temperature_c < 85.0
    assert cooled.power_output_kw == 0.0
    assert cooled.fault == tripped.fault
    pv.reset_fault()
    assert pv.fault is None
    assert pv.step(1.0, poa_w_m2=500.0, ambient_c=20.0).power_output_kw > 0.0


def test_reset_is_refused_while_the_module_is_still_too_hot() -> None:
    pv = hot_roof()
    pv.step(1.0, poa_w_m2=1100.0, ambient_c=40.0, wind_m_s=0.0)
    with pytest.raises(FaultPersistsError, match="still above"):
        pv.reset_fault()
    assert pv.fault is not None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dc_rating_kw": -1.0}, "dc_rating_kw"),
        ({"ac_rating_kw": math.nan}, "ac_rating_kw"),
        ({"eta_inv_nom": 1.2}, "eta_inv_nom"),
        ({"eta_inv_ref": 0.0}, "eta_inv_ref"),
        ({"system_losses": 1.0}, "system_losses"),
        ({"gamma_pdc_per_c": 0.01}, "gamma_pdc_per_c"),
        ({"module_efficiency": 0.9}, "module_efficiency"),
        ({"thermal_time_constant_s": -1.0}, "thermal_time_constant_s"),
    ],
)
def test_impossible_parameters_are_rejected(kwargs: dict[str, float], message: str) -> None:
    base: dict[str, float] = {"dc_rating_kw": 10.0, "ac_rating_kw": 8.0}
    with pytest.raises(ValueError, match=message):
        PvParams(**(base | kwargs))  # pyright: ignore[reportArgumentType]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dt_s": 0.0}, "dt_s"),
        ({"poa_w_m2": math.nan}, "poa_w_m2"),
        ({"poa_w_m2": -1.0}, "poa_w_m2"),
        ({"ambient_c": math.inf}, "ambient_c"),
        ({"wind_m_s": -2.0}, "wind_m_s"),
        ({"target_kw": -5.0}, "target_kw"),
        ({"target_kw": math.nan}, "target_kw"),
    ],
)
def test_bad_step_inputs_are_rejected_and_change_nothing(kwargs: dict[str, float], message: str) -> None:
    pv = PvSystem(PvParams(dc_rating_kw=10.0, ac_rating_kw=8.0))
    pv.step(1.0, poa_w_m2=500.0, ambient_c=20.0)
    before = (pv.module_temperature_c, pv.fault, pv.max_output_kw)
    step: dict[str, float] = {"dt_s": 1.0, "poa_w_m2": 900.0, "ambient_c": 30.0} | kwargs
    with pytest.raises(ValueError, match=message):
        pv.step(**step)  # pyright: ignore[reportArgumentType]
    assert (pv.module_temperature_c, pv.fault, pv.max_output_kw) == before


def test_a_negative_max_output_is_rejected_and_the_old_value_kept() -> None:
    pv = PvSystem(PvParams(dc_rating_kw=10.0, ac_rating_kw=8.0), max_output_kw=6.0)
    with pytest.raises(ValueError, match="max_output_kw"):
        pv.max_output_kw = -1.0
    assert pv.max_output_kw == 6.0
