"""The container's entry point: the simulated inverter built from the environment."""

from __future__ import annotations

import anyio
import pytest
from opentelemetry.sdk.trace import TracerProvider
from solar_module import SimulatedSolarDriver, SolarAsset
from solar_module.main import build

from energy_edge.messaging import TELEMETRY, SolarInverterTelemetry, Telemetry
from energy_edge.messaging.edge import EdgeClient, InProcessHub, MethodResponse
from energy_edge.messaging.manifest import load_manifest
from energy_edge.modulehost import serve_asset_module
from energy_edge.modulehost.testing import find_deployment_template
from energy_edge.physics import BROKEN_DAY, OVERCAST_DAY


def driver_built_from(environ: dict[str, str]) -> SimulatedSolarDriver:
    asset = build("solar-01", environ)
    assert isinstance(asset, SolarAsset)
    assert asset.asset_id == "solar-01"
    assert isinstance(asset.driver, SimulatedSolarDriver)
    return asset.driver


def test_without_settings_it_simulates_a_berlin_array_on_a_day_of_broken_cloud() -> None:
    driver = driver_built_from({})
    assert (driver.location.latitude_deg, driver.location.longitude_deg) == (52.52, 13.40)
    assert (driver.pv.params.dc_rating_kw, driver.pv.params.ac_rating_kw) == (100.0, 80.0)
    assert (driver.orientation.tilt_deg, driver.orientation.azimuth_deg) == (30.0, 180.0)
    assert driver.clouds is not None
    assert driver.clouds.regime is BROKEN_DAY
    assert driver.ambient_c == 20.0


def test_the_environment_describes_the_site_and_the_array() -> None:
    driver = driver_built_from(
        {
            "SOLAR_DRIVER": "simulated",
            "SITE_LATITUDE": "48.14",
            "SITE_LONGITUDE": "11.58",
            "SITE_ALTITUDE_M": "519",
            "PV_KWP": "250",
            "PV_INVERTER_KW": "200",
            "PV_TILT_DEG": "15",
            "PV_AZIMUTH_DEG": "200",
            "WEATHER": "overcast",
            "AMBIENT_C": "-5",
        }
    )
    assert (driver.location.latitude_deg, driver.location.altitude_m) == (48.14, 519.0)
    assert driver.clear_sky.altitude_m == 519.0
    assert (driver.pv.params.dc_rating_kw, driver.rated_kw) == (250.0, 200.0)
    assert (driver.orientation.tilt_deg, driver.orientation.azimuth_deg) == (15.0, 200.0)
    assert driver.clouds is not None
    assert driver.clouds.regime is OVERCAST_DAY
    assert driver.ambient_c == -5.0


def test_the_weather_seed_chooses_the_cloud_sequence() -> None:
    def first_cover(seed: str) -> float:
        clouds = driver_built_from({"WEATHER_SEED": seed}).clouds
        assert clouds is not None
        return clouds.cloud_cover

    assert first_cover("11") == first_cover("11")
    assert first_cover("11") != first_cover("12")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SOLAR_DRIVER": "sunspec"}, "SOLAR_DRIVER='sunspec': only 'simulated' is available"),
        ({"WEATHER": "sunny"}, "WEATHER='sunny': expected one of clear, broken, overcast"),
        ({"WEATHER_SEED": "x1"}, "WEATHER_SEED='x1': expected an integer"),
        ({"PV_KWP": "lots"}, "PV_KWP='lots': expected a number"),
        ({"SITE_LATITUDE": "95"}, "latitude_deg must be within"),
        ({"PV_INVERTER_KW": "0"}, "ac_rating_kw must be a finite number > 0"),
        ({"PV_TILT_DEG": "nan"}, "tilt_deg must be within"),
        ({"AMBIENT_C": "99"}, "ambient_c must be within"),
    ],
)
def test_a_bad_setting_stops_the_module_with_a_clear_reason(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SystemExit, match=message):
        build("solar-01", environ)


@pytest.mark.anyio
async def test_the_built_module_serves_on_the_hub_as_the_console_script_runs_it() -> None:
    environ = {
        "IOTEDGE_DEVICEID": "edge-device-01",
        "IOTEDGE_MODULEID": "solar-module",
        "ASSET_ID": "solar-07",
    }
    with InProcessHub(load_manifest(find_deployment_template())) as hub:

        def client(tracer_provider: TracerProvider | None) -> EdgeClient:
            return hub.client("solar-module")

        response: MethodResponse | None = None
        first: Telemetry | None = None
        async with hub.client("controller-module") as controller, anyio.create_task_group() as tasks:
            await tasks.start(serve_asset_module, build, environ, client)
            await anyio.sleep(5)
            response = await controller.invoke_method("solar-module", "set_output", {"target_kw": 20.0})
            async for message in controller.messages("telemetry"):
                first = TELEMETRY.decode(message.body)
                break
            tasks.cancel_scope.cancel()
        reported = hub.twins["solar-module"].reported
    assert response is not None
    assert response.status == 200
    assert isinstance(first, SolarInverterTelemetry)
    assert first.asset_id == "solar-07"
    assert first.output_limit_kw == 40.0  # the manifest's fallback, before any set-point
    assert reported["state"] == "RUNNING"  # started by itself: auto_start is on for PV
    assert reported["config"]["max_output_kw"] == 80.0
