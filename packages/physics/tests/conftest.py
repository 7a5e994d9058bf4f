from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

SITES = {
    # (latitude, longitude, altitude): a northern, a mid-latitude high-altitude and a southern site.
    "berlin-52N": (52.52, 13.40, 34.0),
    "boulder-40N": (40.0, -105.27, 1655.0),
    "pretoria-25S": (-25.75, 28.19, 1339.0),
}

YEAR = pd.date_range("2024-01-01", "2025-01-01", freq="37min", tz="UTC", inclusive="left")
"""A leap year every 37 minutes: 14 245 instants that walk through every time of day across the seasons."""

YEAR_UNIX: np.ndarray = ((YEAR - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)).to_numpy()

NOON_JUNE = datetime(2024, 6, 21, 11, 0, tzinfo=UTC)
