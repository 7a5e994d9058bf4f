"""An asset's configuration, from its module twin's desired properties, applied atomically.

Each asset declares its configuration as a msgspec Struct derived from :class:`HostConfig`, with defaults
for every field, bounds on every number and cross-field checks in ``__post_init__``. A desired-properties
patch is merged into the desired document the module last accepted, and the *whole* result is validated:
either everything in the patch takes effect or nothing does. Unknown keys are refused (a typo such as
``max_ouput_kw`` must not be silently ignored); keys starting with ``$`` are IoT Hub metadata and skipped.
A key set to ``null`` returns that setting to its default, as twin patches delete keys with ``null``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Annotated, Any, Generic, TypeVar

import msgspec

from energy_edge.messaging.edge.twin import merge_patch


class HostConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Settings every asset module has."""

    telemetry_interval_s: Annotated[float, msgspec.Meta(ge=0.1, le=3600.0)] = 1.0
    """How often the module reads its equipment and sends telemetry."""
    setpoint_hold_s: Annotated[float, msgspec.Meta(ge=1.0, le=86_400.0)] = 60.0
    """How long an outside set-point holds without being refreshed before the asset falls back."""
    auto_start: bool = False
    """Start the equipment when the module starts, without waiting for a ``start`` command."""


C = TypeVar("C", bound=msgspec.Struct)
"""Any configuration Struct with defaults for every field (asset modules use HostConfig subclasses)."""


class ConfigError(ValueError):
    """A desired-properties document or patch that cannot be applied; nothing was changed."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class TwinConfig(Generic[C]):
    """The configuration in force and the desired document it came from."""

    def __init__(self, config_type: type[C]) -> None:
        self.config_type = config_type
        self.current: C = config_type()
        self.desired: dict[str, Any] = {}
        self.version: int | None = None

    def candidate(self, document: Mapping[str, Any]) -> tuple[C, dict[str, Any]]:
        """Validate a full desired document (read at start-up); raises :class:`ConfigError`."""
        desired = {key: copy.deepcopy(value) for key, value in document.items() if not key.startswith("$")}
        return self._validated(desired), desired

    def candidate_from_patch(self, patch: Mapping[str, Any]) -> tuple[C, dict[str, Any]]:
        """Validate the accepted desired document with ``patch`` merged in; raises :class:`ConfigError`."""
        desired = copy.deepcopy(self.desired)
        merge_patch(desired, patch)
        desired = {key: value for key, value in desired.items() if not key.startswith("$")}
        return self._validated(desired), desired

    def commit(self, config: C, desired: dict[str, Any], version: object) -> None:
        self.current = config
        self.desired = desired
        self.version = version if isinstance(version, int) else self.version

    def _validated(self, desired: Mapping[str, Any]) -> C:
        try:
            return msgspec.convert(desired, self.config_type, strict=True)
        except msgspec.ValidationError as error:
            raise ConfigError(str(error)) from error


def as_reported(config: msgspec.Struct) -> dict[str, Any]:
    return msgspec.to_builtins(config)
