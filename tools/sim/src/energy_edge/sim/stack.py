"""The ``controller`` strategy: the real modules and the real controller over a simulated site day.

The in-process hub is built from ``deployment/deployment.template.json``; each module runs in its real host
(``ModuleHost`` for the four assets, ``ControllerService`` for the controller) with drivers bound to one
shared :class:`SiteModel`; everything runs on a virtual-time asyncio loop, so a day takes seconds. The
scenario reaches the modules only as a real deployment would reach them: through their desired properties
(limits, bands, intervals, the controller's mode). The controller sees telemetry and nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import math
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import anyio
import msgspec
from battery_module import BatteryAsset
from boiler_module import BoilerAsset
from controller_module.service import ControllerService
from controller_module.state import StateStore
from meter_module import MeterAsset
from opentelemetry.trace import NoOpTracerProvider
from solar_module import SolarAsset

from energy_edge.messaging import ROLLUP, SiteRollup
from energy_edge.messaging.edge import InProcessHub
from energy_edge.messaging.edge.twin import ModuleTwin
from energy_edge.messaging.manifest import DeploymentManifest, load_manifest
from energy_edge.modulehost import AssetModule, ModuleHost
from energy_edge.modulehost.testing import find_deployment_template
from energy_edge.sim.drivers import SiteBattery, SiteBoiler, SiteMeter, SiteSolar
from energy_edge.sim.exogenous import ExogenousInputs
from energy_edge.sim.scenario import Scenario
from energy_edge.sim.site_model import SiteModel
from energy_edge.sim.trace import SiteTrace
from energy_edge.sim.vclock import VirtualTimeLoop

DEVICE_ID: Final = "sim-device"
PROGRESS_EVERY_S: Final = 3600.0

Progress = Callable[[float, float], None]
"""Called with (simulated seconds done, simulated seconds in all)."""


@dataclass(frozen=True, slots=True)
class StackRun:
    trace: SiteTrace
    commands_sent: int
    rollups: list[SiteRollup]
    wall_time_s: float
    """Warm-up included."""
    simulated_s: float
    """Simulated time the stack ran, warm-up included (the trace covers the scored run only)."""
    warmup_days: int = 0
    learned_quarter_hours: int = 0
    """Quarter hours of demand the controller had learned when the scored run began."""


def warmup_scenarios(scenario: Scenario) -> list[Scenario]:
    """The days before the scenario's start, oldest first, one scenario each, for the controller's warm-up.

    Each day runs as a stack of its own from the scenario's initial state, as the scored run does: a
    controller restarted at midnight, into a new billing period. Run as one multi-day stack instead, the
    peak billed on the first day held the level of the next ones, whose boilers filled the valleys up to
    it: the profile learned from them ran heavier than the site (industrial-peak-shaving, two warm-up days:
    regret 0.144 run as one stretch, 0.080 day by day)."""
    days = scenario.time.warmup_days
    return [
        msgspec.structs.replace(
            scenario,
            time=msgspec.structs.replace(
                scenario.time,
                start=scenario.time.start - timedelta(days=days - day),
                days=1,
                hours=None,
                warmup_days=0,
            ),
        )
        for day in range(days)
    ]


def warmup_seed(seed: int, day: int = 0) -> int:
    """Weather and load of warm-up day ``day``: draws of its own, so the controller cannot learn the scored
    day itself, and no two warm-up days are the same day."""
    return (seed * 1_000_003 + 7_919 + day * 104_729) % 2**31


def module_desired(scenario: Scenario, manifest: DeploymentManifest) -> dict[str, dict[str, Any]]:
    """Each module's desired properties for the scenario: the manifest's, with the site's equipment."""
    desired = {module: dict(props) for module, props in manifest.desired_properties.items()}
    interval = scenario.modules.telemetry_interval_s
    battery, boiler, pv = scenario.battery, scenario.boiler, scenario.pv
    desired["battery-module"] |= {
        "max_charge_kw": battery.power_kw,
        "max_discharge_kw": battery.power_kw,
        "soc_min_percent": battery.soc_min_percent,
        "soc_max_percent": battery.soc_max_percent,
        "telemetry_interval_s": interval,
    }
    desired["solar-module"] |= {
        "max_output_kw": pv.inverter_kw,
        "fallback_output_kw": min(
            desired["solar-module"].get("fallback_output_kw", pv.inverter_kw), pv.inverter_kw
        ),
        "telemetry_interval_s": interval,
    }
    desired["boiler-module"] |= {
        "min_celsius": boiler.min_celsius,
        "max_celsius": boiler.max_celsius,
        "default_target_celsius": boiler.default_target_celsius,
        "max_power_kw": boiler.power_kw,
        "telemetry_interval_s": interval,
    }
    meter_interval = scenario.modules.meter_interval_s
    desired["meter-module"] |= {"telemetry_interval_s": meter_interval or interval}
    desired["controller-module"] |= {
        "import_limit_kw": scenario.grid.import_limit_kw,
        "export_limit_kw": scenario.grid.export_limit_kw,
        # What the installer enters for the controller's own clear-sky forecast: where the array is and
        # how it faces. The sky it will actually get stays with the simulator.
        "pv_array": {
            "latitude": scenario.site.latitude,
            "longitude": scenario.site.longitude,
            "altitude_m": scenario.site.altitude_m,
            "peak_kw": pv.kwp,
            "tilt_deg": pv.tilt_deg,
            "azimuth_deg": pv.azimuth_deg,
        },
        **scenario.controller,
    }
    return desired


def run_stack(
    scenario: Scenario,
    *,
    seed: int,
    days: int | None = None,
    progress: Progress | None = None,
    manifest_path: Path | None = None,
    exogenous: ExogenousInputs | None = None,
) -> StackRun:
    """Run the controller strategy to the end of the scenario (blocking; virtual time)."""
    manifest = load_manifest(manifest_path or find_deployment_template())
    started = time.perf_counter()
    warmups = warmup_scenarios(scenario)
    warmup_s = sum(day.duration_s() for day in warmups)
    scored_s = scenario.duration_s(days)

    def shifted(offset_s: float) -> Progress | None:
        report = progress
        if report is None:
            return None
        return lambda done, _total: report(offset_s + done, warmup_s + scored_s)

    result: dict[str, Any] = {}
    with _modules_quiet(), tempfile.TemporaryDirectory(prefix="edge-sim-controller-") as state_dir:
        # The controller's state volume: the warm-up's learned demand is there when the scored run starts
        # its controller afresh (a module restart at midnight, as far as the controller can tell).
        state = StateStore(Path(state_dir))
        offset_s = 0.0
        for day, warmup in enumerate(warmups):

            async def warm_up(warmup: Scenario = warmup, day: int = day, offset_s: float = offset_s) -> None:
                # The warm-up's own weather and load: its own series, not the scored run's.
                await _simulate(
                    warmup,
                    manifest,
                    seed=warmup_seed(seed, day),
                    days=None,
                    progress=shifted(offset_s),
                    exogenous=None,
                    state=state,
                )

            anyio.run(warm_up, backend="asyncio", backend_options={"loop_factory": VirtualTimeLoop})
            offset_s += warmup.duration_s()
        learned = state.load_profile()

        async def main() -> None:
            result.update(
                await _simulate(
                    scenario,
                    manifest,
                    seed=seed,
                    days=days,
                    progress=shifted(warmup_s),
                    exogenous=exogenous,
                    state=state,
                )
            )

        anyio.run(main, backend="asyncio", backend_options={"loop_factory": VirtualTimeLoop})
    return StackRun(
        trace=result["trace"],
        commands_sent=result["commands"],
        rollups=result["rollups"],
        wall_time_s=time.perf_counter() - started,
        simulated_s=warmup_s + scored_s,
        warmup_days=scenario.time.warmup_days,
        learned_quarter_hours=0 if learned is None else learned.learned_slots,
    )


async def _simulate(
    scenario: Scenario,
    manifest: DeploymentManifest,
    *,
    seed: int,
    days: int | None,
    progress: Progress | None,
    exogenous: ExogenousInputs | None,
    state: StateStore | None = None,
) -> Mapping[str, Any]:
    model = SiteModel(scenario, seed=seed, days=days, exogenous=exogenous)
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualTimeLoop)
    origin = loop.virtual_time

    def monotonic() -> float:
        # The loop's clock read directly: anyio.current_time() would look the backend up on every call.
        return loop.virtual_time

    def now() -> float:
        return loop.virtual_time - origin

    start = model.start
    at, instant = math.nan, start

    def clock() -> datetime:
        # The modules whose turn comes at one virtual instant all read the clock: build its datetime once
        # (and keep it in the closure's own cells, read faster than a container's).
        nonlocal at, instant
        t = loop.virtual_time
        if t != at:
            at, instant = t, start + timedelta(seconds=t - origin)
        return instant

    tracing = NoOpTracerProvider()  # spans would only cost time: nobody reads them in a simulation
    assets: dict[str, AssetModule[Any, Any]] = {
        "meter-module": MeterAsset("meter-01", SiteMeter(model, now)),
        "solar-module": SolarAsset("solar-01", SiteSolar(model, now)),
        "battery-module": BatteryAsset("battery-01", SiteBattery(model, now)),
        "boiler-module": BoilerAsset("boiler-01", SiteBoiler(model, now)),
    }
    with InProcessHub(
        manifest, device_id=DEVICE_ID, clock=monotonic, wall_clock=clock, tracer_provider=tracing
    ) as hub:
        for module_id, properties in module_desired(scenario, manifest).items():
            hub.twins[module_id] = ModuleTwin(desired=properties)
        async with AsyncExitStack() as stack:
            # Clients connect first and close last, so every module's final report still reaches the hub.
            clients = {
                m: await stack.enter_async_context(hub.client(m)) for m in (*assets, "controller-module")
            }
            hosts = [
                ModuleHost(
                    asset, clients[module_id], clock=clock, monotonic=monotonic, tracer_provider=tracing
                )
                for module_id, asset in assets.items()
            ]
            controller = ControllerService(
                clients["controller-module"],
                clock=clock,
                monotonic=monotonic,
                tracer_provider=tracing,
                state=state,
            )
            tasks = await stack.enter_async_context(anyio.create_task_group())
            for host in hosts:
                await tasks.start(host.run)
            await tasks.start(controller.run)
            while not model.finished:
                await anyio.sleep(min(PROGRESS_EVERY_S, model.end_s - now()))
                model.advance_to(now())
                if progress is not None:
                    progress(model.now_s, model.end_s)
            tasks.cancel_scope.cancel()
        commands = _commands_sent(controller)
        rollups = [
            ROLLUP.decode(m.body)
            for m in hub.upstream.delivered
            if m.connection_module_id == "controller-module"
        ]
    return {"trace": model.trace, "commands": commands, "rollups": rollups}


@contextmanager
def _modules_quiet() -> Iterator[None]:
    """The modules log every alert and every command; over a simulated day that is noise (and time):
    only errors get through while the stack runs."""
    names = (
        "energy_edge",
        "controller_module",
        "battery_module",
        "boiler_module",
        "meter_module",
        "solar_module",
    )
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _commands_sent(controller: ControllerService) -> int:
    total = 0.0
    for family in controller.metrics.commands.collect():
        for sample in family.samples:
            if sample.name.endswith("_total"):
                total += sample.value
    return int(total)
