"""The dispatcher against modules on an in-process hub: what is sent, when, and what is not."""

from __future__ import annotations

import contextvars
from datetime import UTC, datetime
from typing import cast

import anyio
import pytest
from controller_module.config import ControllerConfig
from controller_module.decision import (
    BatterySetpoint,
    BoilerMode,
    BoilerSetpoint,
    Decision,
    PvSetpoint,
    StrategyMemory,
)
from controller_module.dispatcher import Command, Dispatcher
from controller_module.metrics import ControllerMetrics

from energy_edge.messaging.edge import EdgeClient, InProcessHub, MethodRequest, MethodResponse
from energy_edge.messaging.manifest import load_manifest
from energy_edge.modulehost.testing import find_deployment_template
from energy_edge.statemachine import AssetState

from ..conftest import battery, boiler, pv, site

pytestmark = pytest.mark.anyio
AT = datetime(2024, 6, 1, 12, tzinfo=UTC)


def decision(
    *,
    batteries: tuple[BatterySetpoint, ...] = (),
    pvs: tuple[PvSetpoint, ...] = (),
    boilers: tuple[BoilerSetpoint, ...] = (),
) -> Decision:
    return Decision(AT, batteries, pvs, boilers, "test", 0.0, frozenset(), StrategyMemory())


def charge(kw: float) -> tuple[BatterySetpoint, ...]:
    return (BatterySetpoint("battery-01", "battery-module", kw, "test"),)


class Asset:
    """Records the direct methods a module receives and answers them with a chosen status."""

    def __init__(self, status: int = 200, delay_s: float = 0.0) -> None:
        self.calls: list[tuple[str, object]] = []
        self.status = status
        self.delay_s = delay_s

    async def __call__(self, request: MethodRequest) -> MethodResponse:
        self.calls.append((request.name, request.payload))
        await anyio.sleep(self.delay_s)
        if self.status == 200:
            return MethodResponse(200, {"status": "ok"})
        return MethodResponse(self.status, {"status": "error", "error": "refused"})


async def run_dispatch(
    asset: Asset,
    decisions: list[tuple[float, Decision, tuple]],
    config: ControllerConfig,
    module: str = "battery-module",
) -> Dispatcher:
    with InProcessHub(load_manifest(find_deployment_template())) as hub:
        async with hub.client(module) as target, hub.client("controller-module") as controller:
            target.serve_methods(asset)
            dispatcher = Dispatcher(controller, ControllerMetrics())
            async with anyio.create_task_group() as tasks:
                for at_s, planned, views in decisions:
                    await anyio.sleep(max(at_s - anyio.current_time(), 0.0))
                    snapshot = site(
                        0.0, batteries=views[0], pvs=views[1], boilers=views[2], now_s=anyio.current_time()
                    )
                    dispatcher.dispatch(dispatcher.plan(planned, snapshot, config), tasks, config)
                await anyio.sleep(60)
    return dispatcher


RUNNING_BATTERY = ((battery(),), (), ())


async def test_a_new_set_point_is_sent_and_an_unchanged_one_is_not() -> None:
    asset = Asset()
    plan = [
        (0.0, decision(batteries=charge(-20.0)), RUNNING_BATTERY),
        (5.0, decision(batteries=charge(-20.0)), RUNNING_BATTERY),
    ]
    await run_dispatch(asset, plan, ControllerConfig())
    assert asset.calls == [("start_charging", {"power_kw": 20.0})]


async def test_the_set_point_is_refreshed_before_the_asset_lets_it_lapse() -> None:
    asset = Asset()
    plan = [(t, decision(batteries=charge(15.0)), RUNNING_BATTERY) for t in (0.0, 10.0, 20.0, 31.0, 40.0)]
    await run_dispatch(asset, plan, ControllerConfig(setpoint_refresh_s=30.0))
    assert asset.calls == [("start_discharging", {"power_kw": 15.0})] * 2


async def test_refusals_are_recorded_and_not_retried() -> None:
    asset = Asset(status=409)
    dispatcher = await run_dispatch(
        asset, [(0.0, decision(batteries=charge(-5.0)), RUNNING_BATTERY)], ControllerConfig()
    )
    assert len(asset.calls) == 1
    failure = dispatcher.failures["battery-01"]
    assert (failure.status, failure.error) == (409, "refused")
    assert "battery-01" not in dispatcher.accepted


async def test_transient_failures_are_retried_with_backoff() -> None:
    asset = Asset(status=500)
    config = ControllerConfig(command_retries=2)
    dispatcher = await run_dispatch(asset, [(0.0, decision(batteries=charge(-5.0)), RUNNING_BATTERY)], config)
    assert len(asset.calls) == 3
    assert dispatcher.failures["battery-01"].status == 500


async def test_one_command_in_flight_per_asset() -> None:
    asset = Asset(delay_s=3.0)
    plan = [
        (0.0, decision(batteries=charge(-5.0)), RUNNING_BATTERY),
        (1.0, decision(batteries=charge(-9.0)), RUNNING_BATTERY),
    ]
    await run_dispatch(asset, plan, ControllerConfig(command_timeout_s=5.0))
    assert asset.calls == [("start_charging", {"power_kw": 5.0})]


async def test_a_timeout_is_a_504_and_is_retried() -> None:
    asset = Asset(delay_s=10.0)
    config = ControllerConfig(command_timeout_s=2.0, command_retries=1)
    dispatcher = await run_dispatch(asset, [(0.0, decision(batteries=charge(-5.0)), RUNNING_BATTERY)], config)
    assert len(asset.calls) == 2
    assert dispatcher.failures["battery-01"].status == 504


async def test_nothing_is_sent_to_a_faulted_asset() -> None:
    asset = Asset()
    faulted = ((battery(state=AssetState.FAULT),), (), ())
    await run_dispatch(asset, [(0.0, decision(batteries=charge(-5.0)), faulted)], ControllerConfig())
    assert asset.calls == []


async def test_a_battery_held_at_zero_is_stopped_after_a_while() -> None:
    asset = Asset()
    plan = [(t, decision(batteries=charge(0.0)), RUNNING_BATTERY) for t in (0.0, 100.0, 200.0, 301.0)]
    await run_dispatch(asset, plan, ControllerConfig(battery_idle_stop_s=300.0, setpoint_refresh_s=1000.0))
    assert asset.calls == [("start_charging", {"power_kw": 0.0}), ("stop", None)]


async def test_an_idle_battery_with_a_zero_set_point_is_left_alone() -> None:
    asset = Asset()
    idle = ((battery(state=AssetState.IDLE),), (), ())
    await run_dispatch(asset, [(0.0, decision(batteries=charge(0.0)), idle)], ControllerConfig())
    assert asset.calls == []


async def test_an_idle_pv_inverter_is_started_and_a_running_one_gets_its_limit() -> None:
    asset = Asset()
    limit = (PvSetpoint("solar-01", "solar-module", 42.0, "test", True),)
    plan = [
        (0.0, decision(pvs=limit), ((), (pv(state=AssetState.IDLE),), ())),
        (5.0, decision(pvs=limit), ((), (pv(30.0),), ())),
    ]
    await run_dispatch(asset, plan, ControllerConfig(), module="solar-module")
    assert asset.calls == [("start", None), ("set_output", {"target_kw": 42.0})]


async def test_a_boiler_is_commanded_only_while_absorbing_or_shedding() -> None:
    asset = Asset()
    absorb = (BoilerSetpoint("boiler-01", "boiler-module", BoilerMode.ABSORB, 90.0, "surplus"),)
    normal = (BoilerSetpoint("boiler-01", "boiler-module", BoilerMode.NORMAL, None, "nothing to do"),)
    views = ((), (), (boiler(),))
    plan = [(0.0, decision(boilers=absorb), views), (40.0, decision(boilers=normal), views)]
    await run_dispatch(asset, plan, ControllerConfig(), module="boiler-module")
    assert asset.calls == [("set_temperature", {"target_celsius": 90.0})]


async def test_an_accepted_set_point_is_known_with_when_it_was_accepted() -> None:
    asset = Asset()
    dispatcher = await run_dispatch(
        asset, [(2.0, decision(batteries=charge(-20.0)), RUNNING_BATTERY)], ControllerConfig()
    )
    accepted_at = dispatcher.accepted["battery-01"][1]
    assert dispatcher.in_force("battery-01", after_s=accepted_at - 0.5) == -20.0  # charging, site convention
    assert dispatcher.in_force("battery-01", after_s=accepted_at + 0.5) is None  # telemetry is newer
    assert dispatcher.in_force("solar-01", after_s=0.0) is None  # nothing sent to it


async def test_a_boilers_target_and_heater_cap_are_two_set_points_sent_and_tracked_apart() -> None:
    asset = Asset()
    economy = (BoilerSetpoint("boiler-01", "boiler-module", BoilerMode.ECONOMY, 57.3, "test", 40.0),)
    capped = (BoilerSetpoint("boiler-01", "boiler-module", BoilerMode.ECONOMY, 57.3, "test", 25.0),)
    views = ((), (), (boiler(),))
    plan = [(0.0, decision(boilers=economy), views), (5.0, decision(boilers=capped), views)]
    dispatcher = await run_dispatch(asset, plan, ControllerConfig(), module="boiler-module")
    first, second = asset.calls[:2], asset.calls[2:]
    # Both set-points go out together (two channels: neither waits for the other), in either order.
    assert sorted(first, key=lambda call: call[0]) == [
        ("set_power_limit", {"power_kw": 40.0}),
        ("set_temperature", {"target_celsius": 57.3}),
    ]
    assert second == [("set_power_limit", {"power_kw": 25.0})]  # the target is unchanged: only the cap
    assert set(dispatcher.accepted) == {"boiler-01", "boiler-01/power_limit"}


CALLS_HERE: contextvars.ContextVar[int] = contextvars.ContextVar("calls_here", default=0)


class CallerTasks:
    """The controller's client, counting for each call the calls its task made before (a context variable
    set in a task stays set in that task only)."""

    def __init__(self, client: EdgeClient) -> None:
        self.client = client
        self.made_before: list[int] = []

    async def invoke_method(
        self, module_id: str, method: str, payload: object = None, *, timeout_s: float = 10.0
    ) -> MethodResponse:
        self.made_before.append(CALLS_HERE.get())
        CALLS_HERE.set(CALLS_HERE.get() + 1)
        return await self.client.invoke_method(module_id, method, payload, timeout_s=timeout_s)


async def test_kept_call_tasks_make_every_call_of_a_channel_and_wait_for_the_next() -> None:
    asset = Asset()
    config = ControllerConfig()
    with InProcessHub(load_manifest(find_deployment_template())) as hub:
        async with hub.client("battery-module") as target, hub.client("controller-module") as controller:
            target.serve_methods(asset)
            recorder = CallerTasks(controller)
            dispatcher = Dispatcher(cast("EdgeClient", recorder), ControllerMetrics(), keep_call_tasks=True)
            async with anyio.create_task_group() as tasks:
                for at_s, kw in ((0.0, -5.0), (5.0, -9.0), (10.0, 4.0)):
                    await anyio.sleep(at_s - anyio.current_time())
                    snapshot = site(0.0, batteries=(battery(),), now_s=anyio.current_time())
                    commands = dispatcher.plan(decision(batteries=charge(kw)), snapshot, config)
                    dispatcher.dispatch(commands, tasks, config)
                await anyio.sleep(60)
                tasks.cancel_scope.cancel()  # the call task is still there, waiting for the channel's next
    assert asset.calls == [
        ("start_charging", {"power_kw": 5.0}),
        ("start_charging", {"power_kw": 9.0}),
        ("start_discharging", {"power_kw": 4.0}),
    ]
    assert recorder.made_before == [0, 1, 2]  # one task made them all
    assert dispatcher.accepted["battery-01"][0].method == "start_discharging"
    assert not dispatcher.in_flight


def test_a_command_is_the_same_as_another_with_its_method_and_set_point_to_two_decimals() -> None:
    def charging(kw: float, method: str = "start_charging") -> Command:
        return Command("battery-01", "battery-module", method, {"power_kw": kw}, "test")

    assert charging(5.0).same_as(charging(5.0))
    assert charging(5.001).same_as(charging(5.0))
    assert not charging(5.01).same_as(charging(5.0))
    assert not charging(5.0, "start_discharging").same_as(charging(5.0))
    stop = Command("battery-01", "battery-module", "stop", None, "test")
    assert stop.same_as(stop)
