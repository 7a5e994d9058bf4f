from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest


class SteppingClock:
    """A clock that advances one second every time it is read, so each transition gets its own instant."""

    def __init__(self) -> None:
        self.now = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()
