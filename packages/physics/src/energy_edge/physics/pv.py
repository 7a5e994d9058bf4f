"""A PV array and its inverter, PVWatts-style: plane-of-array irradiance and air temperature in, AC out.

    T_cell  SAPM (King et al. 2004): T_m = E·exp(a + b·WS) + T_a,  T_cell = T_m + E/1000·ΔT
            or Faiman (2008):         T_cell = T_a + E/(u0 + u1·WS),
            followed by a first-order lag (the module's thermal mass, Prilliman et al. 2020)
    P_dc    PVWatts v5 (Dobos 2014):  P_dc = E/1000 · P_dc0 · (1 + gamma·(T_cell - 25 °C)) · (1 - losses)
    P_ac    PVWatts inverter:         ζ = P_dc/P_dc0,inv,  η = η_nom/η_ref·(-0.0162·ζ - 0.0059/ζ + 0.9858),
                                      P_ac = min(η·P_dc, P_ac0), P_dc0,inv = P_ac0/η_nom
    output  min(P_ac, target_kw, max_output_kw): the inverter leaves its maximum power point to curtail

These are the functions ``pvlib.temperature.sapm_cell``/``faiman``, ``pvlib.pvsystem.pvwatts_dc`` and
``pvlib.inverter.pvwatts``; the tests check agreement with them to rounding. ``efficiency`` in the seed's
telemetry (0.178 at 42.5 kW and 850 W/m²) is sunlight-to-AC: AC power over irradiance times module area,
the area following from the DC rating and the module efficiency at STC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from energy_edge.physics._checks import (
    FaultPersistsError,
    ambient_celsius,
    finite,
    in_range,
    non_negative,
    positive,
    step_seconds,
)
from energy_edge.physics._readings import new_reading

MAX_IRRADIANCE_W_M2 = 3000.0
"""Beyond any plane on Earth (about 1400 W/m² of beam plus sky and snow-reflected light at most)."""
MAX_WIND_M_S = 75.0
"""Upper bound of the wind speed the cell-temperature models accept (hurricane force begins at 33 m/s)."""


@dataclass(frozen=True, slots=True)
class SapmCellTemperature:
    """Sandia Array Performance Model cell temperature; parameters from ``pvlib.temperature``."""

    a: float = -3.56
    b: float = -0.075
    delta_t_c: float = 3.0

    def __post_init__(self) -> None:
        finite("a", self.a)
        in_range("b", self.b, -1.0, 0.0)
        non_negative("delta_t_c", self.delta_t_c)

    def cell_temperature_c(self, poa_w_m2: float, ambient_c: float, wind_m_s: float) -> float:
        module_c = poa_w_m2 * math.exp(self.a + self.b * wind_m_s) + ambient_c
        return module_c + poa_w_m2 / 1000.0 * self.delta_t_c


@dataclass(frozen=True, slots=True)
class FaimanCellTemperature:
    """Faiman (2008) cell temperature, the model of IEC 61853-2; defaults as ``pvlib.temperature.faiman``."""

    u0: float = 25.0
    """Combined heat loss factor, W/(m²·K)."""
    u1: float = 6.84
    """Wind-dependent heat loss factor, W/(m²·K) per m/s."""

    def __post_init__(self) -> None:
        positive("u0", self.u0)
        non_negative("u1", self.u1)

    def cell_temperature_c(self, poa_w_m2: float, ambient_c: float, wind_m_s: float) -> float:
        return ambient_c + poa_w_m2 / (self.u0 + self.u1 * wind_m_s)


CellTemperatureModel = SapmCellTemperature | FaimanCellTemperature

SAPM_OPEN_RACK_GLASS_POLYMER = SapmCellTemperature(-3.56, -0.075, 3.0)
SAPM_OPEN_RACK_GLASS_GLASS = SapmCellTemperature(-3.47, -0.0594, 3.0)
SAPM_CLOSE_MOUNT_GLASS_GLASS = SapmCellTemperature(-2.98, -0.0471, 1.0)
SAPM_INSULATED_BACK_GLASS_POLYMER = SapmCellTemperature(-2.81, -0.0455, 0.0)
"""The four mounting classes of ``pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS['sapm']``."""


@dataclass(frozen=True, slots=True)
class PvParams:
    """Nameplate and model parameters of a PV array with its inverter. Defaults are PVWatts v5's."""

    dc_rating_kw: float
    """Array DC power at STC (1000 W/m², 25 °C cells): P_dc0 of ``pvwatts_dc``."""
    ac_rating_kw: float
    """Inverter AC rating P_ac0: output is clipped here."""
    gamma_pdc_per_c: float = -0.0037
    """Temperature coefficient of power (PVWatts 'standard' crystalline-silicon module)."""
    system_losses: float = 0.14
    """DC losses before the inverter (soiling, shading, wiring, mismatch...): PVWatts' default 14 %."""
    eta_inv_nom: float = 0.96
    eta_inv_ref: float = 0.9637
    module_efficiency: float = 0.20
    """Module efficiency at STC; only sets the array area used for the reported ``efficiency``."""
    cell_temperature: CellTemperatureModel = SAPM_OPEN_RACK_GLASS_POLYMER
    thermal_time_constant_s: float = 300.0
    """Module temperature lag; 0 gives the steady state of the cell model at once (as pvlib)."""
    max_module_temperature_c: float = 85.0
    """Over-temperature trip; 85 °C is the upper limit of the IEC 61215 module qualification."""

    def __post_init__(self) -> None:
        positive("dc_rating_kw", self.dc_rating_kw)
        positive("ac_rating_kw", self.ac_rating_kw)
        in_range("gamma_pdc_per_c", self.gamma_pdc_per_c, -0.02, 0.0)
        if not (0.0 <= self.system_losses < 1.0):
            raise ValueError(f"system_losses must be within [0, 1), got {self.system_losses!r}")
        if not (0.0 < self.eta_inv_nom <= 1.0):
            raise ValueError(f"eta_inv_nom must be within (0, 1], got {self.eta_inv_nom!r}")
        if not (0.0 < self.eta_inv_ref <= 1.0):
            raise ValueError(f"eta_inv_ref must be within (0, 1], got {self.eta_inv_ref!r}")
        if not (0.0 < self.module_efficiency <= 0.5):
            raise ValueError(f"module_efficiency must be within (0, 0.5], got {self.module_efficiency!r}")
        non_negative("thermal_time_constant_s", self.thermal_time_constant_s)
        in_range("max_module_temperature_c", self.max_module_temperature_c, 40.0, 150.0)

    @property
    def array_area_m2(self) -> float:
        return self.dc_rating_kw / self.module_efficiency

    @property
    def inverter_dc_rating_kw(self) -> float:
        """P_dc0 of ``pvlib.inverter.pvwatts``: the DC input at which the inverter delivers its AC rating."""
        return self.ac_rating_kw / self.eta_inv_nom


class PvReading(NamedTuple):
    """One step of a PV system. Field names follow the solar_inverter telemetry where they overlap."""

    power_output_kw: float
    """AC power delivered into the site bus (never negative; inverter night consumption is ignored)."""
    available_kw: float
    """AC power the array could deliver now without curtailment (already clipped at the AC rating)."""
    dc_power_kw: float
    """DC power drawn from the array at the operating point (below the MPP while curtailed)."""
    irradiance_w_m2: float
    """Plane-of-array irradiance."""
    efficiency: float
    """Sunlight to AC: power_output / (irradiance · array area), 0 in the dark."""
    inverter_efficiency: float
    temperature_c: float
    """Module (cell) temperature."""
    output_limit_kw: float
    """The limit in force: min(AC rating, max_output_kw, target_kw)."""
    curtailed: bool
    """Output is held below what the array could deliver by target_kw or max_output_kw."""
    clipped: bool
    """The array could deliver more DC than the inverter converts at its AC rating."""
    fault: str | None


def pvwatts_dc_kw(poa_w_m2: float, cell_c: float, dc_rating_kw: float, gamma_pdc_per_c: float) -> float:
    """PVWatts v5 DC power (``pvlib.pvsystem.pvwatts_dc`` with the reference temperature 25 °C)."""
    return poa_w_m2 * 0.001 * dc_rating_kw * (1.0 + gamma_pdc_per_c * (cell_c - 25.0))


def pvwatts_ac_kw(
    dc_kw: float, inverter_dc_rating_kw: float, eta_inv_nom: float, eta_inv_ref: float
) -> float:
    """PVWatts inverter AC power (``pvlib.inverter.pvwatts``), clipped at η_nom · P_dc0,inv."""
    if dc_kw <= 0.0:
        return 0.0
    zeta = dc_kw / inverter_dc_rating_kw
    eta = eta_inv_nom / eta_inv_ref * (-0.0162 * zeta - 0.0059 / zeta + 0.9858)
    # max(0, min(rating, η·P_dc)) spelled as comparisons with the builtins' rule (the first argument unless
    # the second is strictly smaller, larger): every sunlit step of a simulation calls this.
    rating_kw, ac_kw = eta_inv_nom * inverter_dc_rating_kw, eta * dc_kw
    ac_kw = ac_kw if ac_kw < rating_kw else rating_kw
    return ac_kw if ac_kw > 0.0 else 0.0


def pvwatts_dc_for_ac_kw(
    ac_kw: float, inverter_dc_rating_kw: float, eta_inv_nom: float, eta_inv_ref: float
) -> float:
    """The DC input at which the PVWatts inverter delivers ``ac_kw``: the operating point when curtailed.

    Inverts P_ac = k·P_dc0·(-0.0162·ζ² + 0.9858·ζ - 0.0059) on its rising branch; written as
    2c/(B + sqrt(B² - 4Ac)) to stay accurate near ζ = 0. At ``ac_kw`` = 0 this is the inverter's own
    consumption at the edge of operation (ζ ≈ 0.006).
    """
    k = eta_inv_nom / eta_inv_ref
    c = 0.0059 + ac_kw / (k * inverter_dc_rating_kw)
    discriminant = 0.9858 * 0.9858 - 4.0 * 0.0162 * c
    discriminant = 0.0 if discriminant < 0.0 else discriminant  # max(·, 0.0), without the call
    return 2.0 * c / (0.9858 + math.sqrt(discriminant)) * inverter_dc_rating_kw


class PvSystem:
    """A PV array with its inverter, advanced step by step; module temperature and fault are its state.

    ``target_kw`` (the controller's ``set_output``) and :attr:`max_output_kw` (the twin's configuration)
    both cap the AC output. An over-temperature trip latches: output stays 0 until :meth:`reset_fault`.
    """

    __slots__ = (
        "_area_m2",
        "_dc_kept",
        "_fault",
        "_inverter_dc_kw",
        "_lag_dt_s",
        "_lag_kept",
        "_max_output_kw",
        "_module_c",
        "params",
    )

    def __init__(
        self,
        params: PvParams,
        *,
        max_output_kw: float | None = None,
        initial_module_temperature_c: float | None = None,
    ) -> None:
        self.params = params
        self._area_m2 = params.array_area_m2
        self._inverter_dc_kw = params.inverter_dc_rating_kw
        self._dc_kept = 1.0 - params.system_losses
        # The share of the module's temperature gap a step of _lag_dt_s leaves: computed when the step
        # length changes, not every step (a simulator steps one length hundreds of thousands of times).
        self._lag_dt_s = self._lag_kept = math.nan
        self._max_output_kw = params.ac_rating_kw
        if max_output_kw is not None:
            self.max_output_kw = max_output_kw
        if initial_module_temperature_c is not None:
            in_range("initial_module_temperature_c", initial_module_temperature_c, -60.0, 150.0)
        self._module_c = initial_module_temperature_c
        """None until the first step: the first step then starts at the cell model's steady state."""
        self._fault: str | None = None

    @property
    def max_output_kw(self) -> float:
        """Configured AC limit (``max_output_kw`` desired property); the AC rating unless set lower."""
        return self._max_output_kw

    @max_output_kw.setter
    def max_output_kw(self, value: float) -> None:
        self._max_output_kw = non_negative("max_output_kw", value)

    @property
    def module_temperature_c(self) -> float | None:
        return self._module_c

    @property
    def fault(self) -> str | None:
        """Why the system tripped, or ``None``."""
        return self._fault

    def reset_fault(self) -> None:
        """Clear a latched trip; raises :class:`FaultPersistsError` while the module is still too hot."""
        if self._fault is None:
            return
        limit = self.params.max_module_temperature_c
        if self._module_c is not None and self._module_c > limit:
            raise FaultPersistsError(
                f"module temperature {self._module_c:.1f} °C is still above {limit:.1f} °C"
            )
        self._fault = None

    def step(
        self,
        dt_s: float,
        *,
        poa_w_m2: float,
        ambient_c: float,
        wind_m_s: float = 1.0,
        target_kw: float | None = None,
    ) -> PvReading:
        """Advance by ``dt_s`` under ``poa_w_m2``; ``target_kw`` None means no curtailment set-point."""
        step_seconds(dt_s)
        in_range("poa_w_m2", poa_w_m2, 0.0, MAX_IRRADIANCE_W_M2)
        ambient_celsius("ambient_c", ambient_c)
        in_range("wind_m_s", wind_m_s, 0.0, MAX_WIND_M_S)
        if target_kw is not None:
            non_negative("target_kw", target_kw)
        return self._advance(dt_s, poa_w_m2, ambient_c, wind_m_s, target_kw)

    def _advance(
        self, dt_s: float, poa_w_m2: float, ambient_c: float, wind_m_s: float, target_kw: float | None
    ) -> PvReading:
        """The step on inputs already checked: :meth:`step` checks them each call, ``Site.step_equipment``
        once (the weather in an ``ExogenousSeries`` is checked as it is appended)."""
        p = self.params
        steady_c = p.cell_temperature.cell_temperature_c(poa_w_m2, ambient_c, wind_m_s)
        if self._module_c is None or p.thermal_time_constant_s == 0.0:
            module_c = steady_c
        else:
            if dt_s != self._lag_dt_s:
                self._lag_dt_s, self._lag_kept = dt_s, math.exp(-dt_s / p.thermal_time_constant_s)
            module_c = steady_c + (self._module_c - steady_c) * self._lag_kept
        self._module_c = module_c
        if self._fault is None and module_c > p.max_module_temperature_c:
            self._fault = f"module over-temperature {module_c:.1f} °C > {p.max_module_temperature_c:.1f} °C"

        # min() and max() spelled as comparisons (the builtin calls cost more, every step), with their rule:
        # the first argument unless the second is strictly smaller (larger).
        limit_kw = self._max_output_kw if self._max_output_kw < p.ac_rating_kw else p.ac_rating_kw
        if target_kw is not None:
            limit_kw = target_kw if target_kw < limit_kw else limit_kw
        inv_dc0 = self._inverter_dc_kw
        mpp_dc_kw = pvwatts_dc_kw(poa_w_m2, module_c, p.dc_rating_kw, p.gamma_pdc_per_c)
        mpp_dc_kw = 0.0 if mpp_dc_kw < 0.0 else mpp_dc_kw  # no negative DC at night (max with 0)
        mpp_dc_kw *= self._dc_kept  # 1 - system_losses
        available_kw = pvwatts_ac_kw(mpp_dc_kw, inv_dc0, p.eta_inv_nom, p.eta_inv_ref)
        clipped = mpp_dc_kw > inv_dc0

        if self._fault is not None:
            return new_reading(
                PvReading,
                (0.0, available_kw, 0.0, poa_w_m2, 0.0, 0.0, module_c, 0.0, False, clipped, self._fault),
            )
        if available_kw > limit_kw or clipped:
            # Off the maximum power point: the inverter draws only the DC it needs for its output.
            output_kw = limit_kw if limit_kw < available_kw else available_kw
            dc_kw = pvwatts_dc_for_ac_kw(output_kw, inv_dc0, p.eta_inv_nom, p.eta_inv_ref)
            dc_kw = mpp_dc_kw if mpp_dc_kw < dc_kw else dc_kw
        else:
            output_kw = available_kw
            dc_kw = mpp_dc_kw
        sunlight_kw = poa_w_m2 * 0.001 * self._area_m2
        return new_reading(
            PvReading,
            (
                output_kw,
                available_kw,
                dc_kw,
                poa_w_m2,
                output_kw / sunlight_kw if sunlight_kw > 0.0 else 0.0,
                output_kw / dc_kw if dc_kw > 0.0 else 0.0,
                module_c,
                limit_kw,
                available_kw > limit_kw,
                clipped,
                None,
            ),
        )
