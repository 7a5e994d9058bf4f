from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Modules run on asyncio on a device and on trio (virtual time) in the simulator: test both."""
    return request.param


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer_provider(spans: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    return provider


def context_of(span: ReadableSpan) -> SpanContext:
    """A finished span's context (typed as optional by the SDK, always set once the span has ended)."""
    assert span.context is not None
    return span.context


def parent_of(span: ReadableSpan) -> SpanContext:
    assert span.parent is not None, f"span {span.name!r} has no parent"
    return span.parent
