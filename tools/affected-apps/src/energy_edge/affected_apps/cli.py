"""Command line: ``affected-apps --base origin/main`` lists the apps a change affects.

Exit codes: 0 with the answer on stdout (an empty answer is not an error), 2 for bad input (not a git
repository, an unknown ref, no uv.lock, …) with one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from energy_edge.affected_apps.errors import AffectedAppsError
from energy_edge.affected_apps.repository import MemberDetails, Repository
from energy_edge.affected_apps.selection import SHARED_PATHS, affected, leg_names
from energy_edge.affected_apps.stamp import stamp_module_json

GROUPS = ("apps", "packages", "tools")
DEFAULT_BASE = "origin/main"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="affected-apps",
        description=(
            "List the workspace members (apps by default) a git change affects: those whose own folder "
            "changed or any workspace member they depend on, transitively, according to uv.lock. A change "
            f"to {', '.join(SHARED_PATHS)} affects every member."
        ),
    )
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "--base",
        metavar="REF",
        default=DEFAULT_BASE,
        help="compare with this ref, from its merge base with the head, like a pull request's diff "
        f"(default: {DEFAULT_BASE})",
    )
    scope.add_argument("--all", action="store_true", help="every member of the group, whatever changed")
    parser.add_argument(
        "--head",
        metavar="REV",
        help="the commit to look at (default: the working tree, uncommitted files included)",
    )
    parser.add_argument(
        "--members",
        choices=GROUPS,
        default="apps",
        help="which workspace members to report: the folders under apps/ (default), packages/ or tools/",
    )
    parser.add_argument(
        "--format",
        choices=("list", "matrix"),
        default="list",
        help="list: one name per line (default); matrix: Azure Pipelines matrix JSON, one leg per member",
    )
    parser.add_argument(
        "--shared",
        metavar="PATH",
        action="append",
        default=[],
        help="another workspace-relative path whose change affects every member (repeatable)",
    )
    parser.add_argument(
        "--stamp-image-tags",
        action="store_true",
        help="write each selected app's content tag into image.tag.version of its module.json",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(),
        help="the workspace root, holding uv.lock (default: current folder)",
    )
    return parser


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = stdout if stdout is not None else sys.stdout
    try:
        out.write(run(args))
    except AffectedAppsError as error:
        sys.stderr.write(f"affected-apps: error: {error}\n")
        return 2
    return 0


def run(args: argparse.Namespace) -> str:
    repository = Repository(args.root, args.head)
    shared = (*SHARED_PATHS, *args.shared)
    candidates = repository.workspace.under(args.members)
    if args.all:
        selected = candidates
    else:
        selected = affected(repository.workspace, candidates, repository.changed_since(args.base), shared)
    if args.format == "list" and not args.stamp_image_tags:
        return "".join(f"{member.name}\n" for member in selected)
    details = repository.details(selected, shared)
    if args.stamp_image_tags:
        for file in stamp_module_json(args.root, details):
            sys.stderr.write(f"affected-apps: stamped {file}\n")
    if args.format == "list":
        return "".join(f"{member.name}\n" for member in details)
    return json.dumps(matrix(details), sort_keys=True, separators=(",", ":")) + "\n"


def matrix(details: Sequence[MemberDetails]) -> dict[str, dict[str, str]]:
    """Azure Pipelines matrix: one leg per member, each leg's keys becoming variables of its job."""
    return {
        leg: {
            "app": member.name,
            "path": member.path,
            "module": member.folder,
            "version": member.version,
            "tag": member.tag,
            "importName": member.import_name,
        }
        for leg, member in zip(leg_names(m.folder for m in details), details, strict=True)
    }
