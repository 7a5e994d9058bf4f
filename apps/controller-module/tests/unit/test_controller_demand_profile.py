"""The learned demand profile, the level planned from it, and where it is kept between restarts."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from controller_module.config import ControllerConfig, Mode
from controller_module.decision import BoilerMode, PeakMeter, StrategyMemory
from controller_module.demand_profile import (
    SLOTS_PER_DAY,
    BatteryBank,
    DayKind,
    DemandProfile,
    ProfileFile,
    day_kind,
    plan_level,
)
from controller_module.snapshot import SiteSnapshot
from controller_module.state import PROFILE_FILE, StateStore
from controller_module.strategy import decide

from ..conftest import battery, boiler, config, site

TUESDAY_0000 = int(datetime(2024, 4, 16, tzinfo=UTC).timestamp())
TUESDAY_BLOCK = TUESDAY_0000 // 900
SATURDAY_BLOCK = TUESDAY_BLOCK + 4 * SLOTS_PER_DAY


def learned_day(values: list[float], block: int = TUESDAY_BLOCK) -> DemandProfile:
    profile = DemandProfile()
    for offset, value in enumerate(values):
        profile = profile.learn(block + offset, value)
    return profile


# -- the profile ------------------------------------------------------------------------------------------


def test_days_are_workdays_or_weekends_by_utc_date() -> None:
    assert day_kind(TUESDAY_0000) is DayKind.WORKDAY
    assert day_kind(SATURDAY_BLOCK * 900) is DayKind.WEEKEND
    assert day_kind(SATURDAY_BLOCK * 900 - 1) is DayKind.WORKDAY  # Friday 23:59:59


def test_a_quarter_hour_is_learned_into_its_slot_and_later_days_are_weighted_in() -> None:
    profile = DemandProfile().learn(TUESDAY_BLOCK + 40, 200.0)  # 10:00 UTC
    assert profile.workday[40] == 200.0
    assert profile.learned_slots == 1
    # The next day's 10:00 at 100 kW moves the slot halfway.
    profile = profile.learn(TUESDAY_BLOCK + SLOTS_PER_DAY + 40, 100.0)
    assert profile.workday[40] == pytest.approx(150.0)
    assert profile.weekend == (None,) * SLOTS_PER_DAY


def test_the_day_to_day_variation_is_learned_from_the_second_day() -> None:
    profile = DemandProfile().learn(TUESDAY_BLOCK + 40, 100.0)
    assert profile.workday_variance[40] is None  # one day says nothing about how days differ
    assert profile.deviations_ahead(TUESDAY_BLOCK + 40, 1) == [0.0]
    profile = profile.learn(TUESDAY_BLOCK + SLOTS_PER_DAY + 40, 140.0)
    # Weighted like the mean: (1 - w) * w * 40² with w = 1/2, a standard deviation of 20 kW.
    assert profile.workday_variance[40] == pytest.approx(400.0)
    assert profile.deviations_ahead(TUESDAY_BLOCK + 40, 1) == [pytest.approx(20.0)]
    # A third day at the mean narrows it.
    profile = profile.learn(TUESDAY_BLOCK + 2 * SLOTS_PER_DAY + 40, 120.0)
    assert profile.workday_variance[40] == pytest.approx(200.0)


def test_a_weekend_is_learned_apart_from_the_working_days() -> None:
    profile = DemandProfile().learn(SATURDAY_BLOCK + 40, 20.0)
    assert profile.weekend[40] == 20.0
    assert profile.workday[40] is None


def test_a_non_finite_mean_changes_nothing() -> None:
    profile = DemandProfile()
    assert profile.learn(TUESDAY_BLOCK, float("nan")) is profile


def test_the_day_ahead_is_known_once_every_quarter_hour_of_it_is() -> None:
    profile = learned_day([float(i) for i in range(SLOTS_PER_DAY - 12)])
    assert profile.ahead(TUESDAY_BLOCK) is None  # three hours missing
    for offset in range(SLOTS_PER_DAY - 12, SLOTS_PER_DAY):
        profile = profile.learn(TUESDAY_BLOCK + offset, float(offset))
    # From 12:00 on: the afternoon, then the next (working) day's morning, from the same profile.
    ahead = profile.ahead(TUESDAY_BLOCK + 48)
    assert ahead is not None
    assert ahead[:2] == [48.0, 49.0]
    assert ahead[-1] == 47.0
    # Friday noon looks into Saturday, which has not been learned.
    assert profile.ahead(SATURDAY_BLOCK - 48) is None


def test_the_boilers_share_is_learned_alongside() -> None:
    profile = DemandProfile().learn(TUESDAY_BLOCK + 40, 200.0, 120.0)
    assert (profile.workday[40], profile.workday_boilers[40]) == (200.0, 120.0)
    profile = profile.learn(TUESDAY_BLOCK + SLOTS_PER_DAY + 40, 100.0, 20.0)
    assert (profile.workday[40], profile.workday_boilers[40]) == (pytest.approx(150.0), pytest.approx(70.0))
    assert profile.boilers_ahead(TUESDAY_BLOCK + 39, 2) == [0.0, pytest.approx(70.0)]


def test_the_boilers_spread_reaches_behind_the_horizon() -> None:
    # Boilers idle until 10:00, then at 100 kW: the 10:00 slot's average over 09:00-11:00 is 5/9 of it
    # whether the horizon starts at 09:00 or at 10:00. Cut at the horizon, it would be all of it from 10:00.
    profile = DemandProfile()
    for slot in range(SLOTS_PER_DAY):
        boiler = 100.0 if slot >= 40 else 0.0
        profile = profile.learn(TUESDAY_BLOCK + slot, 150.0 + boiler, boiler)
    wednesday = TUESDAY_BLOCK + SLOTS_PER_DAY
    from_nine = profile.boilers_spread_ahead(wednesday + 36, 4, count=8)
    from_ten = profile.boilers_spread_ahead(wednesday + 40, 4, count=4)
    assert from_nine[4] == pytest.approx(500.0 / 9.0)
    assert from_ten == pytest.approx(from_nine[4:])


def test_a_file_without_the_boilers_share_loads_with_none() -> None:
    stored = ProfileFile(1, 900, [10.0] * SLOTS_PER_DAY, [None] * SLOTS_PER_DAY)
    profile = DemandProfile.from_file(stored)
    assert profile.workday_boilers == (None,) * SLOTS_PER_DAY
    assert profile.boilers_ahead(TUESDAY_BLOCK, 3) == [0.0, 0.0, 0.0]


# -- the plan ---------------------------------------------------------------------------------------------


BANK = BatteryBank(usable_kwh=47.5, room_kwh=0.0, charge_kw=100.0, discharge_kw=100.0)


def test_the_plan_spreads_the_battery_over_the_whole_peak() -> None:
    # Two hours at 200 kW over a 100 kW base; 47.5 kWh usable at 95 % discharge efficiency delivers 45.1 kWh:
    # over two hours, 22.6 kW: the level is 177.4 kW. The horizon rule at four hours would hold 188 kW.
    demand = [100.0] * 4 + [200.0] * 8 + [100.0] * 4
    level = plan_level(demand, BANK, recharge_margin_kw=5.0)
    assert level == pytest.approx(200.0 - 47.5 * 0.95 / 2.0, abs=0.01)


def test_a_gap_of_up_to_an_hour_is_bridged_with_the_last_value_before_it() -> None:
    values = [float(i) for i in range(SLOTS_PER_DAY)]
    gapped = list(range(SLOTS_PER_DAY))
    del gapped[50:54]  # 12:30 to 13:30 never learned (a restart)
    profile = DemandProfile()
    for slot in gapped:
        profile = profile.learn(TUESDAY_BLOCK + slot, values[slot])
    ahead = profile.ahead(TUESDAY_BLOCK)
    assert ahead is not None
    assert ahead[49:55] == [49.0, 49.0, 49.0, 49.0, 49.0, 54.0]
    # The last quarter hour of the day, never seen to end, takes the one before it.
    last = learned_day(values[:-1]).ahead(TUESDAY_BLOCK)
    assert last is not None
    assert last[-1] == 94.0
    # Five missing quarter hours are too many.
    del gapped[50:51]
    profile = DemandProfile()
    for slot in gapped:
        profile = profile.learn(TUESDAY_BLOCK + slot, values[slot])
    assert profile.ahead(TUESDAY_BLOCK) is None


def test_the_plan_recharges_in_the_valley_between_two_peaks() -> None:
    # Two one-hour peaks of 200 kW with two hours at 100 kW between: the battery refills between them, so
    # each peak gets the whole usable energy.
    bank = BatteryBank(usable_kwh=47.5, room_kwh=10.0, charge_kw=100.0, discharge_kw=100.0)
    demand = [200.0] * 4 + [100.0] * 8 + [200.0] * 4
    level = plan_level(demand, bank, recharge_margin_kw=5.0)
    assert level == pytest.approx(200.0 - 47.5 * 0.95, abs=0.01)
    # Without the power to recharge, the energy is shared by both peaks.
    shared = plan_level(demand, replace(bank, charge_kw=0.0), recharge_margin_kw=5.0)
    assert shared == pytest.approx(200.0 - 47.5 * 0.95 / 2.0, abs=0.01)


def test_the_plan_respects_the_batteries_power() -> None:
    # Plenty of energy, 30 kW of power: the level cannot go below the peak less 30 kW.
    bank = BatteryBank(usable_kwh=1000.0, room_kwh=0.0, charge_kw=30.0, discharge_kw=30.0)
    assert plan_level([100.0, 250.0, 100.0], bank, recharge_margin_kw=5.0) == pytest.approx(220.0, abs=0.01)


def hedged_shift_level(peak_slots: int, deviation_kw: float, hedge: float) -> float:
    """The level of one shift of ``peak_slots`` at 200 kW over 100 kW, hedged: the batteries keep back
    ``hedge`` deviations of the whole shift's total (the slots' deviations added in quadrature)."""
    reserve_kwh = hedge * deviation_kw * peak_slots**0.5 * 0.25 / 0.95
    per_slot_kwh = (47.5 - reserve_kwh) / peak_slots
    return 200.0 - per_slot_kwh * 0.95 / 0.25


def test_the_hedge_keeps_back_the_deviation_of_the_whole_stretch() -> None:
    # Eight slots of 200 kW, each varying by 20 kW from day to day. Hedged by half a deviation, the battery
    # keeps back half the deviation of the shift's total (20 kW * sqrt(8), not 20 kW * 8: the slots' ups
    # and downs partly cancel), and spreads the rest over the shift.
    demand = [100.0] * 4 + [200.0] * 8 + [100.0] * 4
    deviations = [20.0] * len(demand)
    on_the_mean = plan_level(demand, BANK, recharge_margin_kw=5.0)
    hedged = plan_level(demand, BANK, recharge_margin_kw=5.0, deviation_kw=deviations, hedge=0.5)
    assert hedged == pytest.approx(hedged_shift_level(8, 20.0, 0.5), abs=0.01)
    assert on_the_mean < hedged < on_the_mean + 0.5 * 20.0 / 2  # well under a per-slot hedge's 10 kW
    # Deviations in the valleys cost nothing: the battery does not cover them.
    valley_only = [0.0 if d > 150.0 else 50.0 for d in demand]
    unhedged = plan_level(demand, BANK, recharge_margin_kw=5.0, deviation_kw=valley_only, hedge=0.5)
    assert unhedged == pytest.approx(on_the_mean, abs=0.01)


def test_deviations_are_pooled_over_the_hour_and_not_lent_to_quarter_hours_seen_once() -> None:
    # Two days alike but for 10:00, 40 kW apart (a deviation of 20 kW from two days, variance 400 kW²).
    # Pooled with two quarter hours either side, 10:00 and its neighbours show 400 / 5; farther ones none.
    first = [100.0] * SLOTS_PER_DAY
    second = list(first)
    second[40] = 140.0
    profile = learned_day(first)
    for slot, value in enumerate(second[:60]):  # the second day seen until 15:00
        profile = profile.learn(TUESDAY_BLOCK + SLOTS_PER_DAY + slot, value)
    deviations = profile.deviations_ahead(TUESDAY_BLOCK + SLOTS_PER_DAY)
    pooled = (400.0 / 5) ** 0.5
    assert deviations[38:43] == pytest.approx([pooled] * 5)
    assert deviations[37] == deviations[43] == 0.0
    # From 15:00 on the second day has not been seen: no variance there, none borrowed from 14:45.
    profile = learned_day(first)
    for slot, value in enumerate(second[:60]):
        profile = profile.learn(TUESDAY_BLOCK + SLOTS_PER_DAY + slot, value + (30.0 if slot == 59 else 0.0))
    deviations = profile.deviations_ahead(TUESDAY_BLOCK + SLOTS_PER_DAY)
    assert deviations[59] > 0.0
    assert deviations[60:64] == [0.0] * 4


def test_a_night_of_recharging_starts_the_next_stretch_afresh() -> None:
    # Two one-hour shifts at 200 kW, each slot varying by 20 kW, and a battery that cannot recharge (so only
    # the hedge tells the cases apart). Four quarter hours below the level between them are a night: the
    # second shift keeps back its own hour's deviation. Three are not: it keeps back both hours'.
    bank = replace(BANK, charge_kw=0.0)

    def hedged(valley_slots: int) -> float:
        demand = [200.0] * 4 + [100.0] * valley_slots + [200.0] * 4
        return plan_level(demand, bank, recharge_margin_kw=5.0, deviation_kw=[20.0] * len(demand), hedge=1.0)

    def sharing(reserve_kwh: float) -> float:
        return 200.0 - (47.5 - reserve_kwh) / 8 * 0.95 / 0.25

    one_hour_kwh = 20.0 * 4**0.5 * 0.25 / 0.95
    assert hedged(4) == pytest.approx(sharing(one_hour_kwh), abs=0.01)
    assert hedged(3) == pytest.approx(sharing(one_hour_kwh * 2**0.5), abs=0.01)


# -- in the strategy --------------------------------------------------------------------------------------


WEDNESDAY_1000 = datetime(2024, 4, 17, 10, 0, 1, tzinfo=UTC)
SHAVING = config(
    mode=Mode.PEAK_SHAVING,
    import_limit_kw=400.0,
    peak_target_kw=100.0,
    peak_horizon_h=4.0,
    battery_reserve_percent=10.0,
)


def shift_day() -> DemandProfile:
    """A working day of 100 kW with a two-hour 200 kW shift from 10:00 UTC."""
    demand = [100.0] * SLOTS_PER_DAY
    demand[40:48] = [200.0] * 8
    return learned_day(demand)


def at_ten(grid_kw: float, soc: float) -> SiteSnapshot:
    return msgspec.structs.replace(
        site(grid_kw, batteries=(battery(soc=soc),), now_s=1000.0), at=WEDNESDAY_1000
    )


def test_peak_shaving_plans_its_level_from_a_learned_day() -> None:
    # At 10:00 the load is 200 kW and the battery (100 kWh) holds 47.5 kWh above its 10 % reserve: the
    # horizon rule would hold 188 kW for four hours; the plan knows the shift lasts two and holds 177.4 kW.
    block = int(WEDNESDAY_1000.timestamp()) // 900
    memory = StrategyMemory(
        at_s=999.0, peak=PeakMeter(block=block - 1, load_avg_kw=200.0), profile=shift_day()
    )
    decision = decide(at_ten(200.0, 57.5), SHAVING, memory)
    planned = decision.memory.peak.plan_kw
    assert planned is not None
    assert planned == pytest.approx(200.0 - 47.5 * 0.95 / 2.0, abs=0.05)
    assert sum(p.power_kw for p in decision.batteries) == pytest.approx(200.0 - planned, abs=0.05)


def test_the_plan_provisions_for_days_heavier_than_the_mean() -> None:
    # Two learned days: the shift at 180 and at 220 kW (a mean of 200, a deviation of 20 kW). Planned on
    # the mean, a day like the heavier one empties the battery an hour early; hedged, the battery keeps
    # back half the deviation of the two hours' total.
    demand = [100.0] * SLOTS_PER_DAY
    light, heavy = list(demand), list(demand)
    light[40:48] = [180.0] * 8
    heavy[40:48] = [220.0] * 8
    profile = learned_day(light)
    for slot, value in enumerate(heavy):
        profile = profile.learn(TUESDAY_BLOCK + SLOTS_PER_DAY + slot, value)
    block = int(WEDNESDAY_1000.timestamp()) // 900 + SLOTS_PER_DAY  # Thursday 10:00

    def planned(hedge: float) -> float:
        memory = StrategyMemory(
            at_s=999.0, peak=PeakMeter(block=block - 1, load_avg_kw=200.0), profile=profile
        )
        snapshot = msgspec.structs.replace(at_ten(200.0, 57.5), at=datetime.fromtimestamp(block * 900, UTC))
        level = decide(snapshot, replace_config(SHAVING, peak_plan_hedge=hedge), memory).memory.peak.plan_kw
        assert level is not None
        return level

    on_the_mean = planned(0.0)
    assert on_the_mean == pytest.approx(200.0 - 47.5 * 0.95 / 2.0, abs=0.05)
    # Pooled over the hour, the shift's first and last quarter hours share their neighbours' calm: the
    # variances over the shift are 240, 320, 400 x 4, 320, 240 kW² (2,720 in all, not 8 x 400).
    reserve_kwh = 0.5 * 2720.0**0.5 * 0.25 / 0.95
    assert planned(0.5) == pytest.approx(200.0 - (47.5 - reserve_kwh) / 8 * 0.95 / 0.25, abs=0.05)


def test_a_battery_that_takes_no_charge_is_planned_without_room() -> None:
    # 08:00, the shift at 10:00: a battery at 95 % holds 85 kWh above its 10 % reserve. Batteries do not
    # report their top SoC; one that still takes charge is counted with room up to 100 % (5 kWh it could
    # add in the valley before the shift), one that takes none is at its top and has no room.
    at = datetime(2024, 4, 17, 8, 0, 1, tzinfo=UTC)
    block = int(at.timestamp()) // 900

    def planned(charge_kw: float) -> float:
        full = battery(soc=95.0, charge=charge_kw, discharge=50.0)
        snapshot = msgspec.structs.replace(site(100.0, batteries=(full,), now_s=1000.0), at=at)
        memory = StrategyMemory(at_s=999.0, peak=PeakMeter(block=block - 1), profile=shift_day())
        level = decide(snapshot, SHAVING, memory).memory.peak.plan_kw
        assert level is not None
        return level

    assert planned(0.0) == pytest.approx(200.0 - 85.0 * 0.95 / 2.0, abs=0.05)
    assert planned(50.0) == pytest.approx(200.0 - 90.0 * 0.95 / 2.0, abs=0.05)


def night_and_shift() -> DemandProfile:
    """A working day of 70 kW at night and a 200 kW shift from 04:00 to 20:00 UTC, no boilers learned."""
    demand = [70.0] * SLOTS_PER_DAY
    demand[16:80] = [200.0] * 64
    return learned_day(demand)


def test_a_peak_is_near_once_the_demand_with_the_boilers_on_would_cross_the_level() -> None:
    profile = night_and_shift()
    wednesday = TUESDAY_BLOCK + SLOTS_PER_DAY
    # 01:00: the next two hours are night (70 + 150 kW of heating stays under 270 kW).
    assert not profile.peak_within(wednesday + 4, 270.0, 150.0)
    # 02:15: the shift starts within two hours (200 + 150 kW would cross it).
    assert profile.peak_within(wednesday + 9, 270.0, 150.0)
    # Nothing learned: any valley may be the last before a peak.
    assert DemandProfile().peak_within(wednesday + 4, 270.0, 150.0)


def test_boilers_fill_a_night_valley_only_in_the_two_hours_before_the_shift() -> None:
    # Battery full, a modulating 150 kW boiler with room in its tank, 70 kW of import at night under a
    # planned level: heat taken at 01:00 would stand in the tank till 04:00, heat taken at 02:15 is used.
    profile = night_and_shift()
    full = battery(soc=95.0, charge=0.0, discharge=100.0)
    tank = boiler(0.0, 60.0, rated_kw=150.0, hysteresis_k=4.0, min_power_kw=10.0)

    def mode_at(hour: int, minute: int) -> BoilerMode:
        at = datetime(2024, 4, 17, hour, minute, tzinfo=UTC)
        block = int(at.timestamp()) // 900
        snapshot = msgspec.structs.replace(
            site(70.0, batteries=(full,), boilers=(tank,), now_s=1000.0), at=at
        )
        memory = StrategyMemory(at_s=995.0, peak=PeakMeter(block=block, plan_kw=270.0), profile=profile)
        return decide(snapshot, SHAVING, memory).boilers[0].mode

    assert mode_at(1, 0) is not BoilerMode.ABSORB
    assert mode_at(2, 15) is BoilerMode.ABSORB


def test_a_boiler_that_recovered_in_one_quarter_hour_is_spread_over_two_hours() -> None:
    # The learned day had the shift at 200 kW and, at 11:00, one quarter hour where a boiler recovered at
    # 100 kW on top. As learned, that quarter hour alone would raise the plan; a tank holds hours of heat,
    # so the plan spreads the boiler's 25 kWh over the nine quarter hours around it.
    demand = [100.0] * SLOTS_PER_DAY
    demand[40:48] = [200.0] * 8
    profile = DemandProfile()
    for slot, value in enumerate(demand):
        boiler = 100.0 if slot == 44 else 0.0
        profile = profile.learn(TUESDAY_BLOCK + slot, value + boiler, boiler)
    as_one = learned_day([v + (100.0 if i == 44 else 0.0) for i, v in enumerate(demand)])
    block = int(WEDNESDAY_1000.timestamp()) // 900

    def planned(learned: DemandProfile) -> float:
        memory = StrategyMemory(
            at_s=999.0, peak=PeakMeter(block=block - 1, load_avg_kw=200.0), profile=learned
        )
        level = decide(at_ten(200.0, 57.5), SHAVING, memory).memory.peak.plan_kw
        assert level is not None
        return level

    # 25 kWh more to shave over the shift either way; spread, part of it falls outside the shift's peak.
    assert planned(profile) < planned(as_one)
    assert planned(profile) > planned(shift_day())


def test_without_a_learned_day_the_horizon_rule_holds() -> None:
    block = int(WEDNESDAY_1000.timestamp()) // 900
    memory = StrategyMemory(at_s=999.0, peak=PeakMeter(block=block - 1, load_avg_kw=200.0))
    decision = decide(at_ten(200.0, 57.5), SHAVING, memory)
    assert decision.memory.peak.plan_kw is None
    # 47.5 kWh over 4 h: 11.9 kW of discharge, a 188.1 kW level.
    assert sum(p.power_kw for p in decision.batteries) == pytest.approx(47.5 / 4.0, abs=0.05)


def test_peak_plan_off_keeps_the_horizon_rule() -> None:
    block = int(WEDNESDAY_1000.timestamp()) // 900
    memory = StrategyMemory(
        at_s=999.0, peak=PeakMeter(block=block - 1, load_avg_kw=200.0), profile=shift_day()
    )
    decision = decide(at_ten(200.0, 57.5), replace_config(SHAVING, peak_plan=False), memory)
    assert decision.memory.peak.plan_kw is None


def test_a_finished_quarter_hour_is_learned_and_a_partly_seen_one_is_not() -> None:
    block = int(WEDNESDAY_1000.timestamp()) // 900
    seen = PeakMeter(block=block - 1, energy_kws=900.0 * 150.0, seconds=900.0, demand_kws=900.0 * 150.0)
    learned = decide(at_ten(150.0, 50.0), SHAVING, StrategyMemory(at_s=999.0, peak=seen)).memory.profile
    assert learned.workday[39] == pytest.approx(150.0)  # 09:45 UTC
    # What the boilers drew of it is learned alongside.
    with_boilers = msgspec.structs.replace(seen, boilers_kws=900.0 * 40.0)
    shared = decide(
        at_ten(150.0, 50.0), SHAVING, StrategyMemory(at_s=999.0, peak=with_boilers)
    ).memory.profile
    assert shared.workday_boilers[39] == pytest.approx(40.0)
    glimpsed = msgspec.structs.replace(seen, seconds=60.0, demand_kws=60.0 * 150.0)
    untouched = decide(at_ten(150.0, 50.0), SHAVING, StrategyMemory(at_s=999.0, peak=glimpsed)).memory.profile
    assert untouched.learned_slots == 0


# -- kept between restarts --------------------------------------------------------------------------------


def test_the_profile_survives_a_restart(tmp_path: Path) -> None:
    profile = shift_day().learn(TUESDAY_BLOCK + SLOTS_PER_DAY + 40, 260.0)  # a second day: a variance
    assert profile.workday_variance[40] is not None
    assert StateStore(tmp_path).save_profile(profile)
    assert StateStore(tmp_path).load_profile() == profile
    assert not list(tmp_path.glob("*.tmp"))


def test_no_file_means_nothing_learned(tmp_path: Path) -> None:
    assert StateStore(tmp_path / "absent").load_profile() is None


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (b"{not json", "ignored"),
        (b'{"version": 1, "slot_s": 900, "workday": [1.0], "weekend": []}', "1 values, expected 96"),
        (b'{"version": 2, "slot_s": 900, "workday": [], "weekend": []}', "version 2"),
        (b'{"version": 1, "slot_s": 600, "workday": [], "weekend": []}', "slot_s 600"),
        (b'{"version": 1, "slot_s": 900, "workday": "x", "weekend": []}', "Expected `array`"),
    ],
)
def test_a_broken_file_is_reported_and_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes, complaint: str
) -> None:
    (tmp_path / PROFILE_FILE).write_bytes(content)
    with caplog.at_level(logging.WARNING):
        assert StateStore(tmp_path).load_profile() is None
    assert complaint in caplog.text
    assert "learning afresh" in caplog.text


def test_a_negative_variance_in_the_file_is_refused() -> None:
    stored = DemandProfile().to_file()
    assert stored.weekend_variance is not None
    stored.weekend_variance[5] = -1.0
    with pytest.raises(ValueError, match=r"weekend_variance\[5\] is negative"):
        DemandProfile.from_file(stored)


def test_a_file_without_the_variation_loads_without_it() -> None:
    stored = ProfileFile(1, 900, [10.0] * SLOTS_PER_DAY, [None] * SLOTS_PER_DAY)
    assert DemandProfile.from_file(stored).deviations_ahead(TUESDAY_BLOCK, 2) == [0.0, 0.0]


def test_a_non_finite_value_in_the_file_is_refused() -> None:
    stored = DemandProfile().to_file()
    stored.workday[3] = float("inf")
    with pytest.raises(ValueError, match=r"workday\[3\] is not a finite number"):
        DemandProfile.from_file(stored)


def test_a_failed_write_is_logged_once_and_the_controller_carries_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the directory should be")
    store = StateStore(blocker)
    with caplog.at_level(logging.WARNING):
        assert not store.save_profile(shift_day())
        assert not store.save_profile(shift_day())
    assert caplog.text.count("not saved") == 1


def test_the_file_format_is_plain_json(tmp_path: Path) -> None:
    StateStore(tmp_path).save_profile(DemandProfile().learn(TUESDAY_BLOCK, 42.0))
    stored = msgspec.json.decode((tmp_path / PROFILE_FILE).read_bytes(), type=ProfileFile)
    assert (stored.version, stored.slot_s, stored.workday[0], stored.weekend[0]) == (1, 900, 42.0, None)
    assert stored.workday_boilers is not None
    assert stored.workday_boilers[0] == 0.0


def replace_config(cfg: ControllerConfig, **changes: object) -> ControllerConfig:
    return msgspec.structs.replace(cfg, **changes)
