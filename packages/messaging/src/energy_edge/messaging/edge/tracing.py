"""W3C trace context across IoT Edge hops, so each command is one trace from controller to asset.

- Messages carry ``traceparent``/``tracestate`` as application properties (edgeHub forwards them untouched).
- Direct methods have no property channel (the MQTT request topic carries only ``$rid``, edgeHub's HTTP body
  only methodName/payload/timeouts), so the caller puts the context into the JSON payload under the one
  reserved key :data:`TRACE_CONTEXT_KEY`; the serving side strips it before the handler sees the payload.

Span names and attributes follow OpenTelemetry's RPC and messaging semantic conventions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACE_CONTEXT_KEY: Final = "$trace"
"""Reserved key of a direct-method payload: ``{"traceparent": ..., "tracestate": ...}``."""

RPC_SYSTEM: Final = "azure_iot_edge"
MESSAGING_SYSTEM: Final = "azure_iot_edge"
INSTRUMENTATION_NAME: Final = "energy_edge.messaging"

# The contract is W3C Trace Context, whatever global propagator a process configured.
_PROPAGATOR: Final = TraceContextTextMapPropagator()
_CARRIER_KEYS: Final = ("traceparent", "tracestate")


def inject(context: Context | None = None) -> dict[str, str]:
    """The W3C headers of ``context`` (default: the current one); empty when nothing is being traced."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=context)
    return carrier


def extract(carrier: Mapping[str, str]) -> Context:
    """A context whose remote parent is the span named by ``traceparent`` in ``carrier`` (if valid)."""
    return _PROPAGATOR.extract({key: carrier[key] for key in _CARRIER_KEYS if key in carrier})


def wrap_payload(payload: Any, headers: Mapping[str, str]) -> Any:
    """Add trace headers to a method payload.

    Only a JSON object or ``null`` can carry the key (``null`` becomes ``{"$trace": ...}``, which the
    argument-less methods accept as ``{}``); any other payload is sent untouched, untraced.
    """
    if not headers:
        return payload
    if payload is None:
        return {TRACE_CONTEXT_KEY: dict(headers)}
    if isinstance(payload, dict):
        return {**cast("dict[str, Any]", payload), TRACE_CONTEXT_KEY: dict(headers)}
    return payload


def unwrap_payload(payload: Any) -> tuple[Any, dict[str, str]]:
    """Split a received method payload into (what the handler sees, trace headers)."""
    if not isinstance(payload, dict):
        return payload, {}
    fields = dict(cast("dict[str, Any]", payload))
    if TRACE_CONTEXT_KEY not in fields:
        return fields, {}
    headers = fields.pop(TRACE_CONTEXT_KEY)
    if not isinstance(headers, dict):
        return fields, {}
    items = cast("dict[object, object]", headers).items()
    return fields, {str(key): value for key, value in items if isinstance(value, str)}
