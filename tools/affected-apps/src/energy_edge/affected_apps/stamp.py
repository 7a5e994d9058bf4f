"""Write each app's content tag into its module.json, so the IoT Edge tooling names the right image.

``AzureIoTEdge@2`` (iotedgedev ``genconfig``) expands ``${MODULES.<module>}`` in the deployment template to
``<repository>:<image.tag.version>-<platform>`` from the module's module.json. The committed module.json
carries the app's version; CI replaces it with the content tag (``<version>-<12 hex>``) the build stage
pushed, in its own checkout only. Every module.json is checked before any is written: a bad one changes
nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from energy_edge.affected_apps.errors import AffectedAppsError
from energy_edge.affected_apps.repository import MemberDetails


def stamp_module_json(root: Path, members: Iterable[MemberDetails]) -> list[Path]:
    """Set ``image.tag.version`` of every member's module.json to its content tag; the files written."""
    planned: list[tuple[Path, dict[str, Any]]] = []
    for member in members:
        file = root / member.path / "module.json"
        shown = f"{member.path}/module.json"
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise AffectedAppsError(f"{shown} is missing (every app needs one to be deployed)") from None
        except (OSError, ValueError) as error:
            raise AffectedAppsError(f"{shown} cannot be read as JSON: {error}") from None
        tag = document.get("image", {}).get("tag") if isinstance(document, dict) else None
        if not isinstance(tag, dict) or "version" not in tag:
            raise AffectedAppsError(f"{shown} has no image.tag.version")
        if tag["version"] not in (member.version, member.tag):
            raise AffectedAppsError(
                f"{shown} says version {tag['version']!r} but {member.name}'s pyproject.toml says "
                f"{member.version!r}; make them agree"
            )
        tag["version"] = member.tag
        planned.append((file, document))
    for file, document in planned:
        file.write_text(json.dumps(document, indent=4) + "\n", encoding="utf-8")
    return [file for file, _ in planned]
