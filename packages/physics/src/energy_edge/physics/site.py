"""A whole site in one step: sun, sky, PV, battery, boiler, site load and the grid meter, composed.

    sun -> clear sky -> clouds -> plane of array -> PV
    battery (set-point), boiler (thermostat, process draw), site load (profile)
    meter: grid_power_kw = load - PV - battery - boiler = load + boiler draw - PV - battery discharge

:meth:`Site.step` advances everything at once and is what the benchmark times. A simulator that replays one
day under several control strategies splits it in two: :meth:`Site.conditions` (sun, sky, clouds, plane of
array, process draw, site load: what no set-point changes) once per day into an
:class:`~energy_edge.physics.exogenous.ExogenousSeries`, then :meth:`Site.step_equipment` (PV, battery,
boiler, meter) per strategy, or :meth:`Site.equipment_steps` for a stretch of steps under set-points that
hold over it (checked once for the stretch). Either way every input is checked before any model moves, so
a rejected step leaves the whole site unchanged. A simulator may compute the series' weather and demand
for many steps at once (``CloudModel.step_many`` and ``SiteLoad.noise_factors`` draw the random parts in
the order and with the arithmetic of the single steps).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from typing import NamedTuple

from energy_edge.physics._checks import ambient_celsius, finite, in_range, non_negative, step_seconds
from energy_edge.physics._readings import new_reading
from energy_edge.physics.battery import Battery, BatteryParams, BatteryReading
from energy_edge.physics.boiler import Boiler, BoilerParams, BoilerReading
from energy_edge.physics.clouds import BROKEN_DAY, CloudModel, CloudRegime
from energy_edge.physics.exogenous import ExogenousSeries
from energy_edge.physics.load import (
    DrawProfile,
    LoadReading,
    LoadShape,
    SiteLoad,
    SiteLoadParams,
    two_shift_process_draw,
)
from energy_edge.physics.meter import GridMeter, MeterReading
from energy_edge.physics.poa import ArrayOrientation, PoaIrradiance
from energy_edge.physics.pv import MAX_WIND_M_S, PvParams, PvReading, PvSystem
from energy_edge.physics.sky import DEFAULT_LINKE_TURBIDITY, ClearSky, SkyIrradiance
from energy_edge.physics.sun import Location, SolarPosition


class SiteReading(NamedTuple):
    """Everything that happened at the site in one step."""

    sun: SolarPosition
    sky: SkyIrradiance
    """All-sky (cloudy) horizontal irradiance."""
    poa: PoaIrradiance
    pv: PvReading
    battery: BatteryReading
    boiler: BoilerReading
    draw_l_min: float
    load: LoadReading
    meter: MeterReading


class SiteConditions(NamedTuple):
    """One step of what no set-point changes: the weather at the array and the site's own demand."""

    sun: SolarPosition
    sky: SkyIrradiance
    """All-sky (cloudy) horizontal irradiance."""
    poa: PoaIrradiance
    draw_l_min: float
    load: LoadReading


class EquipmentReading(NamedTuple):
    """One step of the equipment that set-points steer (:meth:`Site.step_equipment`)."""

    pv: PvReading
    battery: BatteryReading
    boiler: BoilerReading
    site_load_kw: float
    """The site's own load the meter summed with the equipment's outputs."""
    meter: MeterReading


class Site:
    """The physics of one site. Set-points enter :meth:`step`; weather and demand come from the models."""

    __slots__ = (
        "battery",
        "boiler",
        "clear_sky",
        "clouds",
        "draw",
        "load",
        "location",
        "meter",
        "orientation",
        "pv",
    )

    def __init__(
        self,
        *,
        location: Location,
        orientation: ArrayOrientation,
        clouds: CloudModel,
        pv: PvSystem,
        battery: Battery,
        boiler: Boiler,
        draw: DrawProfile,
        load: SiteLoad,
        meter: GridMeter,
        linke_turbidity: float = DEFAULT_LINKE_TURBIDITY,
    ) -> None:
        self.location = location
        self.orientation = orientation
        self.clear_sky = ClearSky(location.altitude_m, linke_turbidity)
        self.clouds = clouds
        self.pv = pv
        self.battery = battery
        self.boiler = boiler
        self.draw = draw
        self.load = load
        self.meter = meter

    def step(
        self,
        dt_s: float,
        when: datetime,
        *,
        ambient_c: float,
        wind_m_s: float = 1.0,
        battery_setpoint_kw: float = 0.0,
        pv_target_kw: float | None = None,
        boiler_power_limit_kw: float | None = None,
    ) -> SiteReading:
        """Advance every model by ``dt_s`` to ``when`` (timezone-aware, the end of the step)."""
        step_seconds(dt_s)
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError(f"when must be timezone-aware (UTC by convention), got naive {when.isoformat()}")
        ambient_celsius("ambient_c", ambient_c)
        in_range("wind_m_s", wind_m_s, 0.0, MAX_WIND_M_S)
        finite("battery_setpoint_kw", battery_setpoint_kw)
        if pv_target_kw is not None:
            non_negative("pv_target_kw", pv_target_kw)
        if boiler_power_limit_kw is not None:
            non_negative("boiler_power_limit_kw", boiler_power_limit_kw)

        # The boiler goes first: it is the one model that can still refuse a step its own checks allow (a
        # step spanning more thermostat cycles than it integrates), and then nothing else has moved yet.
        draw_l_min = self.draw.flow_l_min(when)
        boiler = self.boiler.step(
            dt_s, draw_l_min=draw_l_min, ambient_c=ambient_c, power_limit_kw=boiler_power_limit_kw
        )
        sun = self.location.sun_at(when.timestamp())
        sky = self.clouds.step(dt_s, self.clear_sky.irradiance(sun))
        poa = self.orientation.irradiance(sun, sky)
        pv = self.pv.step(
            dt_s, poa_w_m2=poa.global_w_m2, ambient_c=ambient_c, wind_m_s=wind_m_s, target_kw=pv_target_kw
        )
        battery = self.battery.step(dt_s, battery_setpoint_kw, ambient_c)
        load = self.load.step(dt_s, when)
        meter = self.meter.step(
            dt_s,
            site_load_kw=load.power_kw,
            power_outputs_kw=(pv.power_output_kw, battery.power_output_kw, boiler.power_output_kw),
        )
        return SiteReading(sun, sky, poa, pv, battery, boiler, draw_l_min, load, meter)

    def conditions(self, dt_s: float, when: datetime) -> SiteConditions:
        """Advance the weather and the demand by ``dt_s`` to ``when`` (timezone-aware, the end of the step).

        The half of :meth:`step` that no set-point changes, with the same arithmetic: of a twin site, one
        advanced by :meth:`step` and one by this and :meth:`step_equipment`, every reading is the same. Only
        the cloud and load models move.
        """
        step_seconds(dt_s)
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError(f"when must be timezone-aware (UTC by convention), got naive {when.isoformat()}")
        draw_l_min = self.draw.flow_l_min(when)
        sun = self.location.sun_at(when.timestamp())
        sky = self.clouds.step(dt_s, self.clear_sky.irradiance(sun))
        poa = self.orientation.irradiance(sun, sky)
        load = self.load.step(dt_s, when)
        return SiteConditions(sun, sky, poa, draw_l_min, load)

    def step_equipment(
        self,
        series: ExogenousSeries,
        index: int,
        *,
        battery_setpoint_kw: float = 0.0,
        pv_target_kw: float | None = None,
        boiler_power_limit_kw: float | None = None,
    ) -> EquipmentReading:
        """Advance PV, battery, boiler and meter by step ``index`` of ``series`` under the set-points.

        The half of :meth:`step` that set-points steer; the weather, load and draw come from the series.
        The set-points are checked on every call (as floats from then on); the series' values were checked
        as they were appended and are not checked again. A rejected step (a bad set-point, an index outside
        the series, a step the boiler refuses) changes no model. It is the one-step stretch of
        :meth:`equipment_steps`: the same arithmetic.
        """
        if not (0 <= index < len(series)):
            raise ValueError(f"index must be within the series' {len(series)} steps, got {index!r}")
        return next(
            self.equipment_steps(
                series,
                index,
                index + 1,
                battery_setpoint_kw=battery_setpoint_kw,
                pv_target_kw=pv_target_kw,
                boiler_power_limit_kw=boiler_power_limit_kw,
            )
        )

    def equipment_steps(
        self,
        series: ExogenousSeries,
        start: int,
        stop: int,
        *,
        battery_setpoint_kw: float = 0.0,
        pv_target_kw: float | None = None,
        boiler_power_limit_kw: float | None = None,
    ) -> Iterator[EquipmentReading]:
        """:meth:`step_equipment` for steps ``start`` to ``stop - 1`` of ``series`` under set-points held
        throughout; the steps are taken one by one as the readings are consumed.

        The set-points and the range are checked once, here, before the first step (a simulator holds its
        set-points between two calls of a driver, thousands of steps at 1 s). A step the boiler refuses
        raises from the iteration and leaves every model after the step before it.
        """
        if not (0 <= start <= stop <= len(series)):
            raise ValueError(
                f"the steps must be a range within the series' {len(series)} steps, got {start!r} to {stop!r}"
            )
        battery_setpoint_kw = finite("battery_setpoint_kw", battery_setpoint_kw)
        if pv_target_kw is not None:
            pv_target_kw = non_negative("pv_target_kw", pv_target_kw)
        if boiler_power_limit_kw is not None:
            boiler_power_limit_kw = non_negative("boiler_power_limit_kw", boiler_power_limit_kw)
        return self._equipment_steps(
            series, start, stop, battery_setpoint_kw, pv_target_kw, boiler_power_limit_kw
        )

    def _equipment_steps(
        self,
        series: ExogenousSeries,
        start: int,
        stop: int,
        battery_setpoint_kw: float,
        pv_target_kw: float | None,
        boiler_power_limit_kw: float | None,
    ) -> Iterator[EquipmentReading]:
        # The models' own step() would check the series' values again, every step: their unchecked halves
        # run instead, in the order of step() (the boiler first: it may still refuse, and nothing has moved).
        # The series' arrays themselves, not its properties: a simulator takes a stretch per driver call, a
        # few steps at a time, and six property calls cost more than the rest of setting one up.
        dt_s = series._step_s  # pyright: ignore[reportPrivateUsage]
        poas = series._poa_w_m2  # pyright: ignore[reportPrivateUsage]
        airs = series._ambient_c  # pyright: ignore[reportPrivateUsage]
        winds = series._wind_m_s  # pyright: ignore[reportPrivateUsage]
        draws = series._draw_l_min  # pyright: ignore[reportPrivateUsage]
        loads = series._site_load_kw  # pyright: ignore[reportPrivateUsage]
        boiler_step = self.boiler._advance  # pyright: ignore[reportPrivateUsage]
        pv_step = self.pv._advance  # pyright: ignore[reportPrivateUsage]
        battery_step = self.battery._advance  # pyright: ignore[reportPrivateUsage]
        meter_step = self.meter._advance  # pyright: ignore[reportPrivateUsage]
        for index in range(start, stop):
            ambient_c = airs[index]
            boiler = boiler_step(dt_s, draws[index], ambient_c, boiler_power_limit_kw)
            pv = pv_step(dt_s, poas[index], ambient_c, winds[index], pv_target_kw)
            battery = battery_step(dt_s, battery_setpoint_kw, ambient_c)
            site_load_kw = loads[index]
            meter = meter_step(
                dt_s, (site_load_kw, -pv.power_output_kw, -battery.power_output_kw, -boiler.power_output_kw)
            )
            yield new_reading(EquipmentReading, (pv, battery, boiler, site_load_kw, meter))


def example_site(
    rng: random.Random,
    *,
    regime: CloudRegime = BROKEN_DAY,
    location: Location | None = None,
    tz: tzinfo = UTC,
) -> Site:
    """A plausible small industrial site (Berlin unless ``location`` is given), seeded from ``rng``.

    100 kWp of PV on an 80 kW inverter, a 200 kWh / 100 kW battery, a 150 kW electric boiler on a 5 m³
    tank feeding a two-shift process, and 600 MWh a year of industrial base load. The cloud and load models
    draw their own generators from ``rng``, so adding a draw to one never shifts the other's sequence.
    """
    return Site(
        location=location if location is not None else Location(52.52, 13.40, 34.0),
        orientation=ArrayOrientation(tilt_deg=30.0, azimuth_deg=180.0),
        # Seeded simulation generators, not cryptography: reproducibility is the point.
        clouds=CloudModel(regime, random.Random(rng.getrandbits(64))),  # noqa: S311
        pv=PvSystem(PvParams(dc_rating_kw=100.0, ac_rating_kw=80.0)),
        battery=Battery(BatteryParams(capacity_kwh=200.0, inverter_rating_kw=100.0)),
        boiler=Boiler(BoilerParams(rated_power_kw=150.0, tank_volume_l=5000.0)),
        draw=two_shift_process_draw(40.0, tz),
        load=SiteLoad(
            SiteLoadParams(LoadShape.INDUSTRIAL, 600_000.0, tz=tz),
            random.Random(rng.getrandbits(64)),  # noqa: S311
        ),
        meter=GridMeter(),
    )
