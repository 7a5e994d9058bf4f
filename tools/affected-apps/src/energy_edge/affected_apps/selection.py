"""Which members a change affects, and the content tag that names what an image was built from.

A member's *inputs* are its own folder, the folder of every workspace member it depends on (transitively,
from the lock file) and the shared paths every image and test run depends on. The one rule:

    a member is affected  ⇔  a changed path lies within one of its inputs  ⇔  its content tag changed.

The content tag is the member's version plus a hash of the git object ids of its inputs, so it names the
sources an image was built from: an app no change touched keeps its tag, and a deployment that lists every
module by content tag restarts only the modules whose images really changed.

Pure: paths and object ids come in as arguments; git is the caller's business.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable, Mapping

from energy_edge.affected_apps.workspace import Member, Workspace, is_within

SHARED_PATHS: tuple[str, ...] = (
    "uv.lock",  # any resolution change may change what every member installs
    "pyproject.toml",  # workspace root: members, tool configuration, pytest configuration
    ".python-version",  # the interpreter uv picks for tests and images
    ".dockerignore",  # shared Dockerfile input: what the build context of every image holds
    ".azure-pipelines",  # how every member is tested, built and deployed
)
"""Paths whose change affects every member (workspace-relative; a folder covers everything inside)."""

DIGEST_LENGTH = 12
_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_LEG_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def inputs_of(workspace: Workspace, member: Member, shared: Iterable[str] = SHARED_PATHS) -> list[str]:
    """The paths whose content decides ``member``: its folder, its dependencies' folders, shared paths."""
    folders = {dependency.path for dependency in workspace.dependencies(member.name)}
    return sorted(folders | {member.path} | {path.rstrip("/") for path in shared})


def affected(
    workspace: Workspace,
    candidates: Iterable[Member],
    changed_paths: Collection[str],
    shared: Iterable[str] = SHARED_PATHS,
) -> list[Member]:
    """The candidates with a changed path within one of their inputs, in the order given."""
    shared = tuple(shared)
    return [
        member
        for member in candidates
        if any(
            is_within(path, folder)
            for folder in inputs_of(workspace, member, shared)
            for path in changed_paths
        )
    ]


def content_digest(inputs: Iterable[str], object_ids: Mapping[str, str]) -> str:
    """A short hash of the git object ids of ``inputs``; a missing path hashes as absent."""
    digest = hashlib.sha256()
    for path in sorted(inputs):
        digest.update(f"{path}\0{object_ids.get(path, '-')}\n".encode())
    return digest.hexdigest()[:DIGEST_LENGTH]


def docker_tag(version: str, digest: str) -> str:
    """``<version>-<digest>``, with characters a Docker tag cannot hold (a PEP 440 ``+local``) as ``-``."""
    return f"{_TAG_UNSAFE.sub('-', version)}-{digest}"


def leg_names(folder_names: Iterable[str]) -> list[str]:
    """One Azure Pipelines matrix leg name per folder name: ``[A-Za-z0-9_]``, starting with a letter, unique.

    ``solar-module`` becomes ``solar_module``; names that collide after the replacement get ``_2``, ``_3``…
    """
    taken: set[str] = set()
    names = []
    for folder in folder_names:
        base = _LEG_UNSAFE.sub("_", folder)
        if not base[:1].isalpha():
            base = f"m_{base}"
        name, counter = base, 2
        while name in taken:
            name, counter = f"{base}_{counter}", counter + 1
        taken.add(name)
        names.append(name)
    return names
