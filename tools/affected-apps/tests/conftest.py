"""A throwaway uv workspace in a real git repository: two packages and three apps, locked by real uv.

    packages/statemachine                       (no workspace dependencies)
    packages/physics        -> statemachine
    apps/solar-module       -> physics -> statemachine
    apps/controller-module  -> statemachine
    apps/telemetry-module   (no workspace dependencies)

The repository is built once per test session (per xdist worker) and tagged ``base``; every test gets its
own git worktree checked out at ``base``, so tests commit, edit and re-lock without seeing each other.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from energy_edge.affected_apps import main

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}

ROOT_PYPROJECT = """\
[project]
name = "site"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = []

[tool.uv]
package = false

[tool.uv.workspace]
members = ["packages/*", "apps/*"]
"""

MEMBERS = {
    "packages/statemachine": ("statemachine", "0.1.0", []),
    "packages/physics": ("physics", "0.2.0", ["statemachine"]),
    "apps/solar-module": ("solar-module", "1.0.0", ["physics"]),
    "apps/controller-module": ("controller-module", "1.1.0", ["statemachine"]),
    "apps/telemetry-module": ("telemetry-module", "0.3.0", []),
}
VERSIONS = {name: version for name, version, _ in MEMBERS.values()}
APPS = ["controller-module", "solar-module", "telemetry-module"]


def member_pyproject(name: str, version: str, dependencies: list[str]) -> str:
    requirements = ", ".join(f'"{dep}=={VERSIONS[dep]}"' for dep in dependencies)
    sources = "".join(f"{dep} = {{ workspace = true }}\n" for dep in dependencies)
    return (
        f'[project]\nname = "{name}"\nversion = "{version}"\nrequires-python = ">=3.11"\n'
        f"dependencies = [{requirements}]\n\n"
        + (f"[tool.uv.sources]\n{sources}\n" if sources else "")
        + '[build-system]\nrequires = ["uv_build>=0.13,<0.14"]\nbuild-backend = "uv_build"\n'
    )


def run(*command: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"} | GIT_ENV | {"UV_OFFLINE": "1"}
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, f"{' '.join(command)} failed:\n{completed.stdout}{completed.stderr}"
    return completed.stdout


class Repo:
    """One worktree of the throwaway repository, with helpers that say what a test does."""

    apps = APPS

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, relative: str, text: str) -> None:
        file = self.path / relative
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text)

    def append(self, relative: str, text: str) -> None:
        self.write(relative, (self.path / relative).read_text() + text)

    def git(self, *args: str) -> str:
        return run("git", *args, cwd=self.path)

    def commit(self, message: str = "change") -> str:
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "--message", message)
        return self.git("rev-parse", "HEAD").strip()

    def lock(self) -> None:
        run("uv", "lock", "--quiet", cwd=self.path)

    def affected(self, *args: str) -> list[str]:
        """Run the command line in-process; the names it prints."""
        return self.cli(*args).split()

    def cli(self, *args: str) -> str:
        from io import StringIO

        out = StringIO()
        code = main(["--root", str(self.path), *args], stdout=out)
        assert code == 0, f"affected-apps {' '.join(args)} exited with {code}"
        return out.getvalue()

    def matrix(self, *args: str) -> dict[str, dict[str, str]]:
        return json.loads(self.cli(*args, "--format", "matrix"))

    def tags(self, rev: str) -> dict[str, str]:
        """Content tag of every app at ``rev``."""
        return {leg["app"]: leg["tag"] for leg in self.matrix("--all", "--head", rev).values()}


@pytest.fixture(scope="session")
def base_repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("uv") is None or shutil.which("git") is None:
        pytest.fail("these tests need git and uv on PATH")
    root = tmp_path_factory.mktemp("site")
    repo = Repo(root)
    repo.write("pyproject.toml", ROOT_PYPROJECT)
    repo.write("README.md", "# Site\n")
    repo.write("docs/operations.md", "# Operations\n")
    repo.write("infra/main.bicep", "param location string\n")
    repo.write(".azure-pipelines/azure-pipelines.yml", "trigger: none\n")
    repo.write(".gitignore", ".venv/\n__pycache__/\n")
    for path, (name, version, dependencies) in MEMBERS.items():
        repo.write(f"{path}/pyproject.toml", member_pyproject(name, version, dependencies))
        package = name.replace("-", "_")
        repo.write(f"{path}/src/{package}/__init__.py", f'"""{name}."""\n')
        if path.startswith("apps/"):
            image = {"repository": f"${{ACR_LOGIN_SERVER}}/{name}", "tag": {"version": version}}
            repo.write(f"{path}/module.json", json.dumps({"image": image}, indent=4) + "\n")
    repo.lock()
    run("git", "init", "--quiet", "--initial-branch", "main", cwd=root)
    repo.commit("base")
    repo.git("tag", "base")
    return root


@pytest.fixture
def repo(base_repository: Path, tmp_path: Path) -> Iterator[Repo]:
    worktree = tmp_path / "worktree"
    run("git", "worktree", "add", "--quiet", "--detach", str(worktree), "base", cwd=base_repository)
    yield Repo(worktree)
    run("git", "worktree", "remove", "--force", str(worktree), cwd=base_repository)
