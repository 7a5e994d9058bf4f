"""An electric boiler heating a hot-water tank that feeds an industrial process.

One well-mixed node, the single-node tank of EMHASS' thermal model and of most tank studies:

    C·dT/dt = η·P - UA·(T - T_amb) - ṁ·c_p·(T - T_cold),    C = V·rho·c_p

The process draws hot water at ṁ (the draw profile) and the tank refills with cold mains water. With P and
ṁ constant the equation is linear, so each stretch is solved exactly: T(t) = T_ss + (T₀ - T_ss)·e^(-k·t),
k = (UA + ṁ·c_p)/C. A step is cut at every thermostat switch and at the trip, so switching happens at the
exact temperature whatever the step length, and the energy balance C·ΔT = η·E_el - E_loss - E_draw closes.

Control, as on real equipment:
- **Thermostat** with hysteresis around ``target_celsius``: heat on below target - h/2, off at target + h/2.
- **Heater power**: rated power, or less when the controller limits it (``power_limit_kw``); below the
  minimum stable power (turndown) the heater cannot run at all. A limit of 0 is "stopped".
- **Trip** (safety temperature limiter, independent of the thermostat): at ``max_temperature_c`` the heater
  is cut and the boiler latches a fault until :meth:`Boiler.reset_fault` after it has cooled. The thermostat
  band is kept below the trip, so only a failed control path gets there: :meth:`Boiler.weld_contactor`
  injects that failure (the simulator's fault injection).
- **Process minimum**: below ``min_process_temperature_c`` the process is short of heat; the reading says so
  and counts the shortfall in kelvin-hours (the usual comfort KPI: degree-hours outside the band).

Power drawn from the site bus is reported as negative ``power_output_kw`` (site sign convention).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from energy_edge.physics._checks import (
    FaultPersistsError,
    ambient_celsius,
    in_range,
    non_negative,
    positive,
    step_seconds,
)
from energy_edge.physics._readings import new_reading

WATER_HEAT_CAPACITY_KJ_PER_KG_K = 4.186
WATER_DENSITY_KG_PER_L = 0.983
"""At 60 °C; the tank spends its life between 50 and 90 °C."""
MAX_DRAW_L_MIN = 1e5
"""Upper bound of a process draw the boiler accepts: far beyond any tank's pipework."""
_MAX_SEGMENTS = 100_000
"""More thermostat switchings than this in one step is a caller's bug (weeks per step), not a simulation."""


@dataclass(frozen=True, slots=True)
class BoilerParams:
    """An electric boiler and its tank. Defaults are a 150 kW boiler on a 5 m³ process-water tank."""

    rated_power_kw: float = 150.0
    tank_volume_l: float = 5000.0
    min_power_kw: float = 15.0
    """Minimum stable power (10 % turndown); a power limit below it keeps the heater off."""
    efficiency: float = 0.99
    """Electric to heat in the water (resistive or electrode heaters lose little)."""
    heat_loss_w_per_k: float = 25.0
    """Standby loss UA of the insulated tank and pipework."""
    hysteresis_k: float = 4.0
    max_temperature_c: float = 95.0
    """Safety trip; stays below boiling at atmospheric pressure."""
    min_process_temperature_c: float = 55.0
    cold_water_c: float = 12.0

    def __post_init__(self) -> None:
        positive("rated_power_kw", self.rated_power_kw)
        positive("tank_volume_l", self.tank_volume_l)
        in_range("min_power_kw", self.min_power_kw, 0.0, self.rated_power_kw)
        if not (0.0 < self.efficiency <= 1.0):
            raise ValueError(f"efficiency must be within (0, 1], got {self.efficiency!r}")
        positive("heat_loss_w_per_k", self.heat_loss_w_per_k)
        in_range("hysteresis_k", self.hysteresis_k, 0.1, 30.0)
        in_range("max_temperature_c", self.max_temperature_c, 30.0, 200.0)
        in_range("cold_water_c", self.cold_water_c, 0.0, 40.0)
        if not (self.cold_water_c < self.min_process_temperature_c < self.max_temperature_c):
            raise ValueError(
                f"min_process_temperature_c ({self.min_process_temperature_c!r}) must lie between "
                f"cold_water_c ({self.cold_water_c}) and max_temperature_c ({self.max_temperature_c})"
            )

    @property
    def heat_capacity_kwh_per_k(self) -> float:
        """C = V·rho·c_p of the water."""
        return self.tank_volume_l * WATER_DENSITY_KG_PER_L * WATER_HEAT_CAPACITY_KJ_PER_KG_K / 3600.0

    @property
    def max_target_celsius(self) -> float:
        """The highest target whose thermostat band stays below the trip."""
        return self.max_temperature_c - self.hysteresis_k


class BoilerReading(NamedTuple):
    """One step of a boiler. Powers are averages over the step, energies its totals."""

    power_output_kw: float
    """Minus the electric power drawn from the bus (≤ 0)."""
    temperature_c: float
    """Water temperature at the end of the step."""
    target_celsius: float
    heating: bool
    """The heater is on at the end of the step."""
    electric_kwh: float
    heat_to_process_kwh: float
    """Heat carried away by the process draw (relative to cold mains water)."""
    standby_loss_kwh: float
    below_process_minimum: bool
    process_shortfall_kh: float
    """Kelvin-hours below the process minimum during the step."""
    fault: str | None


class Boiler:
    """An electric boiler and tank advanced step by step.

    State: water temperature, thermostat (heating or not), target, latched fault, injected contactor weld.
    """

    __slots__ = (
        "_capacity_kj_per_k",
        "_fault",
        "_half_band_k",
        "_heating",
        "_target_c",
        "_temperature_c",
        "_ua_kw_per_k",
        "_welded",
        "params",
    )

    def __init__(
        self, params: BoilerParams, *, target_celsius: float = 75.0, initial_temperature_c: float = 70.0
    ) -> None:
        self.params = params
        self._capacity_kj_per_k = params.heat_capacity_kwh_per_k * 3600.0  # the stretches run in kW and s
        self._ua_kw_per_k = params.heat_loss_w_per_k / 1000.0
        self._half_band_k = params.hysteresis_k / 2.0
        self._target_c = self._checked_target(target_celsius)
        in_range("initial_temperature_c", initial_temperature_c, 0.0, params.max_temperature_c)
        self._temperature_c = float(initial_temperature_c)
        self._heating = initial_temperature_c < self._target_c
        """The thermostat calls for heat (the heater runs if the power limit allows)."""
        self._fault: str | None = None
        self._welded = False

    @property
    def temperature_c(self) -> float:
        return self._temperature_c

    @property
    def target_celsius(self) -> float:
        return self._target_c

    @target_celsius.setter
    def target_celsius(self, value: float) -> None:
        """The ``set_temperature`` command: a target whose band would reach the trip is refused."""
        self._target_c = self._checked_target(value)

    @property
    def heating(self) -> bool:
        """The thermostat calls for heat."""
        return self._heating

    @property
    def fault(self) -> str | None:
        return self._fault

    def weld_contactor(self) -> None:
        """Fault injection: the heater contactor welds shut and heats regardless of thermostat and limit.

        Only the independent trip stops it. :meth:`reset_fault` stands for the repair and clears it.
        """
        self._welded = True

    def reset_fault(self) -> None:
        """Re-arm the trip after the water has cooled below ``max_temperature_c`` - hysteresis."""
        if self._fault is None:
            return
        rearm_c = self.params.max_temperature_c - self.params.hysteresis_k
        if self._temperature_c > rearm_c:
            raise FaultPersistsError(
                f"water temperature {self._temperature_c:.1f} °C is above the re-arm point {rearm_c:.1f} °C"
            )
        self._fault = None
        self._welded = False

    def step(
        self,
        dt_s: float,
        *,
        draw_l_min: float,
        ambient_c: float = 20.0,
        power_limit_kw: float | None = None,
    ) -> BoilerReading:
        """Advance by ``dt_s`` with the process drawing ``draw_l_min``; ``power_limit_kw`` None = rated."""
        step_seconds(dt_s)
        in_range("draw_l_min", draw_l_min, 0.0, MAX_DRAW_L_MIN)
        ambient_celsius("ambient_c", ambient_c)
        limit_kw = None if power_limit_kw is None else non_negative("power_limit_kw", power_limit_kw)
        return self._advance(dt_s, draw_l_min, ambient_c, limit_kw)

    def _advance(
        self, dt_s: float, draw_l_min: float, ambient_c: float, power_limit_kw: float | None
    ) -> BoilerReading:
        """The step on inputs already checked (by :meth:`step`, or once by ``Site.step_equipment``).

        It can still refuse a step (more thermostat switchings than it integrates), before any state moves.
        """
        p = self.params
        limit_kw = p.rated_power_kw if power_limit_kw is None else power_limit_kw
        modulated_kw = (
            p.rated_power_kw if p.rated_power_kw < limit_kw else limit_kw
        )  # min(), without the call
        if modulated_kw < p.min_power_kw or modulated_kw == 0.0:
            modulated_kw = 0.0

        ua = self._ua_kw_per_k
        draw = draw_l_min / 60.0 * WATER_DENSITY_KG_PER_L * WATER_HEAT_CAPACITY_KJ_PER_KG_K  # kW/K
        rate = (ua + draw) / self._capacity_kj_per_k  # 1/s, > 0: every tank loses heat
        on_c = self._target_c - self._half_band_k
        off_c = self._target_c + self._half_band_k
        trip_c = p.max_temperature_c
        # Looked up once: the loop below runs every step, mostly once.
        efficiency, cold_c, minimum_c, rated_kw = (
            p.efficiency,
            p.cold_water_c,
            p.min_process_temperature_c,
            p.rated_power_kw,
        )
        welded = self._welded
        temp, calling, fault = self._temperature_c, self._heating, self._fault
        electric_kj = loss_kj = draw_kj = shortfall_ks = 0.0
        remaining = dt_s
        for _ in range(_MAX_SEGMENTS):
            # Thermostat first: a target changed since the last step may already put T beyond the band.
            if calling and temp >= off_c:
                calling = False
            elif not calling and temp <= on_c:
                calling = True
            power = 0.0 if fault is not None else rated_kw if welded else modulated_kw if calling else 0.0
            steady = (efficiency * power + ua * ambient_c + draw * cold_c) / (ua + draw)
            if power > 0.0:
                duration, event = _heating_stretch(
                    temp, steady, rate, trip_c, math.inf if welded else off_c, remaining
                )
            elif fault is None and not calling:
                duration, event = _cooling_stretch(temp, steady, rate, on_c, remaining)
            else:
                duration, event = remaining, _END

            integral = _temperature_integral(temp, steady, rate, duration)
            electric_kj += power * duration
            loss_kj += ua * (integral - ambient_c * duration)
            draw_kj += draw * (integral - cold_c * duration)
            # None when the water and its steady state are above the minimum (T runs from one to the
            # other): decided here, without the call, for most steps.
            shortfall_ks += (
                _shortfall_integral(temp, steady, rate, duration, minimum_c)
                if temp < minimum_c or steady < minimum_c
                else 0.0
            )
            remaining -= duration
            # At an event the temperature is the threshold itself, not a value rounded past it.
            if event == _TRIP:
                temp = trip_c
                fault = f"boiler over-temperature: water reached the {trip_c:.1f} °C trip"
            elif event == _OFF:
                temp, calling = off_c, False
            elif event == _ON:
                temp, calling = on_c, True
            else:
                temp = steady + (temp - steady) * math.exp(-rate * duration)
                break
        else:
            raise ValueError(f"dt_s={dt_s!r} spans more than {_MAX_SEGMENTS} thermostat switchings")

        self._temperature_c, self._heating, self._fault = temp, calling, fault
        electric_kwh = electric_kj / 3600.0
        return new_reading(
            BoilerReading,
            (
                0.0 - electric_kwh / (dt_s / 3600.0),  # 0.0 - x: an idle boiler reports 0.0, not -0.0
                temp,
                self._target_c,
                fault is None and (welded or (calling and modulated_kw > 0.0)),
                electric_kwh,
                draw_kj / 3600.0,
                loss_kj / 3600.0,
                temp < p.min_process_temperature_c,
                shortfall_ks / 3600.0,
                fault,
            ),
        )

    def _checked_target(self, value: float) -> float:
        p = self.params
        return in_range("target_celsius", value, p.cold_water_c + p.hysteresis_k / 2.0, p.max_target_celsius)


# What ends a stretch of constant heater power.
_END, _ON, _OFF, _TRIP = range(4)


def _heating_stretch(
    temp: float, steady: float, rate: float, trip_c: float, off_c: float, remaining: float
) -> tuple[float, int]:
    """Length of a heating stretch and what ends it: the trip, the thermostat or the end of the step."""
    t_trip = _time_to_reach(temp, steady, rate, trip_c)
    t_off = _time_to_reach(temp, steady, rate, off_c) if off_c < trip_c else math.inf
    if t_trip <= remaining and t_trip <= t_off:
        return t_trip, _TRIP
    if t_off < remaining:
        return t_off, _OFF
    return remaining, _END


def _cooling_stretch(
    temp: float, steady: float, rate: float, on_c: float, remaining: float
) -> tuple[float, int]:
    """Length of a stretch with the heater off until the thermostat calls for heat or the step ends."""
    t_on = _time_to_reach(temp, steady, rate, on_c)
    if t_on < remaining:
        return t_on, _ON
    return remaining, _END


def _time_to_reach(start: float, steady: float, rate: float, level: float) -> float:
    """Seconds until T(t) = steady + (start - steady)·e^(-rate·t) reaches ``level``; inf if it never does."""
    if start == level:
        return 0.0
    if (start - level) * (steady - level) >= 0.0:
        return math.inf  # the exponential never crosses to the other side of its steady state
    return math.log((start - steady) / (level - steady)) / rate


def _temperature_integral(start: float, steady: float, rate: float, duration: float) -> float:
    """∫ T dt over a stretch of ``duration`` seconds (K·s)."""
    return steady * duration + (start - steady) * -math.expm1(-rate * duration) / rate


def _shortfall_integral(start: float, steady: float, rate: float, duration: float, minimum: float) -> float:
    """∫ max(0, minimum - T) dt over a stretch; T is monotonic, so it crosses ``minimum`` at most once."""
    if start >= minimum and steady >= minimum:
        return 0.0  # the usual case, decided without an exp: T runs from start towards steady
    end = steady + (start - steady) * math.exp(-rate * duration)
    if start >= minimum and end >= minimum:
        return 0.0
    whole = minimum * duration - _temperature_integral(start, steady, rate, duration)
    if start <= minimum and end <= minimum:
        return whole
    crossing = _time_to_reach(start, steady, rate, minimum)
    before = minimum * crossing - _temperature_integral(start, steady, rate, crossing)
    # Rising through the minimum: the shortfall is before the crossing; falling: after it.
    return before if start < minimum else whole - before
