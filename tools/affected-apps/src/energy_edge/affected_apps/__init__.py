"""affected-apps: which apps (or packages) a git change affects, for CI matrices and image tags.

Public API: ``main`` (the command line), ``Repository`` (a workspace at one head), ``parse_lock`` and
``Workspace`` (uv.lock's members and dependency graph), ``affected`` and ``inputs_of`` (the selection rule),
``stamp_module_json``, ``AffectedAppsError``.
"""

from energy_edge.affected_apps.cli import main
from energy_edge.affected_apps.errors import AffectedAppsError
from energy_edge.affected_apps.repository import MemberDetails, Repository
from energy_edge.affected_apps.selection import SHARED_PATHS, affected, inputs_of
from energy_edge.affected_apps.stamp import stamp_module_json
from energy_edge.affected_apps.workspace import Member, Workspace, parse_lock

__all__ = [
    "SHARED_PATHS",
    "AffectedAppsError",
    "Member",
    "MemberDetails",
    "Repository",
    "Workspace",
    "affected",
    "inputs_of",
    "main",
    "parse_lock",
    "stamp_module_json",
]
