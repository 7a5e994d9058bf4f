"""A uv workspace inside a git repository, seen at one head: a commit, or the working tree as it is now."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from energy_edge.affected_apps.errors import AffectedAppsError
from energy_edge.affected_apps.git import Git
from energy_edge.affected_apps.selection import SHARED_PATHS, content_digest, docker_tag, inputs_of
from energy_edge.affected_apps.workspace import Member, Workspace, parse_lock


@dataclass(frozen=True, slots=True)
class MemberDetails:
    """What CI needs to test, build and deploy one member."""

    name: str
    """Distribution name, as ``uv sync --package`` wants it."""
    path: str
    """Folder relative to the workspace root, e.g. ``apps/solar-module``."""
    folder: str
    """Last segment of the folder; for an app the IoT Edge module id and the image repository."""
    version: str
    """``[project].version`` of the member's pyproject.toml."""
    tag: str
    """Content tag ``<version>-<12 hex>``: changes exactly when the member is affected."""
    import_name: str
    """The importable package, e.g. ``solar_module`` or ``energy_edge.physics``."""


class Repository:
    """The workspace rooted at ``root`` (a folder inside a git repository holding uv.lock).

    ``head`` is a commit-ish; ``None`` means the working tree, uncommitted and untracked files included.
    """

    def __init__(self, root: Path, head: str | None = None) -> None:
        self.root = root
        self.git = Git(root)
        self._prefix = self.git.prefix()
        if head is None:
            self.head_commit = self.git.commit("HEAD")
            self.head_tree = self.git.working_tree()
        else:
            self.head_commit = self.git.commit(head)
            self.head_tree = self.git.tree(self.head_commit)
        lock = self.read("uv.lock")
        where = "the working tree" if head is None else head
        if lock is None:
            raise AffectedAppsError(
                f"no uv.lock in {where} at {root} (is this the workspace root? run `uv lock`)"
            )
        self.workspace: Workspace = parse_lock(lock.decode("utf-8", errors="replace"))

    def read(self, path: str) -> bytes | None:
        """A workspace-relative file at the head, ``None`` when it does not exist there."""
        return self.git.read(self.head_tree, self._prefix + path)

    def changed_since(self, base: str) -> list[str]:
        """Workspace-relative paths changed between the merge base of ``base`` and the head, and the head.

        Like a pull request's diff: commits that reached ``base`` after the head branched off do not count.
        """
        merge_base = self.git.merge_base(self.git.commit(base), self.head_commit)
        return [
            path.removeprefix(self._prefix)
            for path in self.git.changed_paths(merge_base, self.head_tree)
            if path.startswith(self._prefix)
        ]

    def details(self, members: Iterable[Member], shared: Iterable[str] = SHARED_PATHS) -> list[MemberDetails]:
        members, shared = list(members), tuple(shared)
        inputs = {member.name: inputs_of(self.workspace, member, shared) for member in members}
        wanted = {self._prefix + path for paths in inputs.values() for path in paths}
        object_ids = {
            path.removeprefix(self._prefix): object_id
            for path, object_id in self.git.object_ids(self.head_tree, wanted).items()
        }
        details = []
        for member in members:
            project, build_backend = self._pyproject(member)
            version = project.get("version", member.version)
            if not isinstance(version, str):
                raise AffectedAppsError(
                    f"{member.path}/pyproject.toml has no static [project].version (needed for image tags)"
                )
            module_name = build_backend.get("module-name")
            if isinstance(module_name, list) and module_name:
                module_name = module_name[0]
            details.append(
                MemberDetails(
                    name=member.name,
                    path=member.path,
                    folder=PurePosixPath(member.path).name,
                    version=version,
                    tag=docker_tag(version, content_digest(inputs[member.name], object_ids)),
                    import_name=str(module_name) if module_name else member.name.replace("-", "_"),
                )
            )
        return details

    def _pyproject(self, member: Member) -> tuple[dict[str, Any], dict[str, Any]]:
        text = self.read(f"{member.path}/pyproject.toml")
        if text is None:
            raise AffectedAppsError(f"{member.path}/pyproject.toml is missing")
        try:
            document = tomllib.loads(text.decode("utf-8", errors="replace"))
        except tomllib.TOMLDecodeError as error:
            raise AffectedAppsError(f"{member.path}/pyproject.toml is not valid TOML: {error}") from None
        project = document.get("project", {})
        backend = document.get("tool", {}).get("uv", {}).get("build-backend", {})
        return (
            project if isinstance(project, dict) else {},
            backend if isinstance(backend, dict) else {},
        )
