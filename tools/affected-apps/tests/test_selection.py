"""Which apps a change selects, on a real git repository with a real uv lock file.

Every scenario also checks the rule that ties selection to images: an app is selected exactly when its
content tag (the tag its image is pushed and deployed under) changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Repo  # pytest's importlib mode imports conftest itself; this is for the type checker


def selected_by_commit(repo: Repo, *extra: str) -> list[str]:
    """Commit the worktree's changes; the apps selected against ``base``, after checking the tag rule."""
    head = repo.commit()
    selected = repo.affected("--base", "base", "--head", head, *extra)
    before, after = repo.tags("base"), repo.tags(head)
    retagged = sorted(app for app, tag in after.items() if before.get(app) != tag)
    assert retagged == selected, "an app is affected exactly when its content tag changes"
    return selected


def test_a_change_in_physics_selects_exactly_the_apps_that_depend_on_it(repo: Repo) -> None:
    repo.append("packages/physics/src/physics/__init__.py", "PANEL_EFFICIENCY = 0.21\n")
    assert selected_by_commit(repo) == ["solar-module"]


def test_a_package_change_reaches_apps_through_other_packages(repo: Repo) -> None:
    repo.append("packages/statemachine/src/statemachine/__init__.py", "STATES = ()\n")
    # controller-module depends on statemachine directly, solar-module through physics.
    assert selected_by_commit(repo) == ["controller-module", "solar-module"]


def test_an_app_only_change_selects_that_app(repo: Repo) -> None:
    repo.write("apps/controller-module/src/controller_module/strategy.py", "TARGET_EXPORT_KW = 0.0\n")
    assert selected_by_commit(repo) == ["controller-module"]


def test_a_docs_only_change_selects_no_app(repo: Repo) -> None:
    repo.append("README.md", "More words.\n")
    repo.write("docs/operations.md", "# Operations, rewritten\n")
    assert selected_by_commit(repo) == []


def test_an_infrastructure_change_selects_no_app(repo: Repo) -> None:
    repo.append("infra/main.bicep", "param environmentName string\n")
    assert selected_by_commit(repo) == []


def test_a_lock_file_change_selects_every_app(repo: Repo) -> None:
    repo.write(
        "apps/telemetry-module/pyproject.toml",
        repo.path.joinpath("apps/telemetry-module/pyproject.toml")
        .read_text()
        .replace("dependencies = []", 'dependencies = ["statemachine==0.1.0"]')
        .replace(
            "[build-system]", "[tool.uv.sources]\nstatemachine = { workspace = true }\n\n[build-system]"
        ),
    )
    repo.lock()
    assert "uv.lock" in repo.git("status", "--porcelain")
    assert selected_by_commit(repo) == repo.apps


def test_a_root_pyproject_change_selects_every_app(repo: Repo) -> None:
    repo.append("pyproject.toml", "\n[tool.ruff]\nline-length = 110\n")
    assert selected_by_commit(repo) == repo.apps


@pytest.mark.parametrize(
    "shared_file", [".azure-pipelines/stages/build.yml", ".dockerignore", ".python-version", "uv.lock"]
)
def test_a_change_to_a_shared_input_selects_every_app(repo: Repo, shared_file: str) -> None:
    existing = repo.path / shared_file
    repo.write(shared_file, (existing.read_text() if existing.exists() else "") + "# changed\n")
    assert selected_by_commit(repo) == repo.apps


def test_an_extra_shared_path_selects_every_app_only_when_named(repo: Repo) -> None:
    repo.write("docker/entrypoint.sh", "exec python -m app\n")
    head = repo.commit()
    assert repo.affected("--base", "base", "--head", head) == []
    assert repo.affected("--base", "base", "--head", head, "--shared", "docker") == repo.apps


def test_deleting_a_file_counts_as_a_change(repo: Repo) -> None:
    repo.git("rm", "--quiet", "packages/physics/src/physics/__init__.py")
    assert selected_by_commit(repo) == ["solar-module"]


def test_moving_a_file_out_of_an_app_selects_that_app(repo: Repo) -> None:
    repo.git("mv", "apps/telemetry-module/module.json", "docs/telemetry-module.json")
    assert selected_by_commit(repo) == ["telemetry-module"]


def test_a_new_app_is_selected(repo: Repo) -> None:
    repo.write("apps/meter-module/pyproject.toml", repo.path.joinpath("apps/telemetry-module/pyproject.toml")
               .read_text().replace("telemetry-module", "meter-module"))  # fmt: skip
    repo.write("apps/meter-module/src/meter_module/__init__.py", "")
    repo.lock()
    assert "meter-module" in repo.affected("--base", "base", "--head", repo.commit())


def test_uncommitted_and_untracked_files_count_when_no_head_is_given(repo: Repo) -> None:
    repo.append("apps/controller-module/src/controller_module/__init__.py", "LIMIT_KW = 50\n")
    assert repo.affected("--base", "base") == ["controller-module"]
    repo.write("packages/physics/src/physics/battery.py", "CAPACITY_KWH = 100\n")  # untracked
    assert repo.affected("--base", "base") == ["controller-module", "solar-module"]


def test_looking_at_the_working_tree_leaves_index_and_files_alone(repo: Repo) -> None:
    repo.append("apps/controller-module/src/controller_module/__init__.py", "LIMIT_KW = 50\n")
    repo.write("packages/physics/src/physics/battery.py", "CAPACITY_KWH = 100\n")
    status = repo.git("status", "--porcelain")
    repo.affected("--base", "base")
    assert repo.git("status", "--porcelain") == status
    assert repo.git("diff", "--cached", "--name-only") == ""


def test_changes_that_reached_the_base_after_branching_do_not_count(repo: Repo) -> None:
    repo.git("switch", "--quiet", "--create", "feature")
    repo.write("apps/controller-module/src/controller_module/limits.py", "MAX_IMPORT_KW = 80\n")
    feature = repo.commit("feature work")
    repo.git("switch", "--quiet", "--detach", "base")
    repo.append("packages/physics/src/physics/__init__.py", "ALBEDO = 0.2\n")
    main_later = repo.commit("someone else's work on main")
    assert repo.affected("--base", main_later, "--head", feature) == ["controller-module"]


def test_packages_are_selected_by_their_own_and_their_dependencies_changes(repo: Repo) -> None:
    repo.append("packages/statemachine/src/statemachine/__init__.py", "STATES = ()\n")
    head = repo.commit()
    assert repo.affected("--base", "base", "--head", head, "--members", "packages") == [
        "physics",
        "statemachine",
    ]
    repo.append("packages/physics/src/physics/__init__.py", "ALBEDO = 0.2\n")
    later = repo.commit()
    assert repo.affected("--base", head, "--head", later, "--members", "packages") == ["physics"]


def test_all_lists_every_member_of_the_group_without_a_base(repo: Repo) -> None:
    assert repo.affected("--all") == repo.apps
    assert repo.affected("--all", "--members", "packages") == ["physics", "statemachine"]
    assert repo.affected("--all", "--members", "tools") == []


def test_a_workspace_in_a_subfolder_of_the_repository(repo: Repo) -> None:
    # Move the whole workspace one level down; paths in git then carry the "site/" prefix.
    entries = [p.name for p in repo.path.iterdir() if p.name != ".git"]
    (repo.path / "site").mkdir()
    for name in entries:
        repo.git("mv", name, f"site/{name}")
    moved = repo.commit("move the workspace into site/")
    repo.append("site/packages/physics/src/physics/__init__.py", "ALBEDO = 0.2\n")
    head = repo.commit()
    site = type(repo)(repo.path / "site")
    assert site.affected("--base", moved, "--head", head) == ["solar-module"]
