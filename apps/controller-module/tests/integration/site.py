"""A whole site for the controller's integration tests: the four asset modules and the controller, each in
its real host, on an in-process hub routed by the real deployment manifest, in virtual time.

Each asset module runs its own simulated driver. The meter is the one that has to see everybody: its
driver gets the other drivers' latest output through ``asset_outputs_kw`` (a wrapper that remembers the last
reading of each driver — the site simulator binds all drivers to one shared site model instead).
"""

from __future__ import annotations

import random
from collections.abc import AsyncGenerator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar, cast

import anyio
from battery_module import BatteryAsset, SimulatedBatteryDriver
from boiler_module import BoilerAsset, SimulatedBoilerDriver
from controller_module.service import ControllerService
from meter_module import MeterAsset, SimulatedMeterDriver
from opentelemetry.trace import TracerProvider
from solar_module import SimulatedSolarDriver, SolarAsset

from energy_edge.messaging import ROLLUP, SiteRollup
from energy_edge.messaging.edge import InProcessHub
from energy_edge.messaging.edge.twin import ModuleTwin
from energy_edge.messaging.manifest import load_manifest
from energy_edge.modulehost import ModuleHost
from energy_edge.modulehost.testing import find_deployment_template, wall_clock_from
from energy_edge.physics import (
    CLEAR_DAY,
    ArrayOrientation,
    Battery,
    BatteryParams,
    Boiler,
    BoilerParams,
    CloudModel,
    DrawProfile,
    LoadShape,
    Location,
    PvParams,
    PvSystem,
    SiteLoad,
    SiteLoadParams,
)

MIDSUMMER_NOON = datetime(2024, 6, 21, 11, tzinfo=UTC)  # 13:00 local time in Berlin: sun near its highest


class _Reads(Protocol):
    async def read(self) -> Any: ...


D = TypeVar("D", bound=_Reads)


class LastReading(Generic[D]):
    """A driver, remembering the power of its last reading for the meter."""

    def __init__(self, driver: D) -> None:
        self.driver = driver
        self.power_kw = 0.0

    async def read(self) -> Any:
        measurement = await self.driver.read()
        self.power_kw = measurement.power_kw
        return measurement

    def __getattr__(self, name: str) -> Any:
        return getattr(self.driver, name)


class Site:
    def __init__(
        self, hub: InProcessHub, controller: ControllerService, hosts: dict[str, ModuleHost[Any, Any]]
    ) -> None:
        self.hub = hub
        self.controller = controller
        self.hosts = hosts

    def rollups(self) -> list[SiteRollup]:
        return [
            ROLLUP.decode(m.body)
            for m in self.hub.upstream.delivered
            if m.connection_module_id == "controller-module"
        ]

    @property
    def battery(self) -> SimulatedBatteryDriver:
        return cast("LastReading[SimulatedBatteryDriver]", self.hosts["battery-module"].asset.driver).driver  # pyright: ignore[reportAttributeAccessIssue]

    @property
    def meter(self) -> SimulatedMeterDriver:
        return cast("SimulatedMeterDriver", self.hosts["meter-module"].asset.driver)  # pyright: ignore[reportAttributeAccessIssue]


@asynccontextmanager
async def whole_site(
    *,
    controller_desired: dict[str, Any] | None = None,
    battery_soc: float = 0.5,
    boiler_temperature_c: float = 60.0,
    annual_load_kwh: float = 50_000.0,
    tracer_provider: TracerProvider | None = None,
) -> AsyncGenerator[Site]:
    clock = wall_clock_from(MIDSUMMER_NOON)
    solar = LastReading(
        SimulatedSolarDriver(
            PvSystem(PvParams(dc_rating_kw=100.0, ac_rating_kw=80.0)),
            location=Location(52.52, 13.40, 34.0),
            orientation=ArrayOrientation(tilt_deg=30.0, azimuth_deg=180.0),
            clouds=CloudModel(CLEAR_DAY, random.Random(1)),
            wall_clock=clock,
        )
    )
    battery = LastReading(
        SimulatedBatteryDriver(
            Battery(
                BatteryParams(capacity_kwh=100.0, max_charge_c_rate=1.0, max_discharge_c_rate=1.0),
                initial_soc=battery_soc,
            )
        )
    )
    no_draw = (0.0,) * 24
    boiler = LastReading(
        SimulatedBoilerDriver(
            Boiler(
                BoilerParams(rated_power_kw=30.0, tank_volume_l=2000.0),
                target_celsius=65.0,
                initial_temperature_c=boiler_temperature_c,
            ),
            DrawProfile(no_draw, no_draw, no_draw),
            wall_clock=clock,
        )
    )

    def behind_the_meter(_at: datetime) -> Sequence[float]:
        return (solar.power_kw, battery.power_kw, boiler.power_kw)

    load = SiteLoad(SiteLoadParams(LoadShape.COMMERCIAL, annual_load_kwh), random.Random(2))
    meter = SimulatedMeterDriver(load, rng=random.Random(3), clock=clock, asset_outputs_kw=behind_the_meter)
    assets = {
        "solar-module": SolarAsset("solar-01", solar),  # pyright: ignore[reportArgumentType]
        "battery-module": BatteryAsset("battery-01", battery),  # pyright: ignore[reportArgumentType]
        "boiler-module": BoilerAsset("boiler-01", boiler),  # pyright: ignore[reportArgumentType]
        "meter-module": MeterAsset("meter-01", meter),
    }
    manifest = load_manifest(find_deployment_template())
    with InProcessHub(manifest, wall_clock=clock, tracer_provider=tracer_provider) as hub:
        if controller_desired is not None:
            desired = {**manifest.desired_properties["controller-module"], **controller_desired}
            hub.twins["controller-module"] = ModuleTwin(desired=desired)
        # Clients connect first and close last, so each module's final report still reaches the hub.
        async with AsyncExitStack() as stack:
            clients = {
                m: await stack.enter_async_context(hub.client(m)) for m in (*assets, "controller-module")
            }
            hosts = {
                module_id: ModuleHost(asset, clients[module_id], clock=clock, tracer_provider=tracer_provider)
                for module_id, asset in assets.items()
            }
            controller = ControllerService(
                clients["controller-module"], clock=clock, tracer_provider=tracer_provider
            )
            tasks = await stack.enter_async_context(anyio.create_task_group())
            for host in hosts.values():
                await tasks.start(host.run)
            await tasks.start(controller.run)
            yield Site(hub, controller, hosts)
            tasks.cancel_scope.cancel()
