"""Properties of the strategy over random sites (hypothesis)."""

from __future__ import annotations

from controller_module.config import ControllerConfig, Mode
from controller_module.decision import StrategyMemory
from controller_module.snapshot import BatteryView, BoilerView, MeterView, PvView, SiteSnapshot
from controller_module.strategy import decide
from hypothesis import given, settings
from hypothesis import strategies as st

from energy_edge.statemachine import AssetState

from ..conftest import AT

states = st.sampled_from(list(AssetState))
power = st.floats(-500.0, 500.0)
room = st.floats(0.0, 200.0)


@st.composite
def batteries(draw: st.DrawFn, index: int) -> BatteryView:
    return BatteryView(
        f"battery-{index}", "battery-module", draw(states), draw(power), draw(st.floats(0.0, 100.0)),
        100.0, draw(room), draw(room),
    )  # fmt: skip


@st.composite
def pvs(draw: st.DrawFn, index: int) -> PvView:
    produced = draw(st.floats(0.0, 300.0))
    return PvView(
        f"solar-{index}", "solar-module", draw(states), produced, produced + draw(st.floats(0.0, 100.0)),
        None, draw(st.none() | st.floats(0.0, 400.0)),
    )  # fmt: skip


@st.composite
def boilers(draw: st.DrawFn, index: int) -> BoilerView:
    low = draw(st.floats(20.0, 60.0))
    return BoilerView(
        f"boiler-{index}", "boiler-module", draw(states), draw(st.floats(0.0, 200.0)),
        draw(st.floats(0.0, 120.0)), 65.0, draw(st.floats(1.0, 200.0)), low, low + draw(st.floats(5.0, 40.0)),
    )  # fmt: skip


@st.composite
def sites(draw: st.DrawFn) -> SiteSnapshot:
    meter = draw(st.none() | st.builds(MeterView, st.just("meter-01"), states, power))
    return SiteSnapshot(
        AT,
        draw(st.floats(0.0, 1e6)),
        tuple(draw(pvs(i)) for i in range(draw(st.integers(0, 3)))),
        tuple(draw(batteries(i)) for i in range(draw(st.integers(0, 3)))),
        tuple(draw(boilers(i)) for i in range(draw(st.integers(0, 2)))),
        meter,
        frozenset(),
    )


@st.composite
def configs(draw: st.DrawFn) -> ControllerConfig:
    export_limit = draw(st.floats(0.0, 300.0))
    import_limit = draw(st.floats(0.0, 600.0))
    return ControllerConfig(
        mode=draw(st.sampled_from(list(Mode))),
        grid_target_kw=draw(st.floats(-import_limit, export_limit)),
        import_limit_kw=import_limit,
        export_limit_kw=export_limit,
        battery_reserve_percent=draw(st.floats(0.0, 100.0)),
        battery_ramp_kw_per_s=draw(st.floats(0.1, 1000.0)),
    )


@settings(max_examples=150, deadline=None)
@given(
    snapshot=sites(),
    config=configs(),
    previous=st.dictionaries(st.sampled_from(["battery-0", "battery-1"]), power),
)
def test_no_set_point_leaves_what_the_asset_can_do(
    snapshot: SiteSnapshot, config: ControllerConfig, previous: dict[str, float]
) -> None:
    decision = decide(snapshot, config, StrategyMemory(at_s=snapshot.monotonic_s - 5.0, battery_kw=previous))
    views = {b.asset_id: b for b in snapshot.batteries}
    for point in decision.batteries:
        view = views[point.asset_id]
        assert -view.max_charge_kw - 1e-6 <= point.power_kw <= view.max_discharge_kw + 1e-6
    pv_views = {p.asset_id: p for p in snapshot.pv}
    for point in decision.pv:
        ceiling = pv_views[point.asset_id].max_output_kw
        assert point.limit_kw >= 0.0
        assert ceiling is None or point.limit_kw <= ceiling + 1e-6
    boiler_views = {b.asset_id: b for b in snapshot.boilers}
    for point in decision.boilers:
        view = boiler_views[point.asset_id]
        assert view.min_celsius is not None
        assert view.max_celsius is not None
        assert point.target_celsius is None or view.min_celsius <= point.target_celsius <= view.max_celsius


@settings(max_examples=150, deadline=None)
@given(snapshot=sites(), config=configs())
def test_a_faulted_stopping_or_stale_asset_is_never_commanded(
    snapshot: SiteSnapshot, config: ControllerConfig
) -> None:
    decision = decide(snapshot, config, StrategyMemory())
    commanded = {p.asset_id for p in (*decision.batteries, *decision.pv, *decision.boilers)}
    views = (*snapshot.batteries, *snapshot.pv, *snapshot.boilers)
    not_commandable = {v.asset_id for v in views if v.state in (AssetState.FAULT, AssetState.STOPPING)}
    assert not commanded & not_commandable


@settings(max_examples=150, deadline=None)
@given(snapshot=sites(), config=configs())
def test_balancing_never_discharges_at_or_below_the_reserve(
    snapshot: SiteSnapshot, config: ControllerConfig
) -> None:
    # With an import limit nobody can reach, only balancing decides: the reserve is untouchable.
    relaxed = ControllerConfig(
        mode=config.mode,
        grid_target_kw=max(config.grid_target_kw, -1e5),
        import_limit_kw=1_000_000.0,
        export_limit_kw=config.export_limit_kw,
        battery_reserve_percent=config.battery_reserve_percent,
    )
    decision = decide(snapshot, relaxed, StrategyMemory())
    socs = {b.asset_id: b.soc_percent for b in snapshot.batteries}
    for point in decision.batteries:
        if socs[point.asset_id] <= relaxed.battery_reserve_percent:
            assert point.power_kw <= 0.0
