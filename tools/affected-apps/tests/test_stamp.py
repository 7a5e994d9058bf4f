"""module.json gets the content tag the build pushed; a disagreeing or missing module.json changes nothing."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from energy_edge.affected_apps import main

if TYPE_CHECKING:
    from conftest import Repo


def module_json(repo: Repo, app: str) -> dict[str, object]:
    return json.loads((repo.path / "apps" / app / "module.json").read_text())


def test_every_app_gets_its_content_tag(repo: Repo) -> None:
    tags = repo.tags("base")
    repo.cli("--all", "--head", "HEAD", "--stamp-image-tags")
    for app, tag in tags.items():
        assert module_json(repo, app) == {
            "image": {"repository": f"${{ACR_LOGIN_SERVER}}/{app}", "tag": {"version": tag}}
        }


def test_stamping_a_commit_twice_is_harmless(repo: Repo) -> None:
    repo.cli("--all", "--head", "HEAD", "--stamp-image-tags")
    repo.cli("--all", "--head", "HEAD", "--stamp-image-tags")
    assert module_json(repo, "solar-module")["image"] == {
        "repository": "${ACR_LOGIN_SERVER}/solar-module",
        "tag": {"version": repo.tags("HEAD")["solar-module"]},
    }


def test_a_module_json_disagreeing_with_pyproject_changes_nothing(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    file = repo.path / "apps/telemetry-module/module.json"
    file.write_text(file.read_text().replace('"0.3.0"', '"0.2.9"'))
    before = {app: module_json(repo, app) for app in repo.apps}
    assert main(["--root", str(repo.path), "--all", "--stamp-image-tags"]) == 2
    assert "apps/telemetry-module/module.json says version '0.2.9'" in capsys.readouterr().err
    assert {app: module_json(repo, app) for app in repo.apps} == before


def test_an_app_without_module_json_is_an_error(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    (repo.path / "apps/controller-module/module.json").unlink()
    assert main(["--root", str(repo.path), "--all", "--stamp-image-tags"]) == 2
    assert "apps/controller-module/module.json is missing" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "complaint"),
    [("{not json", "cannot be read as JSON"), ('{"image": {"repository": "x"}}', "has no image.tag.version")],
)
def test_an_unusable_module_json_is_an_error(
    repo: Repo, capsys: pytest.CaptureFixture[str], content: str, complaint: str
) -> None:
    repo.write("apps/solar-module/module.json", content)
    assert main(["--root", str(repo.path), "--all", "--stamp-image-tags"]) == 2
    assert f"apps/solar-module/module.json {complaint}" in capsys.readouterr().err
    assert module_json(repo, "controller-module")["image"] == {
        "repository": "${ACR_LOGIN_SERVER}/controller-module",
        "tag": {"version": "1.1.0"},
    }, "nothing was written"


def test_a_module_name_from_the_build_backend_is_the_import_name(repo: Repo) -> None:
    repo.append(
        "apps/solar-module/pyproject.toml", '\n[tool.uv.build-backend]\nmodule-name = ["solar", "extra"]\n'
    )
    assert repo.matrix("--all")["solar_module"]["importName"] == "solar"
