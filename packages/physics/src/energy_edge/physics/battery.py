"""A stationary battery with its inverter: an energy reservoir with losses, limits, lag and heat.

Per step of length Δt (power held over the step, > 0 discharging into the site bus, < 0 charging):

    self-discharge   S = min(E·(1 - exp(-λ·Δt)), E - E_min),  λ from the fraction lost per day
    limits           P_ch,max = C_ch·E_nom·f_full(SoC),  P_dis,max = C_dis·E_nom·f_empty(SoC), each capped by
                     the inverter rating and by the energy left to the SoC limit within this step
    derating         f_full = clamp((SoC_max - SoC)/band, floor, 1), f_empty likewise from SoC_min: a linear
                     taper near full and empty (OpenEMS' simulator tapers the last 5 % the same way)
    response         P = P* + (P_prev - P*)·exp(-Δt/τ), P* the set-point limited as above, then limited again
    energy           E' = E - S + η_ch·E_in - E_out/η_dis     (E_in, E_out the AC energy of the step)
    heat             C_th·dT/dt = losses - UA·(T - T_amb), solved exactly over the step

so that the balance η_ch·ΣE_in - ΣE_out/η_dis - ΣS = ΔE closes to rounding. Unlike the reservoirs of OpenEMS
(lossless) and EMHASS (no self-discharge, no SoC-dependent limits), every loss here is separate and
reported. Self-discharge stops at SoC_min: a real system's BMS keeps the pack there from the grid, a trickle
(~0.1 %/day) far below what the site meter resolves, which we leave out rather than invent a power flow.
A temperature above ``max_temperature_c`` trips the battery (its contactor opens: 0 kW) until
:meth:`Battery.reset_fault` finds it cooled down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from energy_edge.physics._checks import (
    FaultPersistsError,
    ambient_celsius,
    finite,
    fraction,
    in_range,
    non_negative,
    positive,
    step_seconds,
)
from energy_edge.physics._readings import new_reading


@dataclass(frozen=True, slots=True)
class BatteryParams:
    """A battery system's nameplate and model parameters. Defaults describe a current LFP system."""

    capacity_kwh: float
    """Nominal (usable at 0-100 % SoC) energy content."""
    max_charge_c_rate: float = 0.5
    """Charge power limit as a multiple of capacity per hour (0.5 C: full in two hours)."""
    max_discharge_c_rate: float = 0.5
    inverter_rating_kw: float | None = None
    """AC limit of the battery inverter in either direction; None when the C-rate is the only limit."""
    charge_efficiency: float = 0.95
    """AC-to-stored energy while charging (EMHASS' default; about 90 % round trip)."""
    discharge_efficiency: float = 0.95
    soc_min: float = 0.05
    soc_max: float = 0.95
    derate_band: float = 0.05
    """SoC span next to each limit over which power tapers linearly."""
    derate_floor: float = 0.1
    """Share of the power limit still allowed at the SoC limit itself, like the end of a CC/CV charge."""
    self_discharge_per_day: float = 0.001
    """Fraction of the stored energy lost per day at rest (Li-ion with BMS: about 3 % a month)."""
    response_time_s: float = 1.0
    """First-order time constant from set-point to power; the inverter ramps, it does not jump."""
    heat_capacity_kj_per_k_kwh: float = 9.0
    """Thermal mass per kWh of capacity (about 9 kg of pack and enclosure at ~1 kJ/(kg·K))."""
    heat_transfer_w_per_k_kwh: float = 4.0
    """Heat loss to ambient per kWh of capacity and kelvin (enclosure with passive cooling)."""
    max_temperature_c: float = 55.0
    """Trip temperature (the discharge limit of common LFP cells; charging limits are lower)."""

    def __post_init__(self) -> None:
        positive("capacity_kwh", self.capacity_kwh)
        in_range("max_charge_c_rate", self.max_charge_c_rate, 0.0, 10.0)
        in_range("max_discharge_c_rate", self.max_discharge_c_rate, 0.0, 10.0)
        if self.inverter_rating_kw is not None:
            positive("inverter_rating_kw", self.inverter_rating_kw)
        for name, value in (
            ("charge_efficiency", self.charge_efficiency),
            ("discharge_efficiency", self.discharge_efficiency),
        ):
            if not (0.0 < value <= 1.0):
                raise ValueError(f"{name} must be within (0, 1], got {value!r}")
        fraction("soc_min", self.soc_min)
        fraction("soc_max", self.soc_max)
        if not (self.soc_min < self.soc_max):
            raise ValueError(f"soc_min ({self.soc_min}) must be below soc_max ({self.soc_max})")
        if not (0.0 < self.derate_band <= 0.5):
            raise ValueError(f"derate_band must be within (0, 0.5], got {self.derate_band!r}")
        fraction("derate_floor", self.derate_floor)
        if not (0.0 <= self.self_discharge_per_day < 1.0):
            raise ValueError(
                f"self_discharge_per_day must be within [0, 1), got {self.self_discharge_per_day!r}"
            )
        non_negative("response_time_s", self.response_time_s)
        positive("heat_capacity_kj_per_k_kwh", self.heat_capacity_kj_per_k_kwh)
        positive("heat_transfer_w_per_k_kwh", self.heat_transfer_w_per_k_kwh)
        in_range("max_temperature_c", self.max_temperature_c, 20.0, 120.0)

    @property
    def max_charge_kw(self) -> float:
        return self._cap(self.max_charge_c_rate * self.capacity_kwh)

    @property
    def max_discharge_kw(self) -> float:
        return self._cap(self.max_discharge_c_rate * self.capacity_kwh)

    def _cap(self, kw: float) -> float:
        return kw if self.inverter_rating_kw is None else min(kw, self.inverter_rating_kw)


class BatteryReading(NamedTuple):
    """One step of a battery. Energies are for this step only; powers are held over it."""

    power_output_kw: float
    """Actual AC power: > 0 delivered into the site bus (discharging), < 0 drawn from it (charging)."""
    soc: float
    """State of charge at the end of the step, 0-1 of capacity."""
    energy_kwh: float
    temperature_c: float
    max_charge_kw: float
    """Charge power that was available in this step (after derating and SoC headroom; 0 when faulted)."""
    max_discharge_kw: float
    charged_kwh: float
    """AC energy drawn from the bus."""
    discharged_kwh: float
    """AC energy delivered to the bus."""
    self_discharge_kwh: float
    loss_kwh: float
    """Conversion losses (they heat the battery)."""
    limited: bool
    """The set-point asked for more than was possible and was cut to the limit."""
    fault: str | None

    @property
    def soc_percent(self) -> float:
        return self.soc * 100.0


class Battery:
    """A battery advanced step by step. State: stored energy, actual power, temperature, latched fault."""

    __slots__ = (
        "_charge_kw",
        "_cooling_rate",
        "_discharge_kw",
        "_e_max",
        "_e_min",
        "_energy_kwh",
        "_fault",
        "_per_step",
        "_power_kw",
        "_self_discharge_rate",
        "_temperature_c",
        "_ua_kw_per_k",
        "params",
    )

    def __init__(
        self, params: BatteryParams, *, initial_soc: float = 0.5, initial_temperature_c: float = 25.0
    ) -> None:
        in_range("initial_soc", initial_soc, params.soc_min, params.soc_max)
        in_range("initial_temperature_c", initial_temperature_c, -40.0, params.max_temperature_c)
        self.params = params
        self._energy_kwh = initial_soc * params.capacity_kwh
        self._power_kw = 0.0
        self._temperature_c = float(initial_temperature_c)
        self._fault: str | None = None
        # Derived once: the step runs every second and should not redo this arithmetic.
        self._self_discharge_rate = -math.log1p(-params.self_discharge_per_day) / 86400.0  # 1/s
        self._e_min = params.soc_min * params.capacity_kwh
        self._e_max = params.soc_max * params.capacity_kwh
        self._charge_kw = params.max_charge_kw
        self._discharge_kw = params.max_discharge_kw
        self._ua_kw_per_k = params.heat_transfer_w_per_k_kwh * params.capacity_kwh / 1000.0
        thermal_capacity_kj_per_k = params.heat_capacity_kj_per_k_kwh * params.capacity_kwh
        self._cooling_rate = self._ua_kw_per_k / thermal_capacity_kj_per_k  # 1/s
        self._per_step = _StepConstants.of(self, math.nan)  # no step length yet

    @property
    def energy_kwh(self) -> float:
        return self._energy_kwh

    @property
    def soc(self) -> float:
        return self._energy_kwh / self.params.capacity_kwh

    @property
    def power_kw(self) -> float:
        """Actual AC power of the last step (site sign convention)."""
        return self._power_kw

    @property
    def temperature_c(self) -> float:
        return self._temperature_c

    @property
    def fault(self) -> str | None:
        return self._fault

    def reset_fault(self) -> None:
        """Clear a latched trip; raises :class:`FaultPersistsError` while still above the limit."""
        if self._fault is None:
            return
        if self._temperature_c > self.params.max_temperature_c:
            raise FaultPersistsError(
                f"battery temperature {self._temperature_c:.1f} °C is still above "
                f"{self.params.max_temperature_c:.1f} °C"
            )
        self._fault = None

    def step(self, dt_s: float, setpoint_kw: float, ambient_c: float = 25.0) -> BatteryReading:
        """Advance by ``dt_s`` towards ``setpoint_kw`` (> 0 discharge, < 0 charge); returns what happened."""
        step_seconds(dt_s)
        finite("setpoint_kw", setpoint_kw)
        ambient_celsius("ambient_c", ambient_c)
        return self._advance(dt_s, setpoint_kw, ambient_c)

    def _advance(self, dt_s: float, setpoint_kw: float, ambient_c: float) -> BatteryReading:
        """The step on inputs already checked (by :meth:`step`, or once by ``Site.step_equipment``)."""
        p = self.params
        per_step = self._per_step
        if per_step.dt_s != dt_s:  # a model steps at one length: what follows from it is computed once
            per_step = self._per_step = _StepConstants.of(self, dt_s)
        dt_h = per_step.dt_h
        energy = self._energy_kwh
        e_min, e_max = self._e_min, self._e_max
        self_discharge = energy * per_step.self_discharged
        if self_discharge > energy - e_min:
            self_discharge = energy - e_min if energy > e_min else 0.0
        energy -= self_discharge

        if self._fault is not None:
            charge_kw = discharge_kw = 0.0
        else:
            soc = self._energy_kwh / p.capacity_kwh
            # Linear taper within one band of each SoC limit, down to the floor at the limit itself.
            floor = p.derate_floor
            to_full = (p.soc_max - soc) / p.derate_band
            to_empty = (soc - p.soc_min) / p.derate_band
            charge_kw = self._charge_kw * (1.0 if to_full >= 1.0 else floor if to_full <= floor else to_full)
            discharge_kw = self._discharge_kw * (
                1.0 if to_empty >= 1.0 else floor if to_empty <= floor else to_empty
            )
            # No more than the energy left to the SoC limit within this step.
            headroom_kw = (e_max - energy) / per_step.stored_per_charge_kw
            if headroom_kw < charge_kw:
                charge_kw = headroom_kw if headroom_kw > 0.0 else 0.0
            headroom_kw = (energy - e_min) * p.discharge_efficiency / dt_h
            if headroom_kw < discharge_kw:
                discharge_kw = headroom_kw if headroom_kw > 0.0 else 0.0

        # Conditionals rather than min()/max(): builtin calls cost more than the compare, every step.
        target_kw = (
            -charge_kw
            if setpoint_kw < -charge_kw
            else discharge_kw
            if setpoint_kw > discharge_kw
            else setpoint_kw
        )
        power_kw = target_kw
        if p.response_time_s > 0.0:
            power_kw += (self._power_kw - target_kw) * per_step.response_kept
            power_kw = (
                -charge_kw if power_kw < -charge_kw else discharge_kw if power_kw > discharge_kw else power_kw
            )

        if power_kw >= 0.0:
            charged_kwh = 0.0
            discharged_kwh = power_kw * dt_h
            energy -= discharged_kwh / p.discharge_efficiency
            loss_kwh = discharged_kwh / p.discharge_efficiency - discharged_kwh
        else:
            charged_kwh = -power_kw * dt_h
            discharged_kwh = 0.0
            energy += charged_kwh * p.charge_efficiency
            loss_kwh = charged_kwh - charged_kwh * p.charge_efficiency
        # The headroom above makes this a no-op except for the last bit of rounding at a limit.
        energy = e_min if energy < e_min else e_max if energy > e_max else energy

        steady_c = ambient_c + loss_kwh / dt_h / self._ua_kw_per_k
        temperature_c = steady_c + (self._temperature_c - steady_c) * per_step.heat_kept

        self._energy_kwh = energy
        self._power_kw = power_kw
        self._temperature_c = temperature_c
        if self._fault is None and temperature_c > p.max_temperature_c:
            self._fault = f"battery over-temperature {temperature_c:.1f} °C > {p.max_temperature_c:.1f} °C"
        return new_reading(
            BatteryReading,
            (
                power_kw,
                energy / p.capacity_kwh,
                energy,
                temperature_c,
                charge_kw,
                discharge_kw,
                charged_kwh,
                discharged_kwh,
                self_discharge,
                loss_kwh,
                target_kw != setpoint_kw,
                self._fault,
            ),
        )


@dataclass(frozen=True, slots=True)
class _StepConstants:
    """What a battery's step computes from its length alone, kept for the next step of the same length (the
    same arithmetic, done once: a simulator steps one length hundreds of thousands of times). Slots: the
    step reads them every time."""

    dt_s: float
    dt_h: float
    self_discharged: float
    """Share of the stored energy lost to self-discharge over the step."""
    stored_per_charge_kw: float
    """kWh stored per kW of charging held over the step."""
    response_kept: float
    """Share of the gap between power and set-point left after the step (0 without a response time)."""
    heat_kept: float
    """Share of the gap between temperature and its steady state left after the step."""

    @classmethod
    def of(cls, battery: Battery, dt_s: float) -> _StepConstants:
        """For ``battery`` (its parameters and the rates derived from them) and steps of ``dt_s``."""
        p = battery.params
        dt_h = dt_s / 3600.0
        return cls(
            dt_s,
            dt_h,
            -math.expm1(-battery._self_discharge_rate * dt_s),  # pyright: ignore[reportPrivateUsage]
            p.charge_efficiency * dt_h,
            math.exp(-dt_s / p.response_time_s) if p.response_time_s > 0.0 else 0.0,
            math.exp(-battery._cooling_rate * dt_s),  # pyright: ignore[reportPrivateUsage]
        )
