from __future__ import annotations

import json
import math

import msgspec
import pytest
from solar_module import SolarConfig

from energy_edge.modulehost.testing import find_deployment_template

from ..conftest import DESIRED


def test_defaults_are_the_manifests_values_and_the_inverter_starts_by_itself() -> None:
    config = SolarConfig()
    assert (config.max_output_kw, config.fault_threshold, config.fallback_output_kw) == (80.0, 0.85, 40.0)
    assert config.fault_window_s == 300.0
    assert config.auto_start is True  # PV feeds in without being told; the host's default is False


def test_the_manifests_desired_properties_are_a_valid_configuration() -> None:
    template = json.loads(find_deployment_template().read_text())
    desired = template["modulesContent"]["solar-module"]["properties.desired"]
    assert desired == DESIRED  # the tests' copy is the manifest's
    config = msgspec.convert(desired, SolarConfig, strict=True)
    assert config.fallback_output_kw == 40.0


def test_the_fallback_must_not_exceed_the_maximum() -> None:
    with pytest.raises(
        msgspec.ValidationError, match=r"fallback_output_kw \(90\) must not exceed max_output_kw \(80\)"
    ):
        msgspec.convert({"max_output_kw": 80.0, "fallback_output_kw": 90.0}, SolarConfig)


@pytest.mark.parametrize("fallback_kw", [0.0, 80.0])
def test_the_fallback_may_stop_feed_in_or_equal_the_maximum(fallback_kw: float) -> None:
    config = msgspec.convert({"fallback_output_kw": fallback_kw}, SolarConfig)
    assert config.fallback_output_kw == fallback_kw


@pytest.mark.parametrize("threshold", [-0.1, 1.01, math.nan])
def test_the_fault_threshold_is_a_fraction(threshold: float) -> None:
    with pytest.raises(msgspec.ValidationError, match="fault_threshold"):
        msgspec.convert({"fault_threshold": threshold}, SolarConfig)


@pytest.mark.parametrize(("field", "value"), [("max_output_kw", 0.0), ("fault_window_s", 5.0)])
def test_limits_and_windows_have_a_floor(field: str, value: float) -> None:
    with pytest.raises(msgspec.ValidationError, match=field):
        msgspec.convert({field: value}, SolarConfig)


def test_a_misspelt_setting_is_refused() -> None:
    with pytest.raises(msgspec.ValidationError, match="unknown field `max_ouput_kw`"):
        msgspec.convert({"max_ouput_kw": 60.0}, SolarConfig)
