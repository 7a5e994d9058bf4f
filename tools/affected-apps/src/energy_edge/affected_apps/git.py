"""The few git questions affected-apps asks, through the ``git`` command line.

Everything is answered for *trees*: the head is a commit's tree or, for the working tree, a tree written
from a throwaway copy of the index with every change added (tracked, modified and untracked files, ignored
ones left out). The real index, the working tree and the refs are never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from energy_edge.affected_apps.errors import AffectedAppsError


class Git:
    """Runs git in ``directory`` (any folder of the repository)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def run(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        return self.run_bytes(*args, env=env).decode("utf-8", errors="surrogateescape")

    def run_bytes(self, *args: str, env: Mapping[str, str] | None = None) -> bytes:
        executable = shutil.which("git")
        if executable is None:
            raise AffectedAppsError("git is not installed (or not on PATH)")
        if not self.directory.is_dir():
            raise AffectedAppsError(f"{self.directory} is not a folder")
        # No shell; user-given refs reach git only after --end-of-options (see commit()).
        completed = subprocess.run(  # noqa: S603
            [executable, *args],
            cwd=self.directory,
            env={**os.environ, **env} if env else None,
            capture_output=True,
            check=False,
        )
        if completed.returncode != 0:
            message = completed.stderr.decode("utf-8", errors="replace").strip()
            raise AffectedAppsError(f"git {' '.join(args)} failed: {message}")
        return completed.stdout

    def prefix(self) -> str:
        """Where ``directory`` lies inside the repository (``""`` at the top, else ``"sub/dir/"``)."""
        self.run_bytes("--version")  # git missing or no such folder: say that, not "not a repository"
        try:
            return self.run("rev-parse", "--show-prefix").strip()
        except AffectedAppsError:
            raise AffectedAppsError(f"{self.directory} is not inside a git repository") from None

    def commit(self, ref: str) -> str:
        """The commit ``ref`` names; an unknown ref is an ``AffectedAppsError`` naming it."""
        try:
            return self.run(
                "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"
            ).strip()
        except AffectedAppsError:
            hint = " (a shallow clone? fetch the history, e.g. fetchDepth: 0)" if self._is_shallow() else ""
            raise AffectedAppsError(f"unknown git ref {ref!r}{hint}") from None

    def tree(self, commit: str) -> str:
        return self.run("rev-parse", "--verify", f"{commit}^{{tree}}").strip()

    def merge_base(self, base: str, head: str) -> str:
        try:
            return self.run("merge-base", base, head).strip()
        except AffectedAppsError:
            raise AffectedAppsError(
                f"{base[:12]} and {head[:12]} have no common ancestor "
                "(unrelated histories, or a shallow clone: fetch the history)"
            ) from None

    def working_tree(self) -> str:
        """A tree object of the working tree as it is now, uncommitted and untracked files included."""
        real_index = Path(self.run("rev-parse", "--path-format=absolute", "--git-path", "index").strip())
        with tempfile.TemporaryDirectory(prefix="affected-apps-") as scratch:
            index = Path(scratch) / "index"
            if real_index.exists():
                # Starting from a copy keeps git's stat cache: only files that changed get hashed again.
                shutil.copyfile(real_index, index)
            env = {"GIT_INDEX_FILE": str(index)}
            self.run("add", "--all", "--", ":/", env=env)
            return self.run("write-tree", env=env).strip()

    def changed_paths(self, base: str, head: str) -> list[str]:
        """Every path added, deleted or modified between two tree-ish objects (a rename is both paths)."""
        output = self.run("diff-tree", "-r", "-z", "--name-only", "--no-renames", base, head)
        return [path for path in output.split("\0") if path]

    def object_ids(self, tree: str, paths: Iterable[str]) -> dict[str, str]:
        """The object id of each path that exists in ``tree`` (a folder's tree id, a file's blob id)."""
        paths = sorted(set(paths))
        if not paths:
            return {}
        ids: dict[str, str] = {}
        for entry in self.run("ls-tree", "-z", "--full-tree", tree, "--", *paths).split("\0"):
            if entry:
                meta, path = entry.split("\t", 1)
                ids[path] = meta.split()[2]
        return ids

    def read(self, tree: str, path: str) -> bytes | None:
        """The content of file ``path`` in ``tree``, ``None`` when there is no such file."""
        object_id = self.object_ids(tree, [path]).get(path)
        return None if object_id is None else self.run_bytes("cat-file", "blob", object_id)

    def _is_shallow(self) -> bool:
        try:
            return self.run("rev-parse", "--is-shallow-repository").strip() == "true"
        except AffectedAppsError:
            return False
