"""The strategy over scenario tables: one site situation, the set-points expected, and why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from controller_module.config import Mode
from controller_module.decision import BoilerMode, Decision, Flag, PeakMeter, StrategyMemory
from controller_module.demand_profile import DemandProfile
from controller_module.forecast import Outlook
from controller_module.snapshot import BoilerView
from controller_module.strategy import decide
from msgspec.structs import replace

from energy_edge.statemachine import AssetState

from ..conftest import AT, battery, boiler, config, pv, site

FRESH = StrategyMemory()


def battery_kw(decision: Decision) -> float:
    return sum(p.power_kw for p in decision.batteries)


def test_surplus_charges_the_battery() -> None:
    # PV 40 kW, load 10 kW: 30 kW exported.
    decision = decide(site(-30.0, pvs=(pv(40.0),), batteries=(battery(),)), config(), FRESH)
    assert battery_kw(decision) == pytest.approx(-30.0)
    assert decision.expected_grid_kw == pytest.approx(0.0)
    assert "hold grid balance" in decision.batteries[0].reason


def test_deficit_discharges_the_battery() -> None:
    decision = decide(site(25.0, batteries=(battery(),)), config(), FRESH)
    assert battery_kw(decision) == pytest.approx(25.0)


def test_the_battery_already_running_is_counted_out_of_the_measurement() -> None:
    # The battery already charges 20 kW and the grid is balanced: keep charging 20, do not double it.
    decision = decide(
        site(0.0, batteries=(battery(-20.0),)), config(), StrategyMemory(battery_kw={"battery-01": -20.0})
    )
    assert battery_kw(decision) == pytest.approx(-20.0)


def test_a_grid_target_is_held() -> None:
    decision = decide(
        site(-30.0, pvs=(pv(40.0),), batteries=(battery(),)), config(grid_target_kw=10.0), FRESH
    )
    assert battery_kw(decision) == pytest.approx(-20.0)
    assert decision.expected_grid_kw == pytest.approx(-10.0)


def test_surplus_beyond_the_battery_heats_the_boiler_then_curtails_pv_to_the_target() -> None:
    # 100 kW exported; battery takes 50, boiler 30, PV is curtailed by the last 20.
    snapshot = site(
        -100.0, pvs=(pv(110.0, max_output_kw=120.0),), batteries=(battery(),), boilers=(boiler(),)
    )
    decision = decide(snapshot, config(export_limit_kw=500.0, curtail_to_target=True), FRESH)
    assert battery_kw(decision) == pytest.approx(-50.0)
    [heater] = decision.boilers
    assert (heater.mode, heater.target_celsius) == (BoilerMode.ABSORB, 87.0)  # the band top less its margin
    [inverter] = decision.pv
    assert inverter.curtailed
    assert inverter.limit_kw == pytest.approx(90.0)
    assert decision.expected_grid_kw == pytest.approx(0.0)


def test_a_small_surplus_beyond_the_battery_does_not_switch_the_boiler() -> None:
    # 10 kW beyond the battery is a third of the boiler's 30 kW: below the on-threshold, PV absorbs it.
    snapshot = site(-60.0, pvs=(pv(70.0),), batteries=(battery(),), boilers=(boiler(),))
    decision = decide(snapshot, config(export_limit_kw=500.0, curtail_to_target=True), FRESH)
    assert decision.boilers[0].mode is BoilerMode.ECONOMY
    assert decision.pv[0].curtailed


def test_by_default_surplus_beyond_battery_and_boiler_is_exported_not_curtailed() -> None:
    snapshot = site(
        -100.0, pvs=(pv(110.0, max_output_kw=120.0),), batteries=(battery(),), boilers=(boiler(),)
    )
    decision = decide(snapshot, config(export_limit_kw=500.0), FRESH)
    assert not decision.pv[0].curtailed
    assert decision.expected_grid_kw == pytest.approx(-20.0)


def test_a_boiler_at_the_top_of_its_band_cannot_absorb() -> None:
    snapshot = site(-100.0, pvs=(pv(110.0),), batteries=(battery(),), boilers=(boiler(temperature_c=85.0),))
    decision = decide(snapshot, config(export_limit_kw=500.0), FRESH)
    assert decision.boilers[0].mode is BoilerMode.ECONOMY  # 85 °C: no room under 87 °C for a swing


def test_deficit_beyond_the_battery_sheds_the_boiler() -> None:
    # 60 kW import including 30 kW of boiler heating; the battery covers only 20.
    snapshot = site(
        60.0, batteries=(battery(discharge=20.0),), boilers=(boiler(draw_kw=30.0, temperature_c=70.0),)
    )
    decision = decide(snapshot, config(boiler_economy=False), FRESH)
    [heater] = decision.boilers
    assert (heater.mode, heater.target_celsius) == (BoilerMode.SHED, 58.0)  # the band bottom plus its margin
    assert battery_kw(decision) == pytest.approx(20.0)


def test_a_boiler_at_its_minimum_is_not_shed() -> None:
    snapshot = site(
        60.0, batteries=(battery(discharge=20.0),), boilers=(boiler(draw_kw=30.0, temperature_c=57.0),)
    )
    assert decide(snapshot, config(boiler_economy=False), FRESH).boilers[0].mode is BoilerMode.NORMAL


def test_balancing_never_discharges_at_or_below_the_reserve() -> None:
    decision = decide(site(30.0, batteries=(battery(soc=20.0),)), config(battery_reserve_percent=20.0), FRESH)
    assert battery_kw(decision) == 0.0
    assert "reserve" in decision.batteries[0].reason


def test_the_import_limit_may_use_the_reserve() -> None:
    decision = decide(site(280.0, batteries=(battery(soc=15.0),)), config(import_limit_kw=250.0), FRESH)
    assert battery_kw(decision) == pytest.approx(31.0)  # to the 1 kW margin inside the limit
    assert Flag.USING_RESERVE in decision.flags
    assert "import limit" in decision.batteries[0].reason


def test_an_import_limit_beyond_every_flexibility_is_flagged() -> None:
    decision = decide(site(400.0, batteries=(battery(),)), config(import_limit_kw=250.0), FRESH)
    assert battery_kw(decision) == pytest.approx(50.0)
    assert Flag.IMPORT_LIMIT in decision.flags


def test_the_export_limit_curtails_pv_in_export_limit_mode_and_leaves_the_battery() -> None:
    snapshot = site(-150.0, pvs=(pv(170.0, max_output_kw=200.0),), batteries=(battery(),))
    decision = decide(snapshot, config(mode=Mode.EXPORT_LIMIT, export_limit_kw=100.0), FRESH)
    assert battery_kw(decision) == 0.0
    assert decision.pv[0].limit_kw == pytest.approx(119.0)  # 1 kW inside the limit: load moves
    assert decision.expected_grid_kw == pytest.approx(-99.0)
    assert "export limit" in decision.pv[0].reason


def test_export_within_the_limit_releases_pv_to_its_maximum() -> None:
    decision = decide(
        site(-50.0, pvs=(pv(60.0),)), config(mode=Mode.EXPORT_LIMIT, export_limit_kw=100.0), FRESH
    )
    assert (decision.pv[0].limit_kw, decision.pv[0].curtailed) == (80.0, False)


def test_curtailment_is_undone_when_it_is_no_longer_needed() -> None:
    # Curtailed to 60 of an available 90: the load rose, the export limit no longer binds.
    snapshot = site(-20.0, pvs=(pv(60.0, 90.0),))
    decision = decide(
        snapshot,
        config(mode=Mode.EXPORT_LIMIT, export_limit_kw=100.0),
        StrategyMemory(pv_limit_kw={"solar-01": 60.0}),
    )
    assert (decision.pv[0].limit_kw, decision.pv[0].curtailed) == (80.0, False)


def test_peak_shaving_discharges_above_the_limit_only() -> None:
    cfg = config(mode=Mode.PEAK_SHAVING, import_limit_kw=200.0, peak_target_kw=100.0, peak_horizon_h=0.25)
    assert battery_kw(decide(site(130.0, batteries=(battery(),)), cfg, FRESH)) == pytest.approx(30.0)
    assert battery_kw(decide(site(98.0, batteries=(battery(),)), cfg, FRESH)) == 0.0


def test_peak_shaving_recharges_with_headroom_below_the_limit() -> None:
    cfg = config(mode=Mode.PEAK_SHAVING, import_limit_kw=100.0, peak_recharge_margin_kw=5.0)
    decision = decide(site(70.0, batteries=(battery(soc=40.0),)), cfg, FRESH)
    assert battery_kw(decision) == pytest.approx(-24.0)  # up to 94 kW: 5 kW below the limit less its margin


def test_faulted_stopping_and_stale_assets_get_no_set_point() -> None:
    snapshot = site(
        -30.0,
        pvs=(pv(40.0, state=AssetState.FAULT),),
        batteries=(
            battery(state=AssetState.FAULT),
            battery(state=AssetState.STOPPING, asset_id="battery-02"),
        ),
        stale=frozenset({"battery-03"}),
    )
    decision = decide(snapshot, config(), FRESH)
    assert (decision.batteries, decision.pv) == ((), ())


def test_without_a_meter_batteries_hold_zero_and_pv_is_capped_at_the_export_limit() -> None:
    snapshot = site(
        None, pvs=(pv(150.0, max_output_kw=200.0),), batteries=(battery(-20.0),), boilers=(boiler(),)
    )
    decision = decide(snapshot, config(export_limit_kw=100.0), FRESH)
    assert battery_kw(decision) == 0.0
    assert decision.pv[0].limit_kw == pytest.approx(100.0)
    assert decision.boilers == ()
    assert decision.flags == {Flag.METER_UNAVAILABLE}
    assert decision.expected_grid_kw is None


def test_a_cycle_without_a_meter_keeps_the_billed_peak_and_the_learned_demand() -> None:
    # A meter that drops out for a cycle (a missed report, a fault) must not cost the site its ratchet
    # or a day of learning: the next cycle with a meter carries on from them.
    learned = DemandProfile().learn(40, 180.0, 20.0)
    peak = PeakMeter(peak_kw=220.0, block=7, energy_kws=150.0 * 300.0, seconds=300.0)
    memory = StrategyMemory(at_s=995.0, peak=peak, profile=learned)
    decision = decide(site(None, batteries=(battery(),)), config(mode=Mode.PEAK_SHAVING), memory)
    assert Flag.METER_UNAVAILABLE in decision.flags
    assert decision.memory.peak == peak
    assert decision.memory.profile is learned


def test_a_faulted_meter_counts_as_no_meter() -> None:
    decision = decide(site(10.0, batteries=(battery(),), meter_state=AssetState.FAULT), config(), FRESH)
    assert Flag.METER_UNAVAILABLE in decision.flags


def test_small_imbalances_leave_the_battery_idle() -> None:
    decision = decide(site(0.6, batteries=(battery(),)), config(idle_band_kw=1.0), FRESH)
    assert battery_kw(decision) == 0.0


def test_changes_within_the_deadband_keep_the_set_point() -> None:
    # Charging 20 kW while the site imports 0.7 kW: within the deadband, on the import side.
    memory = StrategyMemory(battery_kw={"battery-01": -20.0})
    decision = decide(site(0.7, batteries=(battery(-20.0),)), config(deadband_kw=1.0), memory)
    assert battery_kw(decision) == -20.0
    # In peak shaving the deadband is symmetric.
    shaving = config(
        deadband_kw=1.0,
        mode=Mode.PEAK_SHAVING,
        import_limit_kw=300.0,
        peak_target_kw=100.0,
        peak_horizon_h=0.25,
    )
    memory = StrategyMemory(battery_kw={"battery-01": 30.0})
    decision = decide(site(99.3, batteries=(battery(30.0),)), shaving, memory)
    assert battery_kw(decision) == 30.0


@pytest.mark.parametrize(
    ("grid_kw", "battery_before_kw", "battery_after_kw"),
    [
        (-0.7, -20.0, -20.7),  # charging less than the surplus: 0.7 kW sold, corrected
        (-0.7, 10.0, 9.3),  # discharging more than the load: stored energy sold, corrected
        (-0.2, 10.0, 10.0),  # within a quarter of the deadband: kept
        (0.7, 10.0, 10.0),  # discharging a little less than the load: kept (import side)
        (1.2, 10.0, 11.2),  # beyond the deadband on the import side: corrected
    ],
)
def test_in_self_consumption_the_deadband_errs_on_the_import_side(
    grid_kw: float, battery_before_kw: float, battery_after_kw: float
) -> None:
    memory = StrategyMemory(battery_kw={"battery-01": battery_before_kw})
    decision = decide(site(grid_kw, batteries=(battery(battery_before_kw),)), config(deadband_kw=1.0), memory)
    assert battery_kw(decision) == pytest.approx(battery_after_kw)


def test_set_points_ramp_between_cycles() -> None:
    memory = StrategyMemory(at_s=995.0, battery_kw={"battery-01": 0.0})
    decision = decide(
        site(-40.0, batteries=(battery(),), now_s=1000.0), config(battery_ramp_kw_per_s=2.0), memory
    )
    assert battery_kw(decision) == pytest.approx(-10.0)  # 2 kW/s over 5 s
    assert "ramping" in decision.batteries[0].reason


def test_the_import_limit_is_not_ramped() -> None:
    memory = StrategyMemory(at_s=995.0, battery_kw={"battery-01": 0.0})
    cfg = config(battery_ramp_kw_per_s=1.0, import_limit_kw=100.0)
    decision = decide(site(140.0, batteries=(battery(),), now_s=1000.0), cfg, memory)
    assert battery_kw(decision) == pytest.approx(41.0)


def test_the_boiler_keeps_its_mode_for_the_minimum_dwell_time() -> None:
    memory = StrategyMemory(at_s=990.0, boiler_modes={"boiler-01": (BoilerMode.ABSORB, 900.0)})
    snapshot = site(5.0, batteries=(battery(),), boilers=(boiler(draw_kw=30.0),), now_s=1000.0)
    kept = decide(snapshot, config(boiler_min_dwell_s=300.0), memory)
    released = decide(snapshot, config(boiler_min_dwell_s=60.0), memory)
    assert kept.boilers[0].mode is BoilerMode.ABSORB
    assert "dwell" in kept.boilers[0].reason
    assert released.boilers[0].mode is BoilerMode.ECONOMY


def test_two_batteries_share_in_proportion_to_their_room() -> None:
    pair = (battery(charge=30.0, asset_id="battery-01"), battery(charge=10.0, asset_id="battery-02"))
    decision = decide(site(-20.0, batteries=pair), config(), FRESH)
    assert [p.power_kw for p in decision.batteries] == pytest.approx([-15.0, -5.0])


def test_a_boiler_never_commanded_may_switch_at_once() -> None:
    memory = StrategyMemory(at_s=995.0, boiler_modes={})
    snapshot = site(-100.0, pvs=(pv(110.0),), batteries=(battery(),), boilers=(boiler(),), now_s=1000.0)
    assert decide(snapshot, config(boiler_min_dwell_s=300.0), memory).boilers[0].mode is BoilerMode.ABSORB


def test_absorb_and_shed_targets_keep_the_thermostat_swing_inside_the_band() -> None:
    cfg = config(boiler_band_margin_c=4.0, export_limit_kw=500.0)
    absorbing = decide(
        site(-100.0, pvs=(pv(110.0),), batteries=(battery(),), boilers=(boiler(),)), cfg, FRESH
    )
    shedding = decide(
        site(60.0, batteries=(battery(discharge=20.0),), boilers=(boiler(30.0, 70.0),)), cfg, FRESH
    )
    assert absorbing.boilers[0].target_celsius == 86.0
    assert shedding.boilers[0].target_celsius == 59.0


def test_without_surplus_the_boiler_is_held_at_the_bottom_of_its_band() -> None:
    decision = decide(site(20.0, batteries=(battery(),), boilers=(boiler(0.0, 70.0),)), config(), FRESH)
    [heater] = decision.boilers
    assert (heater.mode, heater.target_celsius) == (BoilerMode.ECONOMY, 58.0)


def test_an_absorbing_boiler_whose_thermostat_is_satisfied_is_not_counted_as_a_load() -> None:
    # The boiler absorbs but its thermostat has switched off: the export limit must not rely on its 30 kW.
    memory = StrategyMemory(at_s=995.0, boiler_modes={"boiler-01": (BoilerMode.ABSORB, 0.0)})
    snapshot = site(-80.0, pvs=(pv(90.0, max_output_kw=100.0),), batteries=(battery(charge=0.0),),
                    boilers=(boiler(0.0, 84.0),), now_s=1000.0)  # fmt: skip
    decision = decide(snapshot, config(export_limit_kw=30.0), memory)
    assert decision.pv[0].limit_kw == pytest.approx(39.0)  # 90 - (80 - 29): the limit less the margin
    assert decision.expected_grid_kw == pytest.approx(-29.0)


def test_peak_shaving_does_not_shave_below_a_peak_already_billed() -> None:
    cfg = config(mode=Mode.PEAK_SHAVING, import_limit_kw=400.0, peak_target_kw=150.0, peak_horizon_h=0.25)
    memory = StrategyMemory(at_s=995.0, peak=PeakMeter(peak_kw=220.0, block=0))
    decision = decide(site(200.0, batteries=(battery(),), now_s=1000.0), cfg, memory)
    assert battery_kw(decision) <= 0.0  # 200 kW is under the 220 kW peak already incurred
    above = decide(site(260.0, batteries=(battery(),), now_s=1000.0), cfg, memory)
    assert battery_kw(above) == pytest.approx(40.0)


def test_the_peak_meter_bills_quarter_hour_averages() -> None:
    meter = PeakMeter()
    for second in range(0, 1800, 5):
        meter = meter.advance(100.0 if second < 900 else 40.0, 5.0, second // 900)
    meter = meter.advance(10.0, 5.0, 2)
    assert meter.peak_kw == pytest.approx(100.0)


def test_the_pv_deadband_never_keeps_a_limit_that_crosses_the_export_limit() -> None:
    # Last cycle's 40.5 kW limit is within the deadband of the 40 kW needed now, but would export 0.5 kW
    # beyond the limit: the tighter limit is sent. A slightly tighter old limit is kept: within a quarter of
    # the deadband (every kilowatt below is feed-in thrown away), not beyond it.
    snapshot = site(-80.0, pvs=(pv(90.0, max_output_kw=100.0),), now_s=1000.0)
    cfg = config(mode=Mode.EXPORT_LIMIT, export_limit_kw=31.0)
    looser = decide(snapshot, cfg, StrategyMemory(at_s=995.0, pv_limit_kw={"solar-01": 40.5}))
    tighter = decide(snapshot, cfg, StrategyMemory(at_s=995.0, pv_limit_kw={"solar-01": 39.8}))
    too_tight = decide(snapshot, cfg, StrategyMemory(at_s=995.0, pv_limit_kw={"solar-01": 39.5}))
    assert looser.pv[0].limit_kw == pytest.approx(40.0)
    assert tighter.pv[0].limit_kw == pytest.approx(39.8)
    assert too_tight.pv[0].limit_kw == pytest.approx(40.0)


def test_peak_shaving_recharge_leaves_room_for_a_boiler_thermostat_to_switch_on() -> None:
    # 150 kW import, limit 300: the 5 kW recharge margin alone would allow 145 kW of charging, but an idle
    # 100 kW boiler may switch on before the next cycle: only 300 - 1 - 100 - 150 = 49 kW, less the recharge
    # margin that stays free for the load moving until the step is seen: 44 kW.
    cfg = config(mode=Mode.PEAK_SHAVING, import_limit_kw=300.0, boiler_economy=False)
    idle_boiler = boiler(0.0, 60.0, rated_kw=100.0)
    decision = decide(
        site(150.0, batteries=(battery(soc=40.0, charge=200.0),), boilers=(idle_boiler,)), cfg, FRESH
    )
    assert battery_kw(decision) == pytest.approx(-44.0)
    heating = decide(
        site(
            250.0,
            batteries=(battery(soc=40.0, charge=200.0),),
            boilers=(boiler(100.0, 60.0, rated_kw=100.0),),
        ),
        cfg,
        FRESH,
    )
    assert battery_kw(heating) == pytest.approx(-44.0)  # already on: only the recharge margin applies


def test_a_reported_thermostat_differential_keeps_the_swing_just_inside_the_band() -> None:
    # h = 4 K, guard 0.3 K: economy heats from 55.3 °C, absorbing stops at 89.7 °C.
    economy = decide(site(20.0, boilers=(boiler(0.0, 60.0, hysteresis_k=4.0),)), config(), FRESH)
    assert economy.boilers[0].target_celsius == pytest.approx(57.3)
    surplus = site(-100.0, pvs=(pv(110.0),), boilers=(boiler(0.0, 70.0, hysteresis_k=4.0),))
    absorbing = decide(surplus, config(export_limit_kw=500.0), FRESH)
    assert absorbing.boilers[0].mode is BoilerMode.ABSORB
    assert absorbing.boilers[0].target_celsius == pytest.approx(87.7)


def test_economy_stops_a_heating_boiler_half_way_up_its_thermostat_swing() -> None:
    # Heating at 57.1 °C: the band bottom (55 °C) as target stops it at once (55 + h/2 = 57 °C), so the tank
    # swings 55.3-57 °C instead of 55.3-59.3 °C. Once it has stopped, the economy target is restored.
    memory = StrategyMemory(at_s=995.0, boiler_modes={"boiler-01": (BoilerMode.ECONOMY, 0.0)})
    heating = decide(site(50.0, boilers=(boiler(30.0, 57.1, hysteresis_k=4.0),)), config(), memory)
    assert heating.boilers[0].target_celsius == 55.0
    assert "stop heating at 57.0" in heating.boilers[0].reason
    warming = decide(site(50.0, boilers=(boiler(30.0, 56.5, hysteresis_k=4.0),)), config(), memory)
    assert warming.boilers[0].target_celsius == pytest.approx(57.3)
    stopped = decide(site(20.0, boilers=(boiler(0.0, 57.1, hysteresis_k=4.0),)), config(), memory)
    assert stopped.boilers[0].target_celsius == pytest.approx(57.3)


def test_pv_out_of_the_sun_is_released_only_as_far_as_the_export_limit_tolerates() -> None:
    # Shaded at 7.6 of 100 kW, 2 kW exported, 30 kW allowed (31 less the margin): if the sun comes out
    # before the next cycle, 28 kW more is all the limit takes.
    cfg = config(mode=Mode.EXPORT_LIMIT, export_limit_kw=31.0)
    decision = decide(site(-2.0, pvs=(pv(7.6, max_output_kw=100.0),)), cfg, FRESH)
    [inverter] = decision.pv
    assert inverter.limit_kw == pytest.approx(35.6)
    assert not inverter.curtailed
    assert "capped at 35.6 kW" in inverter.reason
    assert decision.expected_grid_kw == pytest.approx(-2.0)
    # A cap still above the output by the deadband and inside the headroom is kept (no command churn).
    kept = decide(site(-2.5, pvs=(pv(8.1, max_output_kw=100.0),)), cfg, decision.memory)
    assert kept.pv[0].limit_kw == pytest.approx(35.6)


def test_pv_is_released_to_its_maximum_when_the_export_limit_cannot_bind() -> None:
    decision = decide(site(-2.0, pvs=(pv(7.6, max_output_kw=100.0),)), config(export_limit_kw=200.0), FRESH)
    assert (decision.pv[0].limit_kw, decision.pv[0].reason) == (100.0, "no curtailment needed")


def test_with_the_limit_filling_the_battery_later_only_surplus_beyond_the_limit_is_stored() -> None:
    # 60 kW surplus, export limit 30 (29 with the margin): 200 kWh forecast beyond the limit fills 40 kWh
    # of room 1.5 times over, so the battery takes 31 kW and 29 kW is sold.
    snapshot = site(-60.0, pvs=(pv(64.0, max_output_kw=100.0),), batteries=(battery(charge=50.0),))
    cfg = config(export_limit_kw=30.0)
    waiting = decide(snapshot, cfg, FRESH, Outlook(200.0, 100.0, 6.0, 40.0))
    assert battery_kw(waiting) == pytest.approx(-31.0)
    assert "forecast" in waiting.batteries[0].reason
    # 50 kWh beyond the limit no longer covers 1.5 x 40 kWh: store all it can again, as without a forecast.
    assert battery_kw(decide(snapshot, cfg, FRESH, Outlook(50.0, 100.0, 2.0, 40.0))) == pytest.approx(-50.0)
    assert battery_kw(decide(snapshot, cfg, FRESH)) == pytest.approx(-50.0)


def test_a_dip_below_the_export_limit_is_filled_from_a_battery_the_limit_will_refill() -> None:
    # A cloud: 10 kW of surplus where the limit lets 29 out. The forecast surplus beyond the limit refills
    # the battery 1.5 times over: 19 kW from the battery keep the export at the limit (that energy comes
    # back from PV that would be curtailed).
    snapshot = site(-10.0, pvs=(pv(14.0, max_output_kw=100.0),), batteries=(battery(soc=60.0),))
    cfg = config(export_limit_kw=30.0)
    dip = decide(snapshot, cfg, FRESH, Outlook(200.0, 100.0, 6.0, 40.0))
    assert battery_kw(dip) == pytest.approx(19.0)
    assert dip.expected_grid_kw == pytest.approx(-29.0)
    assert "export at the limit" in dip.batteries[0].reason
    # Without that forecast, the surplus is stored, as always.
    assert battery_kw(decide(snapshot, cfg, FRESH, Outlook(50.0, 100.0, 2.0, 40.0))) == pytest.approx(-10.0)
    # Nor does the battery go below its reserve for it.
    at_reserve = site(-10.0, pvs=(pv(14.0, max_output_kw=100.0),), batteries=(battery(soc=20.0),))
    assert battery_kw(decide(at_reserve, cfg, FRESH, Outlook(200.0, 100.0, 6.0, 40.0))) == 0.0
    # And a site that imports (no surplus at all) is served from the battery as usual, not beyond its load.
    night = site(8.0, batteries=(battery(soc=60.0),))
    assert battery_kw(decide(night, cfg, FRESH, Outlook(200.0, 100.0, 6.0, 40.0))) == pytest.approx(8.0)


def modulating(draw_kw: float = 0.0, temperature_c: float = 70.0) -> BoilerView:
    return boiler(draw_kw, temperature_c, hysteresis_k=4.0, min_power_kw=3.0)


def test_a_battery_topping_off_is_not_counted_on_to_hold_the_export_limit() -> None:
    # 35 kW of surplus at a 30 kW export limit (29 with the 1 kW margin). The battery's charge limit has
    # tapered to 3 kW of its 30: it is about to be full and will stop charging without warning. PV is
    # curtailed for the 3 kW beyond the limit and the 2 kW of the trickle the margin does not cover; the
    # battery still takes its 3 kW (export 27 kW until it is full, 29 the moment it stops).
    topping = battery(-3.0, soc=94.9, charge=3.0, discharge=30.0)
    snapshot = site(-32.0, pvs=(pv(39.0, max_output_kw=100.0),), batteries=(topping,))
    decision = decide(snapshot, config(export_limit_kw=30.0), StrategyMemory(battery_kw={"battery-01": -3.0}))
    assert battery_kw(decision) == pytest.approx(-3.0)
    assert decision.pv[0].limit_kw == pytest.approx(39.0 - 5.0)
    # With room to charge, its charge is counted as usual: charging 30 kW, the site exports 5 kW.
    roomy = battery(-30.0, soc=60.0, charge=30.0, discharge=30.0)
    normal = decide(
        site(-5.0, pvs=(pv(39.0, max_output_kw=100.0),), batteries=(roomy,)),
        config(export_limit_kw=30.0),
        StrategyMemory(battery_kw={"battery-01": -30.0}),
    )
    assert battery_kw(normal) == pytest.approx(-30.0)
    assert not normal.pv[0].curtailed


def test_an_idle_thermostat_near_the_top_is_not_counted_on_to_absorb() -> None:
    # 62 kW of surplus at an export limit of 30 (29 with the margin), the battery full. A modulating boiler
    # at 88.5 degC switched to absorb gets its thermostat at the 90 degC top: off, it calls for heat only
    # below 88 (the top less half its 4 K differential), so it will not draw, and PV is curtailed for the
    # whole 33 kW instead of releasing 30 kW into a heater that stays off.
    full = battery(soc=95.0, charge=0.0)
    idle = decide(
        site(
            -62.0, pvs=(pv(72.0, max_output_kw=100.0),), batteries=(full,), boilers=(modulating(0.0, 88.5),)
        ),
        config(export_limit_kw=30.0),
        FRESH,
    )
    assert idle.boilers[0].mode is BoilerMode.ABSORB
    assert idle.pv[0].limit_kw == pytest.approx(72.0 - 33.0)
    assert idle.expected_grid_kw == pytest.approx(-29.0)
    # Already heating, the same boiler keeps calling up to the top: its cap is counted.
    heating = decide(
        site(
            -42.0, pvs=(pv(72.0, max_output_kw=100.0),), batteries=(full,), boilers=(modulating(20.0, 88.5),)
        ),
        config(export_limit_kw=30.0),
        FRESH,
    )
    assert heating.boilers[0].power_limit_kw == pytest.approx(30.0)
    assert heating.pv[0].limit_kw == pytest.approx(72.0 - 3.0)


def test_pv_is_released_only_as_far_as_the_batteries_as_they_are_now_allow() -> None:
    # After a cloud the battery filled in (discharging 24 kW to keep exporting 29 kW at the 30 kW limit,
    # PV 9 kW, load 4 kW), the sun is back: 84 kW available, and the battery is told to charge 50 kW. It
    # takes seconds to turn; the inverter's limit acts within one: PV stays where the battery as it is now
    # keeps the export inside the limit, and is released once the battery has turned.
    waiting = Outlook(200.0, 100.0, 6.0, 40.0)
    cfg = config(export_limit_kw=30.0)
    returning = site(
        -29.0, pvs=(pv(9.0, 84.0, max_output_kw=100.0),), batteries=(battery(24.0, soc=60.0),), now_s=1000.0
    )
    memory = StrategyMemory(at_s=995.0, battery_kw={"battery-01": 24.0}, pv_limit_kw={"solar-01": 9.0})
    turning = decide(returning, cfg, memory, waiting)
    assert battery_kw(turning) == pytest.approx(-50.0)
    assert turning.pv[0].limit_kw == pytest.approx(9.0)
    # Next cycle the battery charges 50 kW: PV goes up to what the limit allows with it (29 + 4 + 50).
    turned = site(
        -29.0, pvs=(pv(83.0, 84.0, max_output_kw=100.0),), batteries=(battery(-50.0, soc=60.0),), now_s=1005.0
    )
    released = decide(turned, cfg, turning.memory, waiting)
    assert released.pv[0].limit_kw == pytest.approx(83.0)


def test_a_modulating_boiler_absorbs_exactly_the_surplus_beyond_the_battery() -> None:
    # 62 kW surplus: the battery takes 50, the boiler is capped at the remaining 12 of its 30 kW.
    snapshot = site(
        -62.0, pvs=(pv(72.0, max_output_kw=100.0),), batteries=(battery(),), boilers=(modulating(),)
    )
    decision = decide(snapshot, config(export_limit_kw=500.0, boiler_on_fraction=0.3), FRESH)
    [heater] = decision.boilers
    assert heater.mode is BoilerMode.ABSORB
    assert heater.power_limit_kw == pytest.approx(12.0)
    assert decision.expected_grid_kw == pytest.approx(0.0)


def test_peak_shaving_caps_a_comfortable_boiler_under_the_peak_level() -> None:
    cfg = config(mode=Mode.PEAK_SHAVING, import_limit_kw=300.0, peak_target_kw=100.0, peak_horizon_h=0.25)
    economy = StrategyMemory(at_s=995.0, boiler_modes={"boiler-01": (BoilerMode.ECONOMY, 0.0)})

    def at(temperature_c: float) -> Decision:
        # 90 kW of other load, the boiler heating at 30 kW in economy: 10 kW fit under the 100 kW level.
        boilers = (modulating(30.0, temperature_c),)
        return decide(site(120.0, batteries=(battery(),), boilers=boilers), cfg, economy)

    warm = at(56.5)  # more than 1 K above the 55.3 °C switch-on point: the process can wait
    assert warm.boilers[0].power_limit_kw == pytest.approx(10.0)
    assert "capped at 10.0 kW" in warm.boilers[0].reason
    assert battery_kw(warm) == pytest.approx(0.0)  # the boiler waits; the battery keeps its energy
    # Cooler, comfort takes a growing share, and the battery holds the level for it.
    cooling = at(55.55)  # half-way down the 0.5 K comfort span: 10 + 15 kW
    assert cooling.boilers[0].power_limit_kw == pytest.approx(25.0)
    assert battery_kw(cooling) == pytest.approx(15.0)
    cold = at(55.2)
    assert cold.boilers[0].power_limit_kw == 30.0
    assert battery_kw(cold) == pytest.approx(20.0)


def test_a_boiler_that_does_not_modulate_gets_no_cap() -> None:
    cfg = config(mode=Mode.PEAK_SHAVING, import_limit_kw=300.0, peak_target_kw=100.0, peak_horizon_h=0.25)
    decision = decide(site(120.0, batteries=(battery(),), boilers=(boiler(30.0, 60.0),)), cfg, FRESH)
    assert decision.boilers[0].power_limit_kw is None


def test_peak_shaving_holds_the_quarter_hour_average_not_each_second() -> None:
    # Level 100 kW; 450 s into the block (this cycle's 5 s at 130 kW included), the remaining 450 s must
    # make the block average 100 kW: after an average of 110 kW so far, about 90 kW, so 130 kW of import
    # needs about 40 kW from the battery rather than 30; after 80 kW so far, about 120 kW is allowed.
    cfg = config(mode=Mode.PEAK_SHAVING, import_limit_kw=300.0, peak_target_kw=100.0, peak_horizon_h=0.25)
    block = int((AT.timestamp() + 450.0) // 900)
    snapshot = replace(site(130.0, batteries=(battery(),), now_s=1000.0), at=AT + timedelta(seconds=450))

    def battery_after(average_so_far_kw: float) -> float:
        memory = StrategyMemory(at_s=995.0, peak=PeakMeter(0.0, block, average_so_far_kw * 445.0, 445.0))
        return battery_kw(decide(snapshot, cfg, memory))

    def expected(average_so_far_kw: float) -> float:
        allowed = (100.0 * 900.0 - average_so_far_kw * 445.0 - 130.0 * 5.0) / 450.0
        return 130.0 - allowed

    assert battery_after(110.0) == pytest.approx(expected(110.0)) == pytest.approx(40.2, abs=0.1)
    assert battery_after(80.0) == pytest.approx(expected(80.0)) == pytest.approx(10.6, abs=0.1)


def test_an_undershoot_is_not_spent_in_the_last_seconds_of_a_block() -> None:
    # 890 s into a block that averaged 80 kW under a 100 kW level: spending the undershoot (17,550 kWs) in
    # the last 10 s would allow 1,855 kW (the limit, really); spread over 300 s it allows 158.5 kW, and the
    # battery recharges up to that less the 5 kW recharge margin.
    cfg = config(mode=Mode.PEAK_SHAVING, import_limit_kw=300.0, peak_target_kw=100.0, peak_horizon_h=0.25)
    block = int((AT.timestamp() + 890.0) // 900)
    snapshot = replace(site(130.0, batteries=(battery(),), now_s=1000.0), at=AT + timedelta(seconds=890))
    memory = StrategyMemory(at_s=995.0, peak=PeakMeter(0.0, block, 80.0 * 885.0, 885.0))
    decision = decide(snapshot, cfg, memory)
    undershoot = 100.0 * 890.0 - 80.0 * 885.0 - 130.0 * 5.0
    assert decision.expected_grid_kw == pytest.approx(100.0 + undershoot / 300.0 - 5.0)
    # With a higher load the battery still holds the allowance: it does not stop.
    heavy = replace(site(200.0, batteries=(battery(),), now_s=1000.0), at=AT + timedelta(seconds=890))
    assert battery_kw(decide(heavy, cfg, memory)) > 0.0


def test_a_block_that_ends_a_hair_above_the_level_does_not_raise_it() -> None:
    cfg = config(mode=Mode.PEAK_SHAVING, import_limit_kw=300.0, peak_target_kw=100.0, peak_horizon_h=0.25)
    memory = StrategyMemory(at_s=995.0, peak=PeakMeter(peak_kw=100.5, block=0))
    assert battery_kw(
        decide(site(110.0, batteries=(battery(),), now_s=1000.0), cfg, memory)
    ) == pytest.approx(10.0)


def test_peak_shaving_raises_the_level_to_what_the_battery_can_hold_over_the_horizon() -> None:
    # A quarter hour at 130 kW without the battery; 30 kWh above the reserve last 4 h at 7.5 kW: the level is
    # 122.5 kW, not the 100 kW target the battery could hold for only an hour.
    cfg = config(mode=Mode.PEAK_SHAVING, import_limit_kw=300.0, peak_target_kw=100.0, peak_horizon_h=4.0)
    memory = StrategyMemory(at_s=995.0, peak=PeakMeter(block=0, load_avg_kw=130.0))
    decision = decide(site(130.0, batteries=(battery(soc=50.0),), now_s=1000.0), cfg, memory)
    assert battery_kw(decision) == pytest.approx(7.5)
    assert "122.5 kW peak level" in decision.batteries[0].reason


def test_peak_shaving_fills_a_valley_with_heat_once_the_battery_is_full() -> None:
    # 40 kW of import under a 100 kW level, battery full: a modulating boiler takes the 55 kW of headroom
    # (less the 5 kW recharge margin) and stores it as heat at the top of its band.
    cfg = config(mode=Mode.PEAK_SHAVING, import_limit_kw=300.0, peak_target_kw=100.0, peak_horizon_h=0.25)
    full = battery(soc=95.0, charge=0.0)
    filling = decide(site(40.0, batteries=(full,), boilers=(modulating(0.0, 60.0),)), cfg, FRESH)
    [heater] = filling.boilers
    assert heater.mode is BoilerMode.ABSORB
    assert heater.power_limit_kw == pytest.approx(30.0)  # its full 30 kW fits under the level
    # With room in the battery, recharging comes first and the boiler stays in economy.
    charging = decide(
        site(40.0, batteries=(battery(soc=50.0),), boilers=(modulating(0.0, 60.0),)), cfg, FRESH
    )
    assert charging.boilers[0].mode is BoilerMode.ECONOMY
    # A heater that cannot be held to the headroom does not fill valleys.
    fixed = decide(site(40.0, batteries=(full,), boilers=(boiler(0.0, 60.0),)), cfg, FRESH)
    assert fixed.boilers[0].mode is BoilerMode.ECONOMY


def test_a_raised_heater_cap_is_planned_at_its_new_power() -> None:
    # Capped at 15 kW last cycle, now at the bottom of its band: the cap goes to the full 30 kW, and the
    # battery is planned against the import that will bring (90 kW + 30 kW against a 100 kW level).
    cfg = config(mode=Mode.PEAK_SHAVING, import_limit_kw=300.0, peak_target_kw=100.0, peak_horizon_h=0.25)
    economy = StrategyMemory(at_s=995.0, boiler_modes={"boiler-01": (BoilerMode.ECONOMY, 0.0)})
    capped = boiler(15.0, 55.2, hysteresis_k=4.0, min_power_kw=3.0)
    decision = decide(site(105.0, batteries=(battery(),), boilers=(capped,), now_s=1000.0), cfg, economy)
    assert decision.boilers[0].power_limit_kw == 30.0
    assert battery_kw(decision) == pytest.approx(20.0)


def test_economy_holds_a_modulating_boiler_just_above_the_bottom_of_its_band() -> None:
    # Self-consumption, no surplus: the heater gets only the comfort share, nothing 0.5 K above the
    # 55.3 °C switch-on point, half its power at 55.55 °C, its turndown rather than a sliver.
    economy = StrategyMemory(at_s=995.0, boiler_modes={"boiler-01": (BoilerMode.ECONOMY, 0.0)})

    def cap_at(temperature_c: float) -> float | None:
        snapshot = site(40.0, batteries=(battery(soc=20.0),), boilers=(modulating(30.0, temperature_c),))
        return decide(snapshot, config(), economy).boilers[0].power_limit_kw

    assert cap_at(56.0) == 0.0
    assert cap_at(55.55) == pytest.approx(15.0)
    assert cap_at(55.78) == pytest.approx(3.0)  # 1.2 kW of comfort share: the 3 kW turndown
    assert cap_at(55.2) == 30.0
