"""The one error the command line reports as a message and exit code 2 instead of a traceback."""

from __future__ import annotations


class AffectedAppsError(Exception):
    """Bad input: not a git repository, an unknown ref, a missing or unreadable lock file, a member
    without a version, a module.json that disagrees with its app."""
