"""HTTP GET of a Prometheus endpoint over anyio sockets: small, cancellable, bounded.

A scrape is one ``GET`` with ``Connection: close`` on a fresh TCP connection (module endpoints sit on the
same Docker network, so a connection per scrape costs nothing worth pooling). Because every wait is an anyio
socket operation, the caller's cancel scope (``fail_after``) *is* the scrape timeout: no worker thread
outlives it. The response may be delimited by ``Content-Length``, chunked or by the server closing the
connection; anything but ``200`` with an identity body is an error. Bodies are capped, so a misbehaving
endpoint cannot exhaust the module's memory.

:class:`ResponseParser` is the sans-IO part (bytes in, body out), tested on its own.
"""

from __future__ import annotations

from typing import Final

import anyio

from telemetry_module.config import Endpoint

MAX_BODY_BYTES: Final = 16 * 1024 * 1024
MAX_HEAD_BYTES: Final = 64 * 1024
ACCEPT: Final = "text/plain;version=0.0.4;q=1,*/*;q=0.1"
OK: Final = 200


class FetchError(Exception):
    """A scrape that produced no exposition text; ``result`` is the health metric's ``result`` label."""

    def __init__(self, result: str, reason: str) -> None:
        self.result = result
        self.reason = reason
        super().__init__(reason)


def request_bytes(endpoint: Endpoint) -> bytes:
    host = f"[{endpoint.host}]" if ":" in endpoint.host else endpoint.host
    host_header = host if endpoint.port == 80 else f"{host}:{endpoint.port}"
    return (
        f"GET {endpoint.target} HTTP/1.1\r\n"
        f"Host: {host_header}\r\n"
        f"Accept: {ACCEPT}\r\n"
        "Accept-Encoding: identity\r\n"
        "User-Agent: energy-edge-telemetry-module\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii", "strict")


async def http_get(endpoint: Endpoint, *, max_body_bytes: int = MAX_BODY_BYTES) -> bytes:
    """The body of ``GET endpoint``; raises :class:`FetchError`. Time it out with ``anyio.fail_after``."""
    try:
        stream = await anyio.connect_tcp(endpoint.host, endpoint.port)
    except OSError as error:
        raise FetchError("connection_error", f"cannot connect: {error}") from error
    parser = ResponseParser(max_body_bytes=max_body_bytes)
    async with stream:
        try:
            await stream.send(request_bytes(endpoint))
            while not parser.complete:
                try:
                    chunk = await stream.receive(65536)
                except anyio.EndOfStream:
                    parser.end_of_stream()
                    break
                parser.feed(chunk)
        except (anyio.BrokenResourceError, OSError) as error:
            raise FetchError("connection_error", f"connection lost: {error}") from error
    return parser.body()


class ResponseParser:
    """Incremental HTTP/1.x response parser: ``feed`` bytes until ``complete``, then ``body()``.

    Raises :class:`FetchError` (``http_error`` or ``too_large``) as soon as the response is known to be bad.
    """

    def __init__(self, *, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self._max_body = max_body_bytes
        self._buffer = bytearray()
        self._headers_done = False
        self._length: int | None = None
        self._chunked: _Dechunker | None = None
        self._until_close = False
        self._complete = False
        self.status: int | None = None
        self.headers: dict[str, str] = {}

    @property
    def complete(self) -> bool:
        return self._complete

    def feed(self, data: bytes) -> None:
        if self._complete:
            return
        self._buffer += data
        if not self._headers_done:
            self._parse_head()
            if not self._headers_done:
                return
        self._check_progress()

    def end_of_stream(self) -> None:
        """The server closed the connection: fine for a close-delimited body, an error otherwise."""
        if self._complete:
            return
        if not self._headers_done:
            raise FetchError("http_error", "connection closed before a complete HTTP response head")
        if not self._until_close:
            raise FetchError("http_error", "connection closed before the end of the response body")
        self._complete = True

    def body(self) -> bytes:
        if not self._complete:
            raise FetchError("http_error", "incomplete HTTP response")
        if self._chunked is not None:
            return bytes(self._chunked.body)
        return bytes(self._buffer if self._length is None else self._buffer[: self._length])

    # -- internals ----------------------------------------------------------------------------------------

    def _parse_head(self) -> None:
        end = self._buffer.find(b"\r\n\r\n")
        if end == -1:
            if len(self._buffer) > MAX_HEAD_BYTES:
                raise FetchError("http_error", "HTTP response head too long")
            return
        head = bytes(self._buffer[:end]).decode("iso-8859-1")
        del self._buffer[: end + 4]
        status_line, *header_lines = head.split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise FetchError("http_error", f"not an HTTP response: {status_line[:80]!r}")
        self.status = int(parts[1])
        for line in header_lines:
            name, colon, value = line.partition(":")
            if not colon:
                raise FetchError("http_error", f"malformed HTTP header line {line[:80]!r}")
            self.headers[name.strip().lower()] = value.strip()
        if self.status != OK:
            reason = parts[2] if len(parts) > 2 else ""
            raise FetchError("http_error", f"HTTP {self.status} {reason}".rstrip())
        encoding = self.headers.get("content-encoding", "identity").lower()
        if encoding != "identity":
            raise FetchError("http_error", f"unsupported Content-Encoding {encoding!r}")
        self._headers_done = True
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            self._chunked = _Dechunker(self._max_body)
        elif "content-length" in self.headers:
            length = self.headers["content-length"]
            if not length.isdigit():
                raise FetchError("http_error", f"invalid Content-Length {length!r}")
            self._length = int(length)
            if self._length > self._max_body:
                raise FetchError("too_large", f"body of {self._length} bytes exceeds {self._max_body}")
        else:
            self._until_close = True

    def _check_progress(self) -> None:
        if self._chunked is not None:
            self._chunked.feed(self._buffer)
            self._buffer.clear()
            self._complete = self._chunked.done
        elif self._length is not None:
            self._complete = len(self._buffer) >= self._length
        elif len(self._buffer) > self._max_body:
            raise FetchError("too_large", f"body exceeds {self._max_body} bytes")


class _Dechunker:
    """Decodes ``Transfer-Encoding: chunked`` as bytes arrive (each byte is looked at once)."""

    def __init__(self, max_body: int) -> None:
        self.body = bytearray()
        self.done = False
        self._pending = bytearray()
        self._remaining = 0  # bytes of the current chunk still to come, plus its CRLF
        self._in_trailer = False
        self._max_body = max_body

    def feed(self, data: bytes | bytearray) -> None:
        self._pending += data
        while not self.done:
            if self._remaining:
                if not self._take_data():
                    return
            elif self._in_trailer:
                if not self._take_trailer_line():
                    return
            elif not self._take_size_line():
                return

    def _take_data(self) -> bool:
        data_left = self._remaining - 2
        if data_left > 0:
            take = min(len(self._pending), data_left)
            self.body += self._pending[:take]
            del self._pending[:take]
            self._remaining -= take
            if take < data_left:
                return False
        if len(self._pending) < 2:
            return False
        if self._pending[:2] != b"\r\n":
            raise FetchError("http_error", "malformed chunked body: chunk not followed by CRLF")
        del self._pending[:2]
        self._remaining = 0
        return True

    def _take_size_line(self) -> bool:
        end = self._pending.find(b"\r\n")
        if end == -1:
            if len(self._pending) > 1024:
                raise FetchError("http_error", "malformed chunked body: chunk-size line too long")
            return False
        text = bytes(self._pending[:end]).split(b";", 1)[0].strip()
        del self._pending[: end + 2]
        try:
            size = int(text, 16)
        except ValueError:
            raise FetchError("http_error", f"malformed chunked body: chunk size {text[:20]!r}") from None
        if size < 0:
            raise FetchError("http_error", "malformed chunked body: negative chunk size")
        if size == 0:
            self._in_trailer = True
            return True
        if len(self.body) + size > self._max_body:
            raise FetchError("too_large", f"body exceeds {self._max_body} bytes")
        self._remaining = size + 2
        return True

    def _take_trailer_line(self) -> bool:
        end = self._pending.find(b"\r\n")
        if end == -1:
            return False
        del self._pending[: end + 2]
        if end == 0:
            self.done = True
        return True
