"""The IoT Edge deployment manifest as a typed model: the single source of truth for modules and routes.

``deployment/deployment.template.json`` is loaded with :func:`load_manifest`, which checks the shape the
IoT Edge deployment schema requires (``$edgeAgent`` schema 1.1, ``$edgeHub`` schema 1.2, as SchemaStore's
``azure-iot-edge-deployment-template-4.0`` describes them) and what the schema cannot see: every route
compiles, every module a route names exists, every desired-properties section belongs to a module. A broken
manifest raises :class:`ManifestError` naming the JSON path of the problem.

Templates may give ``createOptions`` as a JSON object (the tooling serialises it) or as a string; split
``createOptions01``… keys are not supported (this project writes its own manifest and never needs them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal, cast

import msgspec

from energy_edge.messaging.routes import ModuleInputSink, Route, RouteError, compile_route

MODULE_NAME: Final = re.compile(r"^[a-zA-Z0-9_-]+$")
ROUTE_NAME: Final = re.compile(r"^[^.$# ]+$")
ENV_NAME: Final = re.compile(r"^[^+#$\s.]+$")
EDGE_AGENT: Final = "$edgeAgent"
EDGE_HUB: Final = "$edgeHub"
DESIRED: Final = "properties.desired"

UInt32 = Annotated[int, msgspec.Meta(ge=0, le=4_294_967_295)]


class _Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """The deployment schema forbids additional properties almost everywhere; so do we (typos surface)."""


class EnvValue(_Strict, frozen=True):
    value: str | int | float | bool


class ModuleSettings(_Strict, frozen=True):
    image: Annotated[str, msgspec.Meta(min_length=1)]
    createOptions: dict[str, Any] | str | None = None  # noqa: N815 - the manifest's spelling


class SystemModule(_Strict, frozen=True):
    type: Literal["docker"]
    settings: ModuleSettings
    env: dict[str, EnvValue] = msgspec.field(default_factory=dict)
    imagePullPolicy: Literal["on-create", "never"] | None = None  # noqa: N815
    status: Literal["running", "stopped"] | None = None
    restartPolicy: Literal["never", "on-failure", "on-unhealthy", "always"] | None = None  # noqa: N815
    startupOrder: UInt32 | None = None  # noqa: N815


class Module(_Strict, frozen=True):
    type: Literal["docker"]
    status: Literal["running", "stopped"]
    restartPolicy: Literal["never", "on-failure", "on-unhealthy", "always"]  # noqa: N815
    settings: ModuleSettings
    version: str | None = None
    env: dict[str, EnvValue] = msgspec.field(default_factory=dict)
    imagePullPolicy: Literal["on-create", "never"] | None = None  # noqa: N815
    startupOrder: UInt32 | None = None  # noqa: N815


class RegistryCredential(_Strict, frozen=True):
    username: str
    password: str
    address: str


class RuntimeSettings(_Strict, frozen=True):
    minDockerVersion: str | None = None  # noqa: N815
    loggingOptions: str | None = None  # noqa: N815
    registryCredentials: dict[str, RegistryCredential] = msgspec.field(default_factory=dict)  # noqa: N815


class Runtime(_Strict, frozen=True):
    type: Literal["docker"]
    settings: RuntimeSettings


class SystemModules(_Strict, frozen=True):
    edgeAgent: SystemModule  # noqa: N815
    edgeHub: SystemModule  # noqa: N815


class EdgeAgentDesired(_Strict, frozen=True):
    schemaVersion: Literal["1.1"]  # noqa: N815
    runtime: Runtime
    systemModules: SystemModules  # noqa: N815
    modules: dict[str, Module]


class RouteObject(_Strict, frozen=True):
    route: Annotated[str, msgspec.Meta(min_length=1)]
    priority: Annotated[int, msgspec.Meta(ge=0, le=9)] | None = None
    timeToLiveSecs: UInt32 | None = None  # noqa: N815


class StoreAndForward(_Strict, frozen=True):
    timeToLiveSecs: UInt32  # noqa: N815


class EdgeHubDesired(_Strict, frozen=True):
    schemaVersion: Literal["1.2"]  # noqa: N815
    routes: dict[str, str | RouteObject]
    storeAndForwardConfiguration: StoreAndForward | None = None  # noqa: N815
    mqttBroker: dict[str, Any] | None = None  # noqa: N815


class ManifestError(ValueError):
    """A deployment manifest that IoT Edge would reject or that cannot work; ``path`` is a JSON path."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"invalid deployment manifest at {path}: {reason}")


@dataclass(frozen=True, slots=True)
class DeploymentManifest:
    """A loaded, validated manifest: modules, compiled routes and each module's initial desired properties."""

    agent: EdgeAgentDesired
    hub: EdgeHubDesired
    routes: tuple[Route, ...]
    desired_properties: Mapping[str, Mapping[str, Any]]

    @property
    def module_ids(self) -> tuple[str, ...]:
        return tuple(self.agent.modules)

    @property
    def store_and_forward_ttl_s(self) -> int:
        """How long edgeHub keeps messages it cannot deliver (IoT Edge's default is 7200 s)."""
        config = self.hub.storeAndForwardConfiguration
        return 7200 if config is None else config.timeToLiveSecs

    def module(self, module_id: str) -> Module:
        return self.agent.modules[module_id]

    def env(self, module_id: str) -> dict[str, str]:
        """A module's environment as the container sees it (all values strings)."""
        return {name: _env_string(var.value) for name, var in self.module(module_id).env.items()}


def load_manifest(path: str | Path) -> DeploymentManifest:
    """Read and validate a deployment manifest (or template) file."""
    location = Path(path)
    try:
        data = location.read_bytes()
    except OSError as error:
        raise ManifestError("$", f"cannot read {location}: {error.strerror}") from error
    return parse_manifest(data)


def parse_manifest(data: bytes | str | Mapping[str, Any]) -> DeploymentManifest:
    """Validate a manifest given as JSON text or as an already-parsed object."""
    document = _parse_json(data) if isinstance(data, bytes | str) else data
    content = _object(document.get("modulesContent"), "$.modulesContent")
    base = "$.modulesContent"
    agent_path, hub_path = f"{base}.{EDGE_AGENT}.{DESIRED}", f"{base}.{EDGE_HUB}.{DESIRED}"
    agent_desired, hub_desired = _desired(content, EDGE_AGENT, base), _desired(content, EDGE_HUB, base)
    _check_named_entries(agent_desired, hub_desired, agent_path, hub_path)
    agent: EdgeAgentDesired = _convert(agent_desired, EdgeAgentDesired, agent_path)
    hub: EdgeHubDesired = _convert(hub_desired, EdgeHubDesired, hub_path)
    _check_names(agent, hub)
    routes = _compile_routes(hub, set(agent.modules))
    desired = _module_desired_properties(content, set(agent.modules))
    return DeploymentManifest(agent=agent, hub=hub, routes=routes, desired_properties=desired)


def _parse_json(data: bytes | str) -> Mapping[str, Any]:
    try:
        document: object = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise ManifestError("$", f"not valid JSON: {error}") from error
    return _object(document, "$")


def _object(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        found = "nothing" if value is None else type(value).__name__
        raise ManifestError(path, f"expected an object, found {found}")
    return cast("dict[str, Any]", value)


def _desired(content: Mapping[str, Any], twin: str, base: str) -> Mapping[str, Any]:
    section = _object(content.get(twin), f"{base}.{twin}")
    return _object(section.get(DESIRED), f"{base}.{twin}.{DESIRED}")


def _convert(value: object, kind: Any, path: str) -> Any:
    try:
        return msgspec.convert(value, kind, strict=True)
    except msgspec.ValidationError as error:
        message = str(error)
        where = path
        if " - at `$" in message:
            message, _, suffix = message.partition(" - at `$")
            where = path + suffix.rstrip("`")
        raise ManifestError(where, message) from error


def _check_named_entries(
    agent: Mapping[str, Any], hub: Mapping[str, Any], agent_path: str, hub_path: str
) -> None:
    """Validate each entry of the maps keyed by user-chosen names (modules, env, credentials, routes) on
    its own first: msgspec reports a failing map entry as ``[...]``, and the path must name the entry."""

    def entries(value: object, kind: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in cast("dict[str, Any]", value).items():
                _convert(item, kind, f"{path}.{key}")

    def module(value: object, kind: type[Module | SystemModule], path: str) -> None:
        if isinstance(value, dict):
            fields = cast("dict[str, Any]", value)
            entries(fields.get("env"), EnvValue, f"{path}.env")
            _convert(fields, kind, path)

    for name, value in _dict(agent.get("modules")).items():
        module(value, Module, f"{agent_path}.modules.{name}")
    for name, value in _dict(agent.get("systemModules")).items():
        module(value, SystemModule, f"{agent_path}.systemModules.{name}")
    settings = _dict(_dict(agent.get("runtime")).get("settings"))
    entries(
        settings.get("registryCredentials"),
        RegistryCredential,
        f"{agent_path}.runtime.settings.registryCredentials",
    )
    entries(hub.get("routes"), str | RouteObject, f"{hub_path}.routes")


def _dict(value: object) -> dict[str, Any]:
    return cast("dict[str, Any]", value) if isinstance(value, dict) else {}


def _check_names(agent: EdgeAgentDesired, hub: EdgeHubDesired) -> None:
    modules_path = f"$.modulesContent.{EDGE_AGENT}.{DESIRED}.modules"
    for module_id, module in agent.modules.items():
        if not MODULE_NAME.match(module_id):
            raise ManifestError(
                f"{modules_path}.{module_id}", "module names may only hold letters, digits, _ and -"
            )
        for name in module.env:
            if not ENV_NAME.match(name):
                raise ManifestError(
                    f"{modules_path}.{module_id}.env.{name}", "invalid environment variable name"
                )
        options = module.settings.createOptions
        if isinstance(options, str):
            try:
                parsed: object = json.loads(options)
            except ValueError as error:
                raise ManifestError(
                    f"{modules_path}.{module_id}.settings.createOptions", str(error)
                ) from error
            if not isinstance(parsed, dict):
                raise ManifestError(
                    f"{modules_path}.{module_id}.settings.createOptions", "must be a JSON object"
                )
    for name in hub.routes:
        if not ROUTE_NAME.match(name):
            raise ManifestError(f"$.modulesContent.{EDGE_HUB}.{DESIRED}.routes.{name}", "invalid route name")


def _compile_routes(hub: EdgeHubDesired, module_ids: set[str]) -> tuple[Route, ...]:
    routes: list[Route] = []
    for name, spec in hub.routes.items():
        path = f"$.modulesContent.{EDGE_HUB}.{DESIRED}.routes.{name}"
        try:
            if isinstance(spec, str):
                route = compile_route(name, spec)
            else:
                as_dict: dict[str, Any] = {"route": spec.route}
                if spec.priority is not None:
                    as_dict["priority"] = spec.priority
                if spec.timeToLiveSecs is not None:
                    as_dict["timeToLiveSecs"] = spec.timeToLiveSecs
                route = compile_route(name, as_dict)
        except RouteError as error:
            raise ManifestError(path, str(error)) from error
        source_module = route.source.module_id
        if source_module is not None and source_module not in module_ids:
            raise ManifestError(path, f"route reads from module '{source_module}', which is not deployed")
        if isinstance(route.sink, ModuleInputSink) and route.sink.module_id not in module_ids:
            raise ManifestError(
                path, f"route delivers to module '{route.sink.module_id}', which is not deployed"
            )
        routes.append(route)
    return tuple(routes)


def _module_desired_properties(
    content: Mapping[str, Any], module_ids: set[str]
) -> dict[str, Mapping[str, Any]]:
    desired: dict[str, Mapping[str, Any]] = {}
    for twin, section in content.items():
        if twin in {EDGE_AGENT, EDGE_HUB}:
            continue
        path = f"$.modulesContent.{twin}"
        if twin not in module_ids:
            raise ManifestError(path, f"desired properties for '{twin}', which is not a deployed module")
        desired[twin] = dict(_object(_object(section, path).get(DESIRED), f"{path}.{DESIRED}"))
    return desired


def _env_string(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
