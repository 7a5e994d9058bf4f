"""A small asset for exercising the host: a heater on a driver double (a seam the tests own).

The heater draws ``power_kw`` while running, reaches "running" one read after it is started and "stopped"
one read after it is stopped; tests can inject an equipment fault or make reads fail.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import anyio
import anyio.lowlevel
import msgspec
import pytest
from opentelemetry.sdk.trace import TracerProvider
from trio.testing import MockClock

from energy_edge.messaging import SET_POWER, AssetType, BoilerTelemetry, CommandAccepted, SetPower
from energy_edge.messaging.manifest import DeploymentManifest, parse_manifest
from energy_edge.modulehost import (
    ANY_STATE,
    AssetModule,
    Command,
    CommandRefused,
    ConfigError,
    HostConfig,
    ModuleMetrics,
    TelemetryHeader,
    invalid,
)
from energy_edge.modulehost.testing import ModuleUnderTest, module_on_hub
from energy_edge.statemachine import AssetState

TEMPLATE = Path(__file__).parents[3] / "deployment" / "deployment.template.json"
START = datetime(2024, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    """Virtual time: ticks, intervals and set-point expiry run instantly and deterministically."""
    return "trio", {"clock": MockClock(autojump_threshold=0)}


def virtual_clock() -> datetime:
    return START + timedelta(seconds=anyio.current_time())


class HeaterConfig(HostConfig, frozen=True, kw_only=True):
    max_power_kw: Annotated[float, msgspec.Meta(gt=0.0, le=1000.0)] = 50.0
    min_power_kw: Annotated[float, msgspec.Meta(ge=0.0, le=1000.0)] = 0.0

    def __post_init__(self) -> None:
        if self.min_power_kw > self.max_power_kw:
            raise ValueError("min_power_kw must not exceed max_power_kw")


@dataclass(frozen=True, slots=True)
class HeaterReading:
    power_kw: float
    running: bool
    fault: str | None
    temperature_c: float | None = 60.0
    soc_percent: float | None = None


class HeaterDriverDouble:
    def __init__(self) -> None:
        self.energised = False
        self.was_running = False
        self.setpoint_kw = 0.0
        self.fault: str | None = None
        self.fault_persists = False
        self.read_error: Exception | None = None
        self.start_error: Exception | None = None
        self.stops = 0

    async def read(self) -> HeaterReading:
        await anyio.lowlevel.checkpoint()
        if self.read_error is not None:
            raise self.read_error
        running, self.was_running = self.was_running, self.energised
        return HeaterReading(
            power_kw=-self.setpoint_kw if running else 0.0, running=running, fault=self.fault
        )


class HeaterAsset(AssetModule[HeaterConfig, HeaterReading]):
    asset_type = AssetType.BOILER
    config_type = HeaterConfig

    def __init__(self, asset_id: str, driver: HeaterDriverDouble) -> None:
        super().__init__(asset_id)
        self.driver = driver
        self.fallbacks = 0
        self.configured: list[HeaterConfig] = []
        self.refuse_config: str | None = None

    def commands(self) -> Mapping[str, Command]:
        return {
            **self.lifecycle_commands(),
            "set_power": Command(SET_POWER, self._set_power, ANY_STATE - {AssetState.FAULT}),
            "explode": Command(SET_POWER, self._explode),
        }

    async def _set_power(self, request: SetPower) -> CommandAccepted:
        if request.power_kw > self.config.max_power_kw:
            raise invalid(f"power_kw {request.power_kw} exceeds max_power_kw {self.config.max_power_kw}")
        if request.power_kw == 13.0:
            raise CommandRefused(409, "unlucky power")
        self.driver.setpoint_kw = request.power_kw
        self.hold_setpoint(f"heating at {request.power_kw} kW")
        return self.accepted(actual_kw=request.power_kw)

    async def _explode(self, request: SetPower) -> CommandAccepted:
        raise RuntimeError("heater element short-circuit in the handler")

    async def sense(self) -> HeaterReading:
        return await self.driver.read()

    def telemetry(self, measurement: HeaterReading, header: TelemetryHeader) -> BoilerTelemetry:
        return BoilerTelemetry(
            asset_id=header.asset_id,
            state=header.state,
            timestamp=header.timestamp,
            fault_code=header.fault_code,
            power_output_kw=measurement.power_kw,
            temperature_c=measurement.temperature_c or 0.0,
            target_celsius=70.0,
        )

    async def start_equipment(self) -> None:
        if self.driver.start_error is not None:
            raise self.driver.start_error
        self.driver.energised = True

    async def stop_equipment(self) -> None:
        self.driver.stops += 1
        self.driver.energised = False
        self.driver.setpoint_kw = 0.0

    async def reset_equipment(self) -> None:
        if self.driver.fault_persists:
            raise CommandRefused(409, "heater still over temperature")
        self.driver.fault = None

    async def configure(self, config: HeaterConfig) -> None:
        if self.refuse_config is not None:
            raise ConfigError(self.refuse_config)
        self.configured.append(config)
        self.config = config

    async def fall_back(self) -> None:
        self.fallbacks += 1
        self.driver.setpoint_kw = 0.0


@pytest.fixture
def driver() -> HeaterDriverDouble:
    return HeaterDriverDouble()


@pytest.fixture
def heater(driver: HeaterDriverDouble) -> HeaterAsset:
    return HeaterAsset("boiler-01", driver)


def manifest_with(desired: dict[str, Any] | None = None) -> DeploymentManifest:
    document = json.loads(TEMPLATE.read_text())
    document["modulesContent"]["boiler-module"] = {"properties.desired": desired or {}}
    return parse_manifest(document)


@asynccontextmanager
async def running(
    asset: HeaterAsset,
    desired: dict[str, Any] | None = None,
    *,
    metrics: ModuleMetrics | None = None,
    tracer_provider: TracerProvider | None = None,
) -> AsyncGenerator[ModuleUnderTest]:
    """The heater as ``boiler-module`` on a hub built from the real manifest (own desired properties)."""
    async with module_on_hub(
        asset, "boiler-module", desired=desired or {}, metrics=metrics, tracer_provider=tracer_provider
    ) as module:
        yield module
