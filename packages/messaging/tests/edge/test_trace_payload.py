from __future__ import annotations

from energy_edge.messaging.edge.tracing import TRACE_CONTEXT_KEY, unwrap_payload, wrap_payload

HEADERS = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}


def test_trace_context_rides_under_one_reserved_key_and_is_stripped() -> None:
    wrapped = wrap_payload({"target_kw": 30.0}, HEADERS)
    assert wrapped == {"target_kw": 30.0, TRACE_CONTEXT_KEY: HEADERS}
    assert unwrap_payload(wrapped) == ({"target_kw": 30.0}, HEADERS)


def test_null_payload_becomes_an_object_carrying_only_the_context() -> None:
    assert unwrap_payload(wrap_payload(None, HEADERS)) == ({}, HEADERS)


def test_payloads_that_cannot_carry_a_key_are_sent_untouched() -> None:
    assert wrap_payload([1, 2], HEADERS) == [1, 2]
    assert wrap_payload(30.0, HEADERS) == 30.0


def test_nothing_is_added_when_nothing_is_traced() -> None:
    assert wrap_payload({"power_kw": 5.0}, {}) == {"power_kw": 5.0}


def test_a_malformed_trace_entry_is_stripped_and_ignored() -> None:
    assert unwrap_payload({"power_kw": 5.0, TRACE_CONTEXT_KEY: "garbage"}) == ({"power_kw": 5.0}, {})
    assert unwrap_payload({"power_kw": 5.0, TRACE_CONTEXT_KEY: {"traceparent": 7}}) == ({"power_kw": 5.0}, {})
