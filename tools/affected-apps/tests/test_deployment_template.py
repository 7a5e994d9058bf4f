"""deployment/deployment.template.json, checked offline against the apps and the deploy stage.

* the template loads with the messaging package's typed model (``load_manifest``: the IoT Edge deployment
  schema's rules plus routes that compile and name deployed modules), so it raises no ManifestError;
* every module it deploys has an app folder ``apps/<module-id>`` with a module.json, and every app with a
  module.json is deployed. An app folder with no code under ``src/`` yet (``__init__.py`` skeletons aside) is
  being created and need not have a module.json yet; a module in the template with no app folder is an error;
* every module's image is exactly ``${MODULES.<module-id>}``, which ``AzureIoTEdge@2`` (iotedgedev) expands
  from ``apps/<module-id>/module.json``;
* every other ``${NAME}`` in the template and in the apps' module.json files is one the deploy stage provides:
  the ``env`` of its "Generate deployment manifest" ``AzureIoTEdge@2`` step, or a variable the pipeline
  defines by value (Azure Pipelines maps those to ``NAME`` in every step's environment). Variable groups are
  not counted: their content is not in the repository, and secret ones never reach a step unmapped;
* every module's ``METRICS_PORT`` is set, and ``<port>/tcp`` is in its ``createOptions.ExposedPorts``;
* the telemetry module (the one with ``MetricsEndpointsCSV``) scrapes ``http://<module>:<port>/metrics`` of
  every other module, and every endpoint it lists is a deployed module's.

Every checker is also run on a deliberately broken input, so a check that silently passes everything fails.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from energy_edge.messaging.manifest import DeploymentManifest, ManifestError, load_manifest, parse_manifest

REPO = Path(__file__).resolve().parents[3]
APPS = REPO / "apps"
TEMPLATE = REPO / "deployment" / "deployment.template.json"
PIPELINES = REPO / ".azure-pipelines"
DEPLOY_STAGE = PIPELINES / "stages" / "deploy.yml"
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
GENERATE = "Generate deployment manifest"


def load_yaml(path: Path) -> Any:
    return YAML(typ="base").load(path.read_text(encoding="utf-8"))


def walk(node: Any) -> Iterator[Any]:
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        yield from walk(child)


def being_created(folder: Path) -> bool:
    """No code under src/ yet (``__init__.py`` skeletons aside): as test_images.py decides."""
    return not any(path.name != "__init__.py" for path in (folder / "src").rglob("*.py"))


# ------------------------------------------------------------------------------------------- checkers


def app_errors(manifest: DeploymentManifest, apps_root: Path) -> list[str]:
    """Modules without an app and module.json, and apps with a module.json that are not deployed."""
    errors = []
    for module_id in manifest.module_ids:
        folder = apps_root / module_id
        if not (folder / "pyproject.toml").is_file():
            errors.append(f"module {module_id}: no app folder apps/{module_id} (with a pyproject.toml)")
        elif not (folder / "module.json").is_file() and not being_created(folder):
            errors.append(f"module {module_id}: apps/{module_id}/module.json is missing")
    errors += [
        f"apps/{module_json.parent.name} has a module.json but is not deployed in the template"
        for module_json in sorted(apps_root.glob("*/module.json"))
        if module_json.parent.name not in manifest.module_ids
    ]
    return errors


def image_errors(manifest: DeploymentManifest) -> list[str]:
    return [
        f"module {module_id}: image {module.settings.image!r} is not ${{MODULES.{module_id}}}"
        for module_id, module in manifest.agent.modules.items()
        if module.settings.image != f"${{MODULES.{module_id}}}"
    ]


def provided_names(deploy_stage: Path, pipeline_files: list[Path]) -> set[str]:
    """What ``${NAME}`` can be when the deploy stage generates the manifest (see the module docstring)."""
    names: set[str] = set()
    for node in walk(load_yaml(deploy_stage)):
        if (
            isinstance(node, dict)
            and str(node.get("task", "")).startswith("AzureIoTEdge@")
            and isinstance(node.get("inputs"), dict)
            and node["inputs"].get("action") == GENERATE
        ):
            names |= set(node.get("env") or {})
    for path in pipeline_files:
        for node in walk(load_yaml(path)):
            variables = node.get("variables") if isinstance(node, dict) else None
            if isinstance(variables, dict):
                names |= {str(name) for name in variables}
            elif isinstance(variables, list):
                names |= {str(v["name"]) for v in variables if isinstance(v, dict) and "value" in v}
    return {name.upper().replace(".", "_") for name in names} | names


def placeholder_errors(texts: dict[str, str], provided: set[str]) -> list[str]:
    """Every ``${NAME}`` (other than ``MODULES.*``) must be one the deploy stage provides."""
    errors = []
    for where, text in texts.items():
        used = {name for name in PLACEHOLDER.findall(text) if not name.startswith("MODULES.")}
        errors += [
            f"{where}: ${{{name}}} is not provided by the deploy stage" for name in sorted(used - provided)
        ]
    return errors


def create_options(manifest: DeploymentManifest, module_id: str) -> dict[str, Any]:
    options = manifest.module(module_id).settings.createOptions
    parsed = json.loads(options) if isinstance(options, str) else options
    return parsed if isinstance(parsed, dict) else {}


def metrics_port_errors(manifest: DeploymentManifest) -> list[str]:
    errors = []
    for module_id in manifest.module_ids:
        port = manifest.env(module_id).get("METRICS_PORT")
        if port is None:
            errors.append(f"module {module_id}: no METRICS_PORT in env")
            continue
        exposed = create_options(manifest, module_id).get("ExposedPorts") or {}
        if f"{port}/tcp" not in exposed:
            errors.append(
                f"module {module_id}: METRICS_PORT {port} is not in createOptions.ExposedPorts "
                f"{sorted(exposed)}"
            )
    return errors


def metrics_endpoint_errors(manifest: DeploymentManifest) -> list[str]:
    collectors = [m for m in manifest.module_ids if "MetricsEndpointsCSV" in manifest.env(m)]
    if len(collectors) != 1:
        return [f"want one module with MetricsEndpointsCSV (the telemetry module), found {collectors}"]
    [collector] = collectors
    listed = [e.strip() for e in manifest.env(collector)["MetricsEndpointsCSV"].split(",") if e.strip()]
    expected = {
        module_id: f"http://{module_id}:{manifest.env(module_id).get('METRICS_PORT', '9600')}/metrics"
        for module_id in manifest.module_ids
    }
    errors = [
        f"{collector}: MetricsEndpointsCSV does not list {endpoint}"
        for module_id, endpoint in expected.items()
        if module_id != collector and endpoint not in listed
    ]
    errors += [
        f"{collector}: MetricsEndpointsCSV lists {endpoint}, which is no deployed module's endpoint"
        for endpoint in listed
        if endpoint not in expected.values()
    ]
    return errors


# -------------------------------------------------------------------------------------------------- tests


def manifest() -> DeploymentManifest:
    return load_manifest(TEMPLATE)


def module_json_files() -> list[Path]:
    return sorted(APPS.glob("*/module.json"))


def test_the_template_loads_with_the_typed_model() -> None:
    loaded = manifest()  # raises ManifestError, naming the JSON path, when IoT Edge would reject it
    assert loaded.module_ids
    assert loaded.routes


def test_every_module_is_an_app_with_a_module_json_and_every_app_is_deployed() -> None:
    assert app_errors(manifest(), APPS) == []


def test_every_module_image_is_its_modules_placeholder() -> None:
    assert image_errors(manifest()) == []


def test_every_placeholder_is_provided_by_the_deploy_stage() -> None:
    provided = provided_names(DEPLOY_STAGE, [PIPELINES / "azure-pipelines.yml", DEPLOY_STAGE])
    assert {"ACR_LOGIN_SERVER", "CONTAINER_REGISTRY_PASSWORD"} <= provided
    texts = {"deployment.template.json": TEMPLATE.read_text(encoding="utf-8")}
    texts |= {
        path.relative_to(REPO).as_posix(): path.read_text(encoding="utf-8") for path in module_json_files()
    }
    assert placeholder_errors(texts, provided) == []


def test_every_metrics_port_is_exposed() -> None:
    assert metrics_port_errors(manifest()) == []


def test_the_telemetry_module_scrapes_every_other_module() -> None:
    assert metrics_endpoint_errors(manifest()) == []


# ------------------------------------------------------------------- the checkers fail on broken input


def template_data() -> dict[str, Any]:
    return json.loads(TEMPLATE.read_text(encoding="utf-8"))


def modules_of(data: dict[str, Any]) -> dict[str, Any]:
    return data["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]


def test_the_typed_model_rejects_a_broken_template() -> None:
    data = template_data()
    routes = data["modulesContent"]["$edgeHub"]["properties.desired"]["routes"]
    routes["stray"] = "FROM /messages/modules/gone-module/outputs/x INTO $upstream"
    with pytest.raises(ManifestError, match="gone-module"):
        parse_manifest(data)
    data = template_data()
    modules_of(data)["meter-module"]["restartPolicy"] = "sometimes"
    with pytest.raises(ManifestError, match="meter-module"):
        parse_manifest(data)


def write_app(apps_root: Path, name: str, *, code: bool = False, module_json: bool = False) -> None:
    folder = apps_root / name
    (folder / "src").mkdir(parents=True)
    (folder / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0.1.0"\n')
    if code:
        (folder / "src" / "main.py").write_text("")
    if module_json:
        (folder / "module.json").write_text("{}")


def test_the_app_check_finds_modules_without_apps_and_apps_not_deployed(tmp_path: Path) -> None:
    data = template_data()
    modules = modules_of(data)
    kept = {name: modules[name] for name in ("meter-module", "solar-module", "battery-module")}
    modules.clear()
    modules.update(kept)
    data["modulesContent"] = {
        twin: section
        for twin, section in data["modulesContent"].items()
        if twin.startswith("$") or twin in kept
    }
    data["modulesContent"]["$edgeHub"]["properties.desired"]["routes"] = {}
    write_app(tmp_path, "meter-module", code=True, module_json=True)
    write_app(tmp_path, "solar-module", code=True)  # has code, lost its module.json
    write_app(tmp_path, "boiler-module", code=True, module_json=True)  # built but not deployed
    write_app(tmp_path, "new-module")  # being created: no code, no module.json
    assert app_errors(parse_manifest(data), tmp_path) == [
        "module solar-module: apps/solar-module/module.json is missing",
        "module battery-module: no app folder apps/battery-module (with a pyproject.toml)",
        "apps/boiler-module has a module.json but is not deployed in the template",
    ]


def test_the_image_check_wants_the_modules_placeholder() -> None:
    data = template_data()
    modules_of(data)["solar-module"]["settings"]["image"] = "myacr.azurecr.io/solar-module:1.0"
    modules_of(data)["boiler-module"]["settings"]["image"] = "${MODULES.battery-module}"
    assert image_errors(parse_manifest(data)) == [
        "module solar-module: image 'myacr.azurecr.io/solar-module:1.0' is not ${MODULES.solar-module}",
        "module boiler-module: image '${MODULES.battery-module}' is not ${MODULES.boiler-module}",
    ]


def test_the_placeholder_check_knows_what_the_deploy_stage_sets(tmp_path: Path) -> None:
    stage = tmp_path / "deploy.yml"
    stage.write_text(
        "variables:\n  - group: secrets\n  - name: site.name\n    value: plant\n"
        "steps:\n  - task: AzureIoTEdge@2\n    inputs:\n      action: Generate deployment manifest\n"
        "    env:\n      REGISTRY_PASSWORD: $(ACR_PULL_PASSWORD)\n"
        "  - task: AzureIoTEdge@2\n    inputs:\n      action: Deploy to IoT Edge devices\n"
        "    env:\n      ONLY_AT_DEPLOY: x\n"
    )
    pipeline = tmp_path / "azure-pipelines.yml"
    pipeline.write_text("variables:\n  logLevel: INFO\n")
    provided = provided_names(stage, [pipeline, stage])
    assert provided >= {"REGISTRY_PASSWORD", "SITE_NAME", "LOGLEVEL"}
    assert "ONLY_AT_DEPLOY" not in provided
    assert "secrets" not in provided
    text = '{"a": "${REGISTRY_PASSWORD}", "b": "${MODULES.x}", "c": "${ONLY_AT_DEPLOY}", "d": "${LOGLEVEL}"}'
    assert placeholder_errors({"t.json": text}, provided) == [
        "t.json: ${ONLY_AT_DEPLOY} is not provided by the deploy stage"
    ]


def test_the_metrics_port_check_compares_env_and_exposed_ports() -> None:
    data = template_data()
    modules_of(data)["meter-module"]["env"]["METRICS_PORT"]["value"] = "9700"
    del modules_of(data)["solar-module"]["env"]["METRICS_PORT"]
    battery = modules_of(data)["battery-module"]["settings"]
    battery["createOptions"] = json.dumps({"ExposedPorts": {"9600/udp": {}}})
    assert metrics_port_errors(parse_manifest(data)) == [
        "module meter-module: METRICS_PORT 9700 is not in createOptions.ExposedPorts ['9600/tcp']",
        "module solar-module: no METRICS_PORT in env",
        "module battery-module: METRICS_PORT 9600 is not in createOptions.ExposedPorts ['9600/udp']",
    ]


def test_the_endpoint_check_finds_missing_and_stray_endpoints() -> None:
    data = template_data()
    modules = modules_of(data)
    [collector] = [name for name, module in modules.items() if "MetricsEndpointsCSV" in module["env"]]
    modules["boiler-module"]["env"]["METRICS_PORT"]["value"] = "9601"
    modules["boiler-module"]["settings"]["createOptions"]["ExposedPorts"] = {"9601/tcp": {}}
    csv = modules[collector]["env"]["MetricsEndpointsCSV"]
    csv["value"] = csv["value"].replace("http://meter-module:9600/metrics,", "") + ",http://gone:9600/metrics"
    assert metrics_endpoint_errors(parse_manifest(data)) == [
        f"{collector}: MetricsEndpointsCSV does not list http://meter-module:9600/metrics",
        f"{collector}: MetricsEndpointsCSV does not list http://boiler-module:9601/metrics",
        f"{collector}: MetricsEndpointsCSV lists http://boiler-module:9600/metrics, "
        "which is no deployed module's endpoint",
        f"{collector}: MetricsEndpointsCSV lists http://gone:9600/metrics, "
        "which is no deployed module's endpoint",
    ]
    del modules[collector]["env"]["MetricsEndpointsCSV"]
    assert metrics_endpoint_errors(parse_manifest(copy.deepcopy(data))) == [
        "want one module with MetricsEndpointsCSV (the telemetry module), found []"
    ]
