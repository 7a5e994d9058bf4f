"""Clouds: a seeded, temporally correlated cloud cover that turns clear-sky irradiance into weather.

Two coupled random processes, both advanced with their exact transition laws so that their statistics do
not depend on the step length (a day at 1 s and at 15 min sees the same weather, only sampled differently):

- **Cloud cover** N in (0, 1), the sky fraction covered, is the logistic of a latent Ornstein-Uhlenbeck
  process x with unit variance and correlation time τ_N: x' = a·x + sqrt(1 - a²)·ξ, a = exp(-dt/τ_N),
  N = 1 / (1 + exp(-(logit(N_median) + s·x))) with s the spread. Cover drifts over tens of minutes to hours.
- **Sun shaded or not**, a two-state Markov (telegraph) process: the sun stays behind a cloud for τ_s on
  average and is shaded a fraction q of the time, so the clear spells last τ_s·(1 - q)/q. Over a step,
  P(shaded) = q + (z - q)·exp(-dt/(τ_s·(1 - q))), z = 1 if shaded now, else 0. This gives the minute-scale
  ramps of broken-cloud days that a controller has to ride through.

Irradiance meets Kasten & Czeplak (1980) in the mean: GHI/GHI_clear = 1 - 0.75·N^3.4. The sky's diffuse
light grows with cover from the clear-sky DHI towards the overcast value, a quarter of clear-sky GHI
(Kasten & Czeplak at N = 1), and is the same whether or not the sun's disc is blocked; the beam is blocked
while the sun is shaded and passes at clear-sky strength otherwise:

    DHI = DHI_clear + N·(max(GHI_clear/4, DHI_clear) - DHI_clear)
    GHI = DHI + B_clear (sun visible)  or  DHI (sun shaded),   B_clear = GHI_clear - DHI_clear
    q   = (DHI + B_clear - GHI_clear·(1 - 0.75·N^3.4)) / B_clear,  clamped to [0, 1)

so the shaded fraction q is what makes the average come out at Kasten & Czeplak. q is well below N: an
observer's cloud cover counts cloud sides near the horizon that never pass the sun. With the sun low the
clamps bind and the day is slightly brighter than Kasten & Czeplak. A visible sun under a cloudy sky gives
a little more than clear-sky GHI, a mild cloud enhancement. Not modelled: enhancement peaks at cloud edges
and partly transparent cloud (cirrus): the beam is either there or not.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from energy_edge.physics._checks import in_range, positive, step_seconds
from energy_edge.physics.sky import SkyIrradiance

_MAX_SHARE = 1.0 - 1e-9
"""Keeps the switching rate 1/(τ_s·(1 - q)) finite."""


@dataclass(frozen=True, slots=True)
class CloudRegime:
    """The weather of a day type: how much cloud, how variable, how fast."""

    name: str
    median_cover: float
    """Median cloud cover N (sky fraction) of the regime, in (0, 1)."""
    cover_spread: float
    """Standard deviation of cover on the logit scale: 0 holds N at the median, 2 swings it widely."""
    cover_time_constant_s: float
    """Correlation time of the cover."""
    shade_dwell_s: float
    """Mean time the sun stays behind a cloud once covered."""

    def __post_init__(self) -> None:
        if not (0.0 < self.median_cover < 1.0):
            raise ValueError(f"median_cover must be within (0, 1), got {self.median_cover!r}")
        in_range("cover_spread", self.cover_spread, 0.0, 5.0)
        positive("cover_time_constant_s", self.cover_time_constant_s)
        positive("shade_dwell_s", self.shade_dwell_s)


CLEAR_DAY = CloudRegime(
    "clear", median_cover=0.03, cover_spread=0.8, cover_time_constant_s=10_800.0, shade_dwell_s=60.0
)
"""A few small clouds; the sun is almost never shaded."""
BROKEN_DAY = CloudRegime(
    "broken", median_cover=0.7, cover_spread=1.0, cover_time_constant_s=1_800.0, shade_dwell_s=180.0
)
"""Fair-weather cumulus: minute-scale ramps between full sun and shade, the hard case for control."""
OVERCAST_DAY = CloudRegime(
    "overcast", median_cover=0.95, cover_spread=0.7, cover_time_constant_s=10_800.0, shade_dwell_s=1_800.0
)
"""A closed deck with rare breaks: mostly diffuse light at about a third of clear sky."""


class CloudModel:
    """Cloud cover and sun shading over time for one site; randomness only from the injected ``rng``.

    The cover starts from its stationary distribution (no spin-up); the sun starts visible.
    """

    __slots__ = ("_cover", "_latent", "_logit_median", "_regime", "_rng", "_shaded")

    def __init__(self, regime: CloudRegime, rng: random.Random) -> None:
        self._rng = rng
        self._regime = regime
        self._logit_median = _logit(regime.median_cover)
        self._latent = rng.gauss(0.0, 1.0)
        self._cover = self._cover_of(self._latent)
        self._shaded = False

    @property
    def regime(self) -> CloudRegime:
        """The day type. Set a new one (e.g. at midnight) and the latent state carries over: no jump."""
        return self._regime

    @regime.setter
    def regime(self, regime: CloudRegime) -> None:
        self._regime = regime
        self._logit_median = _logit(regime.median_cover)
        self._cover = self._cover_of(self._latent)

    @property
    def cloud_cover(self) -> float:
        """Sky fraction covered by cloud, in (0, 1)."""
        return self._cover

    @property
    def sun_shaded(self) -> bool:
        """The sun's disc is behind a cloud right now."""
        return self._shaded

    def step(self, dt_s: float, clear: SkyIrradiance) -> SkyIrradiance:
        """Advance the weather by ``dt_s`` and return the all-sky irradiance at the end of the step."""
        (ghi,), (dni,), (dhi,) = self.step_many(dt_s, (clear.ghi_w_m2,), (clear.dni_w_m2,), (clear.dhi_w_m2,))
        return SkyIrradiance(ghi, dni, dhi)

    def step_many(
        self, dt_s: float, ghi_clear: Sequence[float], dni_clear: Sequence[float], dhi_clear: Sequence[float]
    ) -> tuple[list[float], list[float], list[float]]:
        """:meth:`step` once per element of the clear-sky columns; returns the all-sky GHI, DNI and DHI.

        The one implementation of a cloud step (:meth:`step` is a stretch of one): a simulator works out
        the clear sky of a whole stretch at once, and the weather is the same to the bit as ``len`` calls
        of :meth:`step`. What one step's inputs do not change is hoisted out of the loop.
        """
        step_seconds(dt_s)
        if not (len(ghi_clear) == len(dni_clear) == len(dhi_clear)):
            raise ValueError(
                f"the clear-sky columns must have one length, got {len(ghi_clear)}, {len(dni_clear)} "
                f"and {len(dhi_clear)}"
            )
        regime = self._regime
        gauss, uniform = self._rng.gauss, self._rng.random
        exp = math.exp
        decay = exp(-dt_s / regime.cover_time_constant_s)
        spread = math.sqrt(1.0 - decay * decay)
        logit_median, cover_spread, dwell_s = self._logit_median, regime.cover_spread, regime.shade_dwell_s
        latent, shaded = self._latent, self._shaded
        cover = self._cover
        ghi_out: list[float] = []
        dni_out: list[float] = []
        dhi_out: list[float] = []
        for ghi_c, dni_c, dhi_c in zip(ghi_clear, dni_clear, dhi_clear, strict=True):
            latent = decay * latent + spread * gauss(0.0, 1.0)
            z = logit_median + cover_spread * latent  # _cover_of, inlined
            cover = 1.0 / (1.0 + exp(-z)) if z >= 0.0 else exp(z) / (1.0 + exp(z))
            beam_clear = ghi_c - dhi_c
            overcast = 0.25 * ghi_c
            # max(overcast, dhi_c) without the builtin call: the first unless the second is larger.
            dhi = dhi_c + cover * ((dhi_c if dhi_c > overcast else overcast) - dhi_c)
            if beam_clear > 0.0:
                mean_ghi = ghi_c * (1.0 - 0.75 * cover**3.4)
                share = (dhi + beam_clear - mean_ghi) / beam_clear
                share = 0.0 if share < 0.0 else _MAX_SHARE if share > _MAX_SHARE else share
            else:
                share = cover if cover < _MAX_SHARE else _MAX_SHARE
            current = 1.0 if shaded else 0.0
            p_shaded = share + (current - share) * exp(-dt_s / (dwell_s * (1.0 - share)))
            shaded = uniform() < p_shaded
            if shaded:
                ghi_out.append(dhi)
                dni_out.append(0.0)
            else:
                ghi_out.append(dhi + beam_clear)
                dni_out.append(dni_c)
            dhi_out.append(dhi)
        self._latent, self._cover, self._shaded = latent, cover, shaded
        return ghi_out, dni_out, dhi_out

    def _cover_of(self, latent: float) -> float:
        z = self._logit_median + self._regime.cover_spread * latent
        # The two forms of the logistic avoid overflow in exp for either sign of z.
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0.0 else math.exp(z) / (1.0 + math.exp(z))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))
