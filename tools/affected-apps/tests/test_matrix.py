"""The Azure Pipelines matrix: valid leg names, the fields CI reads, content tags that name sources."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from hypothesis import given
from hypothesis import strategies as st

from energy_edge.affected_apps.selection import content_digest, docker_tag, leg_names

if TYPE_CHECKING:
    from conftest import Repo

LEG_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def test_matrix_has_one_leg_per_app_with_what_ci_needs(repo: Repo) -> None:
    output = repo.cli("--all", "--format", "matrix")
    assert output.count("\n") == 1, "one line, as ##vso[task.setvariable] needs it"
    matrix = json.loads(output)
    assert sorted(matrix) == ["controller_module", "solar_module", "telemetry_module"]
    solar = matrix["solar_module"]
    assert {key: solar[key] for key in ("app", "path", "module", "version", "importName")} == {
        "app": "solar-module",
        "path": "apps/solar-module",
        "module": "solar-module",
        "version": "1.0.0",
        "importName": "solar_module",
    }
    assert re.fullmatch(r"1\.0\.0-[0-9a-f]{12}", solar["tag"])
    assert all(LEG_NAME.match(leg) for leg in matrix)
    assert all(isinstance(value, str) for leg in matrix.values() for value in leg.values())


def test_no_affected_app_is_an_empty_matrix(repo: Repo) -> None:
    repo.append("README.md", "docs\n")
    assert repo.cli("--base", "base", "--head", repo.commit(), "--format", "matrix") == "{}\n"


def test_content_tags_do_not_depend_on_when_or_where_they_are_computed(repo: Repo) -> None:
    tags = repo.tags("base")
    repo.append("docs/operations.md", "unrelated\n")
    assert repo.tags(repo.commit()) == tags
    assert len(set(tags.values())) == len(tags)


@given(st.lists(st.text(max_size=20), max_size=12))
def test_leg_names_are_valid_and_unique_for_any_folder_names(folders: list[str]) -> None:
    names = leg_names(folders)
    assert len(names) == len(folders)
    assert len(set(names)) == len(names)
    assert all(LEG_NAME.match(name) for name in names)


def test_leg_names_keep_readable_folder_names() -> None:
    assert leg_names(["solar-module", "solar_module", "2nd-meter", "boiler.module"]) == [
        "solar_module",
        "solar_module_2",
        "m_2nd_meter",
        "boiler_module",
    ]


def test_a_docker_tag_carries_the_version_and_a_digest_of_the_inputs() -> None:
    digest = content_digest(["apps/a", "uv.lock"], {"apps/a": "1" * 40, "uv.lock": "2" * 40})
    assert re.fullmatch(r"[0-9a-f]{12}", digest)
    assert digest != content_digest(["apps/a", "uv.lock"], {"apps/a": "1" * 40, "uv.lock": "3" * 40})
    assert digest != content_digest(["apps/a", "uv.lock"], {"apps/a": "1" * 40}), (
        "absent differs from present"
    )
    assert docker_tag("1.2.0", digest) == f"1.2.0-{digest}"
    assert docker_tag("1.2.0+site.7", digest) == f"1.2.0-site.7-{digest}", (
        "'+' is not allowed in a Docker tag"
    )
