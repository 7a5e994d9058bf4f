"""The Bicep under infra/, checked offline with the tree-sitter Bicep grammar (there is no Bicep CLI here).

* every file parses with no ERROR or MISSING node. ``.bicepparam`` files are read with each top-level
  ``param NAME =`` seen as ``var   NAME =`` (same length, so positions stay right): grammar 1.1 knows
  ``using`` but not a parameter assignment without a type;
* every module file referenced exists; every parameter passed to a module is declared there and every
  parameter it requires is passed; every ``<module>.outputs.<name>`` is an output of that module;
* every parameter main.bicepparam sets is declared in main.bicep, and every one main.bicep requires is set;
* the issue's requirements that a reader would otherwise check by eye: S1, TLS 1.2, no admin user, AcrPull
  for a managed identity, workspace-based Application Insights, diagnostic settings, the two alerts.

Every checker is also run on a deliberately broken snippet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import tree_sitter_bicep
from tree_sitter import Language, Node, Parser

REPO = Path(__file__).resolve().parents[3]
INFRA = REPO / "infra"
PARAM_ASSIGNMENT = re.compile(rb"(?m)^param(?=\s+[A-Za-z_]\w*\s*=)")


@cache
def parser() -> Parser:
    return Parser(Language(tree_sitter_bicep.language()))


def text(node: Node | None) -> str:
    return "" if node is None or node.text is None else node.text.decode()


def walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from walk(child)


def named(node: Node, kind: str) -> list[Node]:
    return [child for child in node.named_children if child.type == kind]


def string_value(node: Node | None) -> str:
    """The content of a Bicep string literal without interpolation."""
    return "".join(text(part) for part in named(node, "string_content")) if node is not None else ""


@dataclass
class BicepFile:
    path: Path
    root: Node

    @classmethod
    def parse(cls, path: Path) -> BicepFile:
        source = path.read_bytes()
        if path.suffix == ".bicepparam":
            source = PARAM_ASSIGNMENT.sub(b"var  ", source)
        return cls(path, parser().parse(source).root_node)

    def syntax_errors(self) -> list[str]:
        return [
            f"{self.path.name}:{node.start_point[0] + 1}:{node.start_point[1] + 1}: "
            f"{'missing ' + node.type if node.is_missing else 'cannot parse ' + text(node)[:40]!r}"
            for node in walk(self.root)
            if node.type == "ERROR" or node.is_missing
        ]

    def declarations(self, kind: str) -> dict[str, Node]:
        return {text(named(node, "identifier")[0]): node for node in named(self.root, kind)}

    def parameters(self) -> dict[str, bool]:
        """Declared parameter -> whether it has a default value."""
        declared = self.declarations("parameter_declaration")
        return {name: any(child.type == "=" for child in node.children) for name, node in declared.items()}

    def outputs(self) -> set[str]:
        return set(self.declarations("output_declaration"))

    def modules(self) -> dict[str, tuple[str, Node]]:
        """Module symbol -> (referenced path, the body object)."""
        found = {}
        for name, node in self.declarations("module_declaration").items():
            [path] = named(node, "string")
            found[name] = (string_value(path), named(node, "object")[0])
        return found

    def resources(self, type_prefix: str) -> list[Node]:
        """Bodies of the resources whose type starts with ``type_prefix`` (``Microsoft.Devices/IotHubs@``)."""
        bodies = []
        for node in named(self.root, "resource_declaration"):
            if string_value(named(node, "string")[0]).startswith(type_prefix):
                body = [c for c in walk(node) if c.type == "object"]
                bodies.append(body[0])
        return bodies


def object_property(body: Node, dotted: str) -> Node | None:
    """The value node of ``a.b.c`` in a Bicep object literal."""
    node: Node | None = body
    for key in dotted.split("."):
        if node is None or node.type != "object":
            return None
        node = next(
            (
                prop.named_children[-1]
                for prop in named(node, "object_property")
                if text(prop.named_children[0]) == key
            ),
            None,
        )
    return node


def module_errors(file: BicepFile) -> list[str]:
    errors = []
    for symbol, (reference, body) in file.modules().items():
        target = file.path.parent / reference
        if not target.is_file():
            errors.append(f"{file.path.name}: module {symbol}: {reference} does not exist")
            continue
        module = BicepFile.parse(target)
        declared = module.parameters()
        params = object_property(body, "params")
        passed = (
            {text(prop.named_children[0]) for prop in named(params, "object_property")} if params else set()
        )
        shown = f"{file.path.name}: module {symbol}"
        errors += [
            f"{shown} passes {p}, not a parameter of {reference}" for p in sorted(passed - set(declared))
        ]
        required = [p for p, has_default in sorted(declared.items()) if not has_default]
        errors += [f"{shown} does not pass {p}, required by {reference}" for p in required if p not in passed]
        for node in walk(file.root):
            if node.type == "member_expression" and text(node).startswith(f"{symbol}.outputs."):
                output = text(node).split(".")[2]
                if output not in module.outputs():
                    errors.append(
                        f"{file.path.name}: {symbol}.outputs.{output} is not an output of {reference}"
                    )
    return errors


def parameter_file_errors(parameter_file: Path) -> list[str]:
    params = BicepFile.parse(parameter_file)
    using = named(params.root, "using_statement")
    if not using:
        return [f"{parameter_file.name}: no using statement"]
    target = parameter_file.parent / string_value(named(using[0], "string")[0])
    if not target.is_file():
        return [f"{parameter_file.name}: using {target.name}, which does not exist"]
    declared = BicepFile.parse(target).parameters()
    assigned = set(params.declarations("variable_declaration"))
    shown, required = (
        parameter_file.name,
        [p for p, has_default in sorted(declared.items()) if not has_default],
    )
    undeclared = [
        f"{shown}: sets {p}, which {target.name} does not declare" for p in sorted(assigned - set(declared))
    ]
    return undeclared + [
        f"{shown}: does not set {p}, which {target.name} requires" for p in required if p not in assigned
    ]


# -------------------------------------------------------------------------------------------------- tests


def bicep_files() -> list[Path]:
    return sorted([*INFRA.rglob("*.bicep"), *INFRA.rglob("*.bicepparam")])


def test_the_infrastructure_is_the_files_the_issue_asks_for() -> None:
    names = {path.relative_to(INFRA).as_posix() for path in bicep_files()}
    assert names == {
        "main.bicep",
        "main.bicepparam",
        "modules/iot-hub.bicep",
        "modules/container-registry.bicep",
        "modules/log-analytics.bicep",
        "modules/app-insights.bicep",
        "modules/monitor.bicep",
    }


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: p.relative_to(INFRA).as_posix())
def test_every_bicep_file_parses_without_errors(path: Path) -> None:
    assert BicepFile.parse(path).syntax_errors() == []


def test_modules_exist_and_their_parameters_and_outputs_agree() -> None:
    main = BicepFile.parse(INFRA / "main.bicep")
    assert set(main.modules()) == {"logAnalytics", "appInsights", "iotHub", "registry", "monitor"}
    assert module_errors(main) == []


def test_the_parameter_file_sets_only_declared_parameters_and_every_required_one() -> None:
    assert parameter_file_errors(INFRA / "main.bicepparam") == []
    assert "environmentName" in BicepFile.parse(INFRA / "main.bicep").parameters()
    assert "location" in BicepFile.parse(INFRA / "main.bicep").parameters()


def test_outputs_give_the_pipeline_and_the_devices_what_they_need() -> None:
    assert {
        "iotHubName",
        "iotHubHostName",
        "iotHubResourceId",
        "containerRegistryLoginServer",
        "edgePullTokenName",
        "logAnalyticsCustomerId",
        "appInsightsConnectionString",
    } <= BicepFile.parse(INFRA / "main.bicep").outputs()


def test_no_template_outputs_a_key_or_password() -> None:
    for path in bicep_files():
        for output in named(BicepFile.parse(path).root, "output_declaration"):
            assert not re.search(
                r"listKeys|listCredentials|password|sharedKey", text(output), re.IGNORECASE
            ), path


def test_the_iot_hub_is_s1_with_tls_1_2_consumer_groups_and_routes_to_the_built_in_endpoint() -> None:
    module = BicepFile.parse(INFRA / "modules/iot-hub.bicep")
    [hub] = module.resources("Microsoft.Devices/IotHubs@")
    assert string_value(object_property(hub, "sku.name")) == "S1"
    assert string_value(object_property(hub, "properties.minTlsVersion")) == "1.2"
    routes = text(object_property(hub, "properties.routing.routes"))
    assert "builtInEndpoint" in routes
    assert module.resources("Microsoft.Devices/IotHubs/eventHubEndpoints/ConsumerGroups@")


def test_the_registry_has_no_admin_user_and_grants_acr_pull_to_a_managed_identity() -> None:
    module = BicepFile.parse(INFRA / "modules/container-registry.bicep")
    [registry] = module.resources("Microsoft.ContainerRegistry/registries@")
    assert text(object_property(registry, "properties.adminUserEnabled")) == "false"
    assert "7f951dda-4ed3-4680-a7ca-43fe172d538d" in text(module.root), "the built-in AcrPull role"
    assert module.resources("Microsoft.Authorization/roleAssignments@")
    main = BicepFile.parse(INFRA / "main.bicep")
    assert main.resources("Microsoft.ManagedIdentity/userAssignedIdentities@")
    granted = object_property(main.modules()["registry"][1], "params.pullPrincipalIds")
    assert "pullIdentity.properties.principalId" in text(granted)


def test_application_insights_is_workspace_based() -> None:
    [component] = BicepFile.parse(INFRA / "modules/app-insights.bicep").resources(
        "Microsoft.Insights/components@"
    )
    assert text(object_property(component, "properties.WorkspaceResourceId")) == "workspaceId"
    assert string_value(object_property(component, "properties.IngestionMode")) == "LogAnalytics"


def test_monitoring_sends_hub_logs_to_the_workspace_and_alerts_on_faults_and_lost_devices() -> None:
    monitor = BicepFile.parse(INFRA / "modules/monitor.bicep")
    [diagnostics] = monitor.resources("Microsoft.Insights/diagnosticSettings@")
    assert text(object_property(diagnostics, "scope")) == "hub"
    assert monitor.resources("Microsoft.Insights/actionGroups@")
    rules = monitor.resources("Microsoft.Insights/scheduledQueryRules@")
    assert len(rules) == 2
    source = text(monitor.root)
    assert '"asset_fault"' in source
    assert '"deviceDisconnect"' in source
    for rule in rules:
        assert "actionGroup.id" in text(object_property(rule, "properties.actions.actionGroups"))


# ------------------------------------------------------------------- the checkers fail on broken input


def write(folder: Path, name: str, content: str) -> Path:
    file = folder / name
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(content)
    return file


def test_the_syntax_check_reports_where_it_fails(tmp_path: Path) -> None:
    broken = write(
        tmp_path, "broken.bicep", "param location string\nresource hub 'A/b@2023-01-01' = {\n  name: 'x'\n"
    )
    assert BicepFile.parse(broken).syntax_errors()
    assert BicepFile.parse(
        write(tmp_path, "p.bicepparam", "using './x.bicep'\nparam = 'dev'\n")
    ).syntax_errors()


def test_the_module_check_finds_missing_files_unknown_and_missing_parameters_and_outputs(
    tmp_path: Path,
) -> None:
    write(tmp_path, "modules/hub.bicep", "param name string\nparam units int = 1\noutput id string = name\n")
    main = write(
        tmp_path,
        "main.bicep",
        "module hub 'modules/hub.bicep' = {\n  name: 'hub'\n  params: {\n    unitz: 2\n  }\n}\n"
        "module gone 'modules/gone.bicep' = {\n  name: 'gone'\n}\n"
        "output hubId string = hub.outputs.resourceId\n",
    )
    assert sorted(module_errors(BicepFile.parse(main))) == [
        "main.bicep: hub.outputs.resourceId is not an output of modules/hub.bicep",
        "main.bicep: module gone: modules/gone.bicep does not exist",
        "main.bicep: module hub does not pass name, required by modules/hub.bicep",
        "main.bicep: module hub passes unitz, not a parameter of modules/hub.bicep",
    ]


def test_the_parameter_file_check_finds_undeclared_and_unset_parameters(tmp_path: Path) -> None:
    write(tmp_path, "main.bicep", "param environmentName string\nparam location string = 'westeurope'\n")
    params = write(tmp_path, "main.bicepparam", "using './main.bicep'\n\nparam enviromentName = 'dev'\n")
    assert parameter_file_errors(params) == [
        "main.bicepparam: sets enviromentName, which main.bicep does not declare",
        "main.bicepparam: does not set environmentName, which main.bicep requires",
    ]
    missing = write(tmp_path, "other.bicepparam", "using './nope.bicep'\n")
    assert parameter_file_errors(missing) == ["other.bicepparam: using nope.bicep, which does not exist"]
