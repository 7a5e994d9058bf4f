"""The deployment manifest is the source of truth; a broken one is rejected naming the JSON path at fault."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from energy_edge.messaging.manifest import ManifestError, load_manifest, parse_manifest
from energy_edge.messaging.routes import ModuleInputSink, UpstreamSink

TEMPLATE = Path(__file__).parents[4] / "deployment" / "deployment.template.json"
MODULE_IDS = {
    "solar-module",
    "battery-module",
    "boiler-module",
    "meter-module",
    "controller-module",
    "telemetry-module",
}


@pytest.fixture
def document() -> dict[str, Any]:
    return json.loads(TEMPLATE.read_text())


def rejection(document: dict[str, Any]) -> ManifestError:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(document)
    return caught.value


def test_the_template_deploys_every_module_of_the_design() -> None:
    manifest = load_manifest(TEMPLATE)
    assert set(manifest.module_ids) == MODULE_IDS
    for module_id in MODULE_IDS:
        module = manifest.module(module_id)
        assert module.settings.image == f"${{MODULES.{module_id}}}"
        assert module.restartPolicy == "always"
        assert isinstance(module.settings.createOptions, dict)
        assert "9600/tcp" in module.settings.createOptions["ExposedPorts"]
        assert manifest.env(module_id)["METRICS_PORT"] == "9600"


def test_the_template_routes_assets_to_the_controller_and_the_controller_upstream() -> None:
    manifest = load_manifest(TEMPLATE)
    to_controller = {
        route.source.module_id
        for route in manifest.routes
        if route.sink == ModuleInputSink("controller-module", "telemetry")
    }
    assert to_controller == {"solar-module", "battery-module", "boiler-module", "meter-module"}
    upstream = {route.name: route for route in manifest.routes if isinstance(route.sink, UpstreamSink)}
    assert set(upstream) == {"controllerToUpstream", "metricsToUpstream"}
    assert upstream["controllerToUpstream"].priority < upstream["metricsToUpstream"].priority
    assert manifest.store_and_forward_ttl_s == 7200


def test_every_asset_module_has_initial_desired_properties() -> None:
    manifest = load_manifest(TEMPLATE)
    assert manifest.desired_properties["solar-module"]["max_output_kw"] == 80.0
    assert manifest.desired_properties["solar-module"]["fault_threshold"] == 0.85
    assert set(manifest.desired_properties) == MODULE_IDS


def test_the_template_uses_the_schema_versions_of_current_tooling(document: dict[str, Any]) -> None:
    content = document["modulesContent"]
    assert content["$edgeAgent"]["properties.desired"]["schemaVersion"] == "1.1"
    assert content["$edgeHub"]["properties.desired"]["schemaVersion"] == "1.2"


def test_invalid_json_is_rejected(tmp_path: Path) -> None:
    broken = tmp_path / "deployment.json"
    broken.write_text('{"modulesContent": ')
    with pytest.raises(ManifestError, match=r"at \$: not valid JSON"):
        load_manifest(broken)


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot read"):
        load_manifest(tmp_path / "nope.json")


def test_missing_edge_agent_is_named(document: dict[str, Any]) -> None:
    del document["modulesContent"]["$edgeAgent"]
    assert rejection(document).path == "$.modulesContent.$edgeAgent"


@pytest.mark.parametrize(
    ("mutate", "path", "reason"),
    [
        (
            lambda d: d["modulesContent"]["$edgeAgent"]["properties.desired"].update(schemaVersion="1.0"),
            "$.modulesContent.$edgeAgent.properties.desired.schemaVersion",
            "Invalid enum value '1.0'",
        ),
        (
            lambda d: d["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"][
                "solar-module"
            ].update(restartPolicy="sometimes"),
            "$.modulesContent.$edgeAgent.properties.desired.modules.solar-module.restartPolicy",
            "Invalid enum value 'sometimes'",
        ),
        (
            lambda d: d["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"][
                "battery-module"
            ].update(restartpolicy="always"),
            "$.modulesContent.$edgeAgent.properties.desired.modules.battery-module",
            "unknown field `restartpolicy`",
        ),
        (
            lambda d: d["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["boiler-module"][
                "settings"
            ].pop("image"),
            "$.modulesContent.$edgeAgent.properties.desired.modules.boiler-module.settings",
            "missing required field `image`",
        ),
        (
            lambda d: d["modulesContent"]["$edgeHub"]["properties.desired"]["routes"].update(
                metricsToUpstream={"route": "FROM /* INTO $upstream", "priority": 12}
            ),
            "$.modulesContent.$edgeHub.properties.desired.routes.metricsToUpstream.priority",
            "<= 9",
        ),
    ],
    ids=["agent-schema-version", "restart-policy", "typo-field", "missing-image", "route-priority"],
)
def test_schema_violations_name_their_json_path(
    document: dict[str, Any], mutate: Any, path: str, reason: str
) -> None:
    mutate(document)
    error = rejection(document)
    assert error.path == path
    assert reason in error.reason


def test_a_route_that_does_not_parse_is_rejected_with_its_name(document: dict[str, Any]) -> None:
    document["modulesContent"]["$edgeHub"]["properties.desired"]["routes"]["meterToController"] = (
        "FROM /messages/modules/meter-module/outputs/telemetry INTO Nowhere"
    )
    error = rejection(document)
    assert error.path.endswith("routes.meterToController")
    assert "meterToController" in error.reason


def test_a_route_to_a_module_that_is_not_deployed_is_rejected(document: dict[str, Any]) -> None:
    document["modulesContent"]["$edgeHub"]["properties.desired"]["routes"]["toGhost"] = (
        'FROM /messages/* INTO BrokeredEndpoint("/modules/ghost-module/inputs/telemetry")'
    )
    assert "ghost-module" in rejection(document).reason


def test_a_route_from_a_module_that_is_not_deployed_is_rejected(document: dict[str, Any]) -> None:
    document["modulesContent"]["$edgeHub"]["properties.desired"]["routes"]["fromGhost"] = (
        "FROM /messages/modules/ghost-module/outputs/* INTO $upstream"
    )
    assert "ghost-module" in rejection(document).reason


def test_desired_properties_for_an_unknown_module_are_rejected(document: dict[str, Any]) -> None:
    document["modulesContent"]["wind-module"] = {"properties.desired": {"max_output_kw": 5}}
    assert rejection(document).path == "$.modulesContent.wind-module"


def test_a_bad_module_name_is_rejected(document: dict[str, Any]) -> None:
    modules = document["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]
    modules["solar module"] = copy.deepcopy(modules["solar-module"])
    assert rejection(document).path.endswith("modules.solar module")


def test_create_options_given_as_a_string_must_be_a_json_object(document: dict[str, Any]) -> None:
    module = document["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["meter-module"]
    module["settings"]["createOptions"] = "{not json"
    assert rejection(document).path.endswith("meter-module.settings.createOptions")
    module["settings"]["createOptions"] = json.dumps({"ExposedPorts": {"9600/tcp": {}}})
    assert parse_manifest(document).module("meter-module").settings.createOptions is not None
