"""What the controller has learned, kept across restarts in a directory (``CONTROLLER_STATE_DIR``).

On IoT Edge the directory is a Docker volume bound into the container (the deployment manifest's
``HostConfig.Binds``), so an image update or a device reboot does not throw away days of learned demand.
Today that is the demand profile (:mod:`controller_module.demand_profile`), one small JSON file written
whenever a quarter hour has been learned: write to a temporary file, then rename over the old one, so a
power cut mid-write leaves the previous profile, never half of one. A file that cannot be read or does not
check out is reported once and ignored — the controller then learns afresh; it never stops for it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Final

import msgspec

from controller_module.demand_profile import DemandProfile, ProfileFile

_log = logging.getLogger(__name__)

PROFILE_FILE: Final = "demand-profile.json"
STATE_DIR_ENV: Final = "CONTROLLER_STATE_DIR"


class StateStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._encoder = msgspec.json.Encoder()
        self._write_failing = False

    @property
    def profile_path(self) -> Path:
        return self.directory / PROFILE_FILE

    def load_profile(self) -> DemandProfile | None:
        """The stored profile, or ``None`` when there is none or it is unusable (logged)."""
        path = self.profile_path
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            _log.warning("demand profile %s not readable, learning afresh: %s", path, error)
            return None
        try:
            return DemandProfile.from_file(msgspec.json.decode(raw, type=ProfileFile))
        except (msgspec.ValidationError, msgspec.DecodeError, ValueError) as error:
            _log.warning("demand profile %s ignored, learning afresh: %s", path, error)
            return None

    def save_profile(self, profile: DemandProfile) -> bool:
        """Write the profile atomically; returns whether it was written (a failure is logged once until a
        write succeeds again, and the controller carries on with the profile in memory)."""
        path = self.profile_path
        temporary = path.with_name(path.name + ".tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(self._encoder.encode(profile.to_file()))
            os.replace(temporary, path)
        except OSError as error:
            if not self._write_failing:
                _log.warning("demand profile not saved to %s: %s", path, error)
            self._write_failing = True
            return False
        self._write_failing = False
        return True
