"""Keeps a module's configuration in step with its module twin: load at start, follow patches, report.

Shared by the asset host and the controller. At start the desired document is validated as a whole; if it
is invalid the module runs on its defaults and reports why. Each patch is merged into the last accepted
document and validated as a whole, then handed to ``apply`` (which may still refuse with
:class:`ConfigError`, e.g. equipment that rejects a limit): all of it takes effect or none of it does.
Reported: ``config`` (what is in force), ``config_version``, ``config_error`` (deleted when fine) and
``config_rejected_version``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic

from energy_edge.messaging.edge import EdgeClient, EdgeTransportError
from energy_edge.modulehost.config import C, ConfigError, TwinConfig, as_reported

_log = logging.getLogger(__name__)


async def _keep(_: object) -> None:
    return None


class ConfigFollower(Generic[C]):
    def __init__(
        self,
        twin: TwinConfig[C],
        client: EdgeClient,
        *,
        apply: Callable[[C], Awaitable[None]] = _keep,
        on_rejected: Callable[[], None] = lambda: None,
        name: str = "",
    ) -> None:
        self.twin = twin
        self.client = client
        self._apply = apply
        self._on_rejected = on_rejected
        self._name = name or client.module_id

    async def load(self) -> None:
        """Read the desired properties and apply them (or the defaults, if they are invalid)."""
        try:
            document = await self.client.get_desired_properties()
        except EdgeTransportError as error:
            _log.warning("%s: twin not readable (%s); starting with defaults", self._name, error)
            document = {}
        try:
            config, desired = self.twin.candidate(document)
            await self._apply(config)
        except ConfigError as error:
            self._on_rejected()
            _log.error("%s: desired properties rejected, running with defaults: %s", self._name, error.reason)
            try:
                await self._apply(self.twin.current)
            except ConfigError as refused:
                # The module must still come up (and report why) rather than crash-loop on its own defaults.
                _log.error("%s: even the defaults were refused: %s", self._name, refused.reason)
            await report(
                self.client, {"config": as_reported(self.twin.current), "config_error": error.reason}
            )
            return
        self.twin.commit(config, desired, document.get("$version"))
        await self._report_applied()

    async def follow(self) -> None:
        async for patch in self.client.desired_patches():
            await self.apply_patch(patch)

    async def apply_patch(self, patch: Mapping[str, Any]) -> bool:
        """Apply a desired-properties patch atomically; returns whether it took effect."""
        try:
            config, desired = self.twin.candidate_from_patch(patch)
            await self._apply(config)
        except ConfigError as error:
            self._on_rejected()
            _log.warning("%s: desired-properties patch rejected: %s", self._name, error.reason)
            await report(
                self.client, {"config_error": error.reason, "config_rejected_version": patch.get("$version")}
            )
            return False
        self.twin.commit(config, desired, patch.get("$version"))
        await self._report_applied()
        return True

    async def _report_applied(self) -> None:
        await report(
            self.client,
            {
                "config": as_reported(self.twin.current),
                "config_error": None,
                "config_version": self.twin.version,
            },
        )


async def report(client: EdgeClient, patch: Mapping[str, Any]) -> None:
    """Patch reported properties; a transport failure is logged, never raised (the module keeps going)."""
    try:
        await client.patch_reported_properties(patch)
    except EdgeTransportError as error:
        _log.warning("%s: reported properties not updated: %s", client.module_id, error)
