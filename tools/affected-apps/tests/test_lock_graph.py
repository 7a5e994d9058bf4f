"""Dependencies read from uv.lock agree with ``uv export`` and follow uv's rules for extras and groups."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from energy_edge.affected_apps import AffectedAppsError, parse_lock

if TYPE_CHECKING:
    from conftest import Repo


def exported_members(root: Path, app: str) -> list[str]:
    """The workspace folders ``uv export --frozen --no-hashes --package <app>`` installs in editable mode."""
    output = subprocess.run(
        ["uv", "export", "--frozen", "--no-hashes", "--package", app],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return sorted(re.findall(r"^-e \./(\S+)$", output, flags=re.MULTILINE))


@pytest.mark.parametrize("app", ["controller-module", "solar-module", "telemetry-module"])
def test_dependencies_from_the_lock_file_match_uv_export(repo: Repo, app: str) -> None:
    workspace = parse_lock((repo.path / "uv.lock").read_text())
    assert sorted(member.path for member in workspace.dependencies(app)) == exported_members(repo.path, app)


def test_the_lock_file_names_members_with_their_folders_and_versions(repo: Repo) -> None:
    workspace = parse_lock((repo.path / "uv.lock").read_text())
    assert {name: (m.path, m.version) for name, m in workspace.members.items()} == {
        "controller-module": ("apps/controller-module", "1.1.0"),
        "physics": ("packages/physics", "0.2.0"),
        "solar-module": ("apps/solar-module", "1.0.0"),
        "statemachine": ("packages/statemachine", "0.1.0"),
        "telemetry-module": ("apps/telemetry-module", "0.3.0"),
    }, "the virtual workspace root is not a member anyone can select"


LOCK = """
version = 1
requires-python = ">=3.11"

[manifest]
members = ["root", "app", "core", "plots", "fixtures", "unused"]

[[package]]
name = "root"
version = "0.1.0"
source = { virtual = "." }

[[package]]
name = "app"
version = "1.0.0"
source = { editable = "apps/app" }
dependencies = [{ name = "core", extra = ["fast"] }, { name = "requests" }]

[package.dev-dependencies]
test = [{ name = "fixtures" }]

[[package]]
name = "core"
version = "0.1.0"
source = { editable = "packages/core" }

[package.optional-dependencies]
fast = [{ name = "speedups" }]
plots = [{ name = "plots" }]

[[package]]
name = "speedups"
version = "2.0"
source = { editable = "packages/speedups" }

[[package]]
name = "plots"
version = "0.1.0"
source = { editable = "packages/plots" }

[[package]]
name = "fixtures"
version = "0.1.0"
source = { editable = "packages/fixtures" }
dependencies = [{ name = "unused" }]

[package.dev-dependencies]
dev = [{ name = "plots" }]

[[package]]
name = "unused"
version = "0.1.0"
source = { editable = "packages/unused" }

[[package]]
name = "requests"
version = "2.32.3"
source = { registry = "https://pypi.org/simple" }
"""


def test_an_app_depends_on_its_groups_and_on_requested_extras_only() -> None:
    workspace = parse_lock(LOCK)
    names = [member.name for member in workspace.dependencies("app")]
    # core[fast] pulls speedups in, which is no member (not in the manifest) and so is not listed;
    # core's "plots" extra is not requested; fixtures comes from app's test group and brings unused;
    # fixtures' own dev group does not reach app.
    assert names == ["app", "core", "fixtures", "unused"]


def test_members_are_grouped_by_folder() -> None:
    workspace = parse_lock(LOCK)
    assert [member.name for member in workspace.under("apps")] == ["app"]
    assert [member.name for member in workspace.under("packages")] == ["core", "fixtures", "plots", "unused"]


def test_a_single_project_lock_has_no_apps() -> None:
    workspace = parse_lock(
        'version = 1\n[[package]]\nname = "solo"\nversion = "1.0"\nsource = { editable = "." }\n'
    )
    assert workspace.members == {}
    assert workspace.under("apps") == []


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("[[package]\nname =", "not valid TOML"),
        ("package = 3", "no [[package]] list"),
        ("[[package]]\nversion = '1'", "without a name"),
    ],
)
def test_a_broken_lock_file_is_reported_by_what_is_wrong(text: str, complaint: str) -> None:
    with pytest.raises(AffectedAppsError, match=re.escape(complaint)):
        parse_lock(text)
