"""Physical quantities as constrained msgspec types.

Every number that crosses a module boundary is bounded. The bounds are physical plausibility limits, not
equipment ratings (those live in each module's configuration): they catch unit mix-ups, corrupted payloads
and sensor garbage at the door. Bounding every float also rejects NaN and ±inf wherever they come from
(JSON itself cannot carry them, but an overflowing literal like ``1e400`` or a Python dict from the IoT SDK
can), because NaN fails every comparison.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final

from msgspec import Meta

MAX_SITE_POWER_KW: Final = 1_000_000.0
"""1 GW. Above this a value is a unit error (W sent as kW), not a measurement at a site."""

MAX_TEMPERATURE_C: Final = 250.0
"""Above any water, steam-boiler or battery temperature an asset can report and survive."""

MIN_TEMPERATURE_C: Final = -60.0
"""Below the coldest ambient an outdoor asset is specified for."""

Kilowatts = Annotated[
    float,
    Meta(ge=-MAX_SITE_POWER_KW, le=MAX_SITE_POWER_KW, description="Active power in kW, signed"),
]
NonNegativeKilowatts = Annotated[
    float, Meta(ge=0.0, le=MAX_SITE_POWER_KW, description="Active power magnitude or limit in kW")
]
NonPositiveKilowatts = Annotated[
    float, Meta(ge=-MAX_SITE_POWER_KW, le=0.0, description="Power drawn from the site's AC bus in kW")
]
KilowattHours = Annotated[float, Meta(ge=0.0, le=1e12, description="Energy in kWh")]
Percent = Annotated[float, Meta(ge=0.0, le=100.0, description="Percentage, 0-100")]
Ratio = Annotated[float, Meta(ge=0.0, le=1.0, description="Dimensionless ratio, 0-1")]
Celsius = Annotated[
    float, Meta(ge=MIN_TEMPERATURE_C, le=MAX_TEMPERATURE_C, description="Temperature in degrees Celsius")
]
Kelvin = Annotated[
    float, Meta(gt=0.0, le=100.0, description="Temperature difference in kelvin (a thermostat differential)")
]
WattsPerSquareMetre = Annotated[
    float, Meta(ge=0.0, le=2000.0, description="Irradiance in W/m2 (cloud enhancement stays below 2000)")
]
Volts = Annotated[float, Meta(ge=0.0, le=1_000_000.0, description="RMS voltage in V")]
Hertz = Annotated[float, Meta(ge=40.0, le=70.0, description="Grid frequency in Hz (50 or 60 Hz systems)")]
UtcTimestamp = Annotated[datetime, Meta(tz=True, description="RFC 3339 instant with offset; sent as UTC 'Z'")]
# No character pattern on ids: msgspec checks patterns with Python's ``re``, which more than doubled the cost
# of decoding a telemetry message (measured with ``poe bench``). Ids are configured, not typed in by hand.
AssetId = Annotated[str, Meta(min_length=1, max_length=128, description="Asset id")]
DeviceId = Annotated[str, Meta(min_length=1, max_length=128, description="IoT Hub device id")]
