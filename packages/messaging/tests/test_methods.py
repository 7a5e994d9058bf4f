"""Direct-method payloads of the seed's table and the response bodies of DESIGN.md."""

from __future__ import annotations

import json

import pytest

from energy_edge.messaging import (
    METHOD_RESULT,
    NO_ARGUMENTS,
    SET_OUTPUT,
    SET_POWER,
    SET_TEMPERATURE,
    CommandAccepted,
    CommandRejected,
    MessageDecodeError,
    MethodStatus,
    NoArguments,
    SetOutput,
    SetPower,
    SetTemperature,
)
from energy_edge.statemachine import AssetState


def test_seed_payloads_convert_from_parsed_json() -> None:
    assert SET_OUTPUT.convert({"target_kw": 30}) == SetOutput(target_kw=30.0)
    assert SET_POWER.convert({"power_kw": 12.5}) == SetPower(power_kw=12.5)
    assert SET_TEMPERATURE.convert({"target_celsius": 75.0}) == SetTemperature(target_celsius=75.0)


@pytest.mark.parametrize("payload", [None, {}, {"note": "ignored"}])
def test_methods_without_arguments_accept_null_or_an_object(payload: object) -> None:
    assert NO_ARGUMENTS.convert(payload) == NoArguments()


def test_methods_without_arguments_reject_other_json() -> None:
    with pytest.raises(MessageDecodeError, match="Expected `object`, got `str`"):
        NO_ARGUMENTS.convert("start")


def test_negative_target_kw_is_rejected() -> None:
    with pytest.raises(MessageDecodeError, match=r"Expected `float` >= 0.0 - at `\$.target_kw`"):
        SET_OUTPUT.convert({"target_kw": -1.0})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_are_rejected_by_name(value: float) -> None:
    with pytest.raises(MessageDecodeError) as caught:
        SET_POWER.convert({"power_kw": value})
    assert caught.value.reason == "non-finite number at `$.power_kw`"


def test_non_finite_numbers_are_found_inside_nested_values() -> None:
    with pytest.raises(MessageDecodeError, match=r"non-finite number at `\$.extra\[1\]`"):
        SET_POWER.convert({"power_kw": 1.0, "extra": [1.0, float("nan")]})


@pytest.mark.parametrize(
    "payload",
    [{"target_kw": "30"}, {"target_kw": True}, {"target_kw": None}, {}, [30.0], 30.0],
    ids=["string", "bool", "null", "missing", "array", "bare-number"],
)
def test_set_output_rejects_wrong_shapes(payload: object) -> None:
    with pytest.raises(MessageDecodeError) as caught:
        SET_OUTPUT.convert(payload)
    assert caught.value.reason


def test_temperature_outside_the_physical_range_is_rejected() -> None:
    with pytest.raises(MessageDecodeError, match="target_celsius"):
        SET_TEMPERATURE.convert({"target_celsius": 900.0})


def test_accepted_response_has_status_ok_and_only_what_is_known() -> None:
    body = METHOD_RESULT.encode(CommandAccepted(state=AssetState.RUNNING, actual_kw=30.0))
    assert json.loads(body) == {"status": "ok", "state": "RUNNING", "actual_kw": 30.0}


def test_rejected_response_has_status_error_and_a_reason() -> None:
    body = METHOD_RESULT.encode(CommandRejected(error="event 'start' is not allowed in state FAULT"))
    assert json.loads(body) == {"status": "error", "error": "event 'start' is not allowed in state FAULT"}


def test_caller_decodes_either_response_with_one_decoder() -> None:
    assert METHOD_RESULT.decode(b'{"status":"ok","actual_kw":30.0}') == CommandAccepted(actual_kw=30.0)
    assert METHOD_RESULT.decode(b'{"status":"error","error":"no"}') == CommandRejected(error="no")
    assert METHOD_RESULT.convert({"status": "ok"}) == CommandAccepted()


def test_status_codes_are_those_of_the_design() -> None:
    assert [int(s) for s in MethodStatus] == [200, 400, 404, 409, 500]
