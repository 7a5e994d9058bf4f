"""Every app's image, checked offline: its Dockerfile (parsed with dockerfile-parse) and its module.json.

There is no Docker engine here, so this is what can be known without one. The build stage runs, from the
repository root, ``docker buildx build --file apps/<app>/Dockerfile --build-arg APP=<distribution> .``
(.azure-pipelines/templates/build-image-job.yml); for each app the checks are:

Dockerfile
* multi-stage (the runtime stage holds the virtual environment, not the build tools);
* every base image is pinned: a tag other than ``latest`` that holds a version number, or a digest. ``FROM
  ${ARG}`` is resolved from the ARG defaults before the first FROM; ``COPY --from=`` / ``RUN --mount=from=``
  images and the ``# syntax=`` frontend are held to the same rule; earlier stages are not images;
* the final stage's last USER is not root (a uid other than 0, or a name other than ``root``);
* no secrets: no ENV, ARG or LABEL whose name or value looks like a password, secret, key, token or
  connection string, no COPY/ADD of ``.env``, ``*.pem``, ``*.key`` (and kin), and when the whole build
  context is copied (``COPY . .``) the root ``.dockerignore`` must keep such files out of it;
* ENTRYPOINT (or CMD) runs ``python -m <package>`` in exec form, where ``<package>`` is the app's import
  package and ``apps/<app>/src/<package>/__main__.py`` exists;
* ``ARG APP`` defaults to the app's distribution name, and the build installs only that app and the
  workspace members it needs: every ``uv sync`` has ``--package "${APP}"``, ``--no-dev`` and ``--frozen`` or
  ``--locked``, none has ``--all-packages``, and the one that installs the app has ``--no-editable`` (the
  runtime stage copies the virtual environment only, so an editable install would point at nothing).

module.json (read by ``AzureIoTEdge@2`` / iotedgedev and by ``affected-apps --stamp-image-tags``)
* ``image.repository`` is ``${ACR_LOGIN_SERVER}/<module-id>`` (or iotedgedev's
  ``${CONTAINER_REGISTRY_SERVER}``): the build stage pushes ``$ACR_LOGIN_SERVER/<module-id>``, and the module
  id is the app's folder name;
* ``image.tag.version`` is the app's pyproject version; platforms amd64 and arm64v8 are both ``./Dockerfile``;
* ``contextPath`` resolves to the repository root; ``buildOptions`` pass ``--build-arg APP=<distribution>``.

Apps are discovered when the tests are collected: every ``apps/*/pyproject.toml``. An app folder with no
Python code under ``src/`` yet (nothing but ``__init__.py`` skeletons) is being created: its image checks are
skipped, with the reason shown. Once it has code, everything is checked, and a missing Dockerfile or
module.json is a failure.

Every checker is also run on a deliberately broken snippet, so a check that silently passes everything fails.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any, cast

import pytest
from dockerfile_parse import DockerfileParser
from dockerfile_parse.util import WordSplitter, extract_key_values

REPO = Path(__file__).resolve().parents[3]
APPS = REPO / "apps"
REGISTRY_PLACEHOLDERS = ("ACR_LOGIN_SERVER", "CONTAINER_REGISTRY_SERVER")
EDGE_PLATFORMS = ("amd64", "arm64v8")

# ------------------------------------------------------------------------------------------------- apps


@dataclass(frozen=True)
class App:
    folder: Path
    distribution: str
    version: str
    package: str

    @classmethod
    def load(cls, folder: Path) -> App:
        data = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
        project = data.get("project", {})
        name = str(project.get("name", ""))
        module_name = data.get("tool", {}).get("uv", {}).get("build-backend", {}).get("module-name")
        if isinstance(module_name, list):
            module_name = module_name[0] if module_name else None
        package = str(module_name) if module_name else name.replace("-", "_")
        return cls(folder, name, str(project.get("version", "")), package)

    @property
    def module_id(self) -> str:
        """The IoT Edge module id and image repository: the folder's name, as affected-apps says."""
        return self.folder.name

    @property
    def has_code(self) -> bool:
        """Python code under src/ beyond a package skeleton (``__init__.py`` files alone are not code)."""
        return has_code(self.folder)

    @property
    def main_module(self) -> Path:
        return self.folder / "src" / Path(*self.package.split(".")) / "__main__.py"


def has_code(folder: Path) -> bool:
    return any(path.name != "__init__.py" for path in (folder / "src").rglob("*.py"))


def discover_apps(apps_root: Path = APPS) -> list[App]:
    return [App.load(pyproject.parent) for pyproject in sorted(apps_root.glob("*/pyproject.toml"))]


def shown(path: Path) -> str:
    return path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else path.name


def required_file(app: App, name: str) -> Path:
    """The app's file; skips an app still being created (no code yet), fails one that has code."""
    path = app.folder / name
    if not path.is_file():
        if not app.has_code:
            pytest.skip(f"{shown(app.folder)} has no {name} and no code under src/ yet: being created")
        pytest.fail(f"{shown(path)} is missing, but {shown(app.folder)}/src/ has code")
    return path


# ------------------------------------------------------------------------------------------- Dockerfile

VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
DIRECTIVE = re.compile(r"^\s*([A-Za-z]+)\s*=\s*(\S+)\s*$")


def substitute(text: str, variables: dict[str, str | None]) -> str | None:
    """``text`` with ``$NAME`` / ``${NAME}`` replaced, or None when a variable has no value."""
    unresolved = False

    def value(match: re.Match[str]) -> str:
        nonlocal unresolved
        found = variables.get(match.group(1) or match.group(2))
        unresolved = unresolved or found is None
        return found or ""

    result = VARIABLE.sub(value, text)
    return None if unresolved else result


@dataclass(frozen=True)
class Instruction:
    keyword: str
    value: str
    line: int
    stage: int  # index of its stage; -1 before the first FROM


@dataclass(frozen=True)
class Stage:
    index: int
    image: str  # as written
    alias: str | None
    line: int


def arg_pairs(value: str) -> list[tuple[str, str | None]]:
    """``ARG A B=1`` -> [("A", None), ("B", "1")]."""
    pairs: list[tuple[str, str | None]] = []
    for word in WordSplitter(value).split():
        name, equals, default = str(word).partition("=")
        pairs.append((name, default if equals else None))
    return pairs


@dataclass(frozen=True)
class Dockerfile:
    name: str
    instructions: tuple[Instruction, ...]
    directives: dict[str, str]

    @classmethod
    def parse(cls, text: str, name: str = "Dockerfile") -> Dockerfile:
        structure = DockerfileParser(fileobj=io.StringIO(text)).structure
        directives: dict[str, str] = {}
        leading = True
        instructions: list[Instruction] = []
        stage = -1
        for item in structure:
            keyword, value = str(item["instruction"]).upper(), str(item["value"])
            if keyword == "COMMENT":
                directive = DIRECTIVE.match(value) if leading else None
                if directive:
                    directives[directive.group(1).lower()] = directive.group(2)
                else:
                    leading = False
                continue
            leading = False
            stage += keyword == "FROM"
            instructions.append(Instruction(keyword, value, int(item["startline"]) + 1, stage))
        return cls(name, tuple(instructions), directives)

    @cached_property
    def stages(self) -> list[Stage]:
        stages = []
        for instruction in self.of("FROM"):
            words = [word for word in instruction.value.split() if not word.startswith("--")]
            alias = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(instruction.stage, words[0] if words else "", alias, instruction.line))
        return stages

    def of(self, keyword: str, stage: int | None = None) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword and (stage is None or i.stage == stage)]

    @property
    def final_stage(self) -> int:
        return len(self.stages) - 1

    def global_args(self) -> dict[str, str | None]:
        return {name: default for i in self.of("ARG", -1) for name, default in arg_pairs(i.value)}

    def stage_variables(self, stage: int) -> dict[str, str | None]:
        """What ``$NAME`` can mean in a stage: redeclared global ARGs, the stage's ARGs and ENVs."""
        known = self.global_args()
        variables: dict[str, str | None] = {}
        for instruction in self.instructions:
            if instruction.stage != stage:
                continue
            if instruction.keyword == "ARG":
                for name, default in arg_pairs(instruction.value):
                    variables[name] = default if default is not None else known.get(name)
            elif instruction.keyword == "ENV":
                variables.update(extract_key_values(False, {}, {}, instruction.value))
        return variables

    def where(self, instruction: Instruction) -> str:
        return f"{self.name}:{instruction.line}"


def pin_error(reference: str) -> str | None:
    """Why an image reference is not pinned, or None when it is (version tag or digest)."""
    if reference == "scratch":
        return None
    if "@" in reference:
        digest = reference.partition("@")[2]
        return None if re.fullmatch(r"sha256:[0-9a-f]{64}", digest) else f"malformed digest {digest!r}"
    last = reference.rsplit("/", 1)[-1]
    tag = last.partition(":")[2] if ":" in last else ""
    if not tag:
        return "no tag (that is latest)"
    if tag == "latest":
        return "tag latest"
    if not re.search(r"\d", tag):
        return f"tag {tag!r} holds no version number"
    return None


def multistage_errors(dockerfile: Dockerfile) -> list[str]:
    if len(dockerfile.stages) < 2:
        return [f"{dockerfile.name}: one stage; build in one stage and copy the result into a runtime stage"]
    return []


def external_images(dockerfile: Dockerfile) -> list[tuple[str, str]]:
    """(where, reference as written) of every image the build pulls, stages excluded."""
    stages: set[str] = set()
    images: list[tuple[str, str]] = []
    if "syntax" in dockerfile.directives:
        images.append((f"{dockerfile.name}: # syntax", dockerfile.directives["syntax"]))
    for instruction in dockerfile.instructions:
        if instruction.keyword == "FROM":
            stage = dockerfile.stages[instruction.stage]
            if stage.image not in stages:
                images.append((f"{dockerfile.where(instruction)}: FROM", stage.image))
            stages.update({stage.alias or "", str(stage.index)} - {""})
        found = re.findall(r"--from=(\S+)", instruction.value) if instruction.keyword == "COPY" else []
        if instruction.keyword == "RUN":
            found = re.findall(r"--mount=\S*?\bfrom=([^,\s]+)", instruction.value)
        images += [
            (f"{dockerfile.where(instruction)}: {instruction.keyword} --from", ref)
            for ref in found
            if ref not in stages
        ]
    return images


def pin_errors(dockerfile: Dockerfile) -> list[str]:
    errors = []
    arguments = dockerfile.global_args()
    for where, written in external_images(dockerfile):
        resolved = substitute(written, arguments)
        if resolved is None:
            errors.append(f"{where} {written}: a variable without a default ARG before the first FROM")
            continue
        error = pin_error(resolved)
        if error:
            errors.append(f"{where} {resolved}: not pinned: {error}")
    return errors


def user_errors(dockerfile: Dockerfile) -> list[str]:
    users = dockerfile.of("USER", dockerfile.final_stage)
    if not users:
        return [f"{dockerfile.name}: the final stage has no USER, so the module runs as root"]
    last = users[-1]
    user = substitute(last.value.split(":")[0].strip(), dockerfile.stage_variables(last.stage))
    if user is None:
        return [f"{dockerfile.where(last)}: USER {last.value}: a variable without a value"]
    if user in {"root", ""} or (user.isdigit() and int(user) == 0):
        return [f"{dockerfile.where(last)}: USER {last.value} is root"]
    return []


SECRET_NAME_WORD = re.compile(
    r".*(password|passwd|secret|token|key|credentials?)|pwd|pass|sas|connstr|apikey", re.IGNORECASE
)
SECRET_VALUE = re.compile(
    r"AccountKey=|SharedAccessKey=|SharedAccessSignature|InstrumentationKey=|Password=|"
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----|\bgh[pousr]_[A-Za-z0-9]{20,}|\bAKIA[0-9A-Z]{16}\b|"
    r"\beyJ[A-Za-z0-9_-]{10,}\.|://[^/\s:@]+:[^/\s@]+@",
    re.IGNORECASE,
)
SECRET_FILE = re.compile(r"(^|/)\.env(\.[^/]*)?$|\.(pem|key|pfx|p12|jks)$|(^|/)id_(rsa|ed25519|ecdsa)$")


def secret_name(name: str) -> bool:
    words = [word for word in re.split(r"[_\-.]", name.lower()) if word]
    joined = "_".join(words)
    return any(SECRET_NAME_WORD.fullmatch(word) for word in words) or bool(
        re.search(r"(^|_)conn(ection)?_?str(ing)?(_|$)", joined)
    )


def setting_pairs(instruction: Instruction) -> list[tuple[str, str]]:
    if instruction.keyword == "ARG":
        return [(name, default or "") for name, default in arg_pairs(instruction.value)]
    return [(str(k), str(v)) for k, v in extract_key_values(False, {}, {}, instruction.value)]


def copy_sources(instruction: Instruction) -> list[str]:
    """The sources of a COPY or ADD (shell or JSON form), without flags and destination."""
    try:
        words = json.loads(instruction.value)
    except ValueError:
        words = shlex.split(instruction.value)
    words = [str(word) for word in words if not str(word).startswith("--")]
    return words[:-1]


def secret_errors(dockerfile: Dockerfile) -> list[str]:
    errors = []
    for instruction in dockerfile.instructions:
        where = f"{dockerfile.where(instruction)}: {instruction.keyword}"
        if instruction.keyword in {"ENV", "ARG", "LABEL"}:
            for name, value in setting_pairs(instruction):
                if secret_name(name):
                    errors.append(f"{where} {name}: the name of a secret")
                if SECRET_VALUE.search(value):
                    errors.append(f"{where} {name}: the value looks like a credential")
        elif instruction.keyword in {"COPY", "ADD"}:
            errors += [
                f"{where} {source}: a secret file"
                for source in copy_sources(instruction)
                if SECRET_FILE.search(source.rstrip("/"))
            ]
    return errors


# Files that must never reach a build context, as paths the checks try against .dockerignore.
SECRET_SAMPLES = (
    ".env",
    "apps/an-app/.env",
    "tools/sim/.env.local",
    "device.pem",
    "apps/an-app/certs/device.pem",
    "apps/an-app/certs/device.key",
)


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore excludes ``path`` (Go filepath.Match with ``**``; ``!`` re-includes)."""
    result = False
    for raw in patterns:
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = str(PurePosixPath("/" + pattern.removeprefix("!").strip())).lstrip("/")
        regex = "".join(
            ".*" if part == "**" else "[^/]*" if part == "*" else "[^/]" if part == "?" else re.escape(part)
            for part in re.split(r"(\*\*|\*|\?)", pattern)
        ).replace(".*/", "(.*/)?")
        parents = [str(p) for p in PurePosixPath(path).parents][:-1]
        if any(re.fullmatch(regex, candidate) for candidate in [path, *parents]):
            result = not negated
    return result


def context_secret_errors(dockerfile: Dockerfile, dockerignore: str | None) -> list[str]:
    """A ``COPY . …`` sends the whole context: .dockerignore must keep secret files out of it."""
    whole = [
        i
        for i in dockerfile.instructions
        if i.keyword in {"COPY", "ADD"} and "--from" not in i.value and {".", "./"} & set(copy_sources(i))
    ]
    if not whole:
        return []
    patterns = (dockerignore or "").splitlines()
    let_through = [sample for sample in SECRET_SAMPLES if not ignored(sample, patterns)]
    if not let_through:
        return []
    return [
        f"{dockerfile.where(whole[0])}: copies the whole build context, and .dockerignore lets "
        f"{', '.join(let_through)} into it (add **/.env, **/.env.*, **/*.pem, **/*.key)"
    ]


def command_of(dockerfile: Dockerfile) -> tuple[list[str] | None, list[str]]:
    """(the final stage's argv, errors): ENTRYPOINT plus CMD, each required in exec form."""
    errors, argv = [], []
    for keyword in ("ENTRYPOINT", "CMD"):
        found = dockerfile.of(keyword, dockerfile.final_stage)
        if not found:
            continue
        try:
            words = json.loads(found[-1].value)
        except ValueError:
            words = None
        if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
            errors.append(f"{dockerfile.where(found[-1])}: {keyword} in shell form; use exec form [...]")
            continue
        argv += words
    return (argv or None), errors


def entrypoint_errors(dockerfile: Dockerfile, app: App) -> list[str]:
    argv, errors = command_of(dockerfile)
    if errors:
        return errors
    wanted = ["python", "-m", app.package]
    if argv is None:
        return [f"{dockerfile.name}: the final stage has no ENTRYPOINT or CMD; want {wanted}"]
    python = PurePosixPath(argv[0]).name in {"python", "python3"}
    if not python or argv[1:3] != ["-m", app.package]:
        return [f"{dockerfile.name}: runs {argv}, not {wanted}"]
    if not app.main_module.is_file():
        return [f"{dockerfile.name}: runs python -m {app.package}, but {shown(app.main_module)} is missing"]
    return []


def app_arg_errors(dockerfile: Dockerfile, app: App) -> list[str]:
    defaults = [
        (i, default) for i in dockerfile.of("ARG") for name, default in arg_pairs(i.value) if name == "APP"
    ]
    if not defaults:
        return [f"{dockerfile.name}: no ARG APP (the build passes --build-arg APP=<distribution>)"]
    return [
        f"{dockerfile.where(i)}: ARG APP defaults to {default!r}, not {app.distribution!r}"
        for i, default in defaults
        if default != app.distribution
    ]


def uv_syncs(dockerfile: Dockerfile) -> list[tuple[Instruction, list[str]]]:
    """Every ``uv sync`` command in a RUN, as its words after ``sync``."""
    found = []
    for instruction in dockerfile.of("RUN"):
        for command in re.split(r"&&|\|\||;|\n", instruction.value):
            try:
                words = shlex.split(command, comments=True)
            except ValueError:  # a quote spans a split point: words are good enough to find uv sync
                words = command.split()
            found += [
                (instruction, words[index + 2 :])
                for index in range(len(words) - 1)
                if PurePosixPath(words[index]).name == "uv" and words[index + 1] == "sync"
            ]
    return found


def option(words: list[str], name: str) -> str | None:
    for index, word in enumerate(words):
        if word == name and index + 1 < len(words):
            return words[index + 1]
        if word.startswith(name + "="):
            return word.partition("=")[2]
    return None


def uv_sync_errors(dockerfile: Dockerfile, app: App) -> list[str]:
    syncs = uv_syncs(dockerfile)
    if not syncs:
        return [f"{dockerfile.name}: no uv sync; the image must install the app from uv.lock"]
    errors = []
    for instruction, words in syncs:
        where = f"{dockerfile.where(instruction)}: uv sync"
        package = option(words, "--package")
        if package not in {"$APP", "${APP}", app.distribution}:
            errors.append(f'{where}: --package {package} is not the app (--package "${{APP}}")')
        if "--all-packages" in words:
            errors.append(f"{where}: --all-packages installs every workspace member")
        if "--no-dev" not in words:
            errors.append(f"{where}: without --no-dev the dev group goes into the image")
        if not {"--frozen", "--locked"} & set(words):
            errors.append(f"{where}: neither --frozen nor --locked, so it may re-resolve")
    installing = [
        (i, words)
        for i, words in syncs
        if not {"--no-install-project", "--no-install-workspace", "--only-dev"} & set(words)
    ]
    if not installing:
        errors.append(f"{dockerfile.name}: every uv sync skips the app itself")
    errors += [
        f"{dockerfile.where(i)}: uv sync installs the app without --no-editable"
        for i, words in installing
        if "--no-editable" not in words
    ]
    return errors


# ------------------------------------------------------------------------------------------ module.json


def mapping(value: object) -> dict[str, Any]:
    return cast("dict[str, Any]", value) if isinstance(value, dict) else {}


def module_json_errors(app: App, document: Any, root: Path = REPO) -> list[str]:
    name = f"{app.module_id}/module.json"
    image = document.get("image") if isinstance(document, dict) else None
    if not isinstance(image, dict):
        return [f"{name}: no image object"]
    errors = []
    repository = image.get("repository")
    placeholders = "|".join(REGISTRY_PLACEHOLDERS)
    if not re.fullmatch(rf"\$\{{({placeholders})\}}/{re.escape(app.module_id)}", str(repository)):
        errors.append(f"{name}: image.repository {repository!r} is not ${{ACR_LOGIN_SERVER}}/{app.module_id}")
    tag = mapping(image.get("tag"))
    if tag.get("version") != app.version:
        errors.append(
            f"{name}: image.tag.version {tag.get('version')!r} is not the pyproject version {app.version!r}"
        )
    platforms = mapping(tag.get("platforms"))
    for platform in EDGE_PLATFORMS:
        dockerfile = platforms.get(platform)
        if (
            not isinstance(dockerfile, str)
            or (app.folder / dockerfile).resolve() != (app.folder / "Dockerfile").resolve()
        ):
            errors.append(f"{name}: platform {platform} is {dockerfile!r}, not ./Dockerfile")
    context = image.get("contextPath")
    if not isinstance(context, str) or (app.folder / context).resolve() != root.resolve():
        errors.append(f"{name}: contextPath {context!r} is not the repository root")
    options = image.get("buildOptions")
    words = [str(word) for word in options] if isinstance(options, list) else []
    build_args = [
        word.removeprefix("--build-arg=")
        for index, word in enumerate(words)
        if word.startswith("--build-arg=")
    ] + [words[index + 1] for index, word in enumerate(words[:-1]) if word == "--build-arg"]
    if f"APP={app.distribution}" not in build_args:
        errors.append(f"{name}: buildOptions {options!r} do not pass --build-arg APP={app.distribution}")
    return errors


# -------------------------------------------------------------------------------------------------- tests

ALL_APPS = discover_apps()


def dockerfile_of(app: App) -> Dockerfile:
    path = required_file(app, "Dockerfile")
    return Dockerfile.parse(path.read_text(encoding="utf-8"), shown(path))


def app_ids(app: App) -> str:
    return app.module_id


def test_every_app_folder_with_a_pyproject_is_checked() -> None:
    assert {app.module_id for app in ALL_APPS} >= {
        "battery-module",
        "boiler-module",
        "controller-module",
        "meter-module",
        "solar-module",
    }
    for app in ALL_APPS:
        assert app.distribution, f"{shown(app.folder)}/pyproject.toml has no [project].name"
        assert app.version, f"{shown(app.folder)}/pyproject.toml has no [project].version"


@pytest.mark.parametrize("app", ALL_APPS, ids=app_ids)
def test_the_image_is_built_in_stages(app: App) -> None:
    assert multistage_errors(dockerfile_of(app)) == []


@pytest.mark.parametrize("app", ALL_APPS, ids=app_ids)
def test_every_base_image_is_pinned(app: App) -> None:
    assert pin_errors(dockerfile_of(app)) == []


@pytest.mark.parametrize("app", ALL_APPS, ids=app_ids)
def test_the_module_runs_as_a_non_root_user(app: App) -> None:
    assert user_errors(dockerfile_of(app)) == []


@pytest.mark.parametrize("app", ALL_APPS, ids=app_ids)
def test_the_dockerfile_holds_no_secrets(app: App) -> None:
    assert secret_errors(dockerfile_of(app)) == []


def test_the_build_context_keeps_secret_files_out() -> None:
    # One test for all apps: they share the context (the repository root) and its .dockerignore.
    ignore = REPO / ".dockerignore"
    text = ignore.read_text(encoding="utf-8") if ignore.is_file() else None
    dockerfiles = [app.folder / "Dockerfile" for app in ALL_APPS if (app.folder / "Dockerfile").is_file()]
    assert dockerfiles
    errors = [
        context_secret_errors(Dockerfile.parse(path.read_text(encoding="utf-8"), shown(path)), text)
        for path in dockerfiles
    ]
    assert [error for found in errors for error in found] == []


@pytest.mark.parametrize("app", ALL_APPS, ids=app_ids)
def test_the_module_starts_its_package_in_exec_form(app: App) -> None:
    assert entrypoint_errors(dockerfile_of(app), app) == []


@pytest.mark.parametrize("app", ALL_APPS, ids=app_ids)
def test_the_build_installs_only_this_app_from_the_lock(app: App) -> None:
    dockerfile = dockerfile_of(app)
    assert app_arg_errors(dockerfile, app) + uv_sync_errors(dockerfile, app) == []


@pytest.mark.parametrize("app", ALL_APPS, ids=app_ids)
def test_module_json_matches_the_app_and_the_build(app: App) -> None:
    document = json.loads(required_file(app, "module.json").read_text(encoding="utf-8"))
    assert module_json_errors(app, document) == []


# ------------------------------------------------------------------- the checkers fail on broken input

BROKEN = """\
# syntax=docker/dockerfile
ARG BASE=python:slim
ARG UNSET
FROM ${BASE}
FROM ${UNSET} AS second
FROM ghcr.io/astral-sh/uv AS uv
FROM localhost:5000/python:latest AS final
FROM python@sha256:1234 AS digest
FROM python:3.11.11-slim-bookworm AS runtime
COPY --from=uv /uv /usr/local/bin/uv
COPY --from=ghcr.io/astral-sh/uv:latest /uv /uvx /bin/
RUN --mount=type=bind,from=busybox,target=/b true
ARG APP=battery_module
ARG GITHUB_TOKEN
ENV DB_PASSWORD=hunter2 SAS=x PLAIN=ok \\
    BROKER=amqp://edge:s3cret@broker:5672
LABEL connection_string="HostName=h;DeviceId=d;SharedAccessKey=c2VjcmV0"
COPY .env /app/.env
ADD certs/device.pem certs/device.key /certs/
COPY ["secrets/.env.production", "/app/"]
RUN uv sync --package other-module && uv sync --all-packages --frozen --no-dev --package "${APP}"
USER 10001
USER 0:0
ENTRYPOINT python -m battery_module
"""


def broken_app(tmp_path: Path, with_main: bool = True) -> App:
    folder = tmp_path / "apps" / "battery-module"
    (folder / "src" / "battery_module").mkdir(parents=True)
    if with_main:
        (folder / "src" / "battery_module" / "__main__.py").write_text("")
    return App(folder, "battery-module", "0.1.0", "battery_module")


def test_the_parser_sees_stages_directives_and_arguments() -> None:
    dockerfile = Dockerfile.parse(BROKEN)
    assert dockerfile.directives == {"syntax": "docker/dockerfile"}
    assert [(s.image, s.alias) for s in dockerfile.stages][:2] == [("${BASE}", None), ("${UNSET}", "second")]
    assert dockerfile.global_args() == {"BASE": "python:slim", "UNSET": None}
    assert dockerfile.final_stage == 5


def test_the_stage_check_rejects_a_single_stage() -> None:
    assert multistage_errors(Dockerfile.parse("FROM python:3.11-slim\n", "one")) == [
        "one: one stage; build in one stage and copy the result into a runtime stage"
    ]


def test_the_pin_check_rejects_floating_and_unresolvable_images() -> None:
    assert pin_errors(Dockerfile.parse(BROKEN)) == [
        "Dockerfile: # syntax docker/dockerfile: not pinned: no tag (that is latest)",
        "Dockerfile:4: FROM python:slim: not pinned: tag 'slim' holds no version number",
        "Dockerfile:5: FROM ${UNSET}: a variable without a default ARG before the first FROM",
        "Dockerfile:6: FROM ghcr.io/astral-sh/uv: not pinned: no tag (that is latest)",
        "Dockerfile:7: FROM localhost:5000/python:latest: not pinned: tag latest",
        "Dockerfile:8: FROM python@sha256:1234: not pinned: malformed digest 'sha256:1234'",
        "Dockerfile:11: COPY --from ghcr.io/astral-sh/uv:latest: not pinned: tag latest",
        "Dockerfile:12: RUN --from busybox: not pinned: no tag (that is latest)",
    ]
    assert pin_error("python@sha256:" + "a" * 64) is None
    assert pin_error("mcr.microsoft.com/azureiotedge-agent:1.5") is None


def test_the_user_check_rejects_root_a_missing_user_and_an_unknown_one() -> None:
    assert user_errors(Dockerfile.parse(BROKEN)) == ["Dockerfile:23: USER 0:0 is root"]
    assert user_errors(Dockerfile.parse("FROM a:1\nUSER app\nFROM b:1\n", "D")) == [
        "D: the final stage has no USER, so the module runs as root"
    ]
    assert user_errors(Dockerfile.parse("FROM b:1\nUSER $WHO\n", "D")) == [
        "D:2: USER $WHO: a variable without a value"
    ]
    assert user_errors(Dockerfile.parse("FROM b:1\nARG UID=10001\nUSER ${UID}:${UID}\n")) == []
    assert user_errors(Dockerfile.parse("FROM b:1\nUSER root\n", "D")) == ["D:2: USER root is root"]


def test_the_secret_check_finds_names_values_and_files() -> None:
    assert secret_errors(Dockerfile.parse(BROKEN)) == [
        "Dockerfile:14: ARG GITHUB_TOKEN: the name of a secret",
        "Dockerfile:15: ENV DB_PASSWORD: the name of a secret",
        "Dockerfile:15: ENV SAS: the name of a secret",
        "Dockerfile:15: ENV BROKER: the value looks like a credential",
        "Dockerfile:17: LABEL connection_string: the name of a secret",
        "Dockerfile:17: LABEL connection_string: the value looks like a credential",
        "Dockerfile:18: COPY .env: a secret file",
        "Dockerfile:19: ADD certs/device.pem: a secret file",
        "Dockerfile:19: ADD certs/device.key: a secret file",
        "Dockerfile:20: COPY secrets/.env.production: a secret file",
    ]
    harmless = [
        "UV_KEYRING_PROVIDER",
        "TOKENIZERS_PARALLELISM",
        "PASSTHROUGH",
        "org.opencontainers.image.title",
    ]
    assert [name for name in harmless if secret_name(name)] == []
    assert all(secret_name(n) for n in ["API_KEY", "ApiKey", "IOTHUB_CONNECTION_STRING", "client-secret"])


def test_the_context_check_wants_dockerignore_to_exclude_secret_files() -> None:
    copies_all = Dockerfile.parse("FROM a:1 AS b\nCOPY . .\nFROM a:1\nCOPY --from=b /x /x\n", "D")
    assert context_secret_errors(copies_all, ".git\n**/.venv\n") == [
        "D:2: copies the whole build context, and .dockerignore lets .env, apps/an-app/.env, "
        "tools/sim/.env.local, device.pem, apps/an-app/certs/device.pem, apps/an-app/certs/device.key "
        "into it (add **/.env, **/.env.*, **/*.pem, **/*.key)"
    ]
    assert context_secret_errors(copies_all, None)
    good = "**/.env\n**/.env.*\n**/*.pem\n**/*.key\n"
    assert context_secret_errors(copies_all, good) == []
    assert context_secret_errors(copies_all, good + "!apps/an-app/certs\n")
    assert context_secret_errors(Dockerfile.parse("FROM a:1\nCOPY src /src\n"), None) == []


def test_the_entrypoint_check_wants_exec_form_and_the_apps_package(tmp_path: Path) -> None:
    app = broken_app(tmp_path)
    assert entrypoint_errors(Dockerfile.parse(BROKEN), app) == [
        "Dockerfile:24: ENTRYPOINT in shell form; use exec form [...]"
    ]
    other = Dockerfile.parse('FROM a:1\nCMD ["python", "-m", "solar_module"]\n', "D")
    assert entrypoint_errors(other, app) == [
        "D: runs ['python', '-m', 'solar_module'], not ['python', '-m', 'battery_module']"
    ]
    assert entrypoint_errors(Dockerfile.parse("FROM a:1\n", "D"), app) == [
        "D: the final stage has no ENTRYPOINT or CMD; want ['python', '-m', 'battery_module']"
    ]
    good = Dockerfile.parse('FROM a:1\nENTRYPOINT ["python"]\nCMD ["-m", "battery_module"]\n', "D")
    assert entrypoint_errors(good, app) == []
    assert entrypoint_errors(good, broken_app(tmp_path / "2", with_main=False)) == [
        "D: runs python -m battery_module, but __main__.py is missing"
    ]


def test_the_build_check_wants_the_apps_distribution_and_a_locked_install(tmp_path: Path) -> None:
    app, broken = broken_app(tmp_path), Dockerfile.parse(BROKEN)
    assert app_arg_errors(broken, app) == [
        "Dockerfile:13: ARG APP defaults to 'battery_module', not 'battery-module'"
    ]
    assert app_arg_errors(Dockerfile.parse("FROM a:1\n", "D"), app) == [
        "D: no ARG APP (the build passes --build-arg APP=<distribution>)"
    ]
    assert uv_sync_errors(broken, app) == [
        'Dockerfile:21: uv sync: --package other-module is not the app (--package "${APP}")',
        "Dockerfile:21: uv sync: without --no-dev the dev group goes into the image",
        "Dockerfile:21: uv sync: neither --frozen nor --locked, so it may re-resolve",
        "Dockerfile:21: uv sync: --all-packages installs every workspace member",
        "Dockerfile:21: uv sync installs the app without --no-editable",
        "Dockerfile:21: uv sync installs the app without --no-editable",
    ]
    skipping = Dockerfile.parse(
        "FROM a:1\nRUN uv sync --locked --no-dev --no-install-workspace --package $APP\n", "D"
    )
    assert uv_sync_errors(skipping, app) == ["D: every uv sync skips the app itself"]
    assert uv_sync_errors(Dockerfile.parse("FROM a:1\nRUN pip install .\n", "D"), app) == [
        "D: no uv sync; the image must install the app from uv.lock"
    ]


def test_the_module_json_check_finds_every_disagreement(tmp_path: Path) -> None:
    app = broken_app(tmp_path)
    document = {
        "image": {
            "repository": "myregistry.azurecr.io/battery",
            "tag": {
                "version": "0.2.0",
                "platforms": {"amd64": "./Dockerfile", "arm64v8": "./Dockerfile.arm"},
            },
            "buildOptions": ["--build-arg", "APP=solar-module"],
            "contextPath": "..",
        }
    }
    assert module_json_errors(app, document, root=tmp_path) == [
        "battery-module/module.json: image.repository 'myregistry.azurecr.io/battery' is not "
        "${ACR_LOGIN_SERVER}/battery-module",
        "battery-module/module.json: image.tag.version '0.2.0' is not the pyproject version '0.1.0'",
        "battery-module/module.json: platform arm64v8 is './Dockerfile.arm', not ./Dockerfile",
        "battery-module/module.json: contextPath '..' is not the repository root",
        "battery-module/module.json: buildOptions ['--build-arg', 'APP=solar-module'] do not pass "
        "--build-arg APP=battery-module",
    ]
    good = json.loads((APPS / "battery-module" / "module.json").read_text(encoding="utf-8"))
    assert module_json_errors(app, good, root=tmp_path) == []
    assert module_json_errors(app, [], root=tmp_path) == ["battery-module/module.json: no image object"]


def test_an_app_being_created_is_skipped_until_it_has_code(tmp_path: Path) -> None:
    folder = tmp_path / "apps" / "new-module"
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text('[project]\nname = "new-module"\nversion = "0.1.0"\n')
    [app] = discover_apps(tmp_path / "apps")
    assert (app.distribution, app.version, app.package, app.module_id) == (
        "new-module",
        "0.1.0",
        "new_module",
        "new-module",
    )
    with pytest.raises(pytest.skip.Exception):
        required_file(app, "Dockerfile")
    (folder / "src" / "new_module").mkdir(parents=True)
    (folder / "src" / "new_module" / "__init__.py").write_text('"""A skeleton is not code yet."""\n')
    with pytest.raises(pytest.skip.Exception):
        required_file(app, "Dockerfile")
    (folder / "src" / "new_module" / "main.py").write_text("")
    with pytest.raises(pytest.fail.Exception, match="Dockerfile is missing"):
        required_file(app, "Dockerfile")
