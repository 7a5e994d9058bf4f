"""Drivers that bind each asset module to the shared site model, one per module's driver protocol.

A driver is what a module would use to reach real equipment; here every call first advances the site
model to the current virtual time, then reads or commands it. The modules cannot tell the difference from
their own simulated drivers or from hardware: they speak only their driver protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from battery_module import BatteryMeasurement
from battery_module import FaultPersistsError as BatteryFaultPersists
from boiler_module.driver import BoilerMeasurement, BoilerRatings
from boiler_module.driver import FaultPersistsError as BoilerFaultPersists
from meter_module.driver import MeterMeasurement
from solar_module.driver import FaultPersistsError as SolarFaultPersists
from solar_module.driver import SolarMeasurement

from energy_edge.physics import FaultPersistsError as PhysicsFaultPersists
from energy_edge.sim.site_model import SiteModel

Now = Callable[[], float]
"""Seconds since the start of the run, on the simulation's virtual clock."""

CONTACTOR_OPEN_BELOW_KW: Final = 0.05
NOMINAL_VOLTAGE_V: Final = 230.0
NOMINAL_FREQUENCY_HZ: Final = 50.0


class SiteBattery:
    """``battery_module.BatteryDriver`` on the site model: contactor, set-point, BMS trip."""

    def __init__(self, model: SiteModel, now: Now) -> None:
        self._model = model
        self._now = now
        self._disconnecting = False

    async def read(self) -> BatteryMeasurement:
        model = self._model
        reading = model.advance_to(self._now())
        battery = model.site.battery
        params = battery.params
        if reading is None:  # not stepped yet: the battery as built
            power_kw, soc, temperature_c = battery.power_kw, battery.soc, battery.temperature_c
            max_charge_kw, max_discharge_kw = params.max_charge_kw, params.max_discharge_kw
        else:  # the last step's reading: the same values, read without a property call each
            state = reading.battery
            power_kw, soc, temperature_c = state.power_output_kw, state.soc, state.temperature_c
            max_charge_kw, max_discharge_kw = state.max_charge_kw, state.max_discharge_kw
        if self._disconnecting and abs(power_kw) < CONTACTOR_OPEN_BELOW_KW:
            model.battery_connected = self._disconnecting = False
        return BatteryMeasurement(
            power_kw=power_kw,
            soc_percent=soc * 100.0,
            temperature_c=temperature_c,
            capacity_kwh=params.capacity_kwh,
            max_charge_kw=max_charge_kw,
            max_discharge_kw=max_discharge_kw,
            running=model.battery_connected,
            fault=battery.fault,  # from the battery itself: a reset clears it between steps
        )

    async def connect(self) -> None:
        self._model.advance_to(self._now())
        self._model.battery_connected, self._disconnecting = True, False

    async def disconnect(self) -> None:
        self._model.advance_to(self._now())
        self._model.battery_setpoint_kw = 0.0
        self._disconnecting = self._model.battery_connected

    async def set_power(self, power_kw: float) -> None:
        self._model.advance_to(self._now())
        self._model.battery_setpoint_kw = power_kw

    async def acknowledge_fault(self) -> None:
        self._model.advance_to(self._now())
        try:
            self._model.site.battery.reset_fault()
        except PhysicsFaultPersists as error:
            raise BatteryFaultPersists(str(error)) from error


class SiteSolar:
    """``solar_module.SolarDriver`` on the site model: feed-in on/off and the active-power limit."""

    def __init__(self, model: SiteModel, now: Now) -> None:
        self._model = model
        self._now = now

    async def read(self) -> SolarMeasurement:
        model = self._model
        reading = model.advance_to(self._now())
        pv = model.site.pv
        # min() spelled out with its rule (the first unless the second is smaller), here and below: every
        # tick reads the inverter, and the builtin's call costs more than the comparison.
        limit = rated = pv.params.ac_rating_kw
        if model.pv_limit_kw is not None and model.pv_limit_kw < rated:
            limit = model.pv_limit_kw
        if reading is None:
            return SolarMeasurement(
                0.0, 0.0, 0.0, model.scenario.weather.ambient_c, 0.0, limit, rated, model.pv_enabled, pv.fault
            )
        pv_reading = reading.pv
        efficiency = pv_reading.efficiency
        return SolarMeasurement(
            power_kw=pv_reading.power_output_kw,
            irradiance_w_m2=pv_reading.irradiance_w_m2,
            efficiency=1.0 if efficiency > 1.0 else efficiency,
            temperature_c=pv_reading.temperature_c,
            available_kw=pv_reading.available_kw,
            output_limit_kw=limit,
            rated_kw=rated,
            running=model.pv_enabled,
            fault=pv.fault,
        )

    async def start(self) -> None:
        self._model.advance_to(self._now())
        self._model.pv_enabled = True

    async def stop(self) -> None:
        self._model.advance_to(self._now())
        self._model.pv_enabled = False

    async def set_output_limit(self, limit_kw: float | None) -> None:
        self._model.advance_to(self._now())
        self._model.pv_limit_kw = limit_kw

    async def acknowledge_fault(self) -> None:
        self._model.advance_to(self._now())
        try:
            self._model.site.pv.reset_fault()
        except PhysicsFaultPersists as error:
            raise SolarFaultPersists(str(error)) from error


class SiteBoiler:
    """``boiler_module.BoilerDriver`` on the site model: heater enable, thermostat target, power limit."""

    def __init__(self, model: SiteModel, now: Now) -> None:
        self._model = model
        self._now = now
        params = model.site.boiler.params
        self._ratings = BoilerRatings(
            rated_power_kw=params.rated_power_kw,
            min_power_kw=params.min_power_kw,
            min_target_celsius=params.cold_water_c + params.hysteresis_k / 2.0,
            max_target_celsius=params.max_target_celsius,
            trip_celsius=params.max_temperature_c,
            hysteresis_k=params.hysteresis_k,
        )

    @property
    def ratings(self) -> BoilerRatings:
        return self._ratings

    async def read(self) -> BoilerMeasurement:
        model = self._model
        reading = model.advance_to(self._now())
        boiler = model.site.boiler
        state = None if reading is None else reading.boiler  # the last step's: its water, read cheaply
        return BoilerMeasurement(
            power_kw=0.0 if state is None else state.power_output_kw,
            temperature_c=boiler.temperature_c if state is None else state.temperature_c,
            # From the boiler itself: a target and a reset change these between steps.
            target_celsius=boiler.target_celsius,
            rated_power_kw=boiler.params.rated_power_kw,
            heating=False if state is None else state.heating,
            running=model.boiler_enabled,
            fault=boiler.fault,
        )

    async def start(self) -> None:
        self._model.advance_to(self._now())
        self._model.boiler_enabled = True

    async def stop(self) -> None:
        self._model.advance_to(self._now())
        self._model.boiler_enabled = False

    async def set_target(self, celsius: float) -> None:
        self._model.advance_to(self._now())
        self._model.site.boiler.target_celsius = celsius

    async def set_power_limit(self, kw: float) -> None:
        self._model.advance_to(self._now())
        self._model.boiler_power_limit_kw = kw

    async def acknowledge_fault(self) -> None:
        self._model.advance_to(self._now())
        try:
            self._model.site.boiler.reset_fault()
        except PhysicsFaultPersists as error:
            raise BoilerFaultPersists(str(error)) from error


class SiteMeter:
    """``meter_module.MeterDriver`` on the site model: the connection point, where every flow adds up."""

    def __init__(self, model: SiteModel, now: Now) -> None:
        self._model = model
        self._now = now

    async def read(self) -> MeterMeasurement:
        model = self._model
        reading = model.advance_to(self._now())
        if reading is None:  # not stepped yet: the registers as the meter was built
            meter = model.site.meter
            power_kw, imported, exported = 0.0, meter.import_energy_kwh, meter.export_energy_kwh
        else:  # the last step's reading: the registers as they stand, without a property call each
            power_kw, imported, exported, _ = reading.meter
        return MeterMeasurement(
            power_kw=power_kw,
            import_energy_kwh=imported,
            export_energy_kwh=exported,
            site_load_kw=None if reading is None else reading.site_load_kw,
            voltage_v=NOMINAL_VOLTAGE_V,
            frequency_hz=NOMINAL_FREQUENCY_HZ,
        )

    async def acknowledge_fault(self) -> None:
        self._model.advance_to(self._now())
