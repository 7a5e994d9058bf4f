from __future__ import annotations

import msgspec
import pytest
from battery_module import BatteryConfig


def test_defaults_form_a_valid_window() -> None:
    config = BatteryConfig()
    assert config.soc_min_percent < config.soc_max_percent


def test_the_soc_window_must_be_open() -> None:
    with pytest.raises(msgspec.ValidationError, match=r"soc_min_percent .* must be below soc_max_percent"):
        msgspec.convert({"soc_min_percent": 80.0, "soc_max_percent": 80.0}, BatteryConfig)


@pytest.mark.parametrize("field", ["max_charge_kw", "max_discharge_kw"])
def test_power_limits_are_positive(field: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=field):
        msgspec.convert({field: 0.0}, BatteryConfig)
