"""The Azure Pipelines files, checked offline: schema, templates, parameters, the tool's command lines.

There is no Azure DevOps here, so this is what can be known without one:

* every YAML file under .azure-pipelines/ validates against the Azure Pipelines schema check-jsonschema
  vendors (``vendor.azure-pipelines``, nonunicode regexes, the azure-pipelines data transform). That schema
  types every scalar as a string, as Azure Pipelines reads them, so files are loaded with every scalar as a
  string. A value that *is* a compile-time template expression (``${{ parameters.x }}``) is only known once
  Azure expands the template: the check accepts it where a literal is expected and checks all around it;
* every ``template:`` reference resolves to a file of the right kind (stages, jobs, steps);
* every parameter passed to a template is declared there, every declared parameter without a default is
  passed, and every ``parameters.<name>`` a template uses is declared in it;
* the ``affected-apps`` command lines in the pipelines parse with the tool's own argument parser.

Every checker is also run on a deliberately broken snippet, so a check that silently passes everything fails.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema.validators
import pytest
from check_jsonschema.builtin_schemas import get_builtin_schema
from check_jsonschema.regex_variants import RegexImplementation, RegexVariantName
from check_jsonschema.transforms import TRANSFORM_LIBRARY
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator
from ruamel.yaml import YAML

from energy_edge.affected_apps.cli import build_parser

REPO = Path(__file__).resolve().parents[3]
PIPELINES = REPO / ".azure-pipelines"
TEMPLATE_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
PARAMETER_USE = re.compile(r"\bparameters\.([A-Za-z_][A-Za-z0-9_]*)")
TEMPLATE_KINDS = {"stages": "stages", "jobs": "jobs", "steps": "steps", "variables": "variables"}


def load(path: Path) -> Any:
    return YAML(typ="base").load(path.read_text())


# ---------------------------------------------------------------------------------------------- schema


def _accepting_template_expressions(check: Any) -> Any:
    def checked(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        if isinstance(instance, str) and TEMPLATE_EXPRESSION.fullmatch(instance.strip()):
            return  # known only after Azure Pipelines expands the template
        yield from check(validator, value, instance, schema)

    return checked


def _type_of_a_yaml_scalar(check: Any) -> Any:
    """Azure Pipelines reads every scalar as a string and converts it to the type a task input declares."""

    def checked(validator: Any, types: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        wanted = {types} if isinstance(types, str) else set(types)
        if isinstance(instance, str):
            if "boolean" in wanted and instance.lower() in {"true", "false"}:
                return
            if wanted & {"number", "integer"} and re.fullmatch(r"-?\d+(\.\d+)?", instance):
                return
        yield from check(validator, types, instance, schema)

    return checked


@cache
def pipeline_validator() -> Validator:
    schema = get_builtin_schema("vendor.azure-pipelines")
    base = jsonschema.validators.validator_for(schema)
    regex = RegexImplementation(RegexVariantName.nonunicode)
    keywords = {
        "pattern": _accepting_template_expressions(regex.pattern_keyword),
        "patternProperties": regex.patternProperties_keyword,
        "enum": _accepting_template_expressions(base.VALIDATORS["enum"]),
        "type": _accepting_template_expressions(_type_of_a_yaml_scalar(base.VALIDATORS["type"])),
    }
    return jsonschema.validators.extend(base, keywords)(schema)


@cache
def tasks_without_input_schema() -> frozenset[str]:
    """Tasks the vendored schema knows by name but not by inputs (it then rejects any ``inputs:``)."""
    schema = get_builtin_schema("vendor.azure-pipelines")
    named = {name for branch in schema["definitions"]["task"]["properties"]["task"]["anyOf"]
             for name in branch.get("enum", [])}  # fmt: skip
    described: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            pattern = node.get("properties", {}).get("task", {}).get("pattern")
            if isinstance(pattern, str) and "inputs" in node["properties"]:
                described.add(pattern.removeprefix("^").removesuffix("$"))
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    collect(schema)
    return frozenset(named - described)


# Inputs of tasks the vendored schema cannot describe, from the task reference on learn.microsoft.com.
UNDESCRIBED_TASK_INPUTS = {
    "PublishCodeCoverageResults@2": {"summaryFileLocation", "pathToSources", "failIfCoverageEmpty"},
}


def split_undescribed_steps(node: Any, found: list[dict[str, Any]]) -> Any:
    """The document without steps of undescribed tasks (collected in ``found`` for their own check)."""
    if isinstance(node, dict):
        return {key: split_undescribed_steps(value, found) for key, value in node.items()}
    if isinstance(node, list):
        kept = []
        for item in node:
            if isinstance(item, dict) and item.get("task") in tasks_without_input_schema():
                found.append(item)
            else:
                kept.append(split_undescribed_steps(item, found))
        return kept
    return node


def schema_errors(path: Path) -> list[str]:
    undescribed: list[dict[str, Any]] = []
    data = split_undescribed_steps(TRANSFORM_LIBRARY["azure-pipelines"](load(path)), undescribed)
    errors = []
    for step in undescribed:
        known = UNDESCRIBED_TASK_INPUTS.get(step["task"])
        unknown = set(step.get("inputs") or {}) - (known or set())
        if known is None or unknown:
            errors.append(
                f"{path.name}: {step['task']}: no schema for it, or unknown inputs {sorted(unknown)}"
            )
    error = best_match(pipeline_validator().iter_errors(data))
    if error is not None:
        location = "/".join(str(part) for part in error.absolute_path) or "(top)"
        deepest = [error, *(error.context or [])]
        errors.append(f"{path.name}: {location}: {deepest[-1].message[:300]}")
    return errors


# ---------------------------------------------------------------------------------------- consistency


def template_uses(node: Any, kind: str | None = None) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
    """Every ``template:`` reference in a loaded file: (path, the list it sits in, parameters passed)."""
    if isinstance(node, dict):
        if isinstance(node.get("template"), str) and kind is not None:
            passed = node.get("parameters") or {}
            yield node["template"], kind, passed if isinstance(passed, dict) else {}
        for key, value in node.items():
            yield from template_uses(
                value, TEMPLATE_KINDS.get(key, kind if str(key).startswith("${{") else None)
            )
    elif isinstance(node, list):
        for item in node:
            yield from template_uses(item, kind)


def declared_parameters(data: Any) -> dict[str, bool]:
    """Declared parameter name -> whether it has a default."""
    declared = data.get("parameters", []) if isinstance(data, dict) else []
    if not isinstance(declared, list):
        return {}
    return {str(p["name"]): "default" in p for p in declared if isinstance(p, dict) and "name" in p}


def consistency_errors(root: Path) -> list[str]:
    errors = []
    for path in sorted(root.rglob("*.yml")):
        data, text = load(path), path.read_text()
        shown = path.relative_to(root)
        declared = declared_parameters(data)
        used = set(PARAMETER_USE.findall(" ".join(TEMPLATE_EXPRESSION.findall(text))))
        errors += [
            f"{shown}: uses parameters.{name}, which it does not declare"
            for name in sorted(used - set(declared))
        ]
        for reference, kind, passed in template_uses(data):
            target = (
                (root.parent / reference.lstrip("/"))
                if reference.startswith("/")
                else path.parent / reference
            )
            if not target.is_file():
                errors.append(f"{shown}: template {reference} does not exist")
                continue
            template = load(target)
            if not isinstance(template, dict) or kind not in template:
                errors.append(f"{shown}: template {reference} is used in {kind}: but has no {kind}: list")
            accepted = declared_parameters(template)
            for name in passed:
                if str(name).startswith("${{"):
                    continue
                if name not in accepted:
                    errors.append(f"{shown}: passes {name} to {reference}, which does not declare it")
            for name, has_default in accepted.items():
                if not has_default and name not in passed:
                    errors.append(f"{shown}: does not pass {name}, which {reference} requires")
    return errors


def affected_apps_invocations(root: Path) -> list[list[str]]:
    """The words after every ``affected-apps`` command in the pipelines (line continuations joined)."""
    commands = []
    for path in sorted(root.rglob("*.yml")):
        for line in path.read_text().replace("\\\n", " ").splitlines():
            found = re.search(r"(?:^|\s)affected-apps\s+(.*)", line)
            if found and not line.lstrip().startswith("#"):
                commands.append(shlex.split(found.group(1).split(")")[0], comments=True))
    return commands


def command_line_errors(arguments: list[str]) -> list[str]:
    """Options affected-apps does not have, and literal values outside an option's choices.

    Shell expansions (``"$group"``, ``"${scope[@]}"``) are known only when the step runs and are left alone.
    """
    options = {name: action for action in build_parser()._actions for name in action.option_strings}
    errors = []
    for index, word in enumerate(arguments):
        if not word.startswith("--"):
            continue
        name, _, inline = word.partition("=")
        action = options.get(name)
        if action is None:
            errors.append(f"unknown option {name}")
            continue
        value = inline or (arguments[index + 1] if index + 1 < len(arguments) else "")
        if action.choices is not None and "$" not in value and value not in action.choices:
            errors.append(f"{name} {value}: not one of {sorted(action.choices)}")
    return errors


# -------------------------------------------------------------------------------------------------- tests


def pipeline_files() -> list[Path]:
    return sorted(PIPELINES.rglob("*.yml"))


def test_the_pipeline_is_the_files_the_issue_asks_for() -> None:
    names = {path.relative_to(PIPELINES).as_posix() for path in pipeline_files()}
    assert {"azure-pipelines.yml", "stages/test.yml", "stages/build.yml", "stages/deploy.yml"} <= names
    assert any(name.startswith("templates/") for name in names)


@pytest.mark.parametrize("path", pipeline_files(), ids=lambda p: p.relative_to(PIPELINES).as_posix())
def test_every_pipeline_file_matches_the_azure_pipelines_schema(path: Path) -> None:
    assert schema_errors(path) == []


def test_templates_exist_and_parameters_agree() -> None:
    assert consistency_errors(PIPELINES) == []


def test_every_affected_apps_command_line_parses() -> None:
    invocations = affected_apps_invocations(PIPELINES)
    assert len(invocations) >= 2, "the affected job and the deploy stage both run affected-apps"
    assert all("--head" in arguments for arguments in invocations), "CI looks at the commit, not the checkout"
    assert [command_line_errors(arguments) for arguments in invocations] == [[]] * len(invocations)


def test_pull_requests_are_not_configured_in_yaml() -> None:
    pipeline = load(PIPELINES / "azure-pipelines.yml")
    assert "pr" not in pipeline, "Azure Repos ignores pr:; PR validation is a branch policy"
    assert pipeline["trigger"]["branches"]["include"] == ["main"]
    assert "paths" in pipeline["trigger"]


def test_no_secret_values_in_the_pipelines() -> None:
    suspicious = re.compile(r"(password|secret|key|token)\s*[:=]\s*['\"]?[A-Za-z0-9+/=]{16,}", re.IGNORECASE)
    for path in pipeline_files():
        assert not suspicious.search(path.read_text()), path


def test_deploy_runs_on_main_only_and_jobs_without_members_are_skipped() -> None:
    deploy = load(PIPELINES / "stages/deploy.yml")["stages"][0]
    assert "refs/heads/main" in deploy["condition"]
    for name in ("member-tests-job.yml", "build-image-job.yml"):
        [job] = load(PIPELINES / "templates" / name)["jobs"]
        assert "Any'], 'true')" in job["condition"], f"{name}: skipped when nothing is affected"


# ------------------------------------------------------------------- the checkers fail on broken input


def write(folder: Path, name: str, text: str) -> Path:
    file = folder / name
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text)
    return file


def test_only_tasks_the_schema_cannot_describe_are_checked_by_hand() -> None:
    # check-jsonschema 0.39 names PublishCodeCoverageResults@2 but has no schema for it; its inputs are
    # checked against the task reference instead. Every other task used here keeps its schema.
    assert "PublishCodeCoverageResults@2" in tasks_without_input_schema()
    assert (
        not {"AzureIoTEdge@2", "PublishTestResults@2", "Docker@2", "Cache@2"} & tasks_without_input_schema()
    )


def test_a_hand_checked_task_with_an_unknown_input_is_an_error(tmp_path: Path) -> None:
    step = "steps:\n  - task: PublishCodeCoverageResults@2\n    inputs:\n      codeCoverageTool: Cobertura\n"
    assert schema_errors(write(tmp_path, "p.yml", step)) == [
        "p.yml: PublishCodeCoverageResults@2: no schema for it, or unknown inputs ['codeCoverageTool']"
    ]


def test_the_schema_check_rejects_a_misspelt_key(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "p.yml",
        "stages:\n  - stage: A\n    jobz:\n      - job: B\n        steps:\n          - bash: x\n",
    )
    assert schema_errors(file)


def test_the_schema_check_rejects_an_unknown_task_input(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "p.yml",
        "steps:\n  - task: AzureIoTEdge@2\n    inputs:\n      action: Deploy to IoT Edge devices\n"
        "      hub: x\n",
    )
    assert schema_errors(file)


def test_the_schema_check_still_checks_literals_next_to_expressions(tmp_path: Path) -> None:
    good = "steps:\n  - task: AzureIoTEdge@2\n    inputs:\n      defaultPlatform: ${{ parameters.p }}\n"
    assert schema_errors(write(tmp_path, "good.yml", good)) == []
    bad = good.replace("${{ parameters.p }}", "arm64")
    assert schema_errors(write(tmp_path, "bad.yml", bad)), "arm64 is not an IoT Edge platform name (arm64v8)"


def test_the_consistency_check_finds_each_kind_of_mistake(tmp_path: Path) -> None:
    write(
        tmp_path,
        "templates/steps.yml",
        "parameters:\n  - name: needed\n    type: string\n"
        "steps:\n  - bash: echo ${{ parameters.needed }} ${{ parameters.typo }}\n",
    )
    write(
        tmp_path,
        "main.yml",
        "jobs:\n  - job: A\n    steps:\n"
        "      - template: templates/steps.yml\n        parameters:\n          extra: 1\n"
        "      - template: templates/missing.yml\n"
        "  - template: templates/steps.yml\n    parameters:\n      needed: x\n",
    )
    assert sorted(consistency_errors(tmp_path)) == [
        "main.yml: does not pass needed, which templates/steps.yml requires",
        "main.yml: passes extra to templates/steps.yml, which does not declare it",
        "main.yml: template templates/missing.yml does not exist",
        "main.yml: template templates/steps.yml is used in jobs: but has no jobs: list",
        "templates/steps.yml: uses parameters.typo, which it does not declare",
    ]


def test_the_command_line_check_rejects_unknown_options_and_choices(tmp_path: Path) -> None:
    write(
        tmp_path,
        "p.yml",
        "steps:\n  - bash: |\n"
        '      uv run affected-apps --since main \\\n        --format json --members "$g"\n',
    )
    [arguments] = affected_apps_invocations(tmp_path)
    assert command_line_errors(arguments) == [
        "unknown option --since",
        "--format json: not one of ['list', 'matrix']",
    ]
