"""The HTTP GET of a scrape: the response parser on its own, and real servers on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.abc
import pytest
from telemetry_module.config import parse_endpoint
from telemetry_module.fetch import FetchError, ResponseParser, http_get, request_bytes

from ..servers import ScriptedServer, app_registry, closed_port, prometheus_server

BODY = b'# TYPE up gauge\nup{job="x"} 1\n' * 50


def chunked(body: bytes, size: int) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return (
        b"".join(b"%x;ext=1\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\nX-Trailer: y\r\n\r\n"
    )


def parse(response: bytes, *, step: int | None = None, max_body_bytes: int = 1 << 20) -> bytes:
    """Feed ``response`` in pieces of ``step`` bytes (all at once by default), then end the stream."""
    parser = ResponseParser(max_body_bytes=max_body_bytes)
    step = step or len(response)
    for start in range(0, len(response), step):
        parser.feed(response[start : start + step])
    if not parser.complete:
        parser.end_of_stream()
    return parser.body()


HEAD_OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"


@pytest.mark.parametrize("step", [None, 1, 7])
def test_content_length_body(step: int | None) -> None:
    response = HEAD_OK + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY
    assert parse(response, step=step) == BODY


@pytest.mark.parametrize(("step", "chunk"), [(None, 100), (1, 100), (5, 3), (64, 1000)])
def test_chunked_body(step: int | None, chunk: int) -> None:
    response = HEAD_OK + b"Transfer-Encoding: chunked\r\n\r\n" + chunked(BODY, chunk)
    parser = ResponseParser()
    for start in range(0, len(response), step or len(response)):
        parser.feed(response[start : start + (step or len(response))])
    assert parser.complete  # without waiting for the server to close
    assert parser.body() == BODY


def test_body_delimited_by_the_server_closing() -> None:
    assert parse(b"HTTP/1.0 200 OK\r\n\r\n" + BODY, step=10) == BODY


def test_a_complete_response_is_known_before_the_connection_closes() -> None:
    parser = ResponseParser()
    parser.feed(HEAD_OK + b"Content-Length: 4\r\n\r\nup 1")
    assert parser.complete
    assert parser.body() == b"up 1"


@pytest.mark.parametrize(
    ("response", "result", "reason"),
    [
        (b"HTTP/1.1 404 Not Found\r\n\r\n", "http_error", "HTTP 404 Not Found"),
        (b"HTTP/1.1 500\r\nContent-Length: 0\r\n\r\n", "http_error", "HTTP 500"),
        (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "http_error", "not an HTTP response"),
        (b"HTTP/1.1 200 OK\r\nBroken header\r\n\r\n", "http_error", "malformed HTTP header"),
        (HEAD_OK + b"Content-Encoding: gzip\r\n\r\n", "http_error", "unsupported Content-Encoding 'gzip'"),
        (HEAD_OK + b"Content-Length: ten\r\n\r\n", "http_error", "invalid Content-Length"),
        (
            HEAD_OK + b"Content-Length: 10\r\n\r\nup 1",
            "http_error",
            "closed before the end of the response body",
        ),
        (HEAD_OK + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", "http_error", "chunk size"),
        (HEAD_OK + b"Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", "http_error", "not followed by CRLF"),
        (HEAD_OK + b"Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n", "http_error", "closed before the end"),
        (b"HTTP/1.1 200 OK\r\nContent-Le", "http_error", "before a complete HTTP response head"),
        (HEAD_OK + b"Content-Length: 2000000\r\n\r\n", "too_large", "exceeds"),
        (b"HTTP/1.0 200 OK\r\n\r\n" + b"x" * 1_100_000, "too_large", "exceeds"),
        (
            HEAD_OK + b"Transfer-Encoding: chunked\r\n\r\n" + chunked(b"x" * 1_100_000, 65536),
            "too_large",
            "exceeds",
        ),
    ],
)
def test_bad_responses(response: bytes, result: str, reason: str) -> None:
    with pytest.raises(FetchError, match=reason) as raised:
        parse(response, max_body_bytes=1 << 20)
    assert raised.value.result == result


def test_the_request() -> None:
    request = request_bytes(parse_endpoint("http://battery-module:9600/metrics?name[]=up"))
    assert request.startswith(b"GET /metrics?name[]=up HTTP/1.1\r\nHost: battery-module:9600\r\n")
    assert b"Connection: close\r\n" in request
    assert b"Accept-Encoding: identity\r\n" in request
    assert request.endswith(b"\r\n\r\n")
    assert b"Host: meter\r\n" in request_bytes(parse_endpoint("http://meter/metrics"))


# -- real servers ------------------------------------------------------------------------------------------

pytestmark = pytest.mark.anyio


async def test_get_from_prometheus_clients_own_server() -> None:
    with prometheus_server(app_registry("a", requests=5)) as url:
        body = await http_get(parse_endpoint(url))
    assert b'app_requests_total{app="a",code="200"} 5.0' in body


async def test_a_closed_port_is_a_connection_error() -> None:
    with pytest.raises(FetchError, match="cannot connect") as raised:
        await http_get(parse_endpoint(f"http://127.0.0.1:{closed_port()}/metrics"))
    assert raised.value.result == "connection_error"


async def test_an_http_error_status() -> None:
    with ScriptedServer(b"nope", status=503) as server, pytest.raises(FetchError, match="HTTP 503") as raised:
        await http_get(parse_endpoint(server.url))
    assert raised.value.result == "http_error"


async def test_the_callers_timeout_cancels_a_slow_fetch_at_once() -> None:
    with ScriptedServer(BODY, delay_s=5.0) as server:
        started = anyio.current_time()
        with pytest.raises(TimeoutError), anyio.fail_after(0.1):
            await http_get(parse_endpoint(server.url))
        assert anyio.current_time() - started < 0.5


@asynccontextmanager
async def raw_server(response: bytes) -> AsyncIterator[str]:
    """A TCP server that answers any request with ``response`` bytes, then closes."""

    async def answer(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            await stream.receive()
            await stream.send(response)

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    async with listener, anyio.create_task_group() as tasks:
        tasks.start_soon(listener.serve, answer)
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        yield f"http://127.0.0.1:{port}/metrics"
        tasks.cancel_scope.cancel()


async def test_a_chunked_response_over_a_socket() -> None:
    async with raw_server(HEAD_OK + b"Transfer-Encoding: chunked\r\n\r\n" + chunked(BODY, 50)) as url:
        assert await http_get(parse_endpoint(url)) == BODY


async def test_a_close_delimited_response_over_a_socket() -> None:
    async with raw_server(b"HTTP/1.0 200 OK\r\n\r\n" + BODY) as url:
        assert await http_get(parse_endpoint(url)) == BODY


async def test_a_connection_closed_mid_body() -> None:
    async with raw_server(HEAD_OK + b"Content-Length: 1000\r\n\r\nup 1\n") as url:
        with pytest.raises(FetchError, match="closed before the end"):
            await http_get(parse_endpoint(url))
