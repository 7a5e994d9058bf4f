"""The workspace as uv.lock describes it: members, their folders and the dependency graph between them.

Pure: this module parses text it is given and never touches git or the file system. Dependencies are taken
from the lock file, so "what does this app depend on" has the same answer as
``uv export --frozen --no-hashes --package <app>`` (every ``-e ./<member>`` line it prints): the app's own
dependencies, optional dependencies and dependency groups, then the dependencies (and requested extras) of
everything those pull in, transitively.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from energy_edge.affected_apps.errors import AffectedAppsError


@dataclass(frozen=True, slots=True)
class Requirement:
    """One edge of the lock graph: a package name and the extras requested from it."""

    name: str
    extras: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class LockedPackage:
    name: str
    version: str | None
    path: str | None
    """Folder relative to the workspace root for members (``apps/solar-module``), ``None`` otherwise."""
    dependencies: tuple[Requirement, ...] = ()
    optional: Mapping[str, tuple[Requirement, ...]] = field(default_factory=dict)
    groups: Mapping[str, tuple[Requirement, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Member:
    """A workspace member: a folder of the repository that uv builds as one distribution."""

    name: str
    path: str
    version: str | None


class Workspace:
    """Members of a uv workspace and the packages of its lock file, indexed by (normalized) name."""

    def __init__(self, packages: Iterable[LockedPackage], member_names: Iterable[str]) -> None:
        self._packages: dict[str, list[LockedPackage]] = {}
        for package in packages:
            self._packages.setdefault(package.name, []).append(package)
        members: dict[str, Member] = {}
        for name in member_names:
            for package in self._packages.get(name, []):
                # The workspace root is a member too; its folder is the whole repository, never an app.
                if package.path is not None and package.path != ".":
                    members[name] = Member(name=name, path=package.path, version=package.version)
        self.members: Mapping[str, Member] = dict(sorted(members.items()))

    def under(self, folder: str) -> list[Member]:
        """The members whose folder lies inside ``folder`` (e.g. every app under ``apps``)."""
        return [member for member in self.members.values() if is_within(member.path, folder)]

    def dependencies(self, name: str) -> list[Member]:
        """The members ``name`` depends on, transitively, including itself, sorted by name."""
        seen: set[tuple[str, frozenset[str]]] = set()
        reached: set[str] = set()
        pending: list[Requirement] = []
        for package in self._packages.get(name, []):
            reached.add(package.name)
            # The member's own extras and dependency groups count: its tests run with them.
            pending.extend(package.dependencies)
            for requirements in (*package.optional.values(), *package.groups.values()):
                pending.extend(requirements)
        while pending:
            requirement = pending.pop()
            key = (requirement.name, requirement.extras)
            if key in seen:
                continue
            seen.add(key)
            for package in self._packages.get(requirement.name, []):
                reached.add(package.name)
                pending.extend(package.dependencies)
                for extra in requirement.extras:
                    pending.extend(package.optional.get(extra, ()))
        return [member for member_name, member in self.members.items() if member_name in reached]


def is_within(path: str, folder: str) -> bool:
    """True when ``path`` is ``folder`` itself or lies inside it (POSIX paths relative to one root)."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def parse_lock(text: str) -> Workspace:
    """Read uv.lock. Raises ``AffectedAppsError`` naming what is wrong when it is not a uv lock file."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise AffectedAppsError(f"uv.lock is not valid TOML: {error}") from None
    raw_packages = document.get("package", [])
    if not isinstance(raw_packages, list):
        raise AffectedAppsError("uv.lock has no [[package]] list")
    packages = [_package(entry) for entry in raw_packages]
    manifest = document.get("manifest", {})
    member_names = manifest.get("members", []) if isinstance(manifest, dict) else []
    if not member_names:
        # A single-project lock has no [manifest]; its only member is the project at the root.
        member_names = [package.name for package in packages if package.path == "."]
    return Workspace(packages, [str(name) for name in member_names])


def _package(entry: Any) -> LockedPackage:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise AffectedAppsError(f"uv.lock has a [[package]] entry without a name: {entry!r}")
    source = entry.get("source", {})
    path = None
    if isinstance(source, dict):
        for kind in ("editable", "virtual", "directory"):
            if isinstance(source.get(kind), str):
                path = source[kind].removeprefix("./").rstrip("/") or "."
                break
    version = entry.get("version")
    return LockedPackage(
        name=entry["name"],
        version=version if isinstance(version, str) else None,
        path=path,
        dependencies=_requirements(entry.get("dependencies", [])),
        optional=_requirement_table(entry.get("optional-dependencies", {})),
        groups=_requirement_table(entry.get("dev-dependencies", {})),
    )


def _requirement_table(table: Any) -> dict[str, tuple[Requirement, ...]]:
    if not isinstance(table, dict):
        return {}
    return {str(key): _requirements(value) for key, value in table.items()}


def _requirements(items: Any) -> tuple[Requirement, ...]:
    if not isinstance(items, list):
        return ()
    requirements = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            extras = item.get("extra", [])
            requirements.append(
                Requirement(item["name"], frozenset(str(e) for e in extras if isinstance(e, str)))
            )
    return tuple(requirements)
