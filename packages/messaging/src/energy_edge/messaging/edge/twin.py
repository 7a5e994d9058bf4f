"""Module twins as the in-process hub keeps them: desired properties pushed down, reported ones stored."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

VERSION_KEY = "$version"


def merge_patch(target: dict[str, Any], patch: Mapping[str, Any]) -> None:
    """Apply a twin patch in place: nested objects merge, ``None`` deletes a key (IoT Hub twin semantics)."""
    for key, value in patch.items():
        if key == VERSION_KEY:
            continue
        if value is None:
            target.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(target.get(key), dict):
            merge_patch(cast("dict[str, Any]", target[key]), cast("Mapping[str, Any]", value))
        else:
            target[key] = copy.deepcopy(cast("object", value))


@dataclass(eq=False)
class ModuleTwin:
    """Desired and reported properties of one module, each with its own ``$version``."""

    desired: dict[str, Any] = field(default_factory=dict)
    reported: dict[str, Any] = field(default_factory=dict)
    desired_version: int = 1
    reported_version: int = 1

    def desired_document(self) -> dict[str, Any]:
        """A copy of the desired properties as a module reads them, ``$version`` included."""
        return {**copy.deepcopy(self.desired), VERSION_KEY: self.desired_version}

    def reported_document(self) -> dict[str, Any]:
        return {**copy.deepcopy(self.reported), VERSION_KEY: self.reported_version}

    def patch_desired(self, patch: Mapping[str, Any]) -> dict[str, Any]:
        """Apply an operator's patch; returns it as pushed to the module (with the new ``$version``)."""
        merge_patch(self.desired, patch)
        self.desired_version += 1
        return {**copy.deepcopy(dict(patch)), VERSION_KEY: self.desired_version}

    def patch_reported(self, patch: Mapping[str, Any]) -> None:
        merge_patch(self.reported, patch)
        self.reported_version += 1
